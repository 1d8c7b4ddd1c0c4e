package web_test

import (
	"context"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/apptest"
)

// getPage fetches path with c without following redirects.
func getPage(t *testing.T, c *http.Client, base, path string) (int, http.Header, string) {
	t.Helper()
	resp, err := c.Get(base + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

// auditClients are sessions of every role and an anonymous visitor, none
// following redirects.
func auditClients(t *testing.T, inst *apptest.Instance, owner *tc.User) map[string]*http.Client {
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
	return clients
}

// TestAuditPagesByRole walks the Audit pages as every role: owners and
// administrators read them, managers and viewers get the 403 page (recorded
// as Denied), anonymous visitors go to sign in. Bad filter input answers a
// 4xx page naming the problem, never a 500.
func TestAuditPagesByRole(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db)
		owner := inst.MustOwner(t)
		tok := inst.MustToken(t, owner, tc.AllPermissions...)
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/labels", Token: tok,
			Body: map[string]any{"name": "prod", "color": "#dc2626"}}), 201)
		var entries []tc.AuditEntry
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/audit-logger?action=label.create", Token: tok}), 200).JSON(t, &entries)
		if len(entries) != 1 {
			t.Fatalf("%d label.create entries, want 1", len(entries))
		}
		seq := fmt.Sprint(entries[0].Seq)

		const ok, no, login = 200, 403, 303
		pages := []struct {
			path                                  string
			owner, admin, manager, viewer, anonym int
		}{
			{"/audit", ok, ok, no, no, login},
			{"/audit?action=label.create&outcome=Success&q=prod&from=2020-01-01T00:00&to=2099-12-31T23:59:59Z&page=1&limit=25", ok, ok, no, no, login},
			{"/audit?from=2020-01-01&to=2020-01-02", ok, ok, no, no, login},
			{"/audit?page=99", ok, ok, no, no, login},
			{"/audit/" + seq, ok, ok, no, no, login},
			{"/audit/verify", ok, ok, no, no, login},
			// Bad input: 400 for who may read, the 403 page first for who may not.
			{"/audit?from=yesterday", 400, 400, no, no, login},
			{"/audit?to=2026-13-01T00:00", 400, 400, no, no, login},
			{"/audit?from=2026-05-02T00:00Z&to=2026-05-01T00:00Z", 400, 400, no, no, login},
			{"/audit?outcome=Maybe", 400, 400, no, no, login},
			{"/audit?page=0", 400, 400, no, no, login},
			{"/audit?page=x", 400, 400, no, no, login},
			{"/audit?page=99999999999999999999", 400, 400, no, no, login},
			{"/audit?limit=7", 400, 400, no, no, login},
			{"/audit?q=" + strings.Repeat("x", 201), 400, 400, no, no, login},
			{"/audit/abc", 400, 400, no, no, login},
			{"/audit/0", 400, 400, no, no, login},
			{"/audit/-3", 400, 400, no, no, login},
			{"/audit/99999999999999999999", 400, 400, no, no, login},
			{"/audit/999999999", 404, 404, no, no, login},
		}
		clients := auditClients(t, inst, owner)
		for _, p := range pages {
			for role, want := range map[string]int{"owner": p.owner, "admin": p.admin, "manager": p.manager, "viewer": p.viewer, "anonym": p.anonym} {
				status, h, body := getPage(t, clients[role], inst.URL, p.path)
				if status != want {
					t.Errorf("%s GET %s = %d, want %d", role, p.path, status, want)
					continue
				}
				if want == login {
					if loc := h.Get("Location"); !strings.HasPrefix(loc, "/login?next=") {
						t.Errorf("%s GET %s redirects to %q, want /login?next=...", role, p.path, loc)
					}
					continue
				}
				if !strings.HasPrefix(h.Get("Content-Type"), "text/html") || !strings.Contains(body, `<main id="main"`) {
					t.Errorf("%s GET %s: not an HTML page: %.200s", role, p.path, body)
				}
			}
		}

		// A refusal of the page is recorded like any other.
		viewer := inst.MustUser(t, tc.RoleViewer)
		if status, _, _ := getPage(t, inst.MustSession(t, viewer), inst.URL, "/audit"); status != 403 {
			t.Fatalf("viewer GET /audit = %d, want 403", status)
		}
		inst.Main.FlushAudit(context.Background())
		denied, _, err := inst.Store.AuditEntries(context.Background(), tc.AuditFilter{ActorID: viewer.ID, Outcome: tc.OutcomeDenied, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(denied) == 0 {
			t.Error("the viewer's 403 on /audit wrote no Denied entry")
		}
	})
}

