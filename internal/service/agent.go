package service

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/store"
)

// Limits of the agent service.
const (
	MaxAgentPageSize = 500
	MaxAgentPage     = 1_000_000
	MaxAgentSearch   = 255
	MaxBulkAgentIDs  = 1000
	// MaxBulkMatching is how many agents a bulk action on a filter may
	// reach; a filter matching more is refused whole, to be narrowed.
	MaxBulkMatching = 100_000
)

// Agents is the agent service: the fleet list and summary, one agent, and
// what an operator changes on agents (rule, labels, deletion), for the API
// and the UI alike.
//
// Heartbeat ingest does not go through it: the heartbeat listener
// (internal/heartbeat) queues beats and writes them in batches straight to
// the store (store.WriteHeartbeats) off the request path, and the status
// scheduler sweeps through store.SweepAgentStatus. Neither acts for a
// caller, and both are hot paths; the rule they share with this service
// (which reporting rule an agent falls under when it has none) lives in
// one store function.
type Agents struct {
	Store *store.Store
	Now   func() time.Time // the clock of the histories' ranges; time.Now when nil

	// The stale count of Summary, kept for staleCountTTL: it reads every
	// config link (store.StaleAgentCount), and the agents page and its
	// live refresh ask for the summary often.
	staleMu sync.Mutex
	staleAt time.Time
	stale   int64
}

// staleCountTTL is how long Summary reuses its count of stale agents.
const staleCountTTL = 15 * time.Second

func agentPerm(action string) tc.Permission { return tc.Perm(tc.ResAgents, action) }

// List returns one page of agents matching f. f.Search is trimmed; Limit 0
// means 25. Errors: EUNAUTHORIZED, EFORBIDDEN, EINVALID.
func (s *Agents) List(ctx context.Context, f tc.AgentFilter) (*tc.AgentList, error) {
	if _, err := require(ctx, agentPerm(tc.ActionRead)); err != nil {
		return nil, err
	}
	f, err := checkAgentFilter(f)
	if err != nil {
		return nil, err
	}
	if f.Limit == 0 {
		f.Limit = 25
	}
	if f.Limit < 1 || f.Limit > MaxAgentPageSize {
		return nil, tc.FieldErrorf("limit", "limit must be an integer between 1 and %d", MaxAgentPageSize)
	}
	if f.Offset < 0 || f.Offset/f.Limit >= MaxAgentPage {
		return nil, tc.FieldErrorf("page", "page must be an integer between 1 and %d", MaxAgentPage)
	}
	return s.Store.ListAgents(ctx, f)
}

// checkAgentFilter trims f.Search and checks f's filters and sort (not its
// page).
func checkAgentFilter(f tc.AgentFilter) (tc.AgentFilter, error) {
	f.Search = strings.TrimSpace(f.Search)
	if f.Status != "" && !slices.Contains(tc.AgentStatuses, f.Status) {
		return f, tc.FieldErrorf("status", "status must be one of %s", strings.Join(tc.AgentStatuses, ", "))
	}
	switch f.SortBy {
	case "", tc.AgentSortName, tc.AgentSortStatus, tc.AgentSortLastSeen, tc.AgentSortHostname, tc.AgentSortSeverity:
	default:
		return f, tc.FieldErrorf("sortBy", "sortBy must be one of name, status, lastSeen, hostname, severity")
	}
	if f.ConfigState != "" && !slices.Contains(tc.ConfigStates, f.ConfigState) {
		return f, tc.FieldErrorf("configState", "configState must be one of %s", strings.Join(tc.ConfigStates, ", "))
	}
	if f.ConfigVersion < 0 {
		return f, tc.FieldErrorf("configVersion", "configVersion must be a positive integer")
	}
	if f.ConfigVersion > 0 && f.ConfigID == "" {
		return f, tc.FieldErrorf("configVersion", "configVersion needs configId")
	}
	if len(f.Search) > MaxAgentSearch {
		return f, tc.FieldErrorf("search", "search must be at most %d characters", MaxAgentSearch)
	}
	return f, nil
}

