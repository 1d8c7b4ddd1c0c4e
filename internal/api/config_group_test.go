package api_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/apptest"
)

// mustGroup creates a config group through the API and returns it.
func mustGroup(tb testing.TB, inst *apptest.Instance, token string, body map[string]any) tc.ConfigGroup {
	tb.Helper()
	var g tc.ConfigGroup
	apptest.MustStatus(tb, inst.Do(tb, apptest.Req{Method: "POST", Path: "/api/config-groups", Token: token, Body: body}), 201).JSON(tb, &g)
	return g
}

// lastModified GETs (or HEADs) path and returns its status, body and
// Last-Modified.
func lastModified(tb testing.TB, inst *apptest.Instance, method, path, token string) (int, string, string) {
	tb.Helper()
	r := inst.Do(tb, apptest.Req{Method: method, Path: path, Token: token})
	return r.StatusCode, string(r.Body), r.Header.Get("Last-Modified")
}

// later reports whether HTTP date b is strictly after a.
func later(tb testing.TB, a, b string) bool {
	tb.Helper()
	ta, err1 := http.ParseTime(a)
	tb2, err2 := http.ParseTime(b)
	if err1 != nil || err2 != nil {
		tb.Fatalf("Last-Modified %q, %q: %v %v", a, b, err1, err2)
	}
	return tb2.After(ta)
}

