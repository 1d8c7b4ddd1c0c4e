package api_test

import (
	"context"
	"strings"
	"testing"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/apptest"
)

func TestReportingRulesValidation(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db)
		tok := inst.MustRoleToken(t, tc.RoleAdministrator)
		long := strings.Repeat("é", 256)
		cases := []struct {
			name  string
			body  any
			field string
		}{
			{"missing threshold", map[string]any{"name": "x"}, "notReportingAfterSeconds"},
			{"zero threshold", map[string]any{"name": "x", "notReportingAfterSeconds": 0}, "notReportingAfterSeconds"},
			{"negative threshold", map[string]any{"name": "x", "notReportingAfterSeconds": -5}, "notReportingAfterSeconds"},
			{"string threshold", map[string]any{"name": "x", "notReportingAfterSeconds": "60"}, "notReportingAfterSeconds"},
			{"blank name", map[string]any{"name": "  ", "notReportingAfterSeconds": 60}, "name"},
			{"no name", map[string]any{"notReportingAfterSeconds": 60}, "name"},
			{"long description", map[string]any{"name": "x", "description": long, "notReportingAfterSeconds": 60}, "description"},
			{"zero auto-delete", map[string]any{"name": "x", "notReportingAfterSeconds": 60, "autoDeleteAfterSeconds": 0}, "autoDeleteAfterSeconds"},
			{"text auto-delete", map[string]any{"name": "x", "notReportingAfterSeconds": 60, "autoDeleteAfterSeconds": "1h"}, "autoDeleteAfterSeconds"},
			{"unknown field", map[string]any{"name": "x", "notReportingAfterSeconds": 60, "color": "red"}, "color"},
		}
		for _, c := range cases {
			r := apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/reporting-rules", Body: c.body, Token: tok}), 400)
			if m := r.Map(t); m["error"] != "invalid" || m["field"] != c.field {
				t.Errorf("%s: body = %s, want invalid naming %s", c.name, r.Body, c.field)
			}
		}
		// 255 characters of description are fine; the name is unique regardless of case.
		ok := map[string]any{"name": "Edge", "description": strings.Repeat("é", 255), "notReportingAfterSeconds": 1}
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/reporting-rules", Body: ok, Token: tok}), 201)
		ok["name"] = "EDGE"
		r := apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/reporting-rules", Body: ok, Token: tok}), 409)
		if m := r.Map(t); m["field"] != "name" {
			t.Errorf("duplicate name: body = %s", r.Body)
		}
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/reporting-rules/nope", Token: tok}), 404)
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "PATCH", Path: "/api/reporting-rules/nope", Body: map[string]any{}, Token: tok}), 404)
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "DELETE", Path: "/api/reporting-rules/nope", Token: tok}), 404)
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/reporting-rules/nope/make-default", Token: tok}), 404)
	})
}