// Each calls fn for every agent matching f's filters in f's order (its page
// ignored), reading as it goes: the CSV export. Errors: EUNAUTHORIZED,
// EFORBIDDEN, EINVALID, and what fn returns.
func (s *Agents) Each(ctx context.Context, f tc.AgentFilter, fn func(*tc.Agent) error) error {
	if _, err := require(ctx, agentPerm(tc.ActionRead)); err != nil {
		return err
	}
	f, err := checkAgentFilter(f)
	if err != nil {
		return err
	}
	return s.Store.EachAgent(ctx, f, 0, fn)
}

// Problems returns the newest error or warning each of ids reported, for
// those that reported one (the agents list's "last problem"). Errors:
// EUNAUTHORIZED, EFORBIDDEN.
func (s *Agents) Problems(ctx context.Context, ids []string) (map[string]tc.AgentLog, error) {
	if _, err := require(ctx, agentPerm(tc.ActionRead)); err != nil {
		return nil, err
	}
	return s.Store.AgentProblems(ctx, ids)
}

// Summary counts the fleet by status. Errors: EUNAUTHORIZED, EFORBIDDEN.
func (s *Agents) Summary(ctx context.Context) (tc.AgentSummary, error) {
	if _, err := require(ctx, agentPerm(tc.ActionRead)); err != nil {
		return tc.AgentSummary{}, err
	}
	sum, err := s.Store.AgentSummary(ctx)
	if err != nil {
		return sum, err
	}
	sum.Stale, err = s.staleCount(ctx)
	return sum, err
}

// staleCount is store.StaleAgentCount, at most staleCountTTL old.
func (s *Agents) staleCount(ctx context.Context) (int64, error) {
	s.staleMu.Lock()
	defer s.staleMu.Unlock()
	now := time.Now()
	if !s.staleAt.IsZero() && now.Sub(s.staleAt) < staleCountTTL {
		return s.stale, nil
	}
	n, err := s.Store.StaleAgentCount(ctx)
	if err != nil {
		return 0, err
	}
	s.stale, s.staleAt = n, now
	return n, nil
}

// ConfigVersions counts the agents linked to config id by the version of
// it they were served, newest first (version 0: no serve of their URL
// recorded): the config page's bars. Errors: EUNAUTHORIZED, EFORBIDDEN,
// ENOTFOUND.
func (s *Agents) ConfigVersions(ctx context.Context, id string) ([]tc.ConfigVersionCount, error) {
	if _, err := require(ctx, agentPerm(tc.ActionRead)); err != nil {
		return nil, err
	}
	if _, err := s.Store.ConfigForServing(ctx, id); err != nil {
		return nil, err
	}
	return s.Store.ConfigVersionCounts(ctx, id)
}

// Get returns one agent with its rule, labels, configs and recent logs.
// Errors: EUNAUTHORIZED, EFORBIDDEN, ENOTFOUND.
func (s *Agents) Get(ctx context.Context, id string) (*tc.AgentDetail, error) {
	if _, err := require(ctx, agentPerm(tc.ActionRead)); err != nil {
		return nil, err
	}
	return s.Store.Agent(ctx, id)
}

// Update changes an agent's reporting rule and or its whole label set and
// returns the agent as it now is. Errors: EUNAUTHORIZED, EFORBIDDEN,
// ENOTFOUND, EINVALID naming reportingRuleId or labelIds.
func (s *Agents) Update(ctx context.Context, id string, u tc.AgentUpdate) (*tc.AgentDetail, error) {
	if _, err := require(ctx, agentPerm(tc.ActionWrite)); err != nil {
		return nil, err
	}
	if u.ReportingRuleID != nil && *u.ReportingRuleID == "" {
		return nil, tc.FieldErrorf("reportingRuleId", "reportingRuleId must name a reporting rule")
	}
	if err := s.Store.UpdateAgent(ctx, id, u); err != nil {
		return nil, err
	}
	return s.Store.Agent(ctx, id)
}

