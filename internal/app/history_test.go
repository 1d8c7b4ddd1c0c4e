package app_test

import (
	"context"
	"testing"
	"time"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/apptest"
	"github.com/telegrafcontroller/tc/internal/store"
)

// TestAgentHistoryRetention: a shorter agentHistoryRetentionHours takes
// effect at once: the leader's job removes the agents' older buckets and
// keeps the rest.
func TestAgentHistoryRetention(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		ctx := context.Background()
		inst := apptest.MustStart(t, db)
		now := inst.Clock.Now()
		for _, ago := range []time.Duration{10 * time.Hour, 6 * time.Hour, time.Hour} {
			at := now.Add(-ago)
			var f []store.HeartbeatWrite
			for _, id := range []string{"r1", "r2"} {
				f = append(f, store.HeartbeatWrite{AgentBeat: &tc.AgentBeat{ID: id, Version: "1", Status: tc.AgentOK, FirstSeen: at, LastSeen: at}})
			}
			if err := inst.Store.WriteHeartbeats(ctx, f); err != nil {
				t.Fatal(err)
			}
		}
		count := func() int {
			var n int
			if err := inst.Store.ReadDB().QueryRow(`SELECT count(*) FROM agent_history`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		if n := count(); n != 6 {
			t.Fatalf("%d buckets, want 6 (a week's retention keeps them all)", n)
		}
		admin := inst.MustRoleToken(t, tc.RoleAdministrator)
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "PATCH", Path: "/api/settings", Token: admin,
			Body: map[string]any{"agentHistoryRetentionHours": 5}}), 200)
		deadline := time.Now().Add(20 * time.Second)
		for count() != 2 && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		if n := count(); n != 2 {
			t.Errorf("%d buckets after the retention became 5 hours, want the 2 of an hour ago", n)
		}
	})
}