func TestConfigGroupServing(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db)
		mgr := inst.MustRoleToken(t, tc.RoleManager)
		viewer := inst.MustRoleToken(t, tc.RoleViewer)

		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/constants", Token: mgr,
			Body: map[string]any{"name": "region", "value": "eu-1"}}), 201)
		a := mustConfig(t, inst, mgr, map[string]any{"name": "cpu", "toml": "[[inputs.cpu]]\n  tags = { host = \"&{host}\", region = \"::{region}\" }\n"})
		b := mustConfig(t, inst, mgr, map[string]any{"name": "mem", "toml": "[[inputs.mem]]\n  name_suffix = \"_&{dc}\"\n"})
		c := mustConfig(t, inst, mgr, map[string]any{"name": "disk", "toml": "[[inputs.disk]]\n  name_prefix = \"&{prefix:x_}\""})

		// An empty group is valid and serves an empty document.
		empty := mustGroup(t, inst, mgr, map[string]any{"name": "empty"})
		st, body, lm := lastModified(t, inst, "GET", "/api/config-groups/"+empty.ID+"/toml", viewer)
		if st != 200 || body != "" || lm == "" {
			t.Errorf("empty group: %d %q Last-Modified %q", st, body, lm)
		}

		g := mustGroup(t, inst, mgr, map[string]any{"name": "base", "description": "all hosts", "memberIds": []string{b.ID, a.ID, c.ID}})
		if got := g.MemberIDs(); strings.Join(got, ",") != strings.Join([]string{b.ID, a.ID, c.ID}, ",") {
			t.Fatalf("members = %v", got)
		}
		path := "/api/config-groups/" + g.ID + "/toml"

		// Members in order, each after a comment naming it; parameters and
		// constants filled in every member.
		st, body, lm1 := lastModified(t, inst, "GET", path+"?host=web1&dc=fra", viewer)
		want := "# --- config \"mem\" (" + b.ID + ") ---\n[[inputs.mem]]\n  name_suffix = \"_fra\"\n" +
			"# --- config \"cpu\" (" + a.ID + ") ---\n[[inputs.cpu]]\n  tags = { host = \"web1\", region = \"eu-1\" }\n" +
			"# --- config \"disk\" (" + c.ID + ") ---\n[[inputs.disk]]\n  name_prefix = \"x_\"\n"
		if st != 200 || body != want {
			t.Fatalf("group render: %d\n%s\nwant\n%s", st, body, want)
		}
		// HEAD: the same headers, no body.
		h := inst.Do(t, apptest.Req{Method: "HEAD", Path: path + "?host=web1&dc=fra", Token: viewer})
		if h.StatusCode != 200 || len(h.Body) != 0 || h.Header.Get("Last-Modified") != lm1 || h.Header.Get("Etag") == "" {
			t.Errorf("HEAD: %d, body %q, Last-Modified %q (GET %q), ETag %q", h.StatusCode, h.Body, h.Header.Get("Last-Modified"), lm1, h.Header.Get("Etag"))
		}

		// Every missing required parameter of every member in one error, no Last-Modified.
		r := inst.Do(t, apptest.Req{Method: "GET", Path: path, Token: viewer})
		if r.StatusCode != 400 || r.Header.Get("Last-Modified") != "" || !strings.Contains(errorMessage(t, r), "missing required parameters: dc, host") {
			t.Errorf("missing parameters: %d %s Last-Modified %q", r.StatusCode, r.Body, r.Header.Get("Last-Modified"))
		}
		r = inst.Do(t, apptest.Req{Method: "HEAD", Path: path, Token: viewer})
		if r.StatusCode != 400 || r.Header.Get("Last-Modified") != "" {
			t.Errorf("HEAD with missing parameters: %d, Last-Modified %q", r.StatusCode, r.Header.Get("Last-Modified"))
		}

		// Last-Modified moves forward on every change of what feeds the render.
		q := "?host=web1&dc=fra"
		prev := lm1
		step := func(what string, change func()) {
			t.Helper()
			change()
			_, _, lm := lastModified(t, inst, "HEAD", path+q, viewer)
			if !later(t, prev, lm) {
				t.Errorf("after %s: Last-Modified %q, not after %q", what, lm, prev)
			}
			prev = lm
		}
		step("a member's TOML changes", func() {
			apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "PATCH", Path: "/api/configs/" + b.ID, Token: mgr,
				Body: map[string]any{"toml": "[[inputs.mem]]\n  name_suffix = \"_&{dc}_2\"\n"}}), 200)
		})
		step("a constant a member uses changes", func() {
			apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "PATCH", Path: "/api/constants/region", Token: mgr,
				Body: map[string]any{"value": "eu-2"}}), 200)
		})
		step("a member is renamed", func() {
			apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "PATCH", Path: "/api/configs/" + c.ID, Token: mgr,
				Body: map[string]any{"name": "disks"}}), 200)
		})
		step("the order changes", func() {
			apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "PATCH", Path: "/api/config-groups/" + g.ID, Token: mgr,
				Body: map[string]any{"memberIds": []string{a.ID, b.ID, c.ID}}}), 200)
		})
		_, body, _ = lastModified(t, inst, "GET", path+q, viewer)
		if !strings.HasPrefix(body, "# --- config \"cpu\"") || !strings.Contains(body, "region = \"eu-2\"") ||
			!strings.Contains(body, "_fra_2") || !strings.Contains(body, "config \"disks\"") {
			t.Errorf("render after changes:\n%s", body)
		}
		// A GET is recorded as a serve of the group, with each member's
		// version (b was edited once: version 2), and under the URL asked.
		if err := inst.Main.API.Serves.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
		sv, err := inst.Main.Store.ConfigServes(context.Background(), g.ID, 10)
		if err != nil || len(sv) == 0 {
			t.Fatalf("serves of the group: %v, %v", sv, err)
		}
		latest := sv[0]
		wantMembers := []tc.ServedMember{{ConfigID: a.ID, Version: 1}, {ConfigID: b.ID, Version: 2}, {ConfigID: c.ID, Version: 1}}
		if latest.Kind != tc.ServeGroup || latest.URL != path+q || !slices.Equal(latest.Members, wantMembers) || latest.LastModified.IsZero() {
			t.Errorf("latest serve of the group = %+v, want kind group, URL %s, members %v", latest, path+q, wantMembers)
		}
		// A change that does not feed the render keeps Last-Modified.
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "PATCH", Path: "/api/config-groups/" + g.ID, Token: mgr,
			Body: map[string]any{"description": "changed"}}), 200)
		if _, _, lm := lastModified(t, inst, "HEAD", path+q, viewer); lm != prev {
			t.Errorf("after a description edit: Last-Modified %q, want %q", lm, prev)
		}
		step("a member is deleted", func() {
			apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "DELETE", Path: "/api/configs/" + c.ID, Token: mgr}), 204)
		})
		var got tc.ConfigGroup
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/config-groups/" + g.ID, Token: viewer}), 200).JSON(t, &got)
		if len(got.Members) != 2 {
			t.Errorf("members after deleting one: %v", got.Members)
		}

		// Bad members: unknown, twice, a group (no nesting), a merged TOML that clashes.
		for _, ids := range [][]string{{"nope"}, {a.ID, a.ID}, {empty.ID}} {
			r := inst.Do(t, apptest.Req{Method: "POST", Path: "/api/config-groups", Token: mgr, Body: map[string]any{"name": "bad", "memberIds": ids}})
			if r.StatusCode != 400 {
				t.Errorf("members %v: %d %s", ids, r.StatusCode, r.Body)
			}
		}
		ag1 := mustConfig(t, inst, mgr, map[string]any{"name": "agent1", "toml": "[agent]\n  interval = \"10s\"\n"})
		ag2 := mustConfig(t, inst, mgr, map[string]any{"name": "agent2", "toml": "[agent]\n  interval = \"20s\"\n"})
		r = inst.Do(t, apptest.Req{Method: "POST", Path: "/api/config-groups", Token: mgr, Body: map[string]any{"name": "clash", "memberIds": []string{ag1.ID, ag2.ID}}})
		if r.StatusCode != 400 || !strings.Contains(errorMessage(t, r), "merged TOML") {
			t.Errorf("clashing members: %d %s", r.StatusCode, r.Body)
		}
		m := apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/config-groups/merge", Token: viewer,
			Body: map[string]any{"memberIds": []string{ag1.ID, ag2.ID}}}), 200).Map(t)
		if m["valid"] != false || len(m["errors"].([]any)) == 0 {
			t.Errorf("merge preview of clashing members: %v", m)
		}
		// Names are unique among groups; a viewer cannot write.
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/config-groups", Token: mgr, Body: map[string]any{"name": "BASE"}}), 409)
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/config-groups", Token: viewer, Body: map[string]any{"name": "v"}}), 403)

		// List: search finds groups by member names.
		var list struct {
			Items []tc.ConfigGroup
			Total int
		}
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/config-groups?search=CPU", Token: viewer}), 200).JSON(t, &list)
		if list.Total != 1 || list.Items[0].ID != g.ID {
			t.Errorf("search by member name: %+v", list)
		}

		// Deleting a group keeps its members.
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "DELETE", Path: "/api/config-groups/" + g.ID, Token: mgr}), 204)
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/configs/" + a.ID, Token: viewer}), 200)
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: path + q, Token: viewer}), 404)
	})
}

