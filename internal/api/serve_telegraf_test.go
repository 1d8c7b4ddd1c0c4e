package api_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/apptest"
)

// TestTelegrafWhatEachAgentRuns runs two real Telegraf agents on one config,
// each on its own URL (agent_id and region parameters; one with a secret
// parameter): "watcher" with --config-url-watch-interval 1s, "static"
// without. Both are current at version 1 with the parameters they were
// served. After an edit, the watcher reloads and is current at version 2;
// static, once its grace has passed (the controller's clock is moved past
// it), is stale because it is not watching. The list filter, the per
// version counts and the summary agree.
func TestTelegrafWhatEachAgentRuns(t *testing.T) {
	apptest.RequireTelegraf(t)
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db)
		mgr := inst.MustRoleToken(t, tc.RoleManager)
		agentToken := inst.MustToken(t, inst.MustUser(t, tc.RoleManager), "configs:read", "heartbeat:write")
		tmpl := func(stage string) string {
			return "[agent]\n  interval = \"1s\"\n  flush_interval = \"1s\"\n\n" +
				"[global_tags]\n  region = \"&{region}\"\n  stage = \"" + stage + "\"\n\n" +
				"[[inputs.mem]]\n  fieldinclude = [\"total\"]\n\n" +
				"[[outputs.heartbeat]]\n  url = \"" + inst.HeartbeatURL + "/agents/heartbeat\"\n  instance_id = \"&{agent_id}\"\n" +
				"  token = \"${TC_AGENT_TOKEN}\"\n  interval = \"1s\"\n" +
				"  include = [\"hostname\", \"statistics\", \"configs\", \"logs\", \"status\"]\n"
		}
		c := mustConfig(t, inst, mgr, map[string]any{"name": "runs e2e", "toml": tmpl("one")})
		base := inst.URL + "/api/configs/" + c.ID + "/toml"
		watcher := apptest.StartTelegraf(t, []string{"--config", base + "?agent_id=watcher&region=eu&api_key=k-123",
			"--config-url-watch-interval", "1s"}, "TELEGRAF_CONTROLLER_TOKEN="+agentToken, "TC_AGENT_TOKEN="+agentToken)
		static := apptest.StartTelegraf(t, []string{"--config", base + "?agent_id=static&region=us"},
			"TELEGRAF_CONTROLLER_TOKEN="+agentToken, "TC_AGENT_TOKEN="+agentToken)

		run := func(id string) (tc.AgentConfigRun, bool) {
			for _, a := range []*apptest.Telegraf{watcher, static} {
				if a.Exited() {
					t.Fatalf("telegraf exited:\n%s", a.Output)
				}
			}
			r := inst.Do(t, apptest.Req{Method: "GET", Path: "/api/agents/" + id, Token: mgr})
			if r.StatusCode != 200 {
				return tc.AgentConfigRun{}, false
			}
			var d tc.AgentDetail
			r.JSON(t, &d)
			if len(d.Runs) != 1 {
				return tc.AgentConfigRun{}, false
			}
			return d.Runs[0], true
		}
		wantParams := map[string][]tc.ServeParam{
			"watcher": {{Name: "agent_id", Value: "watcher"}, {Name: "api_key", Value: tc.MaskedValue, Masked: true}, {Name: "region", Value: "eu"}},
			"static":  {{Name: "agent_id", Value: "static"}, {Name: "region", Value: "us"}},
		}
		for _, id := range []string{"watcher", "static"} {
			var r tc.AgentConfigRun
			apptest.Eventually(t, 60*time.Second, id+" current at version 1", func() bool {
				var ok bool
				r, ok = run(id)
				return ok && r.State == tc.ConfigCurrent
			})
			if r.Version != 1 || r.FetchedAt == nil || !reflect.DeepEqual(r.Params, wantParams[id]) {
				t.Errorf("%s at version 1: %+v", id, r)
			}
		}
		// The watcher's baseline is its first HEAD: edit after it.
		apptest.Eventually(t, 30*time.Second, "the watcher's first HEAD", func() bool {
			return strings.Contains(inst.Logs.String(), headLine)
		})
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "PATCH", Path: "/api/configs/" + c.ID, Token: mgr,
			Body: map[string]any{"toml": tmpl("two"), "changeNote": "stage two"}}), 200)
		// The clock is frozen: move it past the grace, so that an agent
		// that has not fetched the new version counts as stale.
		inst.Clock.Advance(tc.ConfigStaleGrace + time.Second)

		var w, s tc.AgentConfigRun
		apptest.Eventually(t, 60*time.Second, "the watcher current at version 2", func() bool {
			var ok bool
			w, ok = run("watcher")
			return ok && w.State == tc.ConfigCurrent && w.Version == 2
		})
		if !reflect.DeepEqual(w.Params, wantParams["watcher"]) || w.CurrentVersion != 2 {
			t.Errorf("watcher at version 2: %+v", w)
		}
		apptest.Eventually(t, 30*time.Second, "static stale, not watching", func() bool {
			var ok bool
			s, ok = run("static")
			return ok && s.State == tc.ConfigStale
		})
		if s.StaleReason != tc.StaleNotWatching || !s.Stale || s.Version != 1 || s.CurrentVersion != 2 || s.Watching ||
			!reflect.DeepEqual(s.Params, wantParams["static"]) {
			t.Errorf("static after the edit: %+v", s)
		}

		var list agentList
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/agents?configState=stale", Token: mgr}), 200).JSON(t, &list)
		if list.Total != 1 || list.Items[0].ID != "static" {
			t.Errorf("stale agents: %+v", list)
		}
		var counts struct{ Items []tc.ConfigVersionCount }
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/configs/" + c.ID + "/agent-versions", Token: mgr}), 200).JSON(t, &counts)
		if want := []tc.ConfigVersionCount{{Version: 2, Agents: 1, Current: 1}, {Version: 1, Agents: 1}}; !reflect.DeepEqual(counts.Items, want) {
			t.Errorf("agents per version %+v, want %+v", counts.Items, want)
		}
		var sum tc.AgentSummary
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/agents/summary", Token: mgr}), 200).JSON(t, &sum)
		if sum.Stale != 1 {
			t.Errorf("summary counts %d stale agents, want 1", sum.Stale)
		}
		if strings.Contains(inst.Logs.String(), "k-123") {
			t.Errorf("the secret parameter's value reached the logs")
		}
	})
}
