package store_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/apptest"
	"github.com/telegrafcontroller/tc/internal/store"
)

// auditStore opens a store with the audit log on, a few changes made by a
// token's caller from an address.
func auditStore(t *testing.T, db apptest.DB, clock *apptest.Clock) (*store.Store, context.Context) {
	t.Helper()
	s := mustOpenClock(t, db, clock)
	s.SetAudit(true)
	ctx := tc.NewContextWithCaller(context.Background(), &tc.Caller{User: &tc.User{ID: "u1"}, Token: &tc.Token{ID: "t1"}})
	ctx = tc.NewContextWithOrigin(ctx, tc.Origin{IP: "192.0.2.7", UserAgent: "curl/8"})
	return s, ctx
}

func mustVerify(t *testing.T, s *store.Store) tc.AuditVerification {
	t.Helper()
	v, err := s.VerifyAudit(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestAuditRecordsChangesInTheirTransaction(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		clock := apptest.NewClock(time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC))
		s, ctx := auditStore(t, db, clock)
		l := &tc.Label{Name: "prod", Color: "#ff0000"}
		if err := s.CreateLabel(ctx, l); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteLabel(ctx, l.ID); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateLabel(ctx, &tc.Label{Name: "prod", Color: "#ff0000"}); err != nil {
			t.Fatal(err)
		}
		// A failed write records nothing.
		if err := s.CreateLabel(ctx, &tc.Label{Name: "prod", Color: "#ff0000"}); tc.ErrorCode(err) != tc.ECONFLICT {
			t.Fatalf("duplicate label: %v", err)
		}
		got, total, err := s.AuditEntries(context.Background(), tc.AuditFilter{Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if total != 3 || len(got) != 3 {
			t.Fatalf("%d entries (%d in all), want 3: %+v", len(got), total, got)
		}
		e := got[2] // newest first
		if e.Seq != 1 || e.Action != "label.create" || e.ActorType != tc.ActorToken || e.ActorID != "t1" || e.ActorUserID != "u1" ||
			e.IPAddress != "192.0.2.7" || e.UserAgent != "curl/8" || e.Outcome != tc.OutcomeSuccess || e.TargetType != "label" ||
			e.TargetID != l.ID || !e.Timestamp.Equal(clock.Now()) || e.PrevHash != "" || e.Hash != e.ComputeHash() {
			t.Errorf("first entry %+v", e)
		}
		if got[1].Action != "label.delete" || got[1].PrevHash != e.Hash || got[0].PrevHash != got[1].Hash {
			t.Errorf("chain: %+v", got)
		}
		if v := mustVerify(t, s); !v.OK || v.Entries != 3 || v.LastSeq != 3 {
			t.Errorf("verify: %+v", v)
		}
		for _, f := range []tc.AuditFilter{{Action: "label.delete"}, {Q: "DELETE"}, {TargetID: l.ID, Outcome: tc.OutcomeSuccess, Action: "label.delete"}} {
			f.Limit = 10
			if got, _, err := s.AuditEntries(context.Background(), f); err != nil || len(got) != 1 || got[0].Action != "label.delete" {
				t.Errorf("filter %+v: %v %+v", f, err, got)
			}
		}
		if got, _, _ := s.AuditEntries(context.Background(), tc.AuditFilter{ActorID: "u1", Limit: 10}); len(got) != 3 {
			t.Errorf("by the user behind the token: %d entries, want 3", len(got))
		}
		if got, _, _ := s.AuditEntries(context.Background(), tc.AuditFilter{Q: "100%", Limit: 10}); len(got) != 0 {
			t.Errorf("q with a LIKE wildcard matched %d", len(got))
		}
	})
}

// TestAuditTamper: the database refuses UPDATE and DELETE of entries; with
// its triggers dropped, an edited, a removed and two reordered entries are
// each found by verify at the first broken seq.
func TestAuditTamper(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		for _, tamper := range []struct {
			name    string
			sql     []string
			wantBad int64
		}{
			{"edit details", []string{`UPDATE audit_log SET details = '{"role":"owner"}' WHERE seq = 3`}, 3},
			{"delete a row", []string{`DELETE FROM audit_log WHERE seq = 2`}, 2},
			{"reorder two rows", []string{`UPDATE audit_log SET seq = -1 WHERE seq = 2`, `UPDATE audit_log SET seq = 2 WHERE seq = 3`,
				`UPDATE audit_log SET seq = 3 WHERE seq = -1`}, 2},
			{"remove the tail", []string{`DELETE FROM audit_log WHERE seq >= 4`}, 4},
		} {
			t.Run(tamper.name, func(t *testing.T) {
				clock := apptest.NewClock(time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC))
				s, ctx := auditStore(t, db, clock)
				for i := range 5 {
					clock.Advance(time.Second)
					if err := s.CreateLabel(ctx, &tc.Label{Name: "l" + string(rune('a'+i)), Color: "#00ff00"}); err != nil {
						t.Fatal(err)
					}
				}
				if v := mustVerify(t, s); !v.OK || v.Entries != 5 {
					t.Fatalf("before: %+v", v)
				}
				if _, err := s.WithTxExec(context.Background(), tamper.sql[0]); err == nil { // the database refuses
					t.Fatalf("%s: accepted with the triggers on", tamper.sql[0])
				}
				drop := []string{`DROP TRIGGER audit_log_no_update`, `DROP TRIGGER audit_log_prune_only`}
				if s.Dialect() == store.Postgres {
					drop = []string{`ALTER TABLE audit_log DISABLE TRIGGER audit_log_guard`}
				}
				for _, q := range append(drop, tamper.sql...) {
					if _, err := s.WithTxExec(context.Background(), q); err != nil {
						t.Fatalf("%s: %v", q, err)
					}
				}
				v := mustVerify(t, s)
				if v.OK || v.BadSeq != tamper.wantBad || v.Reason == "" {
					t.Fatalf("verify after %s: %+v, want the first bad seq %d", tamper.name, v, tamper.wantBad)
				}
				t.Logf("%s: seq %d: %s", tamper.name, v.BadSeq, v.Reason)
			})
		}
	})
}

