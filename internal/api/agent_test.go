package api_test

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/apptest"
)

// mustLabel inserts a label directly (the labels API is another resource's).
func mustLabel(t *testing.T, inst *apptest.Instance, id, name string) {
	t.Helper()
	if _, err := inst.Store.WithTxExec(context.Background(), `INSERT INTO labels (id, name, color, created_at, updated_at)
		VALUES ($1, $2, '#123456', 0, 0)`, id, name); err != nil {
		t.Fatal(err)
	}
}

// mustRule creates a reporting rule through the store.
func mustRule(t *testing.T, inst *apptest.Instance, name string, notReporting int64, autoDelete *int64) *tc.ReportingRule {
	t.Helper()
	r := &tc.ReportingRule{Name: name, NotReportingAfterSeconds: notReporting, AutoDeleteAfterSeconds: autoDelete}
	if err := inst.Store.CreateReportingRule(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	return r
}

// fleet seeds a small fleet whose attributes vary with the index.
func fleet(t *testing.T, inst *apptest.Instance, ruleID string) []*tc.Agent {
	t.Helper()
	mustLabel(t, inst, "lab-a", "A")
	mustLabel(t, inst, "lab-b", "B")
	statuses := []string{tc.AgentOK, tc.AgentWarn, tc.AgentFail, tc.AgentUndefined, tc.AgentNotReporting}
	base := inst.Clock.Now()
	var agents []*tc.Agent
	for i := range 30 {
		a := &tc.Agent{
			ID:       fmt.Sprintf("agent-%02d", i),
			Hostname: fmt.Sprintf("Host-%02d.example", (i*7)%30),
			IP:       fmt.Sprintf("10.0.%d.%d", i%3, i),
			Version:  "Telegraf 1.39.3",
			Status:   statuses[i%5],
			LastSeen: base.Add(-time.Duration((i*11)%30) * time.Second),
		}
		if i%3 == 0 {
			a.ReportingRuleID = ruleID
		}
		if i%2 == 0 {
			a.LabelIDs = []string{"lab-a"}
		}
		if i%10 == 0 {
			a.LabelIDs = append(a.LabelIDs, "lab-b")
			a.ConfigIDs = []string{"cfg-1"}
		}
		agents = append(agents, a)
	}
	if err := inst.Store.InsertAgents(context.Background(), agents); err != nil {
		t.Fatal(err)
	}
	return agents
}

type agentList struct {
	Items      []tc.Agent
	Total      int64
	TotalExact bool
}

func TestAgentsListFiltersSortsAndPages(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db)
		tok := inst.MustRoleToken(t, tc.RoleViewer)
		rule := mustRule(t, inst, "Other", 60, nil)
		agents := fleet(t, inst, rule.ID)

		// want computes the expected ids with the same filter in Go.
		want := func(keep func(a *tc.Agent) bool, less func(a, b *tc.Agent) int) []string {
			var out []*tc.Agent
			for _, a := range agents {
				if keep(a) {
					out = append(out, a)
				}
			}
			if less != nil {
				slices.SortFunc(out, less)
			}
			ids := []string{}
			for _, a := range out {
				ids = append(ids, a.ID)
			}
			return ids
		}
		all := func(*tc.Agent) bool { return true }
		byID := func(a, b *tc.Agent) int { return strings.Compare(a.ID, b.ID) }
		then := func(c int, a, b *tc.Agent) int {
			if c != 0 {
				return c
			}
			return byID(a, b)
		}
		reverse := func(ids []string) []string { slices.Reverse(ids); return ids }
		first := func(ids []string, n int) []string { return ids[:min(n, len(ids))] }

		cases := []struct {
			query string
			ids   []string
			total int
		}{
			{"", first(want(all, byID), 25), 30},
			{"page=2", want(all, byID)[25:], 30},
			{"page=3", []string{}, 30},
			{"limit=5&page=2", want(all, byID)[5:10], 30},
			{"sortOrder=desc&limit=30", reverse(want(all, byID)), 30},
			{"sortBy=hostname&limit=30", want(all, func(a, b *tc.Agent) int { return then(strings.Compare(a.Hostname, b.Hostname), a, b) }), 30},
			{"sortBy=lastSeen&limit=30", want(all, func(a, b *tc.Agent) int { return then(a.LastSeen.Compare(b.LastSeen), a, b) }), 30},
			{"sortBy=lastSeen&sortOrder=desc&limit=30", reverse(want(all, func(a, b *tc.Agent) int { return then(a.LastSeen.Compare(b.LastSeen), a, b) })), 30},
			{"sortBy=status&limit=30", want(all, func(a, b *tc.Agent) int { return then(strings.Compare(a.Status, b.Status), a, b) }), 30},
			{"status=warn", want(func(a *tc.Agent) bool { return a.Status == tc.AgentWarn }, byID), 6},
			{"status=not_reporting&sortBy=lastSeen", want(func(a *tc.Agent) bool { return a.Status == tc.AgentNotReporting },
				func(a, b *tc.Agent) int { return then(a.LastSeen.Compare(b.LastSeen), a, b) }), 6},
			{"reportingRuleId=" + rule.ID, want(func(a *tc.Agent) bool { return a.ReportingRuleID == rule.ID }, byID), 10},
			{"reportingRuleId=" + rule.ID + "&status=ok", want(func(a *tc.Agent) bool { return a.ReportingRuleID == rule.ID && a.Status == tc.AgentOK }, byID), 2},
			{"labelId=lab-a", want(func(a *tc.Agent) bool { return slices.Contains(a.LabelIDs, "lab-a") }, byID), 15},
			{"labelId=lab-b&sortOrder=desc", reverse(want(func(a *tc.Agent) bool { return slices.Contains(a.LabelIDs, "lab-b") }, byID)), 3},
			{"configId=cfg-1&status=ok", want(func(a *tc.Agent) bool { return len(a.ConfigIDs) > 0 && a.Status == tc.AgentOK }, byID), 3},
			{"configId=nope", []string{}, 0},
			{"search=HOST-0", want(func(a *tc.Agent) bool { return strings.HasPrefix(a.Hostname, "Host-0") }, byID), 10},
			{"search=10.0.2.", want(func(a *tc.Agent) bool { return strings.HasPrefix(a.IP, "10.0.2.") }, byID), 10},
			{"search=agent-1", want(func(a *tc.Agent) bool { return strings.HasPrefix(a.ID, "agent-1") }, byID), 10},
			{"search=" + url.QueryEscape("_"), []string{}, 0},
			{"search=" + url.QueryEscape("%"), []string{}, 0},
			{"search=host&labelId=lab-b&reportingRuleId=" + rule.ID, []string{"agent-00"}, 1},
		}
		for _, c := range cases {
			var got agentList
			apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/agents?" + c.query, Token: tok}), 200).JSON(t, &got)
			ids := []string{}
			for _, a := range got.Items {
				ids = append(ids, a.ID)
			}
			if !slices.Equal(ids, c.ids) || got.Total != int64(c.total) || !got.TotalExact {
				t.Errorf("GET /api/agents?%s:\n got %v total %d exact %v\nwant %v total %d exact true", c.query, ids, got.Total, got.TotalExact, c.ids, c.total)
			}
		}

		// Items carry their links.
		var got agentList
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/agents?limit=1", Token: tok}), 200).JSON(t, &got)
		if a := got.Items[0]; !slices.Equal(a.LabelIDs, []string{"lab-a", "lab-b"}) || !slices.Equal(a.ConfigIDs, []string{"cfg-1"}) ||
			a.Hostname != "Host-00.example" || a.Version != "Telegraf 1.39.3" || !a.LastSeen.Equal(inst.Clock.Now()) {
			t.Errorf("first item = %+v", a)
		}

		for _, bad := range []struct{ query, field string }{
			{"status=green", "status"}, {"sortBy=ip", "sortBy"}, {"sortOrder=up", "sortOrder"},
			{"page=0", "page"}, {"page=x", "page"}, {"limit=0", "limit"}, {"limit=501", "limit"},
			{"search=" + strings.Repeat("x", 256), "search"},
		} {
			r := apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/agents?" + bad.query, Token: tok}), 400)
			if m := r.Map(t); m["error"] != "invalid" || m["field"] != bad.field {
				t.Errorf("GET /api/agents?%s: %s, want invalid naming %s", bad.query, r.Body, bad.field)
			}
		}
	})
}

