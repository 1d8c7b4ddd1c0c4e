package service

import (
	"context"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/store"
)

// MaxUsageIDs caps the ids one usage call counts agents for (a list page
// shows at most 200).
const MaxUsageIDs = 1000

// Usage returns how many agents, by status, use each config, carry each
// label or follow each rule in ids (what of says). Counting agents reads
// them, so it needs agents:read. Errors: EUNAUTHORIZED, EFORBIDDEN,
// EINVALID.
func (s *Agents) Usage(ctx context.Context, of store.UsageOf, ids []string) (map[string]store.AgentUsage, error) {
	if _, err := require(ctx, agentPerm(tc.ActionRead)); err != nil {
		return nil, err
	}
	if len(ids) > MaxUsageIDs {
		return nil, tc.Errorf(tc.EINVALID, "at most %d ids at a time", MaxUsageIDs)
	}
	return s.Store.AgentUsage(ctx, of, ids)
}
