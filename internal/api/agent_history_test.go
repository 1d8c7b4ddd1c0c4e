package api_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/apptest"
	"github.com/telegrafcontroller/tc/internal/store"
)

// TestAgentHistoryAPI reads an agent's reporting history over an hour in
// which it reported ok, failed, went silent and warned, and the fleet
// health over each range; a bad range is a 400 naming the field.
func TestAgentHistoryAPI(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		ctx := context.Background()
		inst := apptest.MustStart(t, db)
		viewer, admin := inst.MustRoleToken(t, tc.RoleViewer), inst.MustRoleToken(t, tc.RoleAdministrator)
		now := inst.Clock.Now() // 03:04:05
		beat := func(ago time.Duration, status string, errs int64) {
			t.Helper()
			at := now.Add(-ago)
			b := &tc.AgentBeat{ID: "h1", Hostname: "h", IP: "10.0.0.1", Version: "1.39.3", Status: status,
				FirstSeen: at, LastSeen: at, Last: tc.HeartbeatStats{Metrics: 5, Errors: errs}, Sum: tc.HeartbeatStats{Metrics: 5, Errors: errs}}
			if err := inst.Store.WriteHeartbeats(ctx, []store.HeartbeatWrite{{AgentBeat: b}}); err != nil {
				t.Fatal(err)
			}
		}
		beat(30*time.Minute, tc.AgentOK, 0)
		beat(20*time.Minute, tc.AgentFail, 2)
		beat(time.Minute, tc.AgentWarn, 0)
		var h tc.AgentHistory
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/agents/h1/history?range=1h", Token: viewer}), 200).JSON(t, &h)
		if h.AgentID != "h1" || h.Range != "1h" || h.StepSeconds != 60 || h.BucketSeconds != 60 || len(h.Points) != 61 ||
			!h.From.Equal(time.Date(2026, 1, 2, 2, 4, 0, 0, time.UTC)) || !h.To.Equal(now) {
			t.Fatalf("history: %s %s step %d bucket %d, %d points from %s to %s", h.AgentID, h.Range, h.StepSeconds, h.BucketSeconds, len(h.Points), h.From, h.To)
		}
		var periods []string
		for _, p := range h.Periods {
			periods = append(periods, p.From.Format("15:04")+" "+p.Status)
		}
		// First heard 02:34:05; ok until the rule's 3 minutes after its
		// bucket; failing from 02:44; silent from 02:48; warning at 03:03.
		if got, want := strings.Join(periods, ", "), "02:04 , 02:34 ok, 02:38 not_reporting, 02:44 fail, 02:48 not_reporting, 03:03 warn"; got != want {
			t.Errorf("periods: %s, want %s", got, want)
		}
		if p := h.Points[40]; p.Status != tc.AgentFail || p.Errors != 2 || p.Metrics != 5 || p.Beats != 1 {
			t.Errorf("02:44: %+v", p)
		}
		// Every range answers; the default is 24 hours.
		for _, r := range []string{"6h", "24h", "7d", ""} {
			var h tc.AgentHistory
			apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/agents/h1/history?range=" + r, Token: viewer}), 200).JSON(t, &h)
			if want := map[string]string{"": "24h"}[r]; (want == "" && h.Range != r) || (want != "" && h.Range != want) || len(h.Points) < 100 || len(h.Points) > 300 {
				t.Errorf("range %q: %s with %d points", r, h.Range, len(h.Points))
			}
			var fh tc.FleetHealth
			apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/agents/fleet-health?range=" + r, Token: viewer}), 200).JSON(t, &fh)
			if fh.Samples == nil || fh.To.Sub(fh.From) != map[string]time.Duration{"6h": 6 * time.Hour, "24h": 24 * time.Hour, "7d": 7 * 24 * time.Hour, "": 24 * time.Hour}[r] {
				t.Errorf("fleet health %q: %s to %s, samples %v", r, fh.From, fh.To, fh.Samples)
			}
		}
		for _, path := range []string{
			"/api/agents/h1/history?range=2h", "/api/agents/h1/history?range=1H", "/api/agents/h1/history?range=1h%20",
			"/api/agents/nobody/history?range=30d", "/api/agents/fleet-health?range=1y", "/api/agents/fleet-health?range=-1h",
		} {
			r := apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: path, Token: viewer}), 400)
			if m := r.Map(t); m["error"] != tc.EINVALID || m["field"] != "range" || !strings.Contains(m["message"].(string), "1h, 6h, 24h or 7d") {
				t.Errorf("%s: %v", path, m)
			}
		}
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/agents/nobody/history", Token: viewer}), 404)

		// Deleting the agent deletes its history.
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "DELETE", Path: "/api/agents/h1", Token: admin}), 204)
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/agents/h1/history", Token: admin}), 404)
		var n int
		if err := inst.Store.ReadDB().QueryRow(`SELECT count(*) FROM agent_history WHERE agent_id = 'h1'`).Scan(&n); err != nil || n != 0 {
			t.Errorf("history rows of the deleted agent: %d, %v", n, err)
		}

		// With the history off: no points, and no rows written.
		off := apptest.MustStart(t, db, apptest.WithArgs("--agent-history-bucket", "0"))
		b := &tc.AgentBeat{ID: "h2", Version: "1", Status: tc.AgentOK, FirstSeen: now, LastSeen: now}
		if err := off.Store.WriteHeartbeats(ctx, []store.HeartbeatWrite{{AgentBeat: b}}); err != nil {
			t.Fatal(err)
		}
		var h2 tc.AgentHistory
		apptest.MustStatus(t, off.Do(t, apptest.Req{Method: "GET", Path: "/api/agents/h2/history?range=1h", Token: off.MustRoleToken(t, tc.RoleViewer)}), 200).JSON(t, &h2)
		if h2.BucketSeconds != 0 || len(h2.Points) != 0 || h2.Points == nil {
			t.Errorf("history off: bucket %d, points %v", h2.BucketSeconds, h2.Points)
		}
	})
}