func TestAgentsSummaryFollowsEveryChange(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db)
		ctx := context.Background()
		tok := inst.MustRoleToken(t, tc.RoleManager)
		summary := func() tc.AgentSummary {
			var s tc.AgentSummary
			apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/agents/summary", Token: tok}), 200).JSON(t, &s)
			return s
		}
		if got := summary(); got != (tc.AgentSummary{}) {
			t.Fatalf("empty summary = %+v", got)
		}
		rule := mustRule(t, inst, "R", 60, nil)
		fleet(t, inst, rule.ID)
		if got, want := summary(), (tc.AgentSummary{Total: 30, OK: 6, Warn: 6, Fail: 6, Undefined: 6, NotReporting: 6}); got != want {
			t.Fatalf("summary = %+v, want %+v", got, want)
		}
		// Status changes, deletes and rule moves keep the counters right,
		// including after the scheduler compacts them.
		if _, err := inst.Store.WithTxExec(ctx, `UPDATE agents SET status = 'fail' WHERE status = 'ok'`); err != nil {
			t.Fatal(err)
		}
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "DELETE", Path: "/api/agents/agent-01", Token: tok}), 204) // a warn agent
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "DELETE", Path: "/api/reporting-rules/" + rule.ID, Token: tok}), 204)
		want := tc.AgentSummary{Total: 29, OK: 0, Warn: 5, Fail: 12, Undefined: 6, NotReporting: 6}
		if got := summary(); got != want {
			t.Fatalf("after changes: summary = %+v, want %+v", got, want)
		}
		// The tick restores the not_reporting agents, which were seen within
		// their rule's threshold, to their reported status (ok).
		if _, err := inst.Scheduler.Tick(ctx); err != nil {
			t.Fatal(err)
		}
		want.OK, want.NotReporting = 6, 0
		if got := summary(); got != want {
			t.Fatalf("after a tick: summary = %+v, want %+v", got, want)
		}
		var list agentList
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/agents?status=fail&reportingRuleId=" + tc.DefaultReportingRuleID, Token: tok}), 200).JSON(t, &list)
		if list.Total != 12 {
			t.Errorf("counted total of fail agents on the default rule = %d, want 12", list.Total)
		}
	})
}

