package api_test

import (
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/apptest"
)

// TestTelegrafFollowsGroupAlias runs a real Telegraf agent on the short URL
// of a group's alias, watching it every second: it loads the group's
// members as one config, reloads when a member changes, and reloads again
// when the alias is transferred to a single config. Its heartbeats name
// the short URL: after each reload its run is the alias's target, current
// at the target's revision (the group's with each member's version, then
// the config's).
func TestTelegrafFollowsGroupAlias(t *testing.T) {
	apptest.RequireTelegraf(t)
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db)
		mgr := inst.MustRoleToken(t, tc.RoleManager)
		reader := inst.MustToken(t, inst.MustUser(t, tc.RoleManager), "configs:read", "config-groups:read", "heartbeat:write")

		base := func(stage string) string {
			return "[agent]\n  interval = \"1s\"\n  flush_interval = \"1s\"\n  omit_hostname = true\n\n" +
				"[global_tags]\n  stage = \"" + stage + "\"\n\n" +
				"[[outputs.file]]\n  files = [\"&{out}\"]\n  data_format = \"influx\"\n\n" +
				"[[outputs.heartbeat]]\n  url = \"" + inst.HeartbeatURL + "/agents/heartbeat\"\n  instance_id = \"grouped\"\n" +
				"  token = \"${TC_AGENT_TOKEN}\"\n  interval = \"1s\"\n  include = [\"configs\", \"status\"]\n"
		}
		mem := func(member string) string {
			return "[[inputs.mem]]\n  fieldinclude = [\"total\"]\n  [inputs.mem.tags]\n    member = \"" + member + "\"\n"
		}
		a := mustConfig(t, inst, mgr, map[string]any{"name": "agent-and-output", "toml": base("group")})
		b := mustConfig(t, inst, mgr, map[string]any{"name": "memory", "toml": mem("b1")})
		single := mustConfig(t, inst, mgr, map[string]any{"name": "single", "toml": base("single") + "\n" + mem("single")})
		g := mustGroup(t, inst, mgr, map[string]any{"name": "fleet", "memberIds": []string{a.ID, b.ID}})
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/config-groups/" + g.ID + "/aliases", Token: mgr,
			Body: map[string]any{"alias": "fleet"}}), 201)

		out := filepath.Join(t.TempDir(), "metrics.out")
		u := inst.URL + "/c/fleet?" + url.Values{"out": {out}}.Encode()
		agent := apptest.StartTelegraf(t, []string{"--config", u, "--config-url-watch-interval", "1s"}, "TELEGRAF_CONTROLLER_TOKEN="+reader, "TC_AGENT_TOKEN="+reader)

		wait := func(what, want string) {
			t.Helper()
			start := time.Now()
			apptest.Eventually(t, 30*time.Second, what, func() bool {
				if agent.Exited() {
					t.Fatalf("telegraf exited:\n%s", agent.Output)
				}
				b, _ := os.ReadFile(out)
				return strings.Contains(string(b), want)
			})
			t.Logf("%s after %v", what, time.Since(start).Round(10*time.Millisecond))
		}
		const headLine = `method=HEAD route="GET /c/{alias}" status=200`
		heads := func() int { return strings.Count(inst.Logs.String(), headLine) }
		// The watcher's baseline is its first HEAD after a (re)load: wait
		// for one more before each change, or the change could be missed.
		nextHead := func() {
			t.Helper()
			n := heads()
			apptest.Eventually(t, 30*time.Second, "the watcher's next HEAD", func() bool { return heads() > n })
		}

		wait("metrics of the group", "member=b1,stage=group")
		nextHead()
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "PATCH", Path: "/api/configs/" + b.ID, Token: mgr,
			Body: map[string]any{"toml": mem("b2")}}), 200)
		wait("metrics after a member changed", "member=b2,stage=group")
		var cur tc.ConfigGroup
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/config-groups/" + g.ID, Token: mgr}), 200).JSON(t, &cur)
		r := currentRun(t, inst, mgr, agent, g.ID, cur.RevisionAt)
		if r.Kind != tc.ServeGroup || r.GroupName != "fleet" || r.Alias != "fleet" || len(r.Members) != 2 ||
			r.Members[0].ConfigID != a.ID || r.Members[1].ConfigID != b.ID || r.Members[1].Version != 2 || r.Members[1].CurrentVersion != 2 {
			t.Errorf("the group's run after the member changed: %+v", r)
		}
		nextHead()
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/configs/" + single.ID + "/aliases", Token: mgr,
			Body: map[string]any{"alias": "fleet", "transfer": true}}), 200)
		wait("metrics after the alias moved to a config", "member=single,stage=single")
		var sc tc.Config
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/configs/" + single.ID, Token: mgr}), 200).JSON(t, &sc)
		if r := currentRun(t, inst, mgr, agent, single.ID, sc.RevisionAt); r.Kind != tc.ServeConfig || r.Alias != "fleet" || r.Version != 1 {
			t.Errorf("the config's run after the transfer: %+v", r)
		}
		if n := strings.Count(agent.Output.String(), "Remote config modified"); n != 2 {
			t.Errorf("agent reloaded %d times for two changes:\n%s", n, agent.Output)
		}
	})
}

// currentRun polls agent "grouped" until it has a run of the config or
// group sid, current at revision, and returns it.
func currentRun(t *testing.T, inst *apptest.Instance, token string, agent *apptest.Telegraf, sid string, revision time.Time) tc.AgentConfigRun {
	t.Helper()
	var run tc.AgentConfigRun
	start := time.Now()
	apptest.Eventually(t, 60*time.Second, "the run of "+sid+" current", func() bool {
		if agent.Exited() {
			t.Fatalf("telegraf exited:\n%s", agent.Output)
		}
		r := inst.Do(t, apptest.Req{Method: "GET", Path: "/api/agents/grouped", Token: token})
		if r.StatusCode != 200 {
			return false
		}
		var d tc.AgentDetail
		r.JSON(t, &d)
		for _, x := range d.Runs {
			if x.SourceID() == sid && x.State == tc.ConfigCurrent && x.LastModified != nil && x.LastModified.Equal(revision) {
				run = x
				return true
			}
		}
		return false
	})
	t.Logf("run of %s current after %v", sid, time.Since(start).Round(10*time.Millisecond))
	return run
}
