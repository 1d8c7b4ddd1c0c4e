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
// when the alias is transferred to a single config.
func TestTelegrafFollowsGroupAlias(t *testing.T) {
	apptest.RequireTelegraf(t)
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db)
		mgr := inst.MustRoleToken(t, tc.RoleManager)
		reader := inst.MustToken(t, inst.MustUser(t, tc.RoleViewer), "configs:read", "config-groups:read")

		base := func(stage string) string {
			return "[agent]\n  interval = \"1s\"\n  flush_interval = \"1s\"\n  omit_hostname = true\n\n" +
				"[global_tags]\n  stage = \"" + stage + "\"\n\n" +
				"[[outputs.file]]\n  files = [\"&{out}\"]\n  data_format = \"influx\"\n"
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
		agent := apptest.StartTelegraf(t, []string{"--config", u, "--config-url-watch-interval", "1s"}, "TELEGRAF_CONTROLLER_TOKEN="+reader)

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
		nextHead()
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/configs/" + single.ID + "/aliases", Token: mgr,
			Body: map[string]any{"alias": "fleet", "transfer": true}}), 200)
		wait("metrics after the alias moved to a config", "member=single,stage=single")
		if n := strings.Count(agent.Output.String(), "Remote config modified"); n != 2 {
			t.Errorf("agent reloaded %d times for two changes:\n%s", n, agent.Output)
		}
	})
}