func TestAgentDetailUpdateDelete(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db)
		ctx := context.Background()
		tok := inst.MustRoleToken(t, tc.RoleManager)
		mustLabel(t, inst, "lab-x", "Xray")
		mustLabel(t, inst, "lab-y", "yankee")
		rule := mustRule(t, inst, "Five minutes", 300, nil)
		cfg := &tc.Config{Name: "Base", TOML: "[agent]\n"}
		if err := inst.Store.CreateConfig(ctx, cfg, ""); err != nil {
			t.Fatal(err)
		}
		a := &tc.Agent{ID: "host-1", Hostname: "host-1", IP: "192.0.2.7", Version: "Telegraf 1.39.3",
			Stats:           tc.AgentStats{LastErrors: 1, LastMetrics: 20, TotalErrors: 3, TotalMetrics: 200},
			ConfigIDs:       []string{cfg.ID, "gone"},
			ExternalConfigs: []string{"/etc/telegraf/telegraf.conf"},
			LabelIDs:        []string{"lab-y"},
			Logs:            []tc.AgentLog{{Time: "2026-01-02T03:04:05Z", Level: "ERROR", Source: "inputs.cpu", Message: "boom"}},
		}
		if err := inst.Store.InsertAgents(ctx, []*tc.Agent{a}); err != nil {
			t.Fatal(err)
		}
		// Managed configs carry their names; a deleted config has none.
		want := []tc.ConfigRef{{ID: cfg.ID, Name: "Base"}, {ID: "gone"}}
		slices.SortFunc(want, func(a, b tc.ConfigRef) int { return strings.Compare(a.ID, b.ID) })
		var d tc.AgentDetail
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/agents/host-1", Token: tok}), 200).JSON(t, &d)
		if d.Hostname != "host-1" || d.IP != "192.0.2.7" || d.Stats != a.Stats || d.ReportingRule == nil || d.ReportingRule.ID != tc.DefaultReportingRuleID ||
			len(d.Labels) != 1 || d.Labels[0].Name != "yankee" || !slices.Equal(d.Configs, want) ||
			!slices.Equal(d.ExternalConfigs, a.ExternalConfigs) || len(d.Logs) != 1 || d.Logs[0].Message != "boom" {
			t.Fatalf("detail = %+v", d)
		}
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/agents/nope", Token: tok}), 404)

		// PATCH sets the rule and replaces the labels; both are optional.
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "PATCH", Path: "/api/agents/host-1", Token: tok,
			Body: map[string]any{"reportingRuleId": rule.ID, "labelIds": []string{"lab-x", "lab-y", "lab-x"}}}), 200).JSON(t, &d)
		if d.ReportingRuleID != rule.ID || d.ReportingRule.Name != "Five minutes" || len(d.Labels) != 2 || d.Labels[0].Name != "Xray" {
			t.Fatalf("patched = %+v", d)
		}
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "PATCH", Path: "/api/agents/host-1", Token: tok, Body: map[string]any{"labelIds": []string{}}}), 200).JSON(t, &d)
		if len(d.Labels) != 0 || d.ReportingRuleID != rule.ID {
			t.Fatalf("labels cleared = %+v", d)
		}
		for _, c := range []struct {
			body   string
			status int
			field  string
		}{
			{`{"reportingRuleId": "nope"}`, 400, "reportingRuleId"},
			{`{"reportingRuleId": ""}`, 400, "reportingRuleId"},
			{`{"labelIds": ["lab-x", "nope"]}`, 400, "labelIds"},
			{`{"labelIds": "lab-x"}`, 400, "labelIds"},
			{`{"status": "ok"}`, 400, "status"},
			{`{`, 400, ""},
		} {
			r := apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "PATCH", Path: "/api/agents/host-1", Token: tok, Body: c.body}), c.status)
			if m := r.Map(t); m["error"] != "invalid" || (c.field != "" && m["field"] != c.field) {
				t.Errorf("PATCH %s: %s, want invalid naming %q", c.body, r.Body, c.field)
			}
		}
		// A rejected PATCH changes nothing, not even half of it.
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "PATCH", Path: "/api/agents/host-1", Token: tok,
			Body: map[string]any{"reportingRuleId": tc.DefaultReportingRuleID, "labelIds": []string{"nope"}}}), 400)
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/agents/host-1", Token: tok}), 200).JSON(t, &d)
		if d.ReportingRuleID != rule.ID {
			t.Errorf("rejected PATCH moved the rule to %s", d.ReportingRuleID)
		}
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "PATCH", Path: "/api/agents/nope", Token: tok, Body: `{}`}), 404)

		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "DELETE", Path: "/api/agents/host-1", Token: tok}), 204)
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/agents/host-1", Token: tok}), 404)
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "DELETE", Path: "/api/agents/host-1", Token: tok}), 404)
		var n int
		if err := inst.Store.ReadDB().QueryRow(`SELECT (SELECT COUNT(*) FROM agent_logs) + (SELECT COUNT(*) FROM agent_configs) + (SELECT COUNT(*) FROM agent_labels)`).Scan(&n); err != nil || n != 0 {
			t.Errorf("rows left behind by the delete: %d (%v)", n, err)
		}
	})
}

