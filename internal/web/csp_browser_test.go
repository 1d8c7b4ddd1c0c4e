package web_test

import (
	"context"
	"testing"
	"time"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/apptest"
)

// TestBrowserCSP opens every main page in Chromium under the
// Content-Security-Policy and requires that the page's scripts ran, its
// stylesheet applied and Chromium reported no violation: nothing inline is
// left in the UI or the API reference.
func TestBrowserCSP(t *testing.T) {
	inst := apptest.MustStart(t, apptest.DB{Name: "sqlite"})
	b := newBrowser(t, inst.URL)
	tok := inst.MustToken(t, inst.MustOwner(t), tc.AllPermissions...)
	cfg := apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/configs", Token: tok,
		Body: map[string]any{"name": "base", "toml": "[[inputs.cpu]]\n"}}), 201).Map(t)["id"].(string)
	apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "PATCH", Path: "/api/configs/" + cfg, Token: tok,
		Body: map[string]any{"toml": "[[inputs.mem]]\n"}}), 200)
	label := apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/labels", Token: tok,
		Body: map[string]any{"name": "prod", "color": "#dc2626"}}), 201).Map(t)["id"].(string)
	err := inst.Store.InsertAgents(context.Background(), []*tc.Agent{{ID: "web-1", Hostname: "web-1", LabelIDs: []string{label}, ConfigIDs: []string{cfg}}})
	if err != nil {
		t.Fatal(err)
	}
	inst.MustInvite(t, tc.RoleViewer, 24*time.Hour)
	inst.MustUser(t, tc.RoleManager) // a role select on the users page
	const password = "Correct-Horse-9"
	admin := inst.MustPasswordUser(t, tc.RoleAdministrator, password)

	// styled: app.css applied (it sets the body's margin to 0).
	const styled = `getComputedStyle(document.body).marginTop === "0px"`
	b.open(t, "/login")
	b.waitJS(t, styled+` && typeof TC === "object"`)
	b.do(t, b.fill("#f-username", admin.Username), b.fill("#f-password", password), click(`form button[type=submit]`))
	b.waitURL(t, "/configs")

	pages := []struct{ path, ran string }{
		{"/configs", `typeof TC === "object"`},
		{"/configs/new", `typeof TC === "object"`},
		{"/configs/" + cfg, `document.querySelector(".gutter").children.length > 0`}, // editor.js
		{"/configs/" + cfg + "/versions", `typeof TC === "object"`},
		{"/configs/" + cfg + "/versions/1", `typeof TC === "object"`},
		{"/configs/" + cfg + "/compare?from=1&to=2", `typeof TC === "object"`},
		{"/constants", `typeof TC === "object"`},
		{"/agents", `typeof TC.hooks.agentBulk === "function"`}, // agents.js
		{"/agents/web-1", `document.querySelector(".chip .dot circle").getAttribute("fill") === "#dc2626"`},
		{"/reporting-rules", `typeof TC === "object"`},
		{"/alert-rules", `typeof TC === "object"`},
		{"/alerts", `typeof TC === "object"`},
		{"/notification-channels", `typeof TC === "object"`},
		{"/notification-channels/new", `typeof TC === "object"`},
		{"/notification-channels/new?kind=webhook", `typeof TC === "object"`},
		{"/labels", `document.querySelector(".swatch rect") !== null`},
		{"/tokens", `typeof TC.hooks.tokenCreate === "function"`},
		{"/users", `typeof TC === "object"`},
		{"/settings", `typeof TC === "object"`},
		{"/account", `typeof TC === "object"`},
		{"/audit", `document.querySelector("table.audit .badge") !== null`},
		{"/audit/1", `document.querySelector("#entry-hash") !== null`},
		{"/audit/verify", `document.querySelector("#verify-status") !== null`},
		{"/no-such-page", `typeof TC === "object"`},
		{"/api/docs", `document.querySelectorAll("main details").length > 10`}, // its inline script
	}
	for _, p := range pages {
		b.open(t, p.path)
		cond := p.ran
		if p.path != "/api/docs" {
			cond = styled + " && " + cond
		}
		b.waitJS(t, cond)
	}
	for _, v := range b.cspViolations() {
		t.Errorf("CSP violation: %s", v)
	}
}
