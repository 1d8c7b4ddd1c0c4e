package app

import (
	"context"
	"time"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/loop"
)

// The agents' reporting history's retention (docs/agents.md): the leader
// removes buckets older than the agentHistoryRetentionHours setting, a
// slice of agents per transaction.

// historyPruneEvery is how often the leader removes expired history.
const historyPruneEvery = 10 * time.Minute

// historyPruneSlice is how many agents one transaction of the pruning
// covers: at a week of one-minute buckets and ten minutes between runs,
// about ten buckets an agent, ten thousand rows a transaction.
const historyPruneSlice = 1000

// startHistoryRetention runs the pruning now, every historyPruneEvery, and
// at once when the settings change (a shorter retention takes effect
// immediately). It runs with the history off too, so that what was
// recorded before ages out.
func (m *Main) startHistoryRetention() {
	l := loop.Start(historyPruneEvery, m.settingsKick(), m.pruneAgentHistory)
	m.OnClose(l.Stop)
}

// settingsKick returns a channel that holds one kick now and gets one at
// each settings change (none lost, none queued twice): a retention job
// runs at start and at once when its retention setting changes.
func (m *Main) settingsKick() chan struct{} {
	kick := make(chan struct{}, 1)
	kick <- struct{}{}
	m.Store.Subscribe(func(c tc.Change) {
		if c.Entity == tc.EntitySettings {
			select {
			case kick <- struct{}{}:
			default:
			}
		}
	})
	return kick
}

// pruneAgentHistory walks the fleet once, on the leader only (on another
// node it would be the same work twice); it stops between slices when
// this node stops leading or is stopped.
func (m *Main) pruneAgentHistory(ctx context.Context) {
	hours := m.Store.Settings().AgentHistoryRetentionHours
	cutoff := m.Now().Add(-time.Duration(hours) * time.Hour)
	var total int64
	after := ""
	for {
		if ctx.Err() != nil || (m.Cluster != nil && !m.Cluster.Leader()) {
			return
		}
		n, next, err := m.Store.PruneAgentHistory(ctx, cutoff, after, historyPruneSlice)
		if err != nil {
			if ctx.Err() == nil {
				m.Logger.Error("agent history: retention failed", "error", err)
			}
			return
		}
		total += n
		if next == "" {
			break
		}
		after = next
	}
	if total > 0 {
		m.Logger.Info("agent history: removed expired buckets", "buckets", total, "retention_hours", hours)
	}
}
