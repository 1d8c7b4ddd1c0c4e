package api

import (
	"bufio"
	"encoding/csv"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

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
		ConfigState:     q.Get("configState"),
		SortBy:          q.Get("sortBy"),
	}
	version, err := httpx.QueryInt(r, "configVersion", 0, 1, math.MaxInt32)
	if err != nil {
		return f, err
	}
	f.ConfigVersion = version
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

// configAgentVersions answers GET /api/configs/{id}/agent-versions: how
// many agents run each version of the config.
func (s *Server) configAgentVersions(w http.ResponseWriter, r *http.Request) {
	counts, err := s.Agents.ConfigVersions(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteList(w, counts)
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

// fleetHealth answers GET /api/agents/fleet-health?range=1h|6h|24h|7d:
// the status scheduler's samples over the range, thinned to a few hundred.
func (s *Server) fleetHealth(w http.ResponseWriter, r *http.Request) {
	fh, err := s.Agents.FleetHealth(r.Context(), r.URL.Query().Get("range"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, fh)
}

// agentHistory answers GET /api/agents/{id}/history?range=1h|6h|24h|7d:
// the agent's reporting history (upstream's "reporting history").
func (s *Server) agentHistory(w http.ResponseWriter, r *http.Request) {
	h, err := s.Agents.History(r.Context(), r.PathValue("id"), r.URL.Query().Get("range"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, h)
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

// agentBulkRequest is the body of POST /api/agents/bulk: the agents are
// either ids or every agent a filter matches (the list's filters).
type agentBulkRequest struct {
	Action          string   `json:"action"`
	IDs             []string `json:"ids"`
	ReportingRuleID string   `json:"reportingRuleId"`
	LabelID         string   `json:"labelId"`
	Filter          *struct {
		Search          string `json:"search"`
		Status          string `json:"status"`
		ConfigID        string `json:"configId"`
		ReportingRuleID string `json:"reportingRuleId"`
		LabelID         string `json:"labelId"`
		ConfigState     string `json:"configState"`
		ConfigVersion   int    `json:"configVersion"`
	} `json:"filter"`
}

// bulkAgents answers POST /api/agents/bulk: one action on many agents in one
// transaction, reported per id. The route requires agents:write; the
// service also requires agents:delete to delete.
func (s *Server) bulkAgents(w http.ResponseWriter, r *http.Request) {
	var req agentBulkRequest
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
	bulk := tc.AgentBulk{Action: req.Action, IDs: req.IDs, ReportingRuleID: req.ReportingRuleID, LabelID: req.LabelID}
	var results []tc.AgentBulkResult
	var err error
	if f := req.Filter; f != nil {
		results, err = s.Agents.BulkMatching(ctx, bulk, tc.AgentFilter{Search: f.Search, Status: f.Status,
			ConfigID: f.ConfigID, ReportingRuleID: f.ReportingRuleID, LabelID: f.LabelID,
			ConfigState: f.ConfigState, ConfigVersion: f.ConfigVersion})
	} else {
		results, err = s.Agents.Bulk(ctx, bulk)
	}
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

// agentCSVHeader is the agents export's CSV columns.
var agentCSVHeader = []string{"id", "hostname", "ip", "version", "status", "reportedStatus", "reportingRuleId",
	"firstSeen", "lastSeen", "lastErrors", "lastWarnings", "lastMetrics", "totalErrors", "totalWarnings", "totalMetrics", "statusSince"}

// csvTime is an optional time in the export: empty when not known.
func csvTime(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// exportAgents answers GET /api/agents/export?format=csv with every agent
// the list's filters select, in the list's order, streamed.
func (s *Server) exportAgents(w http.ResponseWriter, r *http.Request) {
	if format := r.URL.Query().Get("format"); format != "" && format != "csv" {
		s.fail(w, r, tc.FieldErrorf("format", "format must be csv"))
		return
	}
	f, err := parseAgentFilter(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var bw *bufio.Writer
	var cw *csv.Writer
	// start sends the headers at the first agent (or at the end of an empty
	// export), so that a refusal before it is still an error body.
	start := func() {
		if cw != nil {
			return
		}
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="agents-`+s.Now().UTC().Format("20060102T150405Z")+`.csv"`)
		w.Header().Set("Cache-Control", "no-store")
		bw = bufio.NewWriterSize(w, 64<<10)
		cw = csv.NewWriter(bw)
		cw.Write(agentCSVHeader)
	}
	num := func(n int64) string { return strconv.FormatInt(n, 10) }
	err = s.Agents.Each(r.Context(), f, func(a *tc.Agent) error {
		start()
		return cw.Write([]string{a.ID, a.Hostname, a.IP, a.Version, a.Status, a.ReportedStatus, a.ReportingRuleID,
			a.FirstSeen.UTC().Format(time.RFC3339Nano), a.LastSeen.UTC().Format(time.RFC3339Nano),
			num(a.Stats.LastErrors), num(a.Stats.LastWarnings), num(a.Stats.LastMetrics),
			num(a.Stats.TotalErrors), num(a.Stats.TotalWarnings), num(a.Stats.TotalMetrics), csvTime(a.StatusSince)})
	})
	if err != nil && cw == nil {
		s.fail(w, r, err)
		return
	}
	if err != nil {
		// Headers are sent: the truncated body is all a client can get.
		s.Logger.Error("agents export stopped", "error", err)
	}
	start()
	cw.Flush()
	bw.Flush()
}