func TestAliases(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db)
		mgr := inst.MustRoleToken(t, tc.RoleManager)
		viewer := inst.MustRoleToken(t, tc.RoleViewer)
		a := mustConfig(t, inst, mgr, map[string]any{"name": "cpu", "toml": "[[inputs.cpu]]\n"})
		b := mustConfig(t, inst, mgr, map[string]any{"name": "mem", "toml": "[[inputs.mem]]\n"})
		g := mustGroup(t, inst, mgr, map[string]any{"name": "both", "memberIds": []string{a.ID, b.ID}})

		add := func(kind, id, alias string, transfer bool, want int) {
			t.Helper()
			apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/" + kind + "/" + id + "/aliases", Token: mgr,
				Body: map[string]any{"alias": alias, "transfer": transfer}}), want)
		}
		add("configs", a.ID, "web-cpu", false, 201)
		add("config-groups", g.ID, "web", false, 201)
		// Unique across configs and groups; a conflict offers transfer.
		r := inst.Do(t, apptest.Req{Method: "POST", Path: "/api/configs/" + b.ID + "/aliases", Token: mgr, Body: map[string]any{"alias": "web"}})
		if r.StatusCode != 409 || !strings.Contains(errorMessage(t, r), "transfer") {
			t.Errorf("taken alias: %d %s", r.StatusCode, r.Body)
		}
		for _, bad := range []string{"ab", "Web", "-web", "web-", "bulk", "many", "duplicate", strings.Repeat("a", 64), "0e8c5b2a-1f7d-4c3e-9a6b-2d4f8e1c7a90", "we b"} {
			add("configs", b.ID, bad, false, 400)
		}

		// Usable wherever an id is: the JSON paths and the TOML URLs.
		var cfg tc.Config
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/configs/web-cpu", Token: viewer}), 200).JSON(t, &cfg)
		if cfg.ID != a.ID {
			t.Errorf("config by alias: %s", cfg.ID)
		}
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/config-groups/web", Token: viewer}), 200)
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/configs/web", Token: viewer}), 404) // a group's alias
		_, viaID, _ := lastModified(t, inst, "GET", "/api/configs/"+a.ID+"/toml", viewer)
		_, viaAlias, _ := lastModified(t, inst, "GET", "/api/configs/web-cpu/toml", viewer)
		_, short, _ := lastModified(t, inst, "GET", "/c/web-cpu", viewer)
		if viaAlias != viaID || short != viaID {
			t.Errorf("config by alias %q, short URL %q, want %q", viaAlias, short, viaID)
		}
		st, grp, lmBefore := lastModified(t, inst, "GET", "/c/web", viewer)
		if st != 200 || !strings.Contains(grp, "inputs.mem") {
			t.Errorf("group short URL: %d %q", st, grp)
		}
		// The short URL needs the same authentication: none is 401, a token
		// without config-groups:read 403 on a group's alias.
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/c/web"}), 401)
		onlyConfigs := inst.MustToken(t, inst.MustUser(t, tc.RoleManager), "configs:read")
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/c/web", Token: onlyConfigs}), 403)
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/c/web-cpu", Token: onlyConfigs}), 200)
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/c/nope-nope", Token: viewer}), 404)

		// Agents using an alias: those whose heartbeats name a URL with it.
		hb := inst.MustToken(t, inst.MustUser(t, tc.RoleManager), "heartbeat:write")
		for i, u := range []string{inst.URL + "/c/web?host=x", inst.URL + "/api/config-groups/web/toml", inst.URL + "/api/configs/web-cpu/toml"} {
			apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: inst.HeartbeatURL + "/agents/heartbeat", Token: hb,
				Body: map[string]any{"id": "agent-" + string(rune('a'+i)), "version": "Telegraf 1.39.3", "configurations": []string{u}}}), 204)
		}
		var aliases struct{ Items []tc.Alias }
		deadline := time.Now().Add(20 * time.Second)
		for {
			apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/config-groups/" + g.ID + "/aliases", Token: viewer}), 200).JSON(t, &aliases)
			if len(aliases.Items) == 1 && aliases.Items[0].AgentCount == 2 || time.Now().After(deadline) {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if len(aliases.Items) != 1 || aliases.Items[0].AgentCount != 2 || strings.Join(aliases.Items[0].Agents, ",") != "agent-a,agent-b" {
			t.Errorf("group aliases: %+v", aliases.Items)
		}

		// Transfer from the group to a config: the alias URL serves the
		// config, with a later Last-Modified.
		add("configs", b.ID, "web", true, 200)
		st, moved, lmAfter := lastModified(t, inst, "GET", "/c/web", viewer)
		if st != 200 || moved != "[[inputs.mem]]\n" || !later(t, lmBefore, lmAfter) {
			t.Errorf("after transfer: %d %q, Last-Modified %q then %q", st, moved, lmBefore, lmAfter)
		}
		// And back, to the group: forward again.
		add("config-groups", g.ID, "web", true, 200)
		if _, _, lm := lastModified(t, inst, "HEAD", "/c/web", viewer); !later(t, lmAfter, lm) {
			t.Errorf("after transfer back: Last-Modified %q, not after %q", lm, lmAfter)
		}
		// A transfer needs write on both kinds.
		onlyGroups := inst.MustToken(t, inst.MustUser(t, tc.RoleManager), "config-groups:write", "config-groups:read")
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/config-groups/" + g.ID + "/aliases", Token: onlyGroups,
			Body: map[string]any{"alias": "web-cpu", "transfer": true}}), 403)

		// Deleting a config or a group deletes its aliases.
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "DELETE", Path: "/api/config-groups/" + g.ID, Token: mgr}), 204)
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/c/web", Token: viewer}), 404)
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "DELETE", Path: "/api/configs/web-cpu/aliases/web-cpu", Token: mgr}), 204)
		add("configs", a.ID, "web-cpu", false, 201)
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "DELETE", Path: "/api/configs/" + a.ID, Token: mgr}), 204)
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/c/web-cpu", Token: viewer}), 404)
		// The alias is free again, for either kind.
		add("configs", b.ID, "web-cpu", false, 201)
	})
}
