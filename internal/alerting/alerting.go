// Package alerting runs the alert rules (docs/alerts.md): the Engine
// evaluates every enabled rule every few seconds against the agents (and
// tokens) as the store has them, moves each rule's alerts from pending to
// firing to resolved, groups a rule's firing subjects into one message per
// channel (tc.AlertGroup.Step) and queues those messages in the outbox in
// the same transaction; the Deliverer sends what the outbox holds through
// a notify.Dispatcher, retrying with backoff, and records every attempt.
//
// In a cluster only the leader evaluates and delivers: every node runs
// both loops, a follower's ticks do nothing, and the leader proves its
// leadership inside each transaction (store.Fence), so a deposed leader
// commits nothing. State lives in the database only: a new leader, or a
// restarted node, carries on from it.
package alerting

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/loop"
	"github.com/telegrafcontroller/tc/internal/store"
)

// DefaultInterval is how often the engine evaluates the rules.
const DefaultInterval = 10 * time.Second

// Leader tells whether this node leads the cluster, and the fence its
// transactions prove (internal/cluster's Node); ok is false on a follower.
type Leader interface {
	Fence() (f *store.Fence, since time.Time, ok bool)
}

// Engine evaluates the alert rules. Tests call Tick instead of waiting.
type Engine struct {
	Store  *store.Store
	Logger *slog.Logger
	Now    func() time.Time
	// Interval between evaluations (DefaultInterval by default).
	Interval time.Duration
	// Leader is the cluster's election; nil outside a cluster.
	Leader Leader
	// BaseURL returns the UI's public URL for the links in messages (""
	// when unknown: no links).
	BaseURL func() string
	// Queued is called after an evaluation queued messages (the
	// Deliverer's Wake); nil for none.
	Queued func()

	mu   sync.Mutex // one evaluation at a time
	loop *loop.Loop
}

// Start runs Tick every Interval until Stop.
func (e *Engine) Start() {
	e.defaults()
	e.loop = loop.Start(e.Interval, nil, func(ctx context.Context) { e.Tick(ctx) })
}

func (e *Engine) defaults() {
	if e.Logger == nil {
		e.Logger = slog.New(slog.DiscardHandler)
	}
	if e.Now == nil {
		e.Now = time.Now
	}
	if e.Interval <= 0 {
		e.Interval = DefaultInterval
	}
}

// Stop ends the loop and waits for a running evaluation.
func (e *Engine) Stop(ctx context.Context) error { return e.loop.Stop(ctx) }

// Tick evaluates every enabled rule once, now. On a follower it does
// nothing and returns store.ErrNotLeader. A rule whose evaluation fails is
// logged and tried again at the next tick; the others go on.
func (e *Engine) Tick(ctx context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.defaults()
	var fence *store.Fence
	if e.Leader != nil {
		f, _, ok := e.Leader.Fence()
		if !ok {
			return store.ErrNotLeader
		}
		fence = f
	}
	rules, err := e.Store.AlertRules(ctx)
	if err != nil {
		return err
	}
	now := e.Now().UTC()
	mutes, err := e.Store.ActiveMutes(ctx, now)
	if err != nil {
		return err
	}
	var labels []string
	for _, m := range mutes {
		if m.Kind == tc.MuteLabel {
			labels = append(labels, m.TargetID)
		}
	}
	agentLabels, err := e.Store.AgentLabelsAmong(ctx, labels)
	if err != nil {
		return err
	}
	base := ""
	if e.BaseURL != nil {
		base = e.BaseURL()
	}
	var errs []error
	queued := 0
	for _, r := range rules {
		if !r.Enabled {
			continue
		}
		n, err := e.evaluate(ctx, fence, r, tc.Mutes(mutes), agentLabels, now, base)
		if errors.Is(err, store.ErrNotLeader) {
			e.Logger.Warn("alert evaluation refused: this node is no longer the leader")
			return err
		}
		if err != nil && !errors.Is(err, store.ErrAlertRuleChanged) {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			e.Logger.Error("alert rule evaluation failed", "rule", r.ID, "error", err)
			errs = append(errs, err)
		}
		queued += n
	}
	if queued > 0 && e.Queued != nil {
		e.Queued()
	}
	return errors.Join(errs...)
}

