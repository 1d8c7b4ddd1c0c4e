package api_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/apptest"
)

// TestAlertsRoleWalk walks the alert rules, alerts, mutes and delivery log
// as every role: viewers read, managers and above write rules and mute,
// nobody gets in without credentials; every write is audited.
func TestAlertsRoleWalk(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db)
		ctx := context.Background()
		var seq atomic.Int64
		name := func(prefix string) string { return fmt.Sprintf("%s%d", prefix, seq.Add(1)) }
		newRule := func(tb testing.TB) *tc.AlertRule {
			r := tc.NewAlertRule()
			r.Name, r.Event = name("rule-"), tc.AlertFail
			if err := inst.Store.CreateAlertRule(ctx, &r); err != nil {
				tb.Fatal(err)
			}
			return &r
		}
		newMute := func(tb testing.TB) *tc.AlertMute {
			m := &tc.AlertMute{Kind: tc.MuteAgent, TargetID: name("agent-"), Until: inst.Clock.Now().Add(time.Hour)}
			if err := inst.Store.CreateMute(ctx, m); err != nil {
				tb.Fatal(err)
			}
			return m
		}
		r := newRule(t)
		read := apptest.Statuses(200, 200, 200, 200, 401)
		write := apptest.Statuses(200, 200, 200, 403, 401)
		created := apptest.Statuses(201, 201, 201, 403, 401)
		deleted := apptest.Statuses(204, 204, 204, 403, 401)
		fresh := func(f func(tb testing.TB) (string, any)) func(testing.TB, *apptest.Instance, *tc.User) (string, any) {
			return func(tb testing.TB, _ *apptest.Instance, _ *tc.User) (string, any) { return f(tb) }
		}
		rows := []apptest.RoleRow{
			{Method: "GET", Path: "/api/alert-rules", Want: read},
			{Method: "POST", Path: "/api/alert-rules", Want: created, Fresh: fresh(func(testing.TB) (string, any) {
				return "/api/alert-rules", map[string]any{"name": name("new-"), "event": "not_reporting"}
			})},
			{Method: "GET", Path: "/api/alert-rules/" + r.ID, Want: read},
			{Method: "PUT", Path: "/api/alert-rules/" + r.ID, Want: write, Fresh: fresh(func(testing.TB) (string, any) {
				return "/api/alert-rules/" + r.ID, map[string]any{"name": r.Name, "event": "fail", "description": name("d-")}
			})},
			{Method: "DELETE", Path: "/api/alert-rules/{id}", Want: deleted, Fresh: fresh(func(tb testing.TB) (string, any) {
				return "/api/alert-rules/" + newRule(tb).ID, nil
			})},
			{Method: "GET", Path: "/api/alerts?state=resolved", Want: read},
			{Method: "GET", Path: "/api/alerts/mutes", Want: read},
			{Method: "POST", Path: "/api/alerts/mutes", Want: created, Fresh: fresh(func(testing.TB) (string, any) {
				return "/api/alerts/mutes", map[string]any{"kind": "rule", "targetId": r.ID, "durationSeconds": 600, "reason": "walk"}
			})},
			{Method: "DELETE", Path: "/api/alerts/mutes/{id}", Want: deleted, Fresh: fresh(func(tb testing.TB) (string, any) {
				return "/api/alerts/mutes/" + newMute(tb).ID, nil
			})},
			{Method: "GET", Path: "/api/alerts/deliveries", Want: read},
		}
		inst.RequireRowsCover(t, rows, "/api/alert-rules", "/api/alerts")
		inst.WalkRoles(t, rows)
	})
}

// TestAlertsAPIBadInput: precise 400s naming the field.
func TestAlertsAPIBadInput(t *testing.T) {
	inst := apptest.MustStart(t, apptest.DB{Name: "sqlite"})
	owner := inst.MustSession(t, inst.MustOwner(t))
	for _, c := range []struct {
		method, path string
		body         any
		field        string
	}{
		{"POST", "/api/alert-rules", map[string]any{"name": "x", "event": "down"}, "event"},
		{"POST", "/api/alert-rules", map[string]any{"name": "x", "event": "fail", "scope": map[string]any{"labelIds": []string{"nope"}}}, "scope.labelIds"},
		{"POST", "/api/alert-rules", map[string]any{"name": "x", "event": "fail", "channelIds": []string{"nope"}}, "channelIds"},
		{"POST", "/api/alert-rules", map[string]any{"name": "x", "event": "token_expiry"}, "tokenExpiryDays"},
		{"POST", "/api/alerts/mutes", map[string]any{"kind": "agent", "targetId": "a"}, "until"},
		{"POST", "/api/alerts/mutes", map[string]any{"kind": "label", "targetId": "nope", "durationSeconds": 60}, "targetId"},
		{"POST", "/api/alerts/mutes", map[string]any{"kind": "agent", "targetId": "a", "until": "2020-01-01T00:00:00Z"}, "until"},
		{"GET", "/api/alerts?state=open", nil, "state"},
		{"GET", "/api/alerts?state=resolved&from=yesterday", nil, "from"},
		{"GET", "/api/alerts/deliveries?outcome=maybe", nil, "outcome"},
		{"GET", "/api/alerts?limit=501", nil, "limit"},
	} {
		resp := inst.Do(t, apptest.Req{Method: c.method, Path: c.path, Body: c.body, Client: owner})
		m := map[string]any{}
		resp.JSON(t, &m)
		if resp.StatusCode != 400 || m["error"] != "invalid" || m["field"] != c.field {
			t.Errorf("%s %s %v: %d %v, want 400 on %s", c.method, c.path, c.body, resp.StatusCode, m, c.field)
		}
	}
}