// Delete removes an agent's record; one that keeps sending heartbeats
// comes back. Errors: EUNAUTHORIZED, EFORBIDDEN, ENOTFOUND.
func (s *Agents) Delete(ctx context.Context, id string) error {
	if _, err := require(ctx, agentPerm(tc.ActionDelete)); err != nil {
		return err
	}
	return s.Store.DeleteAgent(ctx, id)
}

// Bulk applies one action to many agents in one transaction and reports
// per id, in the order given and without repeats (an id that does not
// exist is reported, not fatal). Every action needs agents:write; delete
// also needs agents:delete. Errors (for the whole request): EUNAUTHORIZED,
// EFORBIDDEN, EINVALID (also for a rule or label that does not exist).
func (s *Agents) Bulk(ctx context.Context, b tc.AgentBulk) ([]tc.AgentBulkResult, error) {
	arg, field, err := checkBulk(ctx, b)
	if err != nil {
		return nil, err
	}
	if len(b.IDs) == 0 {
		return nil, tc.FieldErrorf("ids", "ids must list at least one agent id")
	}
	if len(b.IDs) > MaxBulkAgentIDs {
		return nil, tc.FieldErrorf("ids", "ids must list at most %d agent ids", MaxBulkAgentIDs)
	}
	return s.bulk(ctx, b, arg, field)
}