// TestAuditPrune: retention removes whole prefixes and keeps a checkpoint
// the chain still verifies from; nothing else can move it.
func TestAuditPrune(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		clock := apptest.NewClock(time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC))
		s, ctx := auditStore(t, db, clock)
		for i := range 6 {
			clock.Advance(time.Hour)
			if err := s.CreateLabel(ctx, &tc.Label{Name: "l" + string(rune('a'+i)), Color: "#00ff00"}); err != nil {
				t.Fatal(err)
			}
		}
		n, err := s.PruneAudit(context.Background(), clock.Now().Add(-150*time.Minute)) // entries 1..3 are older
		if err != nil || n != 3 {
			t.Fatalf("prune: %d, %v; want 3", n, err)
		}
		if v := mustVerify(t, s); !v.OK || v.From != 3 || v.Entries != 3 || v.LastSeq != 6 {
			t.Errorf("verify after pruning: %+v", v)
		}
		if n, err := s.PruneAudit(context.Background(), clock.Now().Add(-150*time.Minute)); err != nil || n != 0 {
			t.Errorf("second prune: %d, %v", n, err)
		}
		for _, q := range []string{`UPDATE audit_checkpoint SET seq = 2, hash = 'x' WHERE id = 1`,
			`UPDATE audit_checkpoint SET seq = 5, hash = 'forged' WHERE id = 1`, `UPDATE audit_head SET seq = 1 WHERE id = 1`,
			`DELETE FROM audit_log WHERE seq = 5`} {
			if _, err := s.WithTxExec(context.Background(), q); err == nil || !strings.Contains(err.Error(), "audit") {
				t.Errorf("%s: %v, want refused", q, err)
			}
		}
		if err := s.CreateLabel(ctx, &tc.Label{Name: "after", Color: "#00ff00"}); err != nil {
			t.Fatal(err)
		}
		if v := mustVerify(t, s); !v.OK || v.LastSeq != 7 {
			t.Errorf("verify after a new entry: %+v", v)
		}
	})
}

// TestAuditAgentRegistration: an agent's first heartbeat write records its
// registration, once.
func TestAuditAgentRegistration(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		clock := apptest.NewClock(time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC))
		s, ctx := auditStore(t, db, clock)
		beat := func() store.HeartbeatWrite {
			return store.HeartbeatWrite{AgentBeat: &tc.AgentBeat{ID: "agent-1", Hostname: "web-1", IP: "192.0.2.9", Version: "1.39.3",
				Status: tc.AgentOK, FirstSeen: clock.Now(), LastSeen: clock.Now()}, WriteLinks: true}
		}
		for range 3 {
			if err := s.WriteHeartbeats(ctx, []store.HeartbeatWrite{beat()}); err != nil {
				t.Fatal(err)
			}
			clock.Advance(time.Second)
		}
		es, _, err := s.AuditEntries(context.Background(), tc.AuditFilter{Action: tc.ActionAgentRegister, Limit: 10})
		if err != nil || len(es) != 1 || es[0].TargetID != "agent-1" || es[0].TargetName != "web-1" || es[0].ActorType != tc.ActorSystem {
			t.Fatalf("registrations %+v, %v; want one of agent-1", es, err)
		}
	})
}