// evaluate steps rule r once and writes the outcome; it returns how many
// messages it queued.
func (e *Engine) evaluate(ctx context.Context, fence *store.Fence, r *tc.AlertRule, mutes tc.Mutes, agentLabels map[string][]string,
	now time.Time, base string) (int, error) {
	obs, err := e.Store.AlertSubjects(ctx, r, now)
	if err != nil {
		return 0, err
	}
	active, resolvedNotified, err := e.Store.ActiveAlerts(ctx, r.ID)
	if err != nil {
		return 0, err
	}
	g, err := e.Store.AlertGroup(ctx, r.ID)
	if err != nil {
		return 0, err
	}
	tr := tc.StepAlerts(r, active, obs, now)
	var firing []*tc.Alert
	fresh, held := 0, false
	for _, a := range tr.Active {
		if a.State != tc.AlertFiring {
			continue
		}
		if mutes.Muted(r.ID, a.SubjectKind, a.SubjectID, agentLabels[a.SubjectID], now) {
			held = true
			continue
		}
		firing = append(firing, a)
		if !a.Notified {
			fresh++
		}
	}
	before := g
	var reason string
	var changed bool
	if !mutes.RuleMuted(r.ID, now) { // a muted rule's group says nothing, not even resolved
		reason, changed = g.Step(r, len(firing), fresh, held, now)
	}
	count := len(firing)
	st := &store.AlertStep{Rule: r, Transitions: tr, Group: g, GroupChanged: changed}
	if reason != "" {
		st.Notify = true
		subjects := firing
		var left []*tc.Alert
		if reason == tc.NotifyResolved {
			subjects = resolvedNotified
			for _, a := range tr.Resolved {
				if a.Notified {
					subjects = append(subjects, a)
				}
			}
			count, g = before.NotifiedCount, before
		} else {
			for _, a := range firing {
				id := a.ID
				if id == "" {
					id = a.SubjectID // a new alert: the write gives it its id
				}
				st.NotifiedIDs = append(st.NotifiedIDs, id)
			}
			if reason != tc.NotifyFirst { // a first message's leftovers are an earlier episode's
				left = leftGroup(firing, resolvedNotified, tr.Resolved)
			}
		}
		msg := buildMessage(r, reason, subjects, left, count, g, now, base)
		payload, err := json.Marshal(msg)
		if err != nil {
			return 0, err
		}
		for _, ch := range r.ChannelIDs {
			st.Outbox = append(st.Outbox, store.OutboxEntry{ChannelID: ch, Status: msg.Status, Reason: reason, Subjects: count, Payload: payload})
		}
	}
	if tr.Empty() && !changed && reason == "" {
		return 0, nil
	}
	if err := e.Store.ApplyAlertStep(ctx, fence, st); err != nil {
		return 0, err
	}
	if reason != "" {
		e.Logger.Info("alert group notifies", "rule", r.ID, "reason", reason, "subjects", count, "channels", len(r.ChannelIDs))
	}
	if n := len(tr.New) + len(tr.Fired) + len(tr.Resolved); n > 0 {
		e.Logger.Debug("alerts changed", "rule", r.ID, "new", len(tr.New), "fired", len(tr.Fired), "resolved", len(tr.Resolved), "dropped", len(tr.Dropped))
	}
	return len(st.Outbox), nil
}

// leftGroup returns the subjects of the group's last message that no longer
// fire, by subject id: their alerts resolved since (the agent recovered, or
// left the rule's scope), from the lists of resolved alerts given. A subject
// that fires again (a new alert) is not among them, nor is a muted one,
// which still fires: a mute neither fires nor resolves.
func leftGroup(firing []*tc.Alert, resolved ...[]*tc.Alert) []*tc.Alert {
	in := make(map[string]bool, len(firing))
	for _, a := range firing {
		in[a.SubjectID] = true
	}
	var out []*tc.Alert
	for _, list := range resolved {
		for _, a := range list {
			if a.Notified && !in[a.SubjectID] {
				in[a.SubjectID] = true
				out = append(out, a)
			}
		}
	}
	slices.SortFunc(out, func(a, b *tc.Alert) int { return strings.Compare(a.SubjectID, b.SubjectID) })
	return out
}
