package api

import (
	"net/http"
	"slices"
	"strings"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/auth"
	"github.com/telegrafcontroller/tc/internal/httpx"
	"github.com/telegrafcontroller/tc/internal/store"
)

// Limits of the agents API.
const (
	maxAgentPageSize = 500
	maxBulkIDs       = 1000
)

// listAgents answers GET /api/agents.
func (s *Server) listAgents(w http.ResponseWriter, r *http.Request) {
	f, err := parseAgentFilter(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	list, err := s.Store.ListAgents(r.Context(), f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, list)
}

func parseAgentFilter(r *http.Request) (tc.AgentFilter, error) {
	q := r.URL.Query()
	f := tc.AgentFilter{
		Search:          strings.TrimSpace(q.Get("search")),
		Status:          q.Get("status"),
		ConfigID:        q.Get("configId"),
		ReportingRuleID: q.Get("reportingRuleId"),
		LabelID:         q.Get("labelId"),
		SortBy:          q.Get("sortBy"),
	}
	if f.Status != "" && !slices.Contains(tc.AgentStatuses, f.Status) {
		return f, tc.FieldErrorf("status", "status must be one of %s", strings.Join(tc.AgentStatuses, ", "))
	}
	switch f.SortBy {
	case "", tc.AgentSortName, tc.AgentSortStatus, tc.AgentSortLastSeen, tc.AgentSortHostname:
	default:
		return f, tc.FieldErrorf("sortBy", "sortBy must be one of name, status, lastSeen, hostname")
	}
	switch strings.ToLower(q.Get("sortOrder")) {
	case "", "asc":
	case "desc":
		f.Desc = true
	default:
		return f, tc.FieldErrorf("sortOrder", "sortOrder must be asc or desc")
	}
	if len(f.Search) > 255 {
		return f, tc.FieldErrorf("search", "search must be at most 255 characters")
	}
	page, err := httpx.QueryInt(r, "page", 1, 1, 1_000_000)
	if err != nil {
		return f, err
	}
	limit, err := httpx.QueryInt(r, "limit", 25, 1, maxAgentPageSize)
	if err != nil {
		return f, err
	}
	f.Limit, f.Offset = limit, (page-1)*limit
	return f, nil
}

// agentSummary answers GET /api/agents/summary.
func (s *Server) agentSummary(w http.ResponseWriter, r *http.Request) {
	sum, err := s.Store.AgentSummary(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, sum)
}

// getAgent answers GET /api/agents/{id}.
func (s *Server) getAgent(w http.ResponseWriter, r *http.Request) {
	a, err := s.Store.Agent(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, a)
}

// updateAgent answers PATCH /api/agents/{id} {reportingRuleId?, labelIds?}.
func (s *Server) updateAgent(w http.ResponseWriter, r *http.Request) {
	var u tc.AgentUpdate
	if err := s.decode(w, r, &u); err != nil {
		s.fail(w, r, err)
		return
	}
	if u.ReportingRuleID != nil && *u.ReportingRuleID == "" {
		s.fail(w, r, tc.FieldErrorf("reportingRuleId", "reportingRuleId must name a reporting rule"))
		return
	}
	id := r.PathValue("id")
	if err := s.Store.UpdateAgent(r.Context(), id, u); err != nil {
		s.fail(w, r, err)
		return
	}
	a, err := s.Store.Agent(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, a)
}

// deleteAgent answers DELETE /api/agents/{id}.
func (s *Server) deleteAgent(w http.ResponseWriter, r *http.Request) {
	if err := s.Store.DeleteAgent(r.Context(), r.PathValue("id")); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// bulkAgentsRequest is the body of POST /api/agents/bulk.
type bulkAgentsRequest struct {
	Action          string   `json:"action"`
	IDs             []string `json:"ids"`
	ReportingRuleID string   `json:"reportingRuleId"`
	LabelID         string   `json:"labelId"`
}

// bulkResult reports what happened to one id.
type bulkResult struct {
	ID      string `json:"id"`
	OK      bool   `json:"ok"`
	Error   string `json:"error,omitempty"`
	Message string `json:"message,omitempty"`
}

// bulkAgents answers POST /api/agents/bulk: one action on many agents in one
// transaction, reported per id (an id that does not exist is reported, not
// fatal). The route requires agents:write; deleting also needs agents:delete.
func (s *Server) bulkAgents(w http.ResponseWriter, r *http.Request) {
	var req bulkAgentsRequest
	if err := s.decode(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	var arg, field string
	switch req.Action {
	case store.BulkDelete:
		if caller := tc.CallerFromContext(r.Context()); !s.Exempt[tc.ResAgents] && !caller.Can(tc.Perm(tc.ResAgents, tc.ActionDelete)) {
			s.fail(w, r, auth.Forbidden(tc.Perm(tc.ResAgents, tc.ActionDelete)))
			return
		}
	case store.BulkAssignRule:
		arg, field = req.ReportingRuleID, "reportingRuleId"
	case store.BulkAddLabel, store.BulkRemoveLabel:
		arg, field = req.LabelID, "labelId"
	case "":
		s.fail(w, r, tc.FieldErrorf("action", "action is required: delete, assign-rule, add-label or remove-label"))
		return
	default:
		s.fail(w, r, tc.FieldErrorf("action", "action must be one of delete, assign-rule, add-label, remove-label"))
		return
	}
	if field != "" && arg == "" {
		s.fail(w, r, tc.FieldErrorf(field, "%s is required for %s", field, req.Action))
		return
	}
	if len(req.IDs) == 0 {
		s.fail(w, r, tc.FieldErrorf("ids", "ids must list at least one agent id"))
		return
	}
	if len(req.IDs) > maxBulkIDs {
		s.fail(w, r, tc.FieldErrorf("ids", "ids must list at most %d agent ids", maxBulkIDs))
		return
	}
	res, err := s.Store.BulkAgents(r.Context(), req.Action, req.IDs, arg, field)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := struct {
		Results   []bulkResult `json:"results"`
		Succeeded int          `json:"succeeded"`
		Failed    int          `json:"failed"`
	}{Results: []bulkResult{}}
	seen := map[string]bool{}
	for _, id := range req.IDs {
		if seen[id] {
			continue
		}
		seen[id] = true
		br := bulkResult{ID: id, OK: res[id] == nil}
		if e := res[id]; e != nil {
			br.Error, br.Message = tc.ErrorCode(e), tc.ErrorMessage(e)
			out.Failed++
		} else {
			out.Succeeded++
		}
		out.Results = append(out.Results, br)
	}
	httpx.WriteJSON(w, http.StatusOK, out)
}