func TestAgentsBulk(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db)
		ctx := context.Background()
		tok := inst.MustRoleToken(t, tc.RoleManager)
		mustLabel(t, inst, "lab", "L")
		rule := mustRule(t, inst, "R", 60, nil)
		if err := inst.Store.InsertAgents(ctx, []*tc.Agent{{ID: "a"}, {ID: "b"}, {ID: "c"}, {ID: "d"}}); err != nil {
			t.Fatal(err)
		}
		type result struct {
			ID, Error string
			OK        bool
		}
		bulk := func(body map[string]any) []result {
			t.Helper()
			var out struct {
				Results           []result
				Succeeded, Failed int
			}
			apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/agents/bulk", Token: tok, Body: body}), 200).JSON(t, &out)
			return out.Results
		}
		got := bulk(map[string]any{"action": "assign-rule", "ids": []string{"a", "b", "zz", "a"}, "reportingRuleId": rule.ID})
		want := []result{{ID: "a", OK: true}, {ID: "b", OK: true}, {ID: "zz", Error: "not_found"}}
		if !slices.Equal(got, want) {
			t.Errorf("assign-rule results = %+v, want %+v", got, want)
		}
		for id, rid := range map[string]string{"a": rule.ID, "b": rule.ID, "c": tc.DefaultReportingRuleID} {
			if d, _ := inst.Store.Agent(ctx, id); d.ReportingRuleID != rid {
				t.Errorf("agent %s rule = %s, want %s", id, d.ReportingRuleID, rid)
			}
		}
		got = bulk(map[string]any{"action": "add-label", "ids": []string{"a", "c", "zz"}, "labelId": "lab"})
		if want := []result{{ID: "a", OK: true}, {ID: "c", OK: true}, {ID: "zz", Error: "not_found"}}; !slices.Equal(got, want) {
			t.Errorf("add-label results = %+v", got)
		}
		bulk(map[string]any{"action": "add-label", "ids": []string{"a"}, "labelId": "lab"}) // again: no conflict
		var list agentList
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/agents?labelId=lab", Token: tok}), 200).JSON(t, &list)
		if list.Total != 2 {
			t.Errorf("labelled agents = %d, want 2", list.Total)
		}
		got = bulk(map[string]any{"action": "remove-label", "ids": []string{"a", "zz"}, "labelId": "lab"})
		if want := []result{{ID: "a", OK: true}, {ID: "zz", Error: "not_found"}}; !slices.Equal(got, want) {
			t.Errorf("remove-label results = %+v", got)
		}
		got = bulk(map[string]any{"action": "delete", "ids": []string{"b", "d", "zz"}})
		if want := []result{{ID: "b", OK: true}, {ID: "d", OK: true}, {ID: "zz", Error: "not_found"}}; !slices.Equal(got, want) {
			t.Errorf("delete results = %+v", got)
		}
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/agents", Token: tok}), 200).JSON(t, &list)
		if list.Total != 2 {
			t.Errorf("agents left = %d, want 2", list.Total)
		}

		tooMany := make([]string, 1001)
		for i := range tooMany {
			tooMany[i] = fmt.Sprint(i)
		}
		for _, c := range []struct {
			body  any
			field string
		}{
			{map[string]any{"ids": []string{"a"}}, "action"},
			{map[string]any{"action": "explode", "ids": []string{"a"}}, "action"},
			{map[string]any{"action": "delete"}, "ids"},
			{map[string]any{"action": "delete", "ids": tooMany}, "ids"},
			{map[string]any{"action": "assign-rule", "ids": []string{"a"}}, "reportingRuleId"},
			{map[string]any{"action": "assign-rule", "ids": []string{"a"}, "reportingRuleId": "nope"}, "reportingRuleId"},
			{map[string]any{"action": "add-label", "ids": []string{"a"}}, "labelId"},
			{map[string]any{"action": "remove-label", "ids": []string{"a"}, "labelId": "nope"}, "labelId"},
			{map[string]any{"action": "delete", "ids": "a"}, "ids"},
		} {
			r := apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/agents/bulk", Token: tok, Body: c.body}), 400)
			if m := r.Map(t); m["field"] != c.field {
				t.Errorf("bulk %v: %s, want invalid naming %s", c.body, r.Body, c.field)
			}
		}

		// Bulk delete needs agents:delete besides the route's agents:write.
		writer := inst.MustToken(t, inst.MustUser(t, tc.RoleAdministrator), "agents:read", "agents:write")
		r := apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/agents/bulk", Token: writer,
			Body: map[string]any{"action": "delete", "ids": []string{"a"}}}), 403)
		if m := r.Map(t); m["message"] != "Insufficient permissions: agents:delete required" {
			t.Errorf("bulk delete without agents:delete: %s", r.Body)
		}
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/agents/bulk", Token: writer,
			Body: map[string]any{"action": "add-label", "ids": []string{"a"}, "labelId": "lab"}}), 200)
	})
}