// TestAuditSweep: the sweep records each agent it turns not_reporting or
// deletes by its rule, and the heartbeat write that brings one back records
// its return, each by the system.
func TestAuditSweep(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		clock := apptest.NewClock(time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC))
		s, ctx := auditStore(t, db, clock)
		start := clock.Now().Add(-24 * time.Hour)
		write := func(id string) {
			t.Helper()
			if err := s.WriteHeartbeats(ctx, []store.HeartbeatWrite{{AgentBeat: &tc.AgentBeat{ID: id, Hostname: "h-" + id, Version: "1.39.3",
				Status: tc.AgentOK, FirstSeen: clock.Now(), LastSeen: clock.Now()}, WriteLinks: true}}); err != nil {
				t.Fatal(err)
			}
		}
		count := func(action, id string) int {
			t.Helper()
			es, _, err := s.AuditEntries(context.Background(), tc.AuditFilter{Action: action, TargetID: id, Limit: 10})
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range es {
				// The sweep names the rule; a heartbeat's write (the newest
				// restore of a1) names none.
				bySweep := action != tc.ActionAgentRestored || id == "a2" || e.Seq != es[0].Seq
				if e.ActorType != tc.ActorSystem || e.TargetName != "h-"+id || bySweep != strings.Contains(string(e.Details), tc.DefaultReportingRuleID) {
					t.Errorf("%s entry %+v", action, e)
				}
			}
			return len(es)
		}
		write("a1")
		write("a2")
		clock.Advance(time.Hour)
		if _, err := s.SweepAgentStatus(ctx, start); err != nil {
			t.Fatal(err)
		}
		if n := count(tc.ActionAgentNotReporting, "a1"); n != 1 {
			t.Fatalf("%d not-reporting entries, want 1", n)
		}
		// A longer threshold restores a2 in the sweep (SQLite's noted UPDATE).
		if _, err := s.UpdateReportingRule(ctx, tc.DefaultReportingRuleID, func(r *tc.ReportingRule) error {
			r.NotReportingAfterSeconds = 3 * 3600
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if sw, err := s.SweepAgentStatus(ctx, start); err != nil || sw.Restored != 2 {
			t.Fatalf("sweep after the longer threshold: %+v, %v; want 2 restored", sw, err)
		}
		if n := count(tc.ActionAgentRestored, "a2"); n != 1 {
			t.Fatalf("%d restored entries of a2, want 1", n)
		}
		if _, err := s.UpdateReportingRule(ctx, tc.DefaultReportingRuleID, func(r *tc.ReportingRule) error {
			r.NotReportingAfterSeconds = 60
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SweepAgentStatus(ctx, start); err != nil {
			t.Fatal(err)
		}
		write("a1")
		if _, err := s.SweepAgentStatus(ctx, start); err != nil {
			t.Fatal(err)
		}
		if n := count(tc.ActionAgentRestored, "a1"); n != 2 {
			t.Fatalf("%d restored entries of a1, want 2 (the rule change's, the heartbeat's)", n)
		}
		day := int64(86400)
		if _, err := s.UpdateReportingRule(ctx, tc.DefaultReportingRuleID, func(r *tc.ReportingRule) error {
			r.AutoDeleteAfterSeconds = &day
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		clock.Advance(48 * time.Hour)
		if _, err := s.SweepAgentStatus(ctx, start); err != nil {
			t.Fatal(err)
		}
		if n := count(tc.ActionAgentExpired, "a1"); n != 1 {
			t.Fatalf("%d auto-delete entries, want 1", n)
		}
		if v := mustVerify(t, s); !v.OK {
			t.Errorf("verify: %+v", v)
		}
	})
}

// TestAuditTimesFollowSeq: an entry is never stamped before the newest
// one (a clock stepped back, a lagging node), so a time range is a range
// of seq, and the range filters select exactly the entries in it.
func TestAuditTimesFollowSeq(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		start := time.Date(2026, 3, 4, 5, 0, 0, 0, time.UTC)
		clock := apptest.NewClock(start)
		s, ctx := auditStore(t, db, clock)
		label := func(name string) {
			t.Helper()
			if err := s.CreateLabel(ctx, &tc.Label{Name: name, Color: "#00ff00"}); err != nil {
				t.Fatal(err)
			}
		}
		for i := range 20 { // seq 1..20 at 5:01 … 5:20
			clock.Advance(time.Minute)
			label("m" + strconv.Itoa(i+1))
		}
		clock.Advance(-time.Hour) // the clock steps back to 4:20
		label("back")             // seq 21
		clock.Advance(2 * time.Hour)
		label("later") // seq 22 at 6:20
		all, _, err := s.AuditEntries(context.Background(), tc.AuditFilter{Limit: 100})
		if err != nil || len(all) != 22 {
			t.Fatalf("%d entries, %v", len(all), err)
		}
		if back := all[1]; back.Seq != 21 || !back.Timestamp.Equal(start.Add(20*time.Minute)) {
			t.Errorf("entry written with the clock stepped back: seq %d at %v, want 21 at the newest entry's %v",
				back.Seq, back.Timestamp, start.Add(20*time.Minute))
		}
		for _, c := range []struct {
			from, to     time.Time
			first, count int64
		}{
			{start.Add(5 * time.Minute), start.Add(9 * time.Minute), 5, 5},
			{start.Add(5*time.Minute + time.Second), start.Add(9*time.Minute - time.Second), 6, 3},
			{start.Add(20 * time.Minute), start.Add(20 * time.Minute), 20, 2},
			{start.Add(21 * time.Minute), time.Time{}, 22, 1},
			{time.Time{}, start.Add(2 * time.Minute), 1, 2},
			{start.Add(3 * time.Hour), time.Time{}, 0, 0},
			{time.Time{}, start, 0, 0},
		} {
			got, total, err := s.AuditEntries(context.Background(), tc.AuditFilter{From: c.from, To: c.to, Limit: 100})
			if err != nil || total != c.count || int64(len(got)) != c.count || c.count > 0 && got[len(got)-1].Seq != c.first {
				t.Errorf("from %v to %v: %d entries (%d in all), %v; want %d from seq %d", c.from, c.to, len(got), total, err, c.count, c.first)
			}
		}
		if n, err := s.PruneAudit(context.Background(), start.Add(10*time.Minute)); err != nil || n != 9 {
			t.Errorf("prune before 5:10: %d, %v; want 9", n, err)
		}
		if v := mustVerify(t, s); !v.OK || v.From != 9 {
			t.Errorf("verify after pruning: %+v", v)
		}
	})
}

// TestSweepInSlices: where marking takes a slice of agents per transaction
// (PostgreSQL), a mass marking goes on in further transactions until every
// silent agent is marked, with one audit entry each and one fleet health
// sample for the sweep. SQLite marks them in one statement.
func TestSweepInSlices(t *testing.T) {
	defer store.SetSweepSlice(3)()
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		clock := apptest.NewClock(time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC))
		s, ctx := auditStore(t, db, clock)
		var batch []store.HeartbeatWrite
		for i := range 10 {
			batch = append(batch, store.HeartbeatWrite{AgentBeat: &tc.AgentBeat{ID: "s" + strconv.Itoa(i), Hostname: "h",
				Version: "1.39.3", Status: tc.AgentOK, FirstSeen: clock.Now(), LastSeen: clock.Now()}, WriteLinks: true})
		}
		if err := s.WriteHeartbeats(ctx, batch); err != nil {
			t.Fatal(err)
		}
		clock.Advance(time.Hour)
		sw, err := s.SweepAgentStatus(ctx, clock.Now().Add(-24*time.Hour))
		if err != nil || sw.NotReporting != 10 || sw.Summary.NotReporting != 10 {
			t.Fatalf("sweep: %+v, %v; want 10 marked", sw, err)
		}
		if _, n, err := s.AuditEntries(context.Background(), tc.AuditFilter{Action: tc.ActionAgentNotReporting, Limit: 1}); err != nil || n != 10 {
			t.Errorf("%d not-reporting entries, %v; want 10", n, err)
		}
		samples, err := s.FleetHealth(context.Background(), clock.Now().Add(-time.Hour), clock.Now())
		if err != nil || len(samples) != 1 || samples[0].NotReporting != 10 {
			t.Errorf("fleet health samples: %+v, %v; want one with 10 not reporting", samples, err)
		}
	})
}
