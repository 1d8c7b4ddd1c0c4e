package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/apptest"
	"github.com/telegrafcontroller/tc/internal/store"
)

// TestStatusSince follows one agent's status_since through every write that
// may change its status, on each database: it is the time of the beat that
// brought a new status, stays put through beats that keep the status (the
// narrow liveness update and the full write alike) and through an older
// beat written late, and is the last time heard when the sweep marks the
// agent not reporting or restores it.
func TestStatusSince(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		ctx := context.Background()
		t0 := time.UnixMilli(1_700_000_000_000)
		clock := apptest.NewClock(t0)
		s := mustOpenClock(t, db, clock)
		beat := func(at time.Time, status string, livenessOnly bool) {
			t.Helper()
			b := &tc.AgentBeat{ID: "a1", Hostname: "h", IP: "10.0.0.1", Version: "1.30.0", Status: status,
				FirstSeen: at, LastSeen: at, Last: tc.HeartbeatStats{Metrics: 1}, Sum: tc.HeartbeatStats{Metrics: 1}}
			if err := s.WriteHeartbeats(ctx, []store.HeartbeatWrite{{AgentBeat: b, LivenessOnly: livenessOnly}}); err != nil {
				t.Fatal(err)
			}
		}
		check := func(step, status string, since time.Time) {
			t.Helper()
			a, err := s.Agent(ctx, "a1")
			if err != nil {
				t.Fatal(err)
			}
			if a.Status != status || a.StatusSince == nil || !a.StatusSince.Equal(since) {
				t.Errorf("%s: status %s since %v, want %s since %s", step, a.Status, a.StatusSince, status, since.UTC())
			}
			l, err := s.ListAgents(ctx, tc.AgentFilter{SortBy: tc.AgentSortSeverity, Limit: 5})
			if err != nil {
				t.Fatal(err)
			}
			if len(l.Items) != 1 || l.Items[0].StatusSince == nil || !l.Items[0].StatusSince.Equal(since) {
				t.Errorf("%s: the list says %+v, want since %s", step, l.Items, since.UTC())
			}
		}
		at := func(d time.Duration) time.Time { return t0.Add(d) }
		sweep := func(now time.Time) {
			t.Helper()
			clock.Set(now)
			if _, err := s.SweepAgentStatus(ctx, t0.Add(-time.Hour)); err != nil {
				t.Fatal(err)
			}
		}

		beat(at(0), tc.AgentOK, false)
		check("created", tc.AgentOK, at(0))
		beat(at(time.Minute), tc.AgentOK, true)
		beat(at(2*time.Minute), tc.AgentOK, false)
		check("same status, narrow and full writes", tc.AgentOK, at(0))
		beat(at(3*time.Minute), tc.AgentFail, false)
		check("failing", tc.AgentFail, at(3*time.Minute))
		beat(at(4*time.Minute), tc.AgentFail, true)
		beat(at(150*time.Second), tc.AgentOK, false) // an older beat, written late
		check("still failing", tc.AgentFail, at(3*time.Minute))

		// The default rule: not reporting after 180 s of silence.
		sweep(at(4*time.Minute + 181*time.Second))
		check("silent", tc.AgentNotReporting, at(4*time.Minute))
		beat(at(10*time.Minute), tc.AgentFail, true) // refused as narrow: the full write restores
		check("heard again", tc.AgentFail, at(10*time.Minute))

		// The sweep restores an agent whose rule now allows its silence.
		sweep(at(10*time.Minute + 181*time.Second))
		check("silent again", tc.AgentNotReporting, at(10*time.Minute))
		if _, err := s.UpdateReportingRule(ctx, tc.DefaultReportingRuleID, func(r *tc.ReportingRule) error {
			r.NotReportingAfterSeconds = 3600
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		sweep(at(15 * time.Minute))
		check("restored by the sweep", tc.AgentFail, at(10*time.Minute))
	})
}
