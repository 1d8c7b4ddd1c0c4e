package api

import (
	"net/http"
	"strings"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/httpx"
	"github.com/telegrafcontroller/tc/internal/service"
)

// listAgents answers GET /api/agents.
func (s *Server) listAgents(w http.ResponseWriter, r *http.Request) {
	f, err := parseAgentFilter(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	list, err := s.Agents.List(r.Context(), f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, list)
}

// parseAgentFilter reads the list's query; service.Agents.List checks the
// values.
func parseAgentFilter(r *http.Request) (tc.AgentFilter, error) {
	q := r.URL.Query()
	f := tc.AgentFilter{
		Search:          q.Get("search"),
		Status:          q.Get("status"),
		ConfigID:        q.Get("configId"),
		ReportingRuleID: q.Get("reportingRuleId"),
		LabelID:         q.Get("labelId"),
		SortBy:          q.Get("sortBy"),
	}
	switch strings.ToLower(q.Get("sortOrder")) {
	case "", "asc":
	case "desc":
		f.Desc = true
	default:
		return f, tc.FieldErrorf("sortOrder", "sortOrder must be asc or desc")
	}
	page, err := httpx.QueryInt(r, "page", 1, 1, service.MaxAgentPage)
	if err != nil {
		return f, err
	}
	limit, err := httpx.QueryInt(r, "limit", 25, 1, service.MaxAgentPageSize)
	if err != nil {
		return f, err
	}
	f.Limit, f.Offset = limit, (page-1)*limit
	return f, nil
}

// agentSummary answers GET /api/agents/summary.
func (s *Server) agentSummary(w http.ResponseWriter, r *http.Request) {
	sum, err := s.Agents.Summary(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, sum)
}

// getAgent answers GET /api/agents/{id}.
func (s *Server) getAgent(w http.ResponseWriter, r *http.Request) {
	a, err := s.Agents.Get(r.Context(), r.PathValue("id"))
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
	a, err := s.Agents.Update(r.Context(), r.PathValue("id"), u)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, a)
}

// deleteAgent answers DELETE /api/agents/{id}.
func (s *Server) deleteAgent(w http.ResponseWriter, r *http.Request) {
	if err := s.Agents.Delete(r.Context(), r.PathValue("id")); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// bulkAgents answers POST /api/agents/bulk: one action on many agents in one
// transaction, reported per id. The route requires agents:write; the
// service also requires agents:delete to delete.
func (s *Server) bulkAgents(w http.ResponseWriter, r *http.Request) {
	var req tc.AgentBulk
	if err := s.decode(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	ctx := r.Context()
	if s.Exempt[tc.ResAgents] {
		// The whole agents group is open, DELETE /api/agents/{id} included:
		// bulk deletion is too.
		del := tc.Perm(tc.ResAgents, tc.ActionDelete)
		ctx = tc.NewContextWithCaller(ctx, tc.WithExempt(tc.CallerFromContext(ctx), del))
	}
	results, err := s.Agents.Bulk(ctx, req)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := struct {
		Results   []tc.AgentBulkResult `json:"results"`
		Succeeded int                  `json:"succeeded"`
		Failed    int                  `json:"failed"`
	}{Results: results}
	for _, res := range results {
		if res.OK {
			out.Succeeded++
		} else {
			out.Failed++
		}
	}
	httpx.WriteJSON(w, http.StatusOK, out)
}