// BulkMatching applies one action, as Bulk does and with the same
// permissions, to every agent matching f's filters (its sort and page
// ignored), resolved here in the same request: "select all N matching" on
// the agents page. b.IDs must be empty. Errors: those of Bulk, and EINVALID
// naming filter when it matches more than MaxBulkMatching agents.
func (s *Agents) BulkMatching(ctx context.Context, b tc.AgentBulk, f tc.AgentFilter) ([]tc.AgentBulkResult, error) {
	arg, field, err := checkBulk(ctx, b)
	if err != nil {
		return nil, err
	}
	if len(b.IDs) > 0 {
		return nil, tc.FieldErrorf("ids", "give either ids or filter, not both")
	}
	if f, err = checkAgentFilter(f); err != nil {
		return nil, err
	}
	f.SortBy, f.Desc = tc.AgentSortName, false
	err = s.Store.EachAgent(ctx, f, MaxBulkMatching+1, func(a *tc.Agent) error {
		b.IDs = append(b.IDs, a.ID)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(b.IDs) > MaxBulkMatching {
		return nil, tc.FieldErrorf("filter", "the filter matches more than %d agents: narrow it", MaxBulkMatching)
	}
	if len(b.IDs) == 0 {
		return []tc.AgentBulkResult{}, nil
	}
	return s.bulk(ctx, b, arg, field)
}

// checkBulk checks the caller's permissions for b's action and its
// argument, and returns the argument and the field that names it.
func checkBulk(ctx context.Context, b tc.AgentBulk) (arg, field string, err error) {
	if _, err := require(ctx, agentPerm(tc.ActionWrite)); err != nil {
		return "", "", err
	}
	switch b.Action {
	case tc.AgentBulkDelete:
		if _, err := require(ctx, agentPerm(tc.ActionDelete)); err != nil {
			return "", "", err
		}
	case tc.AgentBulkAssignRule:
		arg, field = b.ReportingRuleID, "reportingRuleId"
	case tc.AgentBulkAddLabel, tc.AgentBulkRemoveLabel:
		arg, field = b.LabelID, "labelId"
	case "":
		return "", "", tc.FieldErrorf("action", "action is required: delete, assign-rule, add-label or remove-label")
	default:
		return "", "", tc.FieldErrorf("action", "action must be one of delete, assign-rule, add-label, remove-label")
	}
	if field != "" && arg == "" {
		return "", "", tc.FieldErrorf(field, "%s is required for %s", field, b.Action)
	}
	return arg, field, nil
}

// bulk runs a checked bulk action and reports per id in b.IDs' order.
func (s *Agents) bulk(ctx context.Context, b tc.AgentBulk, arg, field string) ([]tc.AgentBulkResult, error) {
	res, err := s.Store.BulkAgents(ctx, b.Action, b.IDs, arg, field)
	if err != nil {
		return nil, err
	}
	out := make([]tc.AgentBulkResult, 0, len(res))
	seen := make(map[string]bool, len(res))
	for _, id := range b.IDs {
		if seen[id] {
			continue
		}
		seen[id] = true
		r := tc.AgentBulkResult{ID: id, OK: res[id] == nil}
		if e := res[id]; e != nil {
			r.Error, r.Message = tc.ErrorCode(e), tc.ErrorMessage(e)
		}
		out = append(out, r)
	}
	return out, nil
}

// FleetHealth returns the status scheduler's samples over the range named
// rangeName ("" for tc.DefaultHistoryRange) ending now, oldest first and
// thinned to about tc.HistoryPoints, for the fleet-health chart.
// Errors: EUNAUTHORIZED, EFORBIDDEN, EINVALID (the range).
func (s *Agents) FleetHealth(ctx context.Context, rangeName string) (*tc.FleetHealth, error) {
	if _, err := require(ctx, agentPerm(tc.ActionRead)); err != nil {
		return nil, err
	}
	r, err := tc.ParseHistoryRange(rangeName)
	if err != nil {
		return nil, err
	}
	to := s.now()
	from := to.Add(-r.Span)
	samples, err := s.Store.FleetHealth(ctx, from, to)
	if err != nil {
		return nil, err
	}
	return &tc.FleetHealth{Range: r.Name, From: from.UTC(), To: to.UTC(), Samples: tc.ThinFleetHealth(samples, tc.HistoryPoints)}, nil
}

// History returns agent id's reporting history over the range named
// rangeName ("" for tc.DefaultHistoryRange) ending now: whoever may read
// the agent may read its history. Its silences are read against the
// agent's current reporting rule. With the history off
// (--agent-history-bucket=0) it holds no points.
// Errors: EUNAUTHORIZED, EFORBIDDEN, EINVALID (the range), ENOTFOUND.
func (s *Agents) History(ctx context.Context, id, rangeName string) (*tc.AgentHistory, error) {
	if _, err := require(ctx, agentPerm(tc.ActionRead)); err != nil {
		return nil, err
	}
	r, err := tc.ParseHistoryRange(rangeName)
	if err != nil {
		return nil, err
	}
	a, err := s.Store.Agent(ctx, id)
	if err != nil {
		return nil, err
	}
	bucket := s.Store.AgentHistoryBucket()
	h := &tc.AgentHistory{AgentID: a.ID, Range: r.Name, BucketSeconds: int64(bucket / time.Second),
		Points: []tc.AgentHistoryPoint{}, Periods: []tc.AgentHistoryPeriod{}}
	now := s.now()
	if bucket <= 0 {
		h.From, h.To = now.Add(-r.Span).UTC(), now.UTC()
		return h, nil
	}
	step := r.Step(bucket)
	from, to := r.Window(now, step)
	h.From, h.To, h.StepSeconds = from.UTC(), to.UTC(), int64(step/time.Second)
	silentAfter := 3 * time.Minute // the default rule's, should the agent's be gone
	if a.ReportingRule != nil {
		silentAfter = time.Duration(a.ReportingRule.NotReportingAfterSeconds) * time.Second
	}
	// Buckets heard shortly before the range still cover its start.
	buckets, err := s.Store.AgentHistory(ctx, a.ID, from.Add(-silentAfter-bucket), to)
	if err != nil {
		return nil, err
	}
	h.Points, h.Periods = tc.BuildAgentHistory(buckets, bucket, step, silentAfter, from, to, a.FirstSeen)
	return h, nil
}

func (s *Agents) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}
