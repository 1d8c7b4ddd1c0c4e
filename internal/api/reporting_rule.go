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

// change decodes the input into the change it asks for.
func (in *ruleInput) change() (tc.ReportingRuleChange, error) {
	c := tc.ReportingRuleChange{Name: in.Name, Description: in.Description,
		NotReportingAfterSeconds: in.NotReportingAfterSeconds, IsDefault: in.IsDefault}
	if in.AutoDeleteAfterSeconds != nil {
		c.SetAutoDelete = true
		if !bytes.Equal(in.AutoDeleteAfterSeconds, []byte("null")) {
			var n int64
			if err := json.Unmarshal(in.AutoDeleteAfterSeconds, &n); err != nil {
				return c, tc.FieldErrorf("autoDeleteAfterSeconds", "autoDeleteAfterSeconds must be a whole number of seconds or null")
			}
			c.AutoDeleteAfterSeconds = &n
		}
	}
	return c, nil
}

// decodeRule reads a rule body into the change it asks for.
func (s *Server) decodeRule(w http.ResponseWriter, r *http.Request) (tc.ReportingRuleChange, error) {
	var in ruleInput
	if err := s.decode(w, r, &in); err != nil {
		return tc.ReportingRuleChange{}, err
	}
	return in.change()
}

// listReportingRules answers GET /api/reporting-rules.
func (s *Server) listReportingRules(w http.ResponseWriter, r *http.Request) {
	rules, err := s.ReportingRules.List(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"items": rules})
}

// createReportingRule answers POST /api/reporting-rules.
func (s *Server) createReportingRule(w http.ResponseWriter, r *http.Request) {
	c, err := s.decodeRule(w, r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	rule, err := s.ReportingRules.Create(r.Context(), c)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/reporting-rules/"+rule.ID)
	httpx.WriteJSON(w, http.StatusCreated, rule)
}

// getReportingRule answers GET /api/reporting-rules/{id}.
func (s *Server) getReportingRule(w http.ResponseWriter, r *http.Request) {
	rule, err := s.ReportingRules.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, rule)
}

// updateReportingRule answers PATCH /api/reporting-rules/{id}.
func (s *Server) updateReportingRule(w http.ResponseWriter, r *http.Request) {
	c, err := s.decodeRule(w, r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	rule, err := s.ReportingRules.Update(r.Context(), r.PathValue("id"), c)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, rule)
}

// deleteReportingRule answers DELETE /api/reporting-rules/{id}; its agents
// move to the default rule.
func (s *Server) deleteReportingRule(w http.ResponseWriter, r *http.Request) {
	if err := s.ReportingRules.Delete(r.Context(), r.PathValue("id")); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// makeDefaultReportingRule answers POST /api/reporting-rules/{id}/make-default.
func (s *Server) makeDefaultReportingRule(w http.ResponseWriter, r *http.Request) {
	rule, err := s.ReportingRules.MakeDefault(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, rule)
}
