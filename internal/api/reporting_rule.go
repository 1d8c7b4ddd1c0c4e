package api

import (
	"bytes"
	"encoding/json"
	"net/http"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/httpx"
)

// ruleInput is the body of POST and PATCH /api/reporting-rules. Absent
// fields keep their value on PATCH; autoDeleteAfterSeconds: null turns
// auto-delete off, which is why it is kept raw.
type ruleInput struct {
	Name                     *string         `json:"name"`
	Description              *string         `json:"description"`
	NotReportingAfterSeconds *int64          `json:"notReportingAfterSeconds"`
	AutoDeleteAfterSeconds   json.RawMessage `json:"autoDeleteAfterSeconds"`
	IsDefault                *bool           `json:"isDefault"`
}

// apply copies the given fields onto r.
func (in *ruleInput) apply(r *tc.ReportingRule) error {
	if in.Name != nil {
		r.Name = *in.Name
	}
	if in.Description != nil {
		r.Description = *in.Description
	}
	if in.NotReportingAfterSeconds != nil {
		r.NotReportingAfterSeconds = *in.NotReportingAfterSeconds
	}
	if in.AutoDeleteAfterSeconds != nil {
		if bytes.Equal(in.AutoDeleteAfterSeconds, []byte("null")) {
			r.AutoDeleteAfterSeconds = nil
		} else {
			var n int64
			if err := json.Unmarshal(in.AutoDeleteAfterSeconds, &n); err != nil {
				return tc.FieldErrorf("autoDeleteAfterSeconds", "autoDeleteAfterSeconds must be a whole number of seconds or null")
			}
			r.AutoDeleteAfterSeconds = &n
		}
	}
	if in.IsDefault != nil {
		r.IsDefault = *in.IsDefault
	}
	return nil
}

// listReportingRules answers GET /api/reporting-rules.
func (s *Server) listReportingRules(w http.ResponseWriter, r *http.Request) {
	rules, err := s.Store.ReportingRules(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"items": rules})
}

// createReportingRule answers POST /api/reporting-rules.
func (s *Server) createReportingRule(w http.ResponseWriter, r *http.Request) {
	var in ruleInput
	if err := s.decode(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	if in.NotReportingAfterSeconds == nil {
		s.fail(w, r, tc.FieldErrorf("notReportingAfterSeconds", "notReportingAfterSeconds is required"))
		return
	}
	var rule tc.ReportingRule
	if err := in.apply(&rule); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.Store.CreateReportingRule(r.Context(), &rule); err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/reporting-rules/"+rule.ID)
	httpx.WriteJSON(w, http.StatusCreated, rule)
}

// getReportingRule answers GET /api/reporting-rules/{id}.
func (s *Server) getReportingRule(w http.ResponseWriter, r *http.Request) {
	rule, err := s.Store.ReportingRule(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, rule)
}

// updateReportingRule answers PATCH /api/reporting-rules/{id}.
func (s *Server) updateReportingRule(w http.ResponseWriter, r *http.Request) {
	var in ruleInput
	if err := s.decode(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	rule, err := s.Store.UpdateReportingRule(r.Context(), r.PathValue("id"), in.apply)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, rule)
}

// deleteReportingRule answers DELETE /api/reporting-rules/{id}; its agents
// move to the default rule.
func (s *Server) deleteReportingRule(w http.ResponseWriter, r *http.Request) {
	if err := s.Store.DeleteReportingRule(r.Context(), r.PathValue("id")); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// makeDefaultReportingRule answers POST /api/reporting-rules/{id}/make-default.
func (s *Server) makeDefaultReportingRule(w http.ResponseWriter, r *http.Request) {
	rule, err := s.Store.MakeDefaultReportingRule(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, rule)
}
