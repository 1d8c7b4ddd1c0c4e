package scheduler_test

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/app"
	"github.com/telegrafcontroller/tc/internal/apptest"
)

func status(t *testing.T, inst *apptest.Instance, id string) string {
	t.Helper()
	a, err := inst.Store.Agent(context.Background(), id)
	if tc.ErrorCode(err) == tc.ENOTFOUND {
		return "deleted"
	}
	if err != nil {
		t.Fatal(err)
	}
	return a.Status
}

func tick(t *testing.T, inst *apptest.Instance) {
	t.Helper()
	if _, err := inst.Scheduler.Tick(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestSweepMarksRestoresAndDeletes(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db)
		ctx := context.Background()
		start := inst.Clock.Now()
		if got := inst.Scheduler.StartedAt(); !got.Equal(start) {
			t.Fatalf("scheduler started at %v, want the injected clock's %v", got, start)
		}
		autoDelete := int64(600)
		fast := &tc.ReportingRule{Name: "Fast", NotReportingAfterSeconds: 60, AutoDeleteAfterSeconds: &autoDelete}
		if err := inst.Store.CreateReportingRule(ctx, fast); err != nil {
			t.Fatal(err)
		}
		err := inst.Store.InsertAgents(ctx, []*tc.Agent{
			// Silent since long before the controller started.
			{ID: "stale", Status: tc.AgentWarn, LastSeen: start.Add(-24 * time.Hour)},
			{ID: "stale-fast", ReportingRuleID: fast.ID, LastSeen: start.Add(-24 * time.Hour)},
			// Reporting now.
			{ID: "live", Status: tc.AgentFail, LastSeen: start},
			{ID: "live-fast", ReportingRuleID: fast.ID, LastSeen: start},
		})
		if err != nil {
			t.Fatal(err)
		}
		steps := []struct {
			after time.Duration // since start
			want  map[string]string
		}{
			// Within one threshold of the start nobody turns red, not even
			// agents silent for a day: a restart must not paint the fleet.
			{0, map[string]string{"stale": "warn", "stale-fast": "ok", "live": "fail", "live-fast": "ok"}},
			{59 * time.Second, map[string]string{"stale": "warn", "stale-fast": "ok", "live": "fail", "live-fast": "ok"}},
			// One fast threshold has passed: only the fast rule applies, and
			// its auto-delete removes the day-old agent; live-fast was seen
			// exactly 60 s ago, which is not yet older than the rule allows.
			{60 * time.Second, map[string]string{"stale": "warn", "stale-fast": "deleted", "live": "fail", "live-fast": "ok"}},
			{61 * time.Second, map[string]string{"stale": "warn", "stale-fast": "deleted", "live": "fail", "live-fast": "not_reporting"}},
			{179 * time.Second, map[string]string{"stale": "warn", "live": "fail", "live-fast": "not_reporting"}},
			{181 * time.Second, map[string]string{"stale": "not_reporting", "live": "not_reporting", "live-fast": "not_reporting"}},
			{600 * time.Second, map[string]string{"stale": "not_reporting", "live": "not_reporting", "live-fast": "not_reporting"}},
			{601 * time.Second, map[string]string{"stale": "not_reporting", "live": "not_reporting", "live-fast": "deleted"}},
		}
		for _, s := range steps {
			inst.Clock.Set(start.Add(s.after))
			tick(t, inst)
			for id, want := range s.want {
				if got := status(t, inst, id); got != want {
					t.Errorf("+%v: %s is %s, want %s", s.after, id, got, want)
				}
			}
		}

		// A heartbeat that only moves last_seen (as a batched write may) is
		// enough: the next tick restores the reported status.
		if _, err := inst.Store.WithTxExec(ctx, `UPDATE agents SET last_seen = $1 WHERE id = 'live'`, inst.Clock.Now().UnixMilli()); err != nil {
			t.Fatal(err)
		}
		tick(t, inst)
		if got := status(t, inst, "live"); got != tc.AgentFail {
			t.Errorf("after a new heartbeat: live is %s, want its reported fail", got)
		}
		// Raising a rule's threshold brings agents inside it back.
		if _, err := inst.Store.UpdateReportingRule(ctx, tc.DefaultReportingRuleID, func(r *tc.ReportingRule) error {
			r.NotReportingAfterSeconds = 2 * 24 * 3600
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		tick(t, inst)
		if got := status(t, inst, "stale"); got != tc.AgentWarn {
			t.Errorf("after raising the threshold: stale is %s, want warn", got)
		}
	})
}

func TestSweepGraceCountsFromControllerStart(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		// A controller restarted while its agents were silent for an hour:
		// the clock starts late, agents were seen long before.
		inst := apptest.MustStart(t, db)
		ctx := context.Background()
		start := inst.Clock.Now()
		if err := inst.Store.InsertAgents(ctx, []*tc.Agent{{ID: "a", LastSeen: start.Add(-time.Hour)}}); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			after time.Duration
			want  string
		}{{time.Second, "ok"}, {179 * time.Second, "ok"}, {180 * time.Second, "not_reporting"}} {
			inst.Clock.Set(start.Add(c.after))
			tick(t, inst)
			if got := status(t, inst, "a"); got != c.want {
				t.Errorf("+%v after start: %s, want %s", c.after, got, c.want)
			}
		}
	})
}

