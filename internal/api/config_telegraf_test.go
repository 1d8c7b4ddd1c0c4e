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

// TestTelegrafLoadsAndReloads runs a real Telegraf agent against the served
// TOML: it loads the rendered config (its outputs.file path and a tag come
// from parameters, another tag from a constant), and reloads it through the
// URL watcher after the config changes through the API, then after the
// constant's value changes. Once authenticated
// with INFLUX_TOKEN (Authorization: Token) and once with
// TELEGRAF_CONTROLLER_TOKEN (Authorization: Bearer).
func TestTelegrafLoadsAndReloads(t *testing.T) {
	apptest.RequireTelegraf(t)
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		for _, tokenVar := range []string{"INFLUX_TOKEN", "TELEGRAF_CONTROLLER_TOKEN"} {
			t.Run(tokenVar, func(t *testing.T) { telegrafLoadsAndReloads(t, db, tokenVar) })
		}
	})
}

// headLine is how the request log shows a watcher's HEAD.
const headLine = `method=HEAD route="GET /api/configs/{id}/toml" status=200`

func telegrafLoadsAndReloads(t *testing.T, db apptest.DB, tokenVar string) {
	inst := apptest.MustStart(t, db)
	mgr := inst.MustRoleToken(t, tc.RoleManager)
	reader := inst.MustToken(t, inst.MustUser(t, tc.RoleViewer), "configs:read")
	apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/constants", Token: mgr,
		Body: map[string]any{"name": "site", "value": "lab"}}), 201)
	tmpl := func(stage string) string {
		return "[agent]\n  interval = \"1s\"\n  flush_interval = \"1s\"\n  omit_hostname = true\n\n" +
			"[global_tags]\n  marker = \"&{marker}\"\n  site = \"::{site}\"\n  stage = \"" + stage + "\"\n\n" +
			"[[inputs.mem]]\n  fieldinclude = [\"total\"]\n\n" +
			"[[outputs.file]]\n  files = [\"&{out}\"]\n  data_format = \"influx\"\n"
	}
	c := mustConfig(t, inst, mgr, map[string]any{"name": "e2e", "toml": tmpl("one")})

	out := filepath.Join(t.TempDir(), "metrics.out")
	u := inst.URL + "/api/configs/" + c.ID + "/toml?" + url.Values{"marker": {"m-" + tokenVar}, "out": {out}}.Encode()
	agent := apptest.StartTelegraf(t, []string{"--config", u, "--config-url-watch-interval", "2s"}, tokenVar+"="+reader)

	contains := func(want string) func() bool {
		return func() bool {
			b, _ := os.ReadFile(out)
			return strings.Contains(string(b), want)
		}
	}
	loaded := "marker=m-" + tokenVar + ",site=lab,stage=one"
	apptest.Eventually(t, 30*time.Second, "metrics of the rendered config in "+out, func() bool {
		if agent.Exited() {
			t.Fatalf("telegraf exited:\n%s", agent.Output)
		}
		return contains(loaded)()
	})
	// The watcher's baseline is its first HEAD after start: wait for it,
	// or the change could be missed.
	apptest.Eventually(t, 30*time.Second, "the watcher's first HEAD", func() bool {
		return strings.Contains(inst.Logs.String(), headLine)
	})
	apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "PATCH", Path: "/api/configs/" + c.ID, Token: mgr,
		Body: map[string]any{"toml": tmpl("two"), "changeNote": "stage two"}}), 200)
	apptest.Eventually(t, 30*time.Second, "metrics of the changed config", func() bool {
		if agent.Exited() {
			t.Fatalf("telegraf exited:\n%s", agent.Output)
		}
		return contains("marker=m-" + tokenVar + ",site=lab,stage=two")()
	})
	// Last-Modified stays put afterwards: two more watcher ticks, no reload.
	heads := func() int { return strings.Count(inst.Logs.String(), headLine) }
	seen := heads()
	apptest.Eventually(t, 30*time.Second, "two more watcher HEADs", func() bool { return heads() >= seen+2 })
	if n := strings.Count(agent.Output.String(), "Remote config modified"); n != 1 {
		t.Errorf("agent reloaded %d times for one change:\n%s", n, agent.Output)
	}

	// A constant's new value is a change of the config: the agent reloads.
	apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "PATCH", Path: "/api/constants/site", Token: mgr,
		Body: map[string]any{"value": "lab2"}}), 200)
	apptest.Eventually(t, 30*time.Second, "metrics with the constant's new value", func() bool {
		if agent.Exited() {
			t.Fatalf("telegraf exited:\n%s", agent.Output)
		}
		return contains("marker=m-" + tokenVar + ",site=lab2,stage=two")()
	})
}
