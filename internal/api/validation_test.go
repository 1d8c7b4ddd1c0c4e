package api_test

import (
	"context"
	"strings"
	"testing"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/apptest"
)

type problemJSON struct {
	Severity string `json:"severity"`
	Message  string `json:"message"`
	Line     int    `json:"line"`
	Column   int    `json:"column"`
}

type useJSON struct {
	Name     string  `json:"name"`
	Default  *string `json:"default"`
	Required bool    `json:"required"`
}

type validationJSON struct {
	Valid      bool          `json:"valid"`
	Errors     []problemJSON `json:"errors"`
	Warnings   []problemJSON `json:"warnings"`
	References struct {
		Parameters []useJSON `json:"parameters"`
		Env        []useJSON `json:"env"`
		Secrets    []useJSON `json:"secrets"`
		Constants  []useJSON `json:"constants"`
	} `json:"references"`
}

func TestValidateConfig(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db)
		viewer := inst.MustRoleToken(t, tc.RoleViewer)
		validate := func(toml string) validationJSON {
			t.Helper()
			var v validationJSON
			apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/configs/validate", Token: viewer, Body: map[string]string{"toml": toml}}), 200).JSON(t, &v)
			return v
		}

		// A valid config with every kind of dynamic value.
		v := validate(`[[outputs.heartbeat]]
  url = "&{hb_url:http://localhost:8000}/agents/heartbeat"
  instance_id = "&{agent_id}"
  token = "${TELEGRAF_CONTROLLER_TOKEN}"
[[inputs.http]]
  urls = ["&{targets}"]
  port = &{port:8080}
  password = "@{vault:http_pw}"
  region = "::{region}"
`)
		// Its one warning: a parameter outside double quotes is served
		// only a number, boolean or date-time.
		if !v.Valid || len(v.Errors) != 0 || len(v.Warnings) != 1 || v.Warnings[0].Line != 7 || v.Warnings[0].Column != 10 ||
			!strings.Contains(v.Warnings[0].Message, `parameter "port" stands outside quotes`) {
			t.Errorf("valid config: %+v", v)
		}
		params := map[string]string{}
		for _, p := range v.References.Parameters {
			def := "<none>"
			if p.Default != nil {
				def = *p.Default
			}
			params[p.Name] = def + map[bool]string{true: " required", false: ""}[p.Required]
		}
		want := map[string]string{"hb_url": "http://localhost:8000", "agent_id": "<none> required", "targets": "<none> required", "port": "8080"}
		for name, w := range want {
			if params[name] != w {
				t.Errorf("parameter %s = %q, want %q", name, params[name], w)
			}
		}
		if len(params) != len(want) {
			t.Errorf("parameters = %v, want %v", params, want)
		}
		if r := v.References; len(r.Env) != 1 || r.Env[0].Name != "TELEGRAF_CONTROLLER_TOKEN" || !r.Env[0].Required ||
			len(r.Secrets) != 1 || r.Secrets[0].Name != "vault:http_pw" || len(r.Constants) != 1 || r.Constants[0].Name != "region" {
			t.Errorf("references = %+v", r)
		}

		// A syntax error: invalid, with its line and column.
		v = validate("[[inputs.cpu]]\n  percpu = tru\n")
		if v.Valid || len(v.Errors) != 1 || v.Errors[0].Line != 2 || v.Errors[0].Column != 12 || v.Errors[0].Severity != "error" {
			t.Errorf("syntax error: %+v", v)
		}

		// Warnings keep it valid.
		v = validate("[inputs.cpu]\n[[inputs.cpux]]\n[[outputs.influxdb]]\n  password = \"hunter2\"\n[foo]\n")
		if !v.Valid || len(v.Errors) != 0 || len(v.Warnings) != 4 {
			t.Fatalf("warnings: %+v", v)
		}
		for i, want := range []struct {
			line int
			text string
		}{{1, "legacy form"}, {2, "unknown plugin inputs.cpux"}, {4, "literal credential"}, {5, "unknown top-level table [foo]"}} {
			if w := v.Warnings[i]; w.Line != want.line || !strings.Contains(w.Message, want.text) || w.Severity != "warning" {
				t.Errorf("warning %d = %+v, want line %d containing %q", i, w, want.line, want.text)
			}
		}

		// Empty lists are [] in JSON, not null.
		r := apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/configs/validate", Token: viewer, Body: map[string]string{"toml": ""}}), 200)
		if body := string(r.Body); !strings.Contains(body, `"errors":[]`) || !strings.Contains(body, `"parameters":[]`) {
			t.Errorf("empty document: %s", body)
		}

		// Bad requests.
		for _, tt := range []struct {
			body   any
			token  string
			status int
		}{
			{map[string]any{}, viewer, 400},
			{map[string]any{"toml": 3}, viewer, 400},
			{map[string]any{"toml": "", "extra": 1}, viewer, 400},
			{"not json", viewer, 400},
			{map[string]any{"toml": ""}, "", 401},
			{map[string]any{"toml": strings.Repeat("#", 2<<20)}, viewer, 413},
		} {
			r := inst.Do(t, apptest.Req{Method: "POST", Path: "/api/configs/validate", Token: tt.token, Body: tt.body})
			if r.StatusCode != tt.status {
				t.Errorf("body %.40v: status %d, want %d; %s", tt.body, r.StatusCode, tt.status, r.Body)
			}
		}
		// configs:read is required.
		user := inst.MustUser(t, tc.RoleManager)
		noConfigs := inst.MustToken(t, user, "agents:read")
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/configs/validate", Token: noConfigs, Body: map[string]string{"toml": ""}}), 403)
	})
}

