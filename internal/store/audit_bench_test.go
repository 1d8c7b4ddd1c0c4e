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

// BenchmarkSweepAudit measures a status sweep that turns 100,000 agents
// not_reporting at once, with the audit log off and on (one entry per
// agent, written in batches in the sweep's transaction), on both
// databases. Goal (issue 14): on, at most 1.5× the time off.
//
//	go test -run '^$' -bench SweepAudit -benchtime 1x ./internal/store/
func BenchmarkSweepAudit(b *testing.B) {
	const agents = 100000
	for _, db := range []apptest.DB{{Name: "sqlite"}, {Name: "postgres"}} {
		for _, audit := range []bool{false, true} {
			b.Run(fmt.Sprintf("%s/audit-%v", db.Name, map[bool]string{false: "off", true: "on"}[audit]), func(b *testing.B) {
				if db.Name == "postgres" {
					apptest.RequirePostgres(b)
				}
				ctx := context.Background()
				var total time.Duration
				for b.Loop() {
					b.StopTimer()
					clock := apptest.NewClock(time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC))
					s := mustOpenClock(b, db, clock)
					s.SetAudit(audit)
					for lo := 0; lo < agents; lo += 10000 {
						var batch []store.HeartbeatWrite
						for i := lo; i < lo+10000; i++ {
							batch = append(batch, store.HeartbeatWrite{AgentBeat: &tc.AgentBeat{ID: fmt.Sprintf("agent-%06d", i),
								Hostname: fmt.Sprintf("host-%06d", i), Version: "1.39.3", Status: tc.AgentOK,
								FirstSeen: clock.Now(), LastSeen: clock.Now()}, WriteLinks: true})
						}
						if err := s.WriteHeartbeats(ctx, batch); err != nil {
							b.Fatal(err)
						}
					}
					clock.Advance(time.Hour)
					b.StartTimer()
					start := time.Now()
					sw, err := s.SweepAgentStatus(ctx, clock.Now().Add(-24*time.Hour))
					total += time.Since(start)
					if err != nil || sw.NotReporting != agents {
						b.Fatalf("sweep: %+v, %v; want %d marked", sw, err, agents)
					}
					b.StopTimer()
					if audit {
						if n, _, _ := s.AuditEntries(ctx, tc.AuditFilter{Action: tc.ActionAgentNotReporting, Limit: 1}); len(n) == 0 {
							b.Fatal("audit on, but the sweep recorded nothing")
						}
					}
					s.Close()
					b.StartTimer()
				}
				b.ReportMetric(total.Seconds()/float64(b.N), "sweep-s")
			})
		}
	}
}