// TestAuditPageContent checks what the Audit pages show: the filtered
// entries with their actor's name, export links that keep the filter, the
// entry's detail with its hash chain, the verification, the navigation
// and History links only for who may read the log, and the retention
// choice on the Settings page.
func TestAuditPageContent(t *testing.T) {
	inst := apptest.MustStart(t, apptest.DB{Name: "sqlite"})
	owner := inst.MustOwner(t)
	tok := inst.MustToken(t, owner, tc.AllPermissions...)
	cfg := apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/configs", Token: tok,
		Body: map[string]any{"name": "edge <base>", "toml": "[[inputs.cpu]]\n"}}), 201).Map(t)["id"].(string)
	apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/labels", Token: tok,
		Body: map[string]any{"name": "prod", "color": "#dc2626"}}), 201)
	clients := auditClients(t, inst, owner)
	page := func(role, path string) string {
		t.Helper()
		status, _, body := getPage(t, clients[role], inst.URL, path)
		if status != 200 {
			t.Fatalf("%s GET %s = %d, want 200: %.300s", role, path, status, body)
		}
		return body
	}

	// Filtered by target: the config's entry only, by the owner's token.
	body := page("owner", "/audit?targetId="+url.QueryEscape(cfg)+"&from=2000-01-01T00:00")
	for _, want := range []string{
		"<code>config.create</code>",
		`href="/tokens#token-`, // the actor, a token, links to its row
		`/api/audit-logger/export?format=jsonl&amp;from=2000-01-01T00%3A00%3A00Z&amp;targetId=` + url.QueryEscape(cfg),
		`/api/audit-logger/export?format=csv&amp;from=2000-01-01T00%3A00%3A00Z&amp;targetId=`,
		`value="2000-01-01T00:00"`, // the form shows the filter back
	} {
		if !strings.Contains(body, want) {
			t.Errorf("filtered audit page lacks %s", want)
		}
	}
	// Times the field cannot show as sent show in its own form, in UTC.
	body2 := page("owner", "/audit?from=2026-05-01&to=2026-05-02T03:04:05.5%2B02:00")
	for _, want := range []string{`name="from" value="2026-05-01T00:00:00"`, `name="to" value="2026-05-02T01:04:05"`} {
		if !strings.Contains(body2, want) {
			t.Errorf("audit page lacks %s", want)
		}
	}
	if strings.Contains(body, "label.create") {
		t.Error("audit page filtered by the config's id shows the label's entry")
	}
	// The export link answers with the same entries.
	var entries []tc.AuditEntry
	apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/audit-logger?targetId=" + url.QueryEscape(cfg), Token: tok}), 200).JSON(t, &entries)
	if len(entries) != 1 {
		t.Fatalf("%d entries for the config, want 1", len(entries))
	}
	// The target shows by its name where the entry has one.
	target := entries[0].TargetName
	if target == "" {
		target = cfg
	}
	if !strings.Contains(body, ">"+html.EscapeString(target)+"</a>") {
		t.Errorf("filtered audit page lacks the target %s", target)
	}
	exp := apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Client: clients["owner"],
		Path: "/api/audit-logger/export?format=jsonl&targetId=" + url.QueryEscape(cfg)}), 200)
	if n := strings.Count(string(exp.Body), "\n"); n != 1 || !strings.Contains(string(exp.Body), entries[0].Hash) {
		t.Errorf("export through the session: %d lines %q, want the config's one entry", n, exp.Body)
	}

	// The detail: every field, details pretty-printed, the chain.
	e := entries[0]
	body = page("owner", fmt.Sprintf("/audit/%d", e.Seq))
	for _, want := range []string{e.Hash, "config.create", `id="entry-prevhash"`, "Go-http-client", `href="/audit?targetId=` + url.QueryEscape(cfg)} {
		if !strings.Contains(body, want) {
			t.Errorf("entry page lacks %s", want)
		}
	}
	if e.PrevHash != "" && !strings.Contains(body, e.PrevHash) {
		t.Errorf("entry page lacks the previous hash %s", e.PrevHash)
	}
	// Each entry's detail is reachable, the first and the newest included.
	var all []tc.AuditEntry
	apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/audit-logger", Token: tok}), 200).JSON(t, &all)
	for _, x := range all {
		if body := page("admin", fmt.Sprintf("/audit/%d", x.Seq)); !strings.Contains(body, x.Hash) {
			t.Errorf("/audit/%d does not show entry %d's hash", x.Seq, x.Seq)
		}
	}

	// Verification.
	body = page("owner", "/audit/verify")
	if !strings.Contains(body, `id="verify-status">ok<`) || !strings.Contains(body, all[0].Hash) {
		t.Errorf("verify page: want ok with the last hash %s: %.2000s", all[0].Hash, body)
	}

	// Navigation and History links only for who may read the log.
	for role, see := range map[string]bool{"owner": true, "admin": true, "manager": false, "viewer": false} {
		body := page(role, "/configs/"+cfg)
		nav, _, _ := strings.Cut(body, "</nav>")
		if got := strings.Contains(nav, `href="/audit"`); got != see {
			t.Errorf("%s: navigation shows the audit log: %v, want %v", role, got, see)
		}
		if got := strings.Contains(body, `href="/audit?targetId=`+url.QueryEscape(cfg)); got != see {
			t.Errorf("%s: config page shows a History link: %v, want %v", role, got, see)
		}
	}
	if err := inst.Store.InsertAgents(context.Background(), []*tc.Agent{{ID: "web 1", Hostname: "web-1"}}); err != nil {
		t.Fatal(err)
	}
	if body := page("owner", "/agents/web%201"); !strings.Contains(body, `href="/audit?targetId=web%201"`) {
		t.Error("agent page lacks its History link")
	}
	if body := page("owner", "/users"); !strings.Contains(body, `href="/audit?targetId=`+owner.ID) || !strings.Contains(body, `id="user-`+owner.ID) {
		t.Error("users page lacks the owner's History link or row anchor")
	}
	if body := page("manager", "/tokens"); strings.Contains(body, `class="button secondary small history"`) {
		t.Error("tokens page shows History links to a manager")
	}
	if body := page("owner", "/tokens"); !strings.Contains(body, `class="button secondary small history" href="/audit?targetId=`) {
		t.Error("tokens page lacks History links for the owner")
	}

	// An actor that no longer exists shows as its id, without a link.
	tok2 := inst.MustToken(t, owner, tc.AllPermissions...)
	apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/labels", Token: tok2,
		Body: map[string]any{"name": "gone", "color": "#000000"}}), 201)
	var byTok2 []tc.AuditEntry
	apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/audit-logger?action=label.create&limit=1", Token: tok}), 200).JSON(t, &byTok2)
	gone := byTok2[0].ActorID
	if body := page("owner", "/audit?actorId="+gone); !strings.Contains(body, `href="/tokens#token-`+gone+`"`) {
		t.Errorf("audit page lacks the link to token %s", gone)
	}
	apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "DELETE", Path: "/api/tokens/" + gone, Token: tok}), 204)
	body = page("owner", "/audit?actorId="+gone)
	if strings.Contains(body, `href="/tokens#token-`+gone+`"`) || !strings.Contains(body, "<span class=\"muted\">Token</span> "+gone) {
		t.Errorf("audit page links a deleted token, or lacks its id")
	}

	// Settings: the retention choice, the current value selected.
	apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "PATCH", Path: "/api/settings", Token: tok,
		Body: map[string]any{"auditLogRetentionHours": 8760}}), 200)
	// The settings change's details, pretty-printed.
	var changes []tc.AuditEntry
	apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/audit-logger?action=settings.update", Token: tok}), 200).JSON(t, &changes)
	if len(changes) != 1 {
		t.Fatalf("%d settings.update entries, want 1", len(changes))
	}
	body = page("owner", fmt.Sprintf("/audit/%d", changes[0].Seq))
	if want := `id="entry-details">{` + "\n" + `  &#34;auditLogRetentionHours&#34;: [` + "\n    "; !strings.Contains(body, want) {
		t.Errorf("settings change's detail lacks its details pretty-printed %q: %s", want, body)
	}
	body = page("owner", "/settings")
	for _, want := range []string{`name="auditLogRetentionHours" data-type="number"`, `<option value="8760" selected>`, `<option value="0">Forever</option>`} {
		if !strings.Contains(body, want) {
			t.Errorf("settings page lacks %s", want)
		}
	}
}

