package api

import (
	"net/http"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/httpx"
)

// listAlertRules answers GET /api/alert-rules.
func (s *Server) listAlertRules(w http.ResponseWriter, r *http.Request) {
	rules, err := s.AlertRules.List(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteList(w, rules)
}

// createAlertRule answers POST /api/alert-rules.
func (s *Server) createAlertRule(w http.ResponseWriter, r *http.Request) {
	var in tc.AlertRuleInput
	if err := s.decode(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	rule, err := s.AlertRules.Create(r.Context(), in)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/alert-rules/"+rule.ID)
	httpx.WriteJSON(w, http.StatusCreated, rule)
}

// getAlertRule answers GET /api/alert-rules/{id}.
func (s *Server) getAlertRule(w http.ResponseWriter, r *http.Request) {
	rule, err := s.AlertRules.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, rule)
}

// replaceAlertRule answers PUT /api/alert-rules/{id}: the body is the
// whole rule; absent fields take the defaults.
func (s *Server) replaceAlertRule(w http.ResponseWriter, r *http.Request) {
	var in tc.AlertRuleInput
	if err := s.decode(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	rule, err := s.AlertRules.Replace(r.Context(), r.PathValue("id"), in)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, rule)
}

// deleteAlertRule answers DELETE /api/alert-rules/{id}.
func (s *Server) deleteAlertRule(w http.ResponseWriter, r *http.Request) {
	if err := s.AlertRules.Delete(r.Context(), r.PathValue("id")); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
