package web_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/apptest"
)

// TestPagesByRole renders every page for every role without a browser (the
// pages must work without JavaScript for reading): 200 where the role may
// read, the 403 page where it may not, sign-in for anonymous visitors.
func TestPagesByRole(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db)
		owner := inst.MustOwner(t)
		tok := inst.MustToken(t, owner, tc.AllPermissions...)
		r := apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/configs", Token: tok,
			Body: map[string]any{"name": "base", "toml": "[[inputs.cpu]]\n"}}), 201)
		id := r.Map(t)["id"].(string)
		channel := apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/notification-channels", Token: tok,
			Body: map[string]any{"name": "ops", "kind": "webhook", "webhook": map[string]any{"url": "https://intake.example.com/tc"}}}), 201).Map(t)["id"].(string)

		const ok, no = 200, 403
		pages := []struct {
			path                                  string
			owner, admin, manager, viewer, anonym int
		}{
			{"/configs", ok, ok, ok, ok, 303},
			{"/configs?search=ba&sortBy=updatedAt&sortOrder=desc&page=1", ok, ok, ok, ok, 303},
			{"/configs/new", ok, ok, ok, no, 303},
			{"/config-groups", ok, ok, ok, ok, 303},
			{"/config-groups/new", ok, ok, ok, no, 303},
			{"/configs/" + id, ok, ok, ok, ok, 303},
			{"/configs/" + id + "/versions", ok, ok, ok, ok, 303},
			{"/configs/" + id + "/versions/1", ok, ok, ok, ok, 303},
			{"/configs/" + id + "/compare?from=1&to=1", ok, ok, ok, ok, 303},
			{"/configs/00000000-0000-0000-0000-000000000000", 404, 404, 404, 404, 303},
			{"/constants", ok, ok, ok, ok, 303},
			{"/agents", ok, ok, ok, ok, 303},
			{"/agents?status=not_reporting&sortBy=lastSeen&sortOrder=desc", ok, ok, ok, ok, 303},
			{"/reporting-rules", ok, ok, ok, ok, 303},
			{"/alerts", ok, ok, ok, ok, 303},
			{"/alerts?channelId=nope", ok, ok, ok, ok, 303},
			{"/alert-rules", ok, ok, ok, ok, 303},
			{"/notification-channels", ok, ok, ok, no, 303},
			{"/notification-channels/new", ok, ok, no, no, 303},
			{"/notification-channels/new?kind=email", ok, ok, no, no, 303},
			{"/notification-channels/" + channel, ok, ok, ok, no, 303},
			{"/notification-channels/00000000-0000-0000-0000-000000000000", 404, 404, 404, no, 303},
			{"/labels", ok, ok, ok, ok, 303},
			{"/tokens", ok, ok, ok, no, 303},
			{"/users", ok, ok, no, no, 303},
			{"/settings", ok, ok, no, no, 303},
			{"/account", ok, ok, ok, ok, 303},
			{"/no-such-page", 404, 404, 404, 404, 404},
		}
		clients := map[string]*http.Client{
			"owner":   inst.MustSession(t, owner),
			"admin":   inst.MustSession(t, inst.MustUser(t, tc.RoleAdministrator)),
			"manager": inst.MustSession(t, inst.MustUser(t, tc.RoleManager)),
			"viewer":  inst.MustSession(t, inst.MustUser(t, tc.RoleViewer)),
			"anonym":  apptest.NewSessionClient(),
		}
		for _, c := range clients {
			c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		}
		for _, p := range pages {
			for role, want := range map[string]int{"owner": p.owner, "admin": p.admin, "manager": p.manager, "viewer": p.viewer, "anonym": p.anonym} {
				resp, err := clients[role].Get(inst.URL + p.path)
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != want {
					t.Errorf("%s GET %s = %d, want %d", role, p.path, resp.StatusCode, want)
					continue
				}
				switch {
				case want == 303:
					if loc := resp.Header.Get("Location"); !strings.HasPrefix(loc, "/login?next=") {
						t.Errorf("%s GET %s redirects to %q, want /login?next=...", role, p.path, loc)
					}
				default:
					if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
						t.Errorf("%s GET %s: Content-Type %q, want an HTML page", role, p.path, ct)
					}
					if !strings.Contains(string(body), `<main id="main"`) {
						t.Errorf("%s GET %s: no page layout in %.200s", role, p.path, body)
					}
				}
			}
		}
	})
}

// TestNavigationFollowsRole checks that navigation lists only what the role
// can open.
func TestNavigationFollowsRole(t *testing.T) {
	inst := apptest.MustStart(t, apptest.DB{Name: "sqlite"})
	tests := []struct {
		role       tc.Role
		want, hide []string
	}{
		{tc.RoleOwner, []string{"Configurations", "Constants", "Agents", "Reporting Rules", `href="/notification-channels">Channels`, "Labels", "API Tokens", "Users", "Settings"}, nil},
		{tc.RoleManager, []string{"Configurations", "Agents", `href="/notification-channels"`, "API Tokens"}, []string{`href="/users"`, `href="/settings"`}},
		{tc.RoleViewer, []string{"Configurations", "Agents", "Labels"}, []string{`href="/tokens"`, `href="/users"`, `href="/settings"`, `href="/notification-channels"`}},
	}
	for _, tt := range tests {
		c := inst.MustSession(t, inst.MustUser(t, tt.role))
		resp, err := c.Get(inst.URL + "/agents")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		nav, _, _ := strings.Cut(string(b), "</nav>")
		for _, w := range tt.want {
			if !strings.Contains(nav, w) {
				t.Errorf("%s navigation lacks %q", tt.role, w)
			}
		}
		for _, h := range tt.hide {
			if strings.Contains(nav, h) {
				t.Errorf("%s navigation shows %q", tt.role, h)
			}
		}
	}
}

