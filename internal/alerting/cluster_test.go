package alerting_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/apptest"
	"github.com/telegrafcontroller/tc/internal/notify"
	"github.com/telegrafcontroller/tc/internal/store"
)

// TestClusterOnlyTheLeaderDelivers: two nodes of a cluster on one
// PostgreSQL both tick their sweep, engine and deliverer; a follower's
// ticks do nothing (ticked alone, nothing is sent), so each event reaches
// the receiver once. When the
// leader stops, the other node takes over and sends the resolved message,
// once, under a key of its own.
func TestClusterOnlyTheLeaderDelivers(t *testing.T) {
	nodes := apptest.MustStartCluster(t, 2, apptest.WithClusterArgs("--alert-interval", "10m",
		"--secret-key", "alerting-tests-secret-key-0123456789abcdef"))
	ctx := context.Background()
	clock := nodes[0].Clock
	leader := func() *apptest.Instance {
		t.Helper()
		var l *apptest.Instance
		apptest.Eventually(t, 15*time.Second, "one leader", func() bool {
			l = nil
			n := 0
			for _, inst := range nodes {
				if inst != nil && inst.Cluster.Leader() {
					l, n = inst, n+1
				}
			}
			return n == 1
		})
		return l
	}
	// tick moves the clock, then ticks the running nodes in turn, the
	// followers first (or only them).
	tick := func(d time.Duration, followersOnly bool) {
		t.Helper()
		clock.Advance(d)
		var order []*apptest.Instance
		for _, inst := range nodes {
			if inst != nil && !inst.Cluster.Leader() {
				order = append(order, inst)
			}
		}
		for _, inst := range nodes {
			if inst != nil && inst.Cluster.Leader() && !followersOnly {
				order = append(order, inst)
			}
		}
		for _, inst := range order {
			if _, err := inst.Scheduler.Tick(ctx); err != nil && !errors.Is(err, store.ErrNotLeader) {
				t.Fatal(err)
			}
			if err := inst.Alerts.Tick(ctx); err != nil && !errors.Is(err, store.ErrNotLeader) {
				t.Fatal(err)
			}
			if _, err := inst.Deliverer.Tick(ctx); err != nil && !errors.Is(err, store.ErrNotLeader) {
				t.Fatal(err)
			}
		}
	}
	first := leader()
	recv := newWebhookReceiver(t)
	ch := mustChannel(t, first, "ops", recv)
	mustRule(t, first, func(r *tc.AlertRule) {
		r.Event, r.ChannelIDs, r.ForSeconds, r.GroupWaitSeconds, r.GroupIntervalSeconds = tc.AlertFail, []string{ch}, 0, 0, 60
	})
	ids := agentIDs(20)
	beat(t, first, ids, tc.AgentFail)
	for range 3 {
		tick(10*time.Second, true)
	}
	if n := len(recv.requests()); n != 0 {
		t.Fatalf("the follower alone sent %d requests, want none", n)
	}
	for range 5 {
		tick(10*time.Second, false)
	}
	got := recv.take()
	if len(got) != 1 || got[0].Status != notify.StatusFiring || got[0].Count != 20 {
		t.Fatalf("firing: %d messages %+v, want one naming 20 agents", len(got), got)
	}
	if n := len(recv.requests()); n != 1 {
		t.Fatalf("%d requests for one event, want 1", n)
	}

	// The leader goes; the other node takes over.
	for i, inst := range nodes {
		if inst == first {
			if err := inst.Stop(); err != nil {
				t.Fatal(err)
			}
			nodes[i] = nil
		}
	}
	next := leader()
	if next == first {
		t.Fatal("the stopped node still leads")
	}
	beat(t, next, ids, tc.AgentOK)
	for range 10 {
		tick(10*time.Second, false)
	}
	got = recv.take()
	if len(got) != 1 || got[0].Status != notify.StatusResolved || got[0].Count != 20 {
		t.Fatalf("after the failover: %d messages %+v, want one resolved naming 20 agents", len(got), got)
	}
	reqs := recv.requests()
	if len(reqs) != 2 || reqs[0].key == reqs[1].key {
		t.Errorf("%d requests (keys %q), want 2 under two keys", len(reqs), func() []string {
			var k []string
			for _, r := range reqs {
				k = append(k, r.key)
			}
			return k
		}())
	}
}
