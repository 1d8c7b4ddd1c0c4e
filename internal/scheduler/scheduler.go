// Package scheduler runs the agent status monitor: at every interval it marks
// silent agents not_reporting, deletes those past their rule's auto-delete
// threshold, records a fleet health sample and updates the agents-by-status
// gauge. Tests call Tick directly instead of waiting for the timer.
//
// In a cluster only the leader sweeps (Leader): every node runs the loop,
// a follower's ticks do nothing, and the leader's sweep proves its
// leadership inside its transaction (store.SweepAgentStatusAsLeader).
package scheduler

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/loop"
	"github.com/telegrafcontroller/tc/internal/metrics"
	"github.com/telegrafcontroller/tc/internal/store"
)

// DefaultInterval is how often the status sweep runs.
const DefaultInterval = 60 * time.Second

// Scheduler sweeps agent statuses periodically.
type Scheduler struct {
	Store    *store.Store
	Metrics  *metrics.Metrics
	Logger   *slog.Logger
	Now      func() time.Time // the injected clock
	Interval time.Duration
	// Leader is the cluster's election (internal/cluster); nil outside a
	// cluster, where the node is its own leader.
	Leader Leader

	startedAt time.Time
	mu        sync.Mutex // one tick at a time
	loop      *loop.Loop
}

// Leader tells whether this node leads the cluster: the fence its sweeps
// prove and when its leadership began; ok is false on a follower.
type Leader interface {
	Fence() (f *store.Fence, since time.Time, ok bool)
}

// Start records the controller's start time (the grace period counts from
// it) and runs Tick every Interval until Stop.
func (s *Scheduler) Start() {
	if s.Logger == nil {
		s.Logger = slog.New(slog.DiscardHandler)
	}
	if s.Now == nil {
		s.Now = time.Now
	}
	if s.Interval <= 0 {
		s.Interval = DefaultInterval
	}
	s.startedAt = s.Now()
	s.loop = loop.Start(s.Interval, nil, func(ctx context.Context) { s.Tick(ctx) })
}

// Stop ends the loop and waits for a running tick to finish.
func (s *Scheduler) Stop(ctx context.Context) error { return s.loop.Stop(ctx) }

// Tick runs one sweep now. A failed sweep is logged and retried at the next
// tick; nothing it did is kept. On a follower of a cluster, or a leader that
// lost its leadership, it sweeps nothing and returns store.ErrNotLeader; a
// follower still sets its tc_agents gauges from the agent counts, so every
// node's metrics show the fleet.
//
// The grace period (store.SweepAgentStatus) counts from the controller's
// start or, in a cluster, from when this node became leader, whichever is
// later: a failover does not turn agents not_reporting.
func (s *Scheduler) Tick(ctx context.Context) (store.Sweep, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	start := time.Now()
	startedAt := s.startedAt
	var fence *store.Fence
	if s.Leader != nil {
		f, since, ok := s.Leader.Fence()
		if !ok {
			s.followerGauges(ctx)
			return store.Sweep{}, store.ErrNotLeader
		}
		fence = f
		if since.After(startedAt) {
			startedAt = since
		}
	}
	sw, err := s.Store.SweepAgentStatusAsLeader(ctx, startedAt, fence)
	if errors.Is(err, store.ErrNotLeader) {
		s.Logger.Warn("agent status sweep refused: this node is no longer the leader")
		return sw, err
	}
	if err != nil {
		if ctx.Err() == nil {
			s.Logger.Error("agent status sweep failed", "error", err)
		}
		return sw, err
	}
	s.setGauges(sw.Summary)
	level := slog.LevelDebug
	if sw.NotReporting+sw.Deleted+sw.Restored > 0 {
		level = slog.LevelInfo
	}
	s.Logger.Log(ctx, level, "agent status sweep", "not_reporting", sw.NotReporting, "restored", sw.Restored,
		"deleted", sw.Deleted, "agents", sw.Summary.Total, "duration_ms", time.Since(start).Milliseconds())
	return sw, nil
}

// followerGauges sets the gauges of a node that does not sweep from the
// agent counts the leader's sweeps keep.
func (s *Scheduler) followerGauges(ctx context.Context) {
	if s.Metrics == nil {
		return
	}
	sum, err := s.Store.AgentSummary(ctx)
	if err != nil {
		if ctx.Err() == nil {
			s.Logger.Warn("cannot read the agent counts for tc_agents", "error", err)
		}
		return
	}
	s.setGauges(sum)
}

func (s *Scheduler) setGauges(sum tc.AgentSummary) {
	if s.Metrics == nil {
		return
	}
	for _, st := range tc.AgentStatuses {
		s.Metrics.AgentsByStatus.WithLabelValues(st).Set(float64(count(sum, st)))
	}
}

func count(s tc.AgentSummary, status string) int64 {
	switch status {
	case tc.AgentOK:
		return s.OK
	case tc.AgentWarn:
		return s.Warn
	case tc.AgentFail:
		return s.Fail
	case tc.AgentUndefined:
		return s.Undefined
	case tc.AgentNotReporting:
		return s.NotReporting
	}
	return 0
}