func TestReportingRulesDefaultAndDelete(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db)
		ctx := context.Background()
		tok := inst.MustRoleToken(t, tc.RoleManager)

		// The default rule exists from the first start.
		var list struct{ Items []tc.ReportingRule }
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/reporting-rules", Token: tok}), 200).JSON(t, &list)
		if len(list.Items) != 1 || list.Items[0].ID != tc.DefaultReportingRuleID || !list.Items[0].IsDefault ||
			list.Items[0].NotReportingAfterSeconds != 180 || list.Items[0].AutoDeleteAfterSeconds != nil {
			t.Fatalf("initial rules = %+v, want the default rule of 180 s", list.Items)
		}

		var fast tc.ReportingRule
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/reporting-rules", Token: tok,
			Body: map[string]any{"name": "Fast", "notReportingAfterSeconds": 30, "autoDeleteAfterSeconds": 3600}}), 201).JSON(t, &fast)
		if fast.IsDefault || *fast.AutoDeleteAfterSeconds != 3600 || fast.CreatedAt != inst.Clock.Now().UTC() {
			t.Fatalf("created = %+v", fast)
		}
		if err := inst.Store.InsertAgents(ctx, []*tc.Agent{{ID: "a1", ReportingRuleID: fast.ID}, {ID: "a2", ReportingRuleID: fast.ID}, {ID: "a3"}}); err != nil {
			t.Fatal(err)
		}

		// PATCH changes given fields only; null turns auto-delete off.
		var got tc.ReportingRule
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "PATCH", Path: "/api/reporting-rules/" + fast.ID, Token: tok,
			Body: `{"description": "quick", "autoDeleteAfterSeconds": null}`}), 200).JSON(t, &got)
		if got.Name != "Fast" || got.Description != "quick" || got.NotReportingAfterSeconds != 30 || got.AutoDeleteAfterSeconds != nil || got.AgentCount != 2 {
			t.Fatalf("patched = %+v", got)
		}

		// The default cannot be switched off or deleted.
		r := apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "PATCH", Path: "/api/reporting-rules/" + tc.DefaultReportingRuleID, Token: tok,
			Body: map[string]any{"isDefault": false}}), 400)
		if m := r.Map(t); m["field"] != "isDefault" {
			t.Errorf("unset default: %s", r.Body)
		}
		r = apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "DELETE", Path: "/api/reporting-rules/" + tc.DefaultReportingRuleID, Token: tok}), 409)
		if m := r.Map(t); !strings.Contains(m["message"].(string), "default") {
			t.Errorf("delete default: %s", r.Body)
		}

		// make-default moves the flag: exactly one default at every step.
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/reporting-rules/" + fast.ID + "/make-default", Token: tok}), 200).JSON(t, &got)
		if !got.IsDefault {
			t.Fatalf("make-default = %+v", got)
		}
		assertOneDefault(t, inst, tok, fast.ID)
		// A new rule created as default takes the flag too.
		var slow tc.ReportingRule
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/reporting-rules", Token: tok,
			Body: map[string]any{"name": "Slow", "notReportingAfterSeconds": 600, "isDefault": true}}), 201).JSON(t, &slow)
		assertOneDefault(t, inst, tok, slow.ID)
		// PATCH isDefault: true moves it back.
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "PATCH", Path: "/api/reporting-rules/" + tc.DefaultReportingRuleID, Token: tok,
			Body: map[string]any{"isDefault": true}}), 200)
		assertOneDefault(t, inst, tok, tc.DefaultReportingRuleID)

		// Deleting a rule moves its agents to the current default.
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/reporting-rules/" + slow.ID + "/make-default", Token: tok}), 200)
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "DELETE", Path: "/api/reporting-rules/" + fast.ID, Token: tok}), 204)
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/reporting-rules/" + fast.ID, Token: tok}), 404)
		for _, id := range []string{"a1", "a2"} {
			a, err := inst.Store.Agent(ctx, id)
			if err != nil || a.ReportingRuleID != slow.ID {
				t.Errorf("agent %s after its rule was deleted: rule = %v, err = %v; want the default %s", id, a, err, slow.ID)
			}
		}
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/reporting-rules/" + slow.ID, Token: tok}), 200).JSON(t, &got)
		if got.AgentCount != 2 {
			t.Errorf("agentCount of the new default = %d, want 2", got.AgentCount)
		}
	})
}

func assertOneDefault(t *testing.T, inst *apptest.Instance, tok, want string) {
	t.Helper()
	var list struct{ Items []tc.ReportingRule }
	apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/reporting-rules", Token: tok}), 200).JSON(t, &list)
	var defaults []string
	for _, r := range list.Items {
		if r.IsDefault {
			defaults = append(defaults, r.ID)
		}
	}
	if len(defaults) != 1 || defaults[0] != want || list.Items[0].ID != want {
		t.Fatalf("defaults = %v, want exactly [%s] listed first", defaults, want)
	}
}

func TestReportingRulesPermissions(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db)
		viewer := inst.MustRoleToken(t, tc.RoleViewer)
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/reporting-rules", Token: viewer}), 200)
		r := apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/reporting-rules", Token: viewer,
			Body: map[string]any{"name": "x", "notReportingAfterSeconds": 5}}), 403)
		if m := r.Map(t); m["message"] != "Insufficient permissions: reporting-rules:write required" {
			t.Errorf("viewer create: %s", r.Body)
		}
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/reporting-rules"}), 401)
		readOnly := inst.MustToken(t, inst.MustUser(t, tc.RoleAdministrator), "reporting-rules:read", "reporting-rules:write")
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "DELETE", Path: "/api/reporting-rules/x", Token: readOnly}), 403)
	})
}