// TestStaticAssets checks content-hashed URLs with long cache lifetimes.
func TestStaticAssets(t *testing.T) {
	inst := apptest.MustStart(t, apptest.DB{Name: "sqlite"})
	r := apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/login"}), 200)
	body := string(r.Body)
	i := strings.Index(body, `/static/app.`)
	if i < 0 {
		t.Fatalf("no hashed stylesheet in the sign-in page")
	}
	u := body[i : i+strings.Index(body[i:], `"`)]
	a := apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: u}), 200)
	if got := a.Header.Get("Cache-Control"); !strings.Contains(got, "immutable") {
		t.Errorf("%s Cache-Control = %q, want a long immutable lifetime", u, got)
	}
	apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/static/app.0000000000.css"}), 404)
	// The sign-in redirect only goes to local paths.
	r = apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/login?next=//evil.example/x"}), 200)
	if strings.Contains(string(r.Body), "evil.example") {
		t.Error("sign-in page keeps an off-site next URL")
	}

	// One-time links that cannot be used say so before asking for a password.
	for _, path := range []string{"/invite/not-a-token", "/reset-password/not-a-token"} {
		r := inst.Do(t, apptest.Req{Method: "GET", Path: path})
		if r.StatusCode != 404 || !strings.Contains(string(r.Body), "cannot be used") || strings.Contains(string(r.Body), `type="password"`) {
			t.Errorf("GET %s = %d, want the 404 page explaining the link", path, r.StatusCode)
		}
	}
	_, token := inst.MustInvite(t, tc.RoleViewer, time.Hour)
	r = apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/invite/" + token}), 200)
	if !strings.Contains(string(r.Body), `type="password"`) {
		t.Errorf("a valid invitation shows no password field")
	}
}

// TestAgentsPageConfigFilter checks the agents page's config drop-down: it
// lists every config by id and name, read from the config list without TOML.
func TestAgentsPageConfigFilter(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db)
		owner := inst.MustOwner(t)
		tok := inst.MustToken(t, owner, tc.AllPermissions...)
		var ids []string
		for _, name := range []string{"web <edge>", "db"} {
			r := apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/configs", Token: tok,
				Body: map[string]any{"name": name, "toml": "[[inputs.cpu]]\n  percpu = true # marker-toml\n"}}), 201)
			ids = append(ids, r.Map(t)["id"].(string))
		}
		resp, err := inst.MustSession(t, owner).Get(inst.URL + "/agents?configId=" + ids[1])
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		page := string(b)
		for _, want := range []string{
			`<option value="` + ids[1] + `" selected>db</option>`,
			`<option value="` + ids[0] + `">web &lt;edge&gt;</option>`,
		} {
			if !strings.Contains(page, want) {
				t.Errorf("agents page lacks %s", want)
			}
		}
		if strings.Contains(page, "marker-toml") {
			t.Error("agents page shows a config's TOML")
		}
	})
}

// TestGroupRunPages shows an agent on a group's short URL: its page lists
// the group's run (group, alias, state) and the group page lists the agent
// with its state.
func TestGroupRunPages(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db)
		owner := inst.MustOwner(t)
		tok := inst.MustToken(t, owner, tc.AllPermissions...)
		r := apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/configs", Token: tok,
			Body: map[string]any{"name": "cpu", "toml": "[[inputs.cpu]]\n"}}), 201)
		cid := r.Map(t)["id"].(string)
		r = apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/config-groups", Token: tok,
			Body: map[string]any{"name": "fleet <base>", "memberIds": []string{cid}}}), 201)
		gid := r.Map(t)["id"].(string)
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/config-groups/" + gid + "/aliases", Token: tok,
			Body: map[string]any{"alias": "fleet"}}), 201)
		body := `{"id":"grouped-1","version":"Telegraf 1.39.3","schema":1,"hostname":"vm","configurations":["http://tc:8888/c/fleet?agent_id=grouped-1"],"statistics":{"errors":0,"warnings":0,"metrics":1},"logs":[],"status":"OK"}`
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: inst.HeartbeatURL + "/agents/heartbeat", Body: []byte(body),
			Header: http.Header{"Content-Type": {"application/json"}, "Authorization": {"Bearer " + tok}}}), http.StatusNoContent)
		if err := inst.HB.Ingest.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
		sess := inst.MustSession(t, owner)
		get := func(path string) string {
			resp, err := sess.Get(inst.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			return string(b)
		}
		page := get("/agents/grouped-1")
		for _, want := range []string{`data-group-id="` + gid + `" data-state="unknown"`, `href="/config-groups/` + gid + `">fleet &lt;base&gt;</a>`, `(alias fleet)`} {
			if !strings.Contains(page, want) {
				t.Errorf("agent page lacks %s", want)
			}
		}
		if strings.Contains(page, "http://tc:8888/c/fleet") {
			t.Error("agent page lists the group's URL as an external config")
		}
		if page := get("/config-groups/" + gid); !strings.Contains(page, `data-agent-id="grouped-1" data-state="unknown"`) {
			t.Error("group page lacks the agent's state")
		}
	})
}
