package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/apptest"
	"github.com/telegrafcontroller/tc/internal/store"
)

// mustOpenHistory opens a store on db that keeps a history in buckets of
// width, closed at cleanup.
func mustOpenHistory(tb testing.TB, db apptest.DB, width time.Duration) *store.Store {
	tb.Helper()
	s, err := store.Open(context.Background(), apptest.NewDSN(tb, db), store.Options{AgentHistoryBucket: width})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// historyBeat is one flush's write of agent id: beats merged beats at
// time at, the last reporting status, the worst worst.
func historyBeat(id string, at time.Time, status, worst string, beats int64, stats tc.HeartbeatStats, livenessOnly bool) store.HeartbeatWrite {
	return store.HeartbeatWrite{LivenessOnly: livenessOnly, AgentBeat: &tc.AgentBeat{ID: id, Hostname: "h-" + id, IP: "10.0.0.1", Version: "1.39.3",
		Status: status, Worst: worst, Beats: beats, FirstSeen: at, LastSeen: at, Last: stats, Sum: stats}}
}

// TestAgentHistoryBuckets writes flushes of several agents (full and
// narrow writes alike) into one-minute buckets: a bucket adds up the beats
// and statistics of every flush that falls in it and keeps the worst
// status; buckets are read back by range, oldest first.
func TestAgentHistoryBuckets(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		ctx := context.Background()
		s := mustOpenHistory(t, db, time.Minute)
		t0 := time.Date(2026, 1, 2, 3, 0, 0, 0, time.UTC)
		st := func(m, e, w int64) tc.HeartbeatStats { return tc.HeartbeatStats{Metrics: m, Errors: e, Warnings: w} }
		flushes := [][]store.HeartbeatWrite{
			{historyBeat("a", t0.Add(5*time.Second), tc.AgentOK, "", 0, st(10, 0, 0), false),
				historyBeat("b", t0.Add(6*time.Second), tc.AgentOK, "", 1, st(1, 0, 0), false)},
			{historyBeat("a", t0.Add(20*time.Second), tc.AgentOK, tc.AgentFail, 3, st(30, 2, 1), true),
				historyBeat("b", t0.Add(59*time.Second), tc.AgentWarn, "", 1, st(1, 0, 1), false)},
			{historyBeat("a", t0.Add(40*time.Second), tc.AgentWarn, "", 1, st(5, 0, 4), true)},
			{historyBeat("a", t0.Add(61*time.Second), tc.AgentOK, "", 1, st(7, 0, 0), true),
				historyBeat("b", t0.Add(3*time.Minute), tc.AgentUndefined, "", 1, st(2, 0, 0), true)},
		}
		for _, f := range flushes {
			if err := s.WriteHeartbeats(ctx, f); err != nil {
				t.Fatal(err)
			}
		}
		got := func(id string, from, to time.Time) string {
			t.Helper()
			bs, err := s.AgentHistory(ctx, id, from, to)
			if err != nil {
				t.Fatal(err)
			}
			out := ""
			for _, b := range bs {
				out += fmt.Sprintf("%s %s %d/%d/%d/%d; ", b.Start.Format("15:04"), b.Status, b.Beats, b.Metrics, b.Errors, b.Warnings)
			}
			return out
		}
		if g, want := got("a", t0, t0.Add(time.Hour)), "03:00 fail 5/45/2/5; 03:01 ok 1/7/0/0; "; g != want {
			t.Errorf("agent a: %s, want %s", g, want)
		}
		if g, want := got("b", t0, t0.Add(time.Hour)), "03:00 warn 2/2/0/1; 03:03 undefined 1/2/0/0; "; g != want {
			t.Errorf("agent b: %s, want %s", g, want)
		}
		if g, want := got("b", t0.Add(time.Minute), t0.Add(3*time.Minute)), ""; g != want {
			t.Errorf("agent b between 03:01 and 03:03 (exclusive): %s, want nothing", g)
		}
		if g, want := got("nobody", t0, t0.Add(time.Hour)), ""; g != want {
			t.Errorf("unknown agent: %s", g)
		}
	})
}

// TestAgentHistoryOff: with no bucket width a flush writes no history.
func TestAgentHistoryOff(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		ctx := context.Background()
		s := mustOpenHistory(t, db, 0)
		at := time.Date(2026, 1, 2, 3, 0, 0, 0, time.UTC)
		if err := s.WriteHeartbeats(ctx, []store.HeartbeatWrite{historyBeat("a", at, tc.AgentOK, "", 1, tc.HeartbeatStats{}, false)}); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := s.ReadDB().QueryRow(`SELECT count(*) FROM agent_history`).Scan(&n); err != nil || n != 0 {
			t.Errorf("history rows with the history off: %d, %v", n, err)
		}
	})
}

// TestAgentHistoryPruneAndDelete: pruning walks the fleet in slices and
// removes exactly the buckets older than the cut-off; deleting an agent
// (alone or in bulk; the sweep's auto-delete is a DELETE of agents too)
// deletes its history.
func TestAgentHistoryPruneAndDelete(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		ctx := context.Background()
		s := mustOpenHistory(t, db, time.Minute)
		t0 := time.Date(2026, 1, 2, 3, 0, 0, 0, time.UTC)
		const agents, minutes = 7, 10
		for m := range minutes {
			var f []store.HeartbeatWrite
			for a := range agents {
				f = append(f, historyBeat(fmt.Sprintf("agent-%d", a), t0.Add(time.Duration(m)*time.Minute), tc.AgentOK, "", 1, tc.HeartbeatStats{Metrics: 1}, m > 0))
			}
			if err := s.WriteHeartbeats(ctx, f); err != nil {
				t.Fatal(err)
			}
		}
		count := func(where string, args ...any) int {
			t.Helper()
			var n int
			if err := s.ReadDB().QueryRow(`SELECT count(*) FROM agent_history `+where, args...).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		if n := count(""); n != agents*minutes {
			t.Fatalf("%d buckets, want %d", n, agents*minutes)
		}
		// Keep the last four minutes, three agents a slice.
		cutoff := t0.Add(6 * time.Minute)
		var total int64
		after, slices := "", 0
		for {
			n, next, err := s.PruneAgentHistory(ctx, cutoff, after, 3)
			if err != nil {
				t.Fatal(err)
			}
			total, slices = total+n, slices+1
			if next == "" {
				break
			}
			if next <= after {
				t.Fatalf("slice after %q went on at %q", after, next)
			}
			after = next
		}
		if total != agents*6 || slices != 3 || count("") != agents*4 || count(`WHERE bucket < $1`, cutoff.Unix()) != 0 {
			t.Errorf("pruned %d buckets in %d slices, %d left; want %d in 3, %d left", total, slices, count(""), agents*6, agents*4)
		}
		// Deleting agents deletes their history.
		if err := s.DeleteAgent(ctx, "agent-0"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.BulkAgents(ctx, store.BulkDelete, []string{"agent-1", "agent-2"}, "", ""); err != nil {
			t.Fatal(err)
		}
		if n := count(`WHERE agent_id IN ('agent-0', 'agent-1', 'agent-2')`); n != 0 {
			t.Errorf("%d buckets of deleted agents left", n)
		}
		if n := count(""); n != (agents-3)*4 {
			t.Errorf("%d buckets left, want %d", n, (agents-3)*4)
		}
	})
}
