package main_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/apptest"
)

// beat sends one heartbeat for agent id with status, and flushes it.
func beat(t *testing.T, inst *apptest.Instance, token, id, status, configURL string) {
	t.Helper()
	body := fmt.Sprintf(`{"id":%q,"version":"Telegraf 1.39.3","schema":1,"hostname":"host-%s","configurations":[%q],"statistics":{"errors":0,"warnings":0,"metrics":1},"logs":[],"status":%q}`,
		id, id, configURL, status)
	apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: inst.HeartbeatURL + "/agents/heartbeat", Body: []byte(body),
		Header: http.Header{"Content-Type": {"application/json"}, "Authorization": {"Bearer " + token}}}), http.StatusNoContent)
	if err := inst.HB.Ingest.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// TestCommands drives groups, aliases, constants, labels, agents, tokens,
// users, audit, health and completion through the binary.
func TestCommands(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db)
		c := newCLI(t, inst)
		dir := t.TempDir()
		writeFile(t, filepath.Join(dir, "a.toml"), "[[inputs.cpu]]\n")
		writeFile(t, filepath.Join(dir, "b.toml"), "[[inputs.mem]]\n")
		c.ok("configs", "create", "alpha", "-f", filepath.Join(dir, "a.toml"))
		c.ok("configs", "create", "beta", "-f", filepath.Join(dir, "b.toml"))

		// groups
		c.ok("groups", "create", "fleet", "--config", "alpha", "--config", "beta", "--description", "all")
		if r := c.ok("groups", "list"); !strings.Contains(r.stdout, "alpha, beta") {
			t.Fatalf("groups list: %s", r)
		}
		c.ok("groups", "update", "fleet", "--config", "beta", "--config", "alpha")
		if r := c.ok("groups", "render", "fleet"); strings.Index(r.stdout, "inputs.mem") > strings.Index(r.stdout, "inputs.cpu") {
			t.Fatalf("groups render order: %s", r)
		}
		c.code(3, "groups", "get", "nope")
		c.code(2, "groups", "update", "fleet")

		// aliases
		c.ok("aliases", "add", "alpha-x", "--config", "alpha")
		c.ok("aliases", "add", "fleet-x", "--group", "fleet")
		if r := c.ok("aliases", "list", "--config", "alpha"); !strings.Contains(r.stdout, "alpha-x") {
			t.Fatalf("aliases list: %s", r)
		}
		if r := c.ok("groups", "get", "fleet-x"); !strings.Contains(r.stdout, "fleet-x") || !strings.Contains(r.stdout, "2.") {
			t.Fatalf("groups get by alias: %s", r)
		}
		c.code(2, "aliases", "add", "X", "--config", "alpha")
		c.code(2, "aliases", "list")
		c.code(1, "aliases", "add", "alpha-x", "--config", "beta") // 409: taken
		c.ok("aliases", "add", "alpha-x", "--config", "beta", "--transfer")
		c.ok("aliases", "delete", "alpha-x", "--config", "beta")
		c.code(3, "aliases", "delete", "alpha-x", "--config", "beta")

		// constants
		c.ok("constants", "set", "region", "eu", "--description", "where")
		c.ok("constants", "set", "region", "us")
		var k tc.Constant
		c.json(&k, "constants", "get", "region")
		if k.Value != "us" || k.Description != "where" {
			t.Fatalf("constant: %+v", k)
		}
		c.ok("constants", "list")
		c.code(2, "constants", "set", "Bad-Name", "x")
		c.ok("constants", "delete", "region")
		c.code(3, "constants", "get", "region")
		c.code(3, "constants", "delete", "region")

		// labels
		c.ok("labels", "create", "prod", "--color", "#112233")
		c.ok("labels", "update", "prod", "--description", "production")
		if r := c.ok("labels", "list"); !strings.Contains(r.stdout, "production") {
			t.Fatalf("labels list: %s", r)
		}
		c.code(1, "labels", "create", "x", "--color", "red")
		c.code(2, "labels", "update", "prod")

		// agents, from real heartbeats
		alpha := c.configByName("alpha")
		hb := inst.MustToken(t, inst.MustOwner(t), tc.Perm(tc.ResHeartbeat, tc.ActionWrite))
		cfgURL := "http://tc:8888/api/configs/" + alpha.ID + "/toml"
		beat(t, inst, hb, "web-1", "OK", cfgURL)
		beat(t, inst, hb, "web-2", "FAIL", cfgURL)
		beat(t, inst, hb, "db-1", "OK", "http://elsewhere/x.toml")
		var agents struct {
			Items []tc.Agent
			Total int
		}
		c.json(&agents, "agents", "list", "--status", "fail")
		if agents.Total != 1 || agents.Items[0].ID != "web-2" {
			t.Fatalf("agents list --status fail: %+v", agents)
		}
		c.json(&agents, "agents", "list", "--config", "alpha", "--sort", "severity")
		if agents.Total != 2 || agents.Items[0].ID != "web-2" {
			t.Fatalf("agents list --config --sort severity: %+v", agents)
		}
		c.json(&agents, "agents", "list", "--config", "alpha", "--config-state", "unknown")
		c.json(&agents, "agents", "list", "--search", "db")
		if agents.Total != 1 {
			t.Fatalf("agents list --search: %+v", agents)
		}
		c.code(2, "agents", "list", "--status", "bad")
		if r := c.ok("agents", "list"); !strings.Contains(r.stdout, "web-1") || !strings.Contains(r.stdout, "host-db-1") {
			t.Fatalf("agents table: %s", r)
		}
		if r := c.ok("agents", "get", "web-1"); !strings.Contains(r.stdout, "host-web-1") {
			t.Fatalf("agents get: %s", r)
		}
		c.code(3, "agents", "get", "nobody")
		r := c.ok("agents", "watch", "--count", "2", "--interval", "200ms")
		if strings.Count(r.stdout, "agents 3: ok 2") != 2 {
			t.Fatalf("agents watch: %s", r)
		}
		r = c.ok("agents", "watch", "--count", "1", "-o", "json")
		var doc map[string]any
		if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil || doc["total"].(float64) != 3 {
			t.Fatalf("agents watch -o json: %v %s", err, r)
		}
		c.ok("agents", "bulk", "add-label", "--label", "prod", "web-1", "web-2")
		c.json(&agents, "agents", "list", "--label", "prod")
		if agents.Total != 2 {
			t.Fatalf("after bulk add-label: %+v", agents)
		}
		c.code(2, "agents", "bulk", "delete")
		c.code(2, "agents", "bulk", "add-label", "web-1")
		c.ok("agents", "bulk", "delete", "--status", "fail")
		c.code(3, "agents", "get", "web-2")
		c.ok("agents", "delete", "db-1")
		c.code(3, "agents", "delete", "db-1")

		// health: thresholds for cron and CI.
		beat(t, inst, hb, "web-3", "FAIL", cfgURL)
		c.ok("health")
		c.ok("health", "--max-failing", "1")
		if r := c.code(1, "health", "--max-failing", "0"); !strings.Contains(r.stdout, "FAILING") {
			t.Fatalf("health over the bound: %s", r)
		}
		c.code(1, "health", "--max-failing-percent", "40")
		c.ok("health", "--max-failing-percent", "50")
		var h map[string]any
		c.json(&h, "health")
		if h["failing"].(float64) != 1 || h["ok"] != true {
			t.Fatalf("health json: %v", h)
		}
		c.runWith(map[string]string{"TC_TOKEN": ""}, "", "health", "--controller-only")
		if r := c.runWith(map[string]string{"TC_TOKEN": ""}, "", "health"); r.code != 4 {
			t.Fatalf("fleet health without a token: %s", r)
		}

		// tokens: the value is printed once, by create only.
		r = c.ok("tokens", "create", "--description", "agents", "--preset", "telegraf-agent")
		secret := regexp.MustCompile(tc.TokenPattern).FindString(r.stdout)
		if secret == "" {
			t.Fatalf("tokens create printed no token: %s", r)
		}
		if r := c.runWith(map[string]string{"TC_TOKEN": secret}, "", "configs", "list"); r.code != 0 {
			t.Fatalf("the new token: %s", r)
		}
		var created map[string]any
		c.json(&created, "tokens", "create", "--description", "ci", "--permission", "configs:read", "--permission", "configs:write", "--expires-in-days", "30")
		id := created["id"].(string)
		c.code(2, "tokens", "create", "--description", "x")
		c.code(2, "tokens", "create", "--preset", "read-only")
		if r := c.ok("tokens", "list"); !strings.Contains(r.stdout, "ci") || !strings.Contains(r.stdout, "tc-apiv1_…") {
			t.Fatalf("tokens list: %s", r)
		}
		c.ok("tokens", "list", "-o", "json")
		c.ok("tokens", "get", id, "-o", "yaml")
		c.ok("tokens", "presets")
		c.ok("tokens", "revoke", id)
		c.code(1, "tokens", "revoke", id) // 409: already revoked
		c.ok("tokens", "list", "--status", "revoked")
		c.ok("tokens", "delete", id)
		c.code(3, "tokens", "get", id)

		// users
		u := inst.MustUser(t, tc.RoleManager)
		if r := c.ok("users", "list"); !strings.Contains(r.stdout, u.Username) {
			t.Fatalf("users list: %s", r)
		}
		c.ok("users", "set-role", u.Username, "viewer")
		c.ok("users", "disable", u.Email)
		var got tc.User
		c.json(&got, "users", "get", u.ID)
		if got.Role != tc.RoleViewer || !got.Disabled {
			t.Fatalf("user after changes: %+v", got)
		}
		c.ok("users", "enable", u.Username)
		c.code(2, "users", "set-role", u.Username, "owner")
		c.ok("users", "delete", u.Username)
		c.code(3, "users", "get", u.Username)
		viewer := inst.MustRoleToken(t, tc.RoleViewer)
		if r := c.runWith(map[string]string{"TC_TOKEN": viewer}, "", "users", "list"); r.code != 4 {
			t.Fatalf("viewer listing users: %s", r)
		}

		// audit
		var es struct{ Items []tc.AuditEntry }
		c.json(&es, "audit", "query", "--action", "config.create", "--limit", "5")
		if len(es.Items) == 0 {
			t.Fatalf("audit query found no config.create")
		}
		c.ok("audit", "query")
		if r := c.ok("audit", "export", "--format", "jsonl"); !strings.Contains(r.stdout, `"action"`) {
			t.Fatalf("audit export: %s", r)
		}
		out := filepath.Join(dir, "audit.csv")
		c.ok("audit", "export", "--format", "csv", "--out", out)
		c.code(2, "audit", "export", "--format", "xml")
		if r := c.ok("audit", "verify"); !strings.Contains(r.stdout, "verifies") {
			t.Fatalf("audit verify: %s", r)
		}

		// completion
		for _, sh := range []string{"bash", "zsh", "fish"} {
			if r := c.ok("completion", sh); !strings.Contains(r.stdout, "configs") {
				t.Fatalf("completion %s: %s", sh, r)
			}
		}
		c.code(2, "completion", "tcsh")
		c.ok("version")

		c.ok("groups", "delete", "fleet")
		c.noSecretPrinted()
		if strings.Contains(inst.Logs.String(), c.token) || strings.Contains(inst.Logs.String(), secret) {
			t.Error("a token reached the controller's log")
		}
	})
}