func TestAgentsPermissions(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db)
		if err := inst.Store.InsertAgents(context.Background(), []*tc.Agent{{ID: "a"}}); err != nil {
			t.Fatal(err)
		}
		viewer := inst.MustRoleToken(t, tc.RoleViewer)
		for _, c := range []struct {
			method, path string
			status       int
		}{
			{"GET", "/api/agents", 200},
			{"GET", "/api/agents/summary", 200},
			{"GET", "/api/agents/a", 200},
			{"PATCH", "/api/agents/a", 403},
			{"DELETE", "/api/agents/a", 403},
			{"POST", "/api/agents/bulk", 403},
		} {
			var body any
			if c.method != "GET" && c.method != "DELETE" {
				body = map[string]any{}
			}
			apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: c.method, Path: c.path, Token: viewer, Body: body}), c.status)
			apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: c.method, Path: c.path, Body: body}), 401)
		}
		// --disable-auth-endpoints agents opens the group, bulk delete included.
		open := apptest.MustStart(t, db, apptest.WithArgs("--disable-auth-endpoints", "agents"))
		if err := open.Store.InsertAgents(context.Background(), []*tc.Agent{{ID: "a"}}); err != nil {
			t.Fatal(err)
		}
		apptest.MustStatus(t, open.Do(t, apptest.Req{Method: "GET", Path: "/api/agents"}), 200)
		apptest.MustStatus(t, open.Do(t, apptest.Req{Method: "POST", Path: "/api/agents/bulk", Body: map[string]any{"action": "delete", "ids": []string{"a"}}}), 200)
	})
}
