package app_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/apptest"
)

// TestConflictingWritesNever500 races writes that contend for the same
// rows (one name, one object patched and deleted at once, versions rolled
// back while pruned): every answer is a success or a 4xx, never a 5xx.
func TestConflictingWritesNever500(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db)
		tok := inst.MustToken(t, inst.MustOwner(t))
		do := func(method, path string, body any) *apptest.Response {
			return inst.Do(t, apptest.Req{Method: method, Path: path, Body: body, Token: tok})
		}
		create := func(path string, body any) string {
			return apptest.MustStatus(t, do("POST", path, body), 201).Map(t)["id"].(string)
		}
		const n = 8
		race := func(name string, reqs ...func() *apptest.Response) {
			t.Helper()
			var wg sync.WaitGroup
			results := make([]*apptest.Response, len(reqs))
			for i, req := range reqs {
				wg.Go(func() { results[i] = req() })
			}
			wg.Wait()
			for _, r := range results {
				if r.StatusCode >= 500 {
					t.Errorf("%s: %s %s: status = %d; body: %s", name, r.Request.Method, r.Request.URL.Path, r.StatusCode, r.Body)
				}
			}
		}
		times := func(k int, f func(i int) *apptest.Response) []func() *apptest.Response {
			out := make([]func() *apptest.Response, k)
			for i := range out {
				out[i] = func() *apptest.Response { return f(i) }
			}
			return out
		}
		for round := range 3 {
			same := fmt.Sprintf("same-%d", round)
			race("one label name", times(n, func(int) *apptest.Response {
				return do("POST", "/api/labels", map[string]any{"name": same, "color": "#123456"})
			})...)
			race("one config name", times(n, func(int) *apptest.Response {
				return do("POST", "/api/configs", map[string]any{"name": same, "toml": "[agent]\n"})
			})...)
			race("one constant name", times(n, func(int) *apptest.Response {
				return do("POST", "/api/constants", map[string]any{"name": strings.ReplaceAll(same, "-", "_"), "value": "v"})
			})...)
			race("one rule name", times(n, func(int) *apptest.Response {
				return do("POST", "/api/reporting-rules", map[string]any{"name": same, "notReportingAfterSeconds": 60})
			})...)

			cfg := create("/api/configs", map[string]any{"name": uniq("race-"), "toml": "[agent]\n"})
			for v := range 4 {
				apptest.MustStatus(t, do("PATCH", "/api/configs/"+cfg, map[string]any{"toml": fmt.Sprintf("[agent]\n  interval = \"%ds\"\n", v+1)}), 200)
			}
			base := "/api/configs/" + cfg
			race("one config", append(times(n, func(i int) *apptest.Response {
				switch i % 6 {
				case 0:
					return do("PATCH", base, map[string]any{"toml": fmt.Sprintf("[agent]\n  interval = \"%ds\"\n", 10+i)})
				case 1:
					return do("POST", base+"/versions/2/rollback", nil)
				case 2:
					return do("DELETE", base+"/versions/1", nil)
				case 3:
					return do("POST", base+"/versions/prune", map[string]any{"beforeVersion": 4})
				case 4:
					return do("PATCH", base, map[string]any{"name": same + "-renamed"})
				default:
					return do("GET", base+"/toml", nil)
				}
			}), func() *apptest.Response { return do("DELETE", base, nil) })...)

			ids := make([]string, 4)
			for i := range ids {
				ids[i] = create("/api/configs", map[string]any{"name": uniq("bulk-"), "toml": "[agent]\n"})
			}
			race("overlapping bulk deletes", times(n, func(i int) *apptest.Response {
				return do("POST", "/api/configs/bulk-delete", map[string]any{"ids": []string{ids[i%4], ids[(i+1)%4]}})
			})...)

			agents := make([]*tc.Agent, 4)
			agentIDs := make([]string, 4)
			for i := range agents {
				agents[i] = &tc.Agent{ID: uniq("race-agent-"), Hostname: "h", Status: tc.AgentOK, LastSeen: inst.Clock.Now()}
				agentIDs[i] = agents[i].ID
			}
			if err := inst.Store.InsertAgents(context.Background(), agents); err != nil {
				t.Fatal(err)
			}
			race("overlapping agent bulk actions", times(n, func(i int) *apptest.Response {
				pair := []string{agentIDs[i%4], agentIDs[(i+1)%4]}
				if i%2 == 1 {
					pair = []string{pair[1], pair[0]}
				}
				if i%3 == 0 {
					return do("POST", "/api/agents/bulk", map[string]any{"action": "delete", "ids": pair})
				}
				return do("POST", "/api/agents/bulk", map[string]any{"action": "assign-rule", "ids": pair, "reportingRuleId": tc.DefaultReportingRuleID})
			})...)

			tokenIDs := make([]string, 4)
			for i := range tokenIDs {
				tokenIDs[i] = apptest.MustStatus(t, do("POST", "/api/tokens", map[string]any{"description": "bulk", "preset": "read-only"}), 201).Map(t)["id"].(string)
			}
			race("overlapping token bulk actions", times(n, func(i int) *apptest.Response {
				pair := []string{tokenIDs[i%4], tokenIDs[(i+1)%4]}
				if i%2 == 1 {
					pair = []string{pair[1], pair[0]}
				}
				action := []string{"revoke", "delete"}[i%2]
				return do("POST", "/api/tokens/bulk", map[string]any{"action": action, "ids": pair})
			})...)

			// Deletes racing the links that point at what they delete.
			lnk := create("/api/labels", map[string]any{"name": uniq("lnk-"), "color": "#123456"})
			rl := create("/api/reporting-rules", map[string]any{"name": uniq("lnk-rule-"), "notReportingAfterSeconds": 60})
			linkCfg := create("/api/configs", map[string]any{"name": uniq("lnk-cfg-"), "toml": "[agent]\n"})
			linkAgent := &tc.Agent{ID: uniq("lnk-agent-"), Hostname: "h", Status: tc.AgentOK, LastSeen: inst.Clock.Now()}
			if err := inst.Store.InsertAgents(context.Background(), []*tc.Agent{linkAgent}); err != nil {
				t.Fatal(err)
			}
			race("deletes against links", times(2*n, func(i int) *apptest.Response {
				switch i % 8 {
				case 0:
					return do("DELETE", "/api/labels/"+lnk, nil)
				case 1:
					return do("PATCH", "/api/configs/"+linkCfg, map[string]any{"labelIds": []string{lnk}})
				case 2:
					return do("POST", "/api/agents/bulk", map[string]any{"action": "add-label", "ids": []string{linkAgent.ID}, "labelId": lnk})
				case 3:
					return do("PATCH", "/api/agents/"+linkAgent.ID, map[string]any{"labelIds": []string{lnk}, "reportingRuleId": rl})
				case 4:
					return do("DELETE", "/api/reporting-rules/"+rl, nil)
				case 5:
					return do("POST", "/api/agents/bulk", map[string]any{"action": "assign-rule", "ids": []string{linkAgent.ID}, "reportingRuleId": rl})
				case 6:
					return do("DELETE", "/api/agents/"+linkAgent.ID, nil)
				default:
					return do("DELETE", "/api/configs/"+linkCfg, nil)
				}
			})...)

			label := create("/api/labels", map[string]any{"name": uniq("lab-"), "color": "#123456"})
			race("one label", times(n, func(i int) *apptest.Response {
				if i%2 == 0 {
					return do("DELETE", "/api/labels/"+label, nil)
				}
				return do("PATCH", "/api/labels/"+label, map[string]any{"name": fmt.Sprintf("lab-%d-%d", round, i)})
			})...)

			rules := make([]string, n)
			for i := range rules {
				rules[i] = create("/api/reporting-rules", map[string]any{"name": uniq("rule-"), "notReportingAfterSeconds": 60})
			}
			race("rules made default and deleted", times(n, func(i int) *apptest.Response {
				if i%3 == 2 {
					return do("DELETE", "/api/reporting-rules/"+rules[i-1], nil)
				}
				return do("POST", "/api/reporting-rules/"+rules[i]+"/make-default", nil)
			})...)

			user := inst.MustUser(t, tc.RoleViewer)
			race("one user", times(n, func(i int) *apptest.Response {
				switch i % 3 {
				case 0:
					return do("DELETE", "/api/users/"+user.ID, nil)
				case 1:
					return do("PATCH", "/api/users/"+user.ID, map[string]any{"role": "manager"})
				default:
					return do("POST", "/api/users/"+user.ID+"/password-reset", map[string]any{})
				}
			})...)

			tokenBody := apptest.MustStatus(t, do("POST", "/api/tokens", map[string]any{"description": "race", "preset": "read-only"}), 201).Map(t)
			tid := tokenBody["id"].(string)
			race("one token", times(n, func(i int) *apptest.Response {
				switch i % 3 {
				case 0:
					return do("DELETE", "/api/tokens/"+tid, nil)
				case 1:
					return do("POST", "/api/tokens/"+tid+"/revoke", nil)
				default:
					return do("POST", "/api/tokens/"+tid+"/reassign", map[string]any{"userId": user.ID})
				}
			})...)
		}
		if logs := inst.Logs.String(); strings.Contains(logs, "panic serving request") || strings.Contains(logs, "request failed") {
			t.Errorf("server logged failures:\n%s", grepLines(logs, "panic serving request", "request failed"))
		}
	})
}