func TestPlugins(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db)
		viewer := inst.MustRoleToken(t, tc.RoleViewer)
		type list struct {
			Items []struct {
				Type, Name, Title, Description string
				Sample                         *string
			}
			Total           int
			Counts          map[string]int
			TelegrafVersion string
		}
		get := func(path string) list {
			t.Helper()
			var l list
			apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: path, Token: viewer}), 200).JSON(t, &l)
			return l
		}

		all := get("/api/plugins")
		if all.TelegrafVersion != "v1.39.3" || all.Total < 300 || all.Counts["inputs"] < 200 || all.Counts["secretstores"] == 0 {
			t.Errorf("all plugins: total %d, counts %v, version %q", all.Total, all.Counts, all.TelegrafVersion)
		}
		if all.Items[0].Sample != nil {
			t.Errorf("the list carries samples")
		}

		l := get("/api/plugins?type=inputs&search=cpu")
		found := false
		for _, p := range l.Items {
			if p.Type != "inputs" {
				t.Errorf("type=inputs returned %s.%s", p.Type, p.Name)
			}
			found = found || p.Name == "cpu" && p.Description != "" && p.Title == "CPU Input Plugin"
		}
		if !found || l.Total != len(l.Items) {
			t.Errorf("search cpu: %+v", l)
		}
		if l := get("/api/plugins?search=zzzz-none"); l.Total != 0 || l.Items == nil {
			t.Errorf("no match: %+v", l)
		}

		// One plugin, with its sample.
		var p struct{ Type, Name, Sample string }
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/plugins/outputs/heartbeat", Token: viewer}), 200).JSON(t, &p)
		if p.Name != "heartbeat" || !strings.Contains(p.Sample, "[[outputs.heartbeat]]") {
			t.Errorf("outputs.heartbeat = %+v", p)
		}

		for _, tt := range []struct {
			path   string
			token  string
			status int
		}{
			{"/api/plugins?type=widgets", viewer, 400},
			{"/api/plugins/widgets/cpu", viewer, 400},
			{"/api/plugins/inputs/no_such_plugin", viewer, 404},
			{"/api/plugins", "", 401},
		} {
			if r := inst.Do(t, apptest.Req{Method: "GET", Path: tt.path, Token: tt.token}); r.StatusCode != tt.status {
				t.Errorf("GET %s: status %d, want %d; %s", tt.path, r.StatusCode, tt.status, r.Body)
			}
		}
	})
}

// TestConfigSaveValidates: create and update reject TOML errors with their
// position and answer warnings beside the saved config.
func TestConfigSaveValidates(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db)
		token := inst.MustRoleToken(t, tc.RoleAdministrator)
		type saved struct {
			ID             string        `json:"id"`
			CurrentVersion int           `json:"currentVersion"`
			Warnings       []problemJSON `json:"warnings"`
		}

		// Syntax error: 400 naming the field, line and column; nothing saved.
		r := apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/configs", Token: token,
			Body: map[string]string{"name": "broken", "toml": "[[inputs.cpu]]\n  percpu = tru\n"}}), 400)
		if m := r.Map(t); m["field"] != "toml" || !strings.Contains(m["message"].(string), "line 2, column 12") {
			t.Errorf("syntax error answer: %s", r.Body)
		}
		var page struct{ Total int }
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/configs", Token: token}), 200).JSON(t, &page)
		if page.Total != 0 {
			t.Errorf("a rejected create saved a config")
		}

		// Warnings do not block; they come back with the config.
		var c saved
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/configs", Token: token,
			Body: map[string]string{"name": "warned", "toml": "[[outputs.influxdb]]\n  password = \"hunter2\"\n  metric_batch_size = &{batch:1000}\n"}}), 201).JSON(t, &c)
		if len(c.Warnings) != 2 || c.Warnings[0].Line != 2 || !strings.Contains(c.Warnings[0].Message, "literal credential") ||
			c.Warnings[1].Line != 3 || !strings.Contains(c.Warnings[1].Message, `parameter "batch" stands outside quotes`) {
			t.Errorf("create warnings = %+v", c.Warnings)
		}

		// Update: the same rules; an edit without TOML carries no warnings.
		var u saved
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "PATCH", Path: "/api/configs/" + c.ID, Token: token,
			Body: map[string]string{"toml": "[inputs.cpu]\n"}}), 200).JSON(t, &u)
		if len(u.Warnings) != 1 || !strings.Contains(u.Warnings[0].Message, "legacy form") || u.CurrentVersion != 2 {
			t.Errorf("update answer = %+v", u)
		}
		r = apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "PATCH", Path: "/api/configs/" + c.ID, Token: token,
			Body: map[string]string{"name": "renamed"}}), 200)
		if strings.Contains(string(r.Body), `"warnings"`) {
			t.Errorf("name-only update carries warnings: %s", r.Body)
		}
		r = apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "PATCH", Path: "/api/configs/" + c.ID, Token: token,
			Body: map[string]string{"toml": "[processors.rename]\n"}}), 400)
		if m := r.Map(t); !strings.Contains(m["message"].(string), "line 1, column 1") || !strings.Contains(m["message"].(string), "array of tables") {
			t.Errorf("structural error answer: %s", r.Body)
		}
		if cur, _ := inst.Store.ConfigCurrentVersion(context.Background(), c.ID); cur != 2 {
			t.Errorf("a rejected update recorded a version: current = %d", cur)
		}
	})
}