// TestAuditPagesOnATamperedLog: with a row deleted behind the database's
// back, the verification page names the first bad seq, the entries around
// the gap still open, and the missing one answers 404.
func TestAuditPagesOnATamperedLog(t *testing.T) {
	inst := apptest.MustStart(t, apptest.DB{Name: "sqlite"})
	owner := inst.MustOwner(t)
	tok := inst.MustToken(t, owner, tc.AllPermissions...)
	for _, name := range []string{"a", "b", "c", "d"} {
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/labels", Token: tok,
			Body: map[string]any{"name": name, "color": "#00ff00"}}), 201)
	}
	var all []tc.AuditEntry
	apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/audit-logger", Token: tok}), 200).JSON(t, &all)
	if len(all) < 4 || all[len(all)-1].Seq != 1 {
		t.Fatalf("log holds %d entries, want at least 4 from seq 1", len(all))
	}
	for _, q := range []string{`DROP TRIGGER audit_log_no_update`, `DROP TRIGGER audit_log_prune_only`, `DELETE FROM audit_log WHERE seq = 2`} {
		if _, err := inst.Store.WithTxExec(context.Background(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	c := inst.MustSession(t, owner)
	status, _, body := getPage(t, c, inst.URL, "/audit/verify")
	if status != 200 || !strings.Contains(body, `id="verify-status">broken<`) || !strings.Contains(body, `href="/audit/2" id="verify-bad">seq 2</a>`) {
		t.Errorf("verify page on a log without seq 2 = %d: %.3000s", status, body)
	}
	for _, e := range all {
		want := 200
		if e.Seq == 2 {
			want = 404
		}
		status, _, body := getPage(t, c, inst.URL, fmt.Sprintf("/audit/%d", e.Seq))
		if status != want || (want == 200 && !strings.Contains(body, e.Hash)) {
			t.Errorf("GET /audit/%d = %d, want %d with its hash", e.Seq, status, want)
		}
	}
}
