package service

import (
	"context"
	"slices"
	"strings"
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
}

func agentPerm(action string) tc.Permission { return tc.Perm(tc.ResAgents, action) }

// List returns one page of agents matching f. f.Search is trimmed; Limit 0
// means 25. Errors: EUNAUTHORIZED, EFORBIDDEN, EINVALID.
func (s *Agents) List(ctx context.Context, f tc.AgentFilter) (*tc.AgentList, error) {
	if _, err := require(ctx, agentPerm(tc.ActionRead)); err != nil {
		return nil, err
	}
	f.Search = strings.TrimSpace(f.Search)
	if f.Status != "" && !slices.Contains(tc.AgentStatuses, f.Status) {
		return nil, tc.FieldErrorf("status", "status must be one of %s", strings.Join(tc.AgentStatuses, ", "))
	}
	switch f.SortBy {
	case "", tc.AgentSortName, tc.AgentSortStatus, tc.AgentSortLastSeen, tc.AgentSortHostname:
	default:
		return nil, tc.FieldErrorf("sortBy", "sortBy must be one of name, status, lastSeen, hostname")
	}
	if len(f.Search) > MaxAgentSearch {
		return nil, tc.FieldErrorf("search", "search must be at most %d characters", MaxAgentSearch)
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

// Summary counts the fleet by status. Errors: EUNAUTHORIZED, EFORBIDDEN.
func (s *Agents) Summary(ctx context.Context) (tc.AgentSummary, error) {
	if _, err := require(ctx, agentPerm(tc.ActionRead)); err != nil {
		return tc.AgentSummary{}, err
	}
	return s.Store.AgentSummary(ctx)
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
	if _, err := require(ctx, agentPerm(tc.ActionWrite)); err != nil {
		return nil, err
	}
	var arg, field string
	switch b.Action {
	case tc.AgentBulkDelete:
		if _, err := require(ctx, agentPerm(tc.ActionDelete)); err != nil {
			return nil, err
		}
	case tc.AgentBulkAssignRule:
		arg, field = b.ReportingRuleID, "reportingRuleId"
	case tc.AgentBulkAddLabel, tc.AgentBulkRemoveLabel:
		arg, field = b.LabelID, "labelId"
	case "":
		return nil, tc.FieldErrorf("action", "action is required: delete, assign-rule, add-label or remove-label")
	default:
		return nil, tc.FieldErrorf("action", "action must be one of delete, assign-rule, add-label, remove-label")
	}
	if field != "" && arg == "" {
		return nil, tc.FieldErrorf(field, "%s is required for %s", field, b.Action)
	}
	if len(b.IDs) == 0 {
		return nil, tc.FieldErrorf("ids", "ids must list at least one agent id")
	}
	if len(b.IDs) > MaxBulkAgentIDs {
		return nil, tc.FieldErrorf("ids", "ids must list at most %d agent ids", MaxBulkAgentIDs)
	}
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

// FleetHealth returns the status scheduler's samples taken in [from, to],
// oldest first, for the fleet-health chart. Errors: EUNAUTHORIZED,
// EFORBIDDEN.
func (s *Agents) FleetHealth(ctx context.Context, from, to time.Time) ([]tc.FleetHealthSample, error) {
	if _, err := require(ctx, tc.Perm(tc.ResAgents, tc.ActionRead)); err != nil {
		return nil, err
	}
	return s.Store.FleetHealth(ctx, from, to)
}