func TestFleetHealthSamplesAndGauge(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db)
		ctx := context.Background()
		start := inst.Clock.Now()
		if err := inst.Store.InsertAgents(ctx, []*tc.Agent{
			{ID: "a", LastSeen: start}, {ID: "b", Status: tc.AgentWarn, LastSeen: start}, {ID: "c", LastSeen: start.Add(-time.Hour)},
		}); err != nil {
			t.Fatal(err)
		}
		for range 3 {
			tick(t, inst)
			inst.Clock.Advance(time.Minute)
		}
		inst.Clock.Set(start.Add(8 * 24 * time.Hour))
		tick(t, inst) // prunes samples older than a week; everything is silent by now
		samples, err := inst.Store.FleetHealth(ctx, start.Add(-time.Hour), start.Add(30*24*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if len(samples) != 1 || !samples[0].At.Equal(start.Add(8*24*time.Hour)) || samples[0].NotReporting != 3 || samples[0].Total != 3 {
			t.Fatalf("samples after a week = %+v, want the last one with 3 not reporting", samples)
		}

		inst2 := apptest.MustStart(t, db)
		start = inst2.Clock.Now()
		if err := inst2.Store.InsertAgents(ctx, []*tc.Agent{{ID: "a"}, {ID: "b", Status: tc.AgentWarn}, {ID: "c", LastSeen: start.Add(-time.Hour)}}); err != nil {
			t.Fatal(err)
		}
		for i := range 5 {
			inst2.Clock.Set(start.Add(time.Duration(i) * time.Minute))
			if _, err := inst2.Scheduler.Tick(ctx); err != nil {
				t.Fatal(err)
			}
		}
		samples, err = inst2.Store.FleetHealth(ctx, start.Add(time.Minute), start.Add(3*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		// Ticks at +1, +2, +3 min; "c" turns not_reporting at +3 (180 s after start).
		want := []tc.AgentSummary{{Total: 3, OK: 2, Warn: 1}, {Total: 3, OK: 2, Warn: 1}, {Total: 3, OK: 1, Warn: 1, NotReporting: 1}}
		if len(samples) != len(want) {
			t.Fatalf("samples = %+v, want %d", samples, len(want))
		}
		for i, s := range samples {
			if s.AgentSummary != want[i] || !s.At.Equal(start.Add(time.Duration(i+1)*time.Minute)) {
				t.Errorf("sample %d = %+v, want %+v at +%d min", i, s, want[i], i+1)
			}
		}
		// The last tick, at +4 min, found all three silent for over 180 s.
		r := apptest.MustStatus(t, inst2.Do(t, apptest.Req{Method: "GET", Path: "/metrics"}), 200)
		for _, line := range []string{`tc_agents{status="not_reporting"} 3`, `tc_agents{status="ok"} 0`, `tc_agents{status="warn"} 0`} {
			if !strings.Contains(string(r.Body), line) {
				t.Errorf("/metrics lacks %s", line)
			}
		}
	})
}

func TestStatusIntervalOption(t *testing.T) {
	none := func(string) string { return "" }
	cfg, err := app.ParseConfig(nil, none, nil, io.Discard)
	if err != nil || cfg.StatusInterval != time.Minute {
		t.Fatalf("default status interval = %v (%v), want 1m", cfg.StatusInterval, err)
	}
	cfg, err = app.ParseConfig(nil, func(k string) string { return map[string]string{"STATUS_INTERVAL": "5s"}[k] }, nil, io.Discard)
	if err != nil || cfg.StatusInterval != 5*time.Second {
		t.Fatalf("STATUS_INTERVAL=5s gives %v (%v)", cfg.StatusInterval, err)
	}
	for _, bad := range []string{"0s", "500ms", "soon"} {
		if _, err := app.ParseConfig([]string{"--status-interval", bad}, none, nil, io.Discard); err == nil || !strings.Contains(err.Error(), "status-interval") {
			t.Errorf("--status-interval %s: err = %v", bad, err)
		}
	}
}
