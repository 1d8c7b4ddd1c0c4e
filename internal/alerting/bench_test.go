package alerting_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/apptest"
	"github.com/telegrafcontroller/tc/internal/store"
)

// BenchmarkEngineOutage measures the rules engine at a large outage: a
// sweep turns 100,000 agents not_reporting, and one rule over the whole
// fleet, with a webhook channel, evaluates them. Per outage it reports the
// sweep itself (the baseline: the work that caused it), then the engine's
// ticks: the first (every agent pending), the one past the for-duration
// (they fire; the group starts), the one past the group wait (one grouped
// message queued), the deliverer's (one webhook request, its subjects
// capped) and a steady tick (all still firing, nothing to tell). Both
// databases; TC_BENCH_AGENTS changes the outage's size.
//
//	go test -run '^$' -bench EngineOutage -benchtime 2x ./internal/alerting/
func BenchmarkEngineOutage(b *testing.B) {
	agents := 100000
	if n, err := strconv.Atoi(os.Getenv("TC_BENCH_AGENTS")); err == nil && n > 0 {
		agents = n
	}
	for _, db := range []apptest.DB{{Name: "sqlite"}, {Name: "postgres"}} {
		b.Run(db.Name, func(b *testing.B) {
			if db.Name == "postgres" {
				apptest.RequirePostgres(b)
			}
			var sweep, pending, fire, notify, deliver, steady time.Duration
			for range b.N {
				b.StopTimer()
				ctx := context.Background()
				inst := start(b, db, apptest.NewDSN(b, db), apptest.NewClock(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)))
				recv := newWebhookReceiver(b)
				ch := mustChannel(b, inst, "ops", recv)
				mustRule(b, inst, func(r *tc.AlertRule) { r.ChannelIDs = []string{ch} })
				for lo := 0; lo < agents; lo += 10000 {
					var ws []store.HeartbeatWrite
					for i := lo; i < min(lo+10000, agents); i++ {
						id := fmt.Sprintf("agent-%06d", i)
						ws = append(ws, store.HeartbeatWrite{AgentBeat: &tc.AgentBeat{ID: id, Hostname: id, Status: tc.AgentOK,
							FirstSeen: inst.Clock.Now(), LastSeen: inst.Clock.Now()}})
					}
					if err := inst.Store.WriteHeartbeats(ctx, ws); err != nil {
						b.Fatal(err)
					}
				}
				timed := func(d *time.Duration, fn func() error) {
					b.StartTimer()
					start := time.Now()
					err := fn()
					*d += time.Since(start)
					b.StopTimer()
					if err != nil {
						b.Fatal(err)
					}
				}
				engine := func() error { return inst.Alerts.Tick(ctx) }
				inst.Clock.Advance(time.Hour)
				timed(&sweep, func() error { _, err := inst.Scheduler.Tick(ctx); return err })
				timed(&pending, engine)
				inst.Clock.Advance(61 * time.Second) // past the for-duration
				timed(&fire, engine)
				inst.Clock.Advance(31 * time.Second) // past the group wait
				timed(&notify, engine)
				timed(&deliver, func() error { _, err := inst.Deliverer.Tick(ctx); return err })
				inst.Clock.Advance(10 * time.Second)
				timed(&steady, engine)
				if got := recv.take(); len(got) != 1 || got[0].Count != agents {
					b.Fatalf("%d messages, want one naming %d agents", len(got), agents)
				}
				inst.Stop()
			}
			per := func(d time.Duration) float64 { return d.Seconds() * 1000 / float64(b.N) }
			b.ReportMetric(per(sweep), "sweep-ms")
			b.ReportMetric(per(pending), "pending-ms")
			b.ReportMetric(per(fire), "fire-ms")
			b.ReportMetric(per(notify), "notify-ms")
			b.ReportMetric(per(deliver), "deliver-ms")
			b.ReportMetric(per(steady), "steady-ms")
		})
	}
}
