package store_test

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/apptest"
	"github.com/telegrafcontroller/tc/internal/store"
)

// BenchmarkSweepAudit measures a status sweep that turns 100,000 agents
// not_reporting at once, with the audit log off and on (one entry per
// agent, written in batches in the sweep's transaction), on both
// databases. Goal (issue 14): on, at most 1.5× the time off. Each
// iteration sweeps both ways back to back (in turns, which goes first), so
// a shared machine's slow spells hit both sides; "on/off" is the ratio of
// the sums.
//
//	go test -run '^$' -bench SweepAudit -benchtime 8x ./internal/store/
func BenchmarkSweepAudit(b *testing.B) {
	for _, db := range []apptest.DB{{Name: "sqlite"}, {Name: "postgres"}} {
		b.Run(db.Name, func(b *testing.B) {
			if db.Name == "postgres" {
				apptest.RequirePostgres(b)
			}
			var off, on, offCPU, onCPU time.Duration
			for i := 0; b.Loop(); i++ {
				for _, audit := range [2][2]bool{{false, true}, {true, false}}[i%2] {
					took, cpu := sweepOnce(b, db, audit)
					if audit {
						on, onCPU = on+took, onCPU+cpu
					} else {
						off, offCPU = off+took, offCPU+cpu
					}
				}
			}
			b.ReportMetric(off.Seconds()/float64(b.N), "off-s")
			b.ReportMetric(on.Seconds()/float64(b.N), "on-s")
			b.ReportMetric(on.Seconds()/off.Seconds(), "on/off")
			if db.Name == "sqlite" { // PostgreSQL's work is the server's
				b.ReportMetric(onCPU.Seconds()/offCPU.Seconds(), "cpu-on/off")
			}
		})
	}
}

// sweepOnce seeds a fresh store with 100,000 agents, lets an hour pass and
// returns how long the sweep that marks them all not_reporting took, and
// the CPU this process spent meanwhile (user and system; it varies less than
// the wall time on a shared machine, but misses PostgreSQL's own work).
func sweepOnce(b *testing.B, db apptest.DB, audit bool) (time.Duration, time.Duration) {
	const agents = 100000
	b.StopTimer()
	defer b.StartTimer()
	ctx := context.Background()
	clock := apptest.NewClock(time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC))
	s := mustOpenClock(b, db, clock)
	defer s.Close()
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
	start, cpu := time.Now(), processCPU()
	sw, err := s.SweepAgentStatus(ctx, clock.Now().Add(-24*time.Hour))
	took, cpu := time.Since(start), processCPU()-cpu
	b.StopTimer()
	if err != nil || sw.NotReporting != agents {
		b.Fatalf("sweep: %+v, %v; want %d marked", sw, err, agents)
	}
	if audit {
		if n, _, _ := s.AuditEntries(ctx, tc.AuditFilter{Action: tc.ActionAgentNotReporting, Limit: 1}); len(n) == 0 {
			b.Fatal("audit on, but the sweep recorded nothing")
		}
	}
	return took, cpu
}

// processCPU is the CPU time this process has used so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
