package web_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/apptest"
)

// TestBrowserFlow drives real headless Chromium through the main journey of
// an operator. Each step is a subtest: a failing step names itself, and the
// steps before it still pass.
// It runs on both databases; the SQLite run saves the screenshots.
func TestBrowserFlow(t *testing.T) {
	apptest.ForEachDB(t, browserFlow)
}

func browserFlow(t *testing.T, db apptest.DB) {
	inst := apptest.MustStart(t, db)
	b := newBrowser(t, inst.URL)
	if db.Name != "sqlite" {
		b.shotDir = ""
	}
	ok := true
	step := func(name string, fn func(t *testing.T)) {
		if !ok {
			t.Run(name, func(t *testing.T) { t.Skip("an earlier step failed") })
			return
		}
		ok = t.Run(name, fn)
	}

	step("unauthenticated pages redirect to sign-in", func(t *testing.T) {
		b.open(t, "/agents?status=ok")
		loc := b.location(t)
		if !strings.HasPrefix(loc, "/login?next=") && !strings.HasPrefix(loc, "/setup") {
			t.Fatalf("location = %s, want /login?next=... or /setup", loc)
		}
	})

	step("first-run setup", func(t *testing.T) {
		b.open(t, "/")
		b.waitURL(t, "/setup")
		b.shot(t, "01-setup")
		b.do(t,
			b.fill("#f-username", "owner"),
			b.fill("#f-email", "owner@example.com"),
			b.fill("#f-password", "Correct-Horse-9"),
			b.fill("#f-confirm", "Correct-Horse-9"),
			click(`form button[type=submit]`),
		)
		b.waitURL(t, "/configs")
		if got := b.text(t, ".who .username"); got != "owner" {
			t.Errorf("header user = %q, want owner", got)
		}
		b.do(t, click(`.who form button`))
		b.waitURL(t, "/login")
	})

	step("sign-in returns to the page asked for", func(t *testing.T) {
		b.open(t, "/labels")
		b.waitURL(t, "/login?next=")
		b.do(t,
			b.fill("#f-username", "owner"),
			b.fill("#f-password", "wrong-password"),
			click(`form button[type=submit]`),
		)
		b.waitJS(t, `!document.querySelector(".form-error").hidden`)
		b.shot(t, "02-login-error")
		b.do(t,
			b.fill("#f-password", "Correct-Horse-9"),
			click(`form button[type=submit]`),
		)
		b.waitURL(t, "/labels")
		if got := b.text(t, ".who .username"); got != "owner" {
			t.Errorf("header user = %q, want owner", got)
		}
	})

	step("create a label", func(t *testing.T) {
		b.open(t, "/labels")
		b.do(t,
			click(`[data-open="label-new"]`),
			chromedp.WaitVisible(chromedp.CSS("#label-new")),
			b.fill("#label-new input[name=name]", "production"),
			b.fill("#label-new input[name=description]", "Live systems"),
			click(`#label-new button[type=submit]`),
		)
		b.waitText(t, "main table", "production")
		b.shot(t, "03-labels")
	})

	var configPath string
	step("create a config with a parameter", func(t *testing.T) {
		b.open(t, "/configs/new")
		b.do(t,
			b.fill("#f-name", "web-servers"),
			b.fill("#f-description", "Front-end fleet"),
			click(`input[name=labelIds]`),
			setTextarea("#f-toml", "[[inputs.cpu]]\n  percpu = true\n\n[[outputs.file]]\n  files = [\"&{out_path}\"]\n"),
			click(`main form button[type=submit]`),
		)
		b.waitJS(t, `/^\/configs\/[0-9a-f-]{36}$/.test(location.pathname) && document.readyState === "complete"`)
		configPath = b.location(t)
		b.waitText(t, ".topbar h1", "web-servers")
		if got := b.count(t, ".code-area .hl-param"); got != 1 {
			t.Errorf("highlighted parameters = %d, want 1", got)
		}
		b.shot(t, "04-config-editor")
	})

	step("validate a broken config and see the error line", func(t *testing.T) {
		b.open(t, configPath)
		b.do(t, setTextarea("#f-toml", "[[inputs.cpu]]\n  percpu = true\n[[outputs.file]\n  files = [\"&{out_path}\"]\n"))
		b.waitJS(t, `document.querySelector("#problems li.error") !== null`)
		line := eval[string](t, b, `document.querySelector("#problems li.error").dataset.line`)
		if line != "3" {
			t.Errorf("error reported at line %q, want 3 (%s)", line, b.text(t, "#problems"))
		}
		if got := eval[string](t, b, `document.querySelector(".gutter div.err") ? document.querySelector(".gutter div.err").textContent : ""`); got != "3" {
			t.Errorf("gutter marks line %q, want 3", got)
		}
		b.shot(t, "05-config-validation-error")
	})

	step("save a new version and compare versions", func(t *testing.T) {
		b.open(t, configPath)
		b.do(t,
			setTextarea("#f-toml", "[[inputs.cpu]]\n  percpu = false\n  totalcpu = true\n\n[[outputs.file]]\n  files = [\"&{out_path}\"]\n"),
			b.fill("#f-changeNote", "Only total CPU"),
			click("#save-toml"),
		)
		b.waitText(t, "#editor-form h2", "version 2")
		b.open(t, configPath+"/versions")
		b.waitText(t, "main table", "Only total CPU")
		b.shot(t, "06-config-versions")
		b.do(t, click("#compare"))
		b.waitURL(t, configPath+"/compare")
		b.waitJS(t, `document.querySelectorAll("#diff td.add").length > 0 && document.querySelectorAll("#diff td.del").length > 0`)
		b.shot(t, "07-config-compare")
	})

	step("delete one old version and prune the rest", func(t *testing.T) {
		for _, v := range []string{"3", "4"} {
			b.open(t, configPath)
			b.do(t,
				setTextarea("#f-toml", "[[inputs.cpu]]\n  percpu = false\n  # v"+v+"\n\n[[outputs.file]]\n  files = [\"&{out_path}\"]\n"),
				b.fill("#f-changeNote", "Note "+v),
				click("#save-toml"),
			)
			b.waitText(t, "#editor-form h2", "version "+v)
		}
		versions := func() string {
			return eval[string](t, b, `Array.from(document.querySelectorAll("main tbody tr td:nth-child(3) a")).map(a => a.textContent).join(",")`)
		}
		b.open(t, configPath+"/versions")
		if got := versions(); got != "Version 4,Version 3,Version 2,Version 1" {
			t.Fatalf("versions = %q", got)
		}
		// The current version has no delete button.
		if n := b.count(t, `button[data-method=DELETE][data-api$="/versions/4"]`); n != 0 {
			t.Errorf("the current version offers %d delete buttons", n)
		}
		b.do(t, click(`button[data-method=DELETE][data-api$="/versions/2"]`), chromedp.WaitVisible(chromedp.CSS("#confirm-dialog")), click("#confirm-ok"))
		b.waitJS(t, `document.readyState === "complete" && document.querySelectorAll('button[data-api$="/versions/2"]').length === 0`)
		if got := versions(); got != "Version 4,Version 3,Version 1" {
			t.Fatalf("after deleting version 2: %q", got)
		}
		b.do(t, chromedp.SetValue(chromedp.CSS("#f-beforeVersion"), "4"), click(`form[data-api$="/versions/prune"] button[type=submit]`),
			chromedp.WaitVisible(chromedp.CSS("#confirm-dialog")), click("#confirm-ok"))
		b.waitJS(t, `document.readyState === "complete" && document.querySelectorAll("main tbody tr").length === 1`)
		if got := versions(); got != "Version 4" {
			t.Fatalf("after pruning before version 4: %q", got)
		}
		b.shot(t, "07b-config-versions-pruned")
	})

	step("the plugin library inserts a plugin's sample", func(t *testing.T) {
		b.open(t, configPath)
		b.do(t, b.fill("#plugin-q", "mem"))
		b.waitText(t, "#plugin-list", "inputs.mem")
		b.do(t, click(`#plugin-list button[aria-label="Insert inputs.mem"]`))
		b.waitJS(t, `document.querySelector("#f-toml").value.includes("[[inputs.mem]]")`)
		b.shot(t, "08-config-plugin-library")
		// Save it: leaving the editor with unsaved changes would ask first.
		b.do(t, click("#save-toml"))
		b.waitText(t, "#editor-form h2", "version 5")
	})

	step("use this configuration builds the agent command", func(t *testing.T) {
		b.open(t, configPath)
		b.do(t, click("#use-button"), chromedp.WaitVisible(chromedp.CSS("#use-dialog")))
		b.waitText(t, "#use-missing", "out_path")
		b.do(t, b.fill("#p-out_path", "/tmp/metrics.out"))
		b.waitText(t, "#use-command", "out_path=%2Ftmp%2Fmetrics.out")
		cmd := b.text(t, "#use-command")
		for _, want := range []string{"export TELEGRAF_CONTROLLER_TOKEN=", "--config-url-watch-interval '30s'", configPath + "/toml"} {
			if !strings.Contains(cmd, want) {
				t.Errorf("command lacks %q:\n%s", want, cmd)
			}
		}
		b.shot(t, "08-config-use")
		b.do(t, click(`#use-dialog [data-os="windows"]`))
		b.waitText(t, "#use-command", "$env:TELEGRAF_CONTROLLER_TOKEN")
		b.do(t, click(`#use-dialog [data-close]`))
	})

	var tokenValue string
	step("create a telegraf-agent token and copy it", func(t *testing.T) {
		b.open(t, "/tokens")
		b.do(t,
			click("#new-token"),
			chromedp.WaitVisible(chromedp.CSS("#token-new")),
			b.fill("#token-new #f-description", "web servers"),
			click(`#token-new input[name=preset][value="telegraf-agent"]`),
			click(`#token-form button[type=submit]`),
			chromedp.WaitVisible(chromedp.CSS("#token-created")),
		)
		tokenValue = b.text(t, "#token-secret")
		if !strings.HasPrefix(tokenValue, "tc-apiv1_") {
			t.Fatalf("shown token = %q", tokenValue)
		}
		b.shot(t, "09-token-created")
		b.do(t, click("#copy-token"))
		b.waitJS(t, `document.getElementById("copy-token").dataset.copied === "true"`)
		b.do(t, click(`#token-created [data-reload]`))
		b.waitText(t, "main table", "web servers")
		if strings.Contains(eval[string](t, b, `document.body.innerHTML`), tokenValue) {
			t.Error("the token list shows the secret")
		}
		b.shot(t, "10-tokens")
	})

	step("open the agents page after a heartbeat and see the agent", func(t *testing.T) {
		hb := fmt.Sprintf(`{"id":"agent-web-1","version":"1.39.3","hostname":"web-1","status":"OK","configurations":[%q]}`, inst.URL+"/api"+configPath+"/toml")
		r := inst.Do(t, apptest.Req{Method: "POST", Path: inst.HeartbeatURL + "/agents/heartbeat", Body: hb, Token: tokenValue})
		if r.StatusCode != 204 {
			t.Fatalf("heartbeat: %d %s", r.StatusCode, r.Body)
		}
		b.open(t, "/agents")
		b.waitText(t, "#agents-table", "agent-web-1") // auto-refresh brings it in once flushed
		b.waitText(t, "#total-agents", "1")
		// A ticked row stays ticked across auto-refreshes.
		b.do(t, click(`input[name=ids][value="agent-web-1"]`))
		before := eval[string](t, b, `document.body.dataset.refreshed || "0"`)
		b.waitJS(t, fmt.Sprintf(`(document.body.dataset.refreshed || "0") !== %q`, before))
		if !eval[bool](t, b, `document.querySelector('input[name=ids][value="agent-web-1"]').checked && !document.getElementById("bulk").hidden`) {
			t.Error("the selection was lost on refresh")
		}
		b.shot(t, "11-agents")
		// Bulk: add the label to the ticked agent.
		b.do(t, click(`#bulk button[data-bulk-action="add-label"]`))
		b.waitText(t, "#agents-table", "production")
		b.do(t, click(`a[href="/agents/agent-web-1"]`))
		b.waitText(t, "main", "web-1")
		b.waitText(t, "main", "web-servers") // the managed config link
		b.shot(t, "12-agent-detail")

		// Two silent hours, swept every ten minutes: the chart shows the
		// agent going from OK to not reporting.
		started := inst.Clock.Now().Add(-time.Hour)
		for range 12 {
			if _, err := inst.Store.SweepAgentStatus(context.Background(), started); err != nil {
				t.Fatal(err)
			}
			inst.Clock.Advance(10 * time.Minute)
		}
		b.open(t, "/agents")
		b.waitText(t, "#agents-table", "Not reporting")
		if got := b.count(t, ".chart polygon"); got != 5 {
			t.Errorf("fleet chart areas = %d, want 5", got)
		}
		b.shot(t, "11b-agents-chart")
	})

	step("revoke the token", func(t *testing.T) {
		b.open(t, "/tokens")
		b.do(t, click(`button[data-api$="/revoke"]`))
		b.do(t, chromedp.WaitVisible(chromedp.CSS("#confirm-dialog")), click("#confirm-ok"))
		b.waitText(t, "main table", "Revoked")
		hb := `{"id":"agent-web-2","version":"1.39.3"}`
		r := inst.Do(t, apptest.Req{Method: "POST", Path: inst.HeartbeatURL + "/agents/heartbeat", Body: hb, Token: tokenValue})
		if r.StatusCode != 401 {
			t.Errorf("heartbeat with revoked token: %d, want 401", r.StatusCode)
		}
	})

	step("field errors from the API show next to the field", func(t *testing.T) {
		b.open(t, "/constants")
		b.do(t,
			click(`[data-open="const-new"]`),
			chromedp.WaitVisible(chromedp.CSS("#const-new")),
			b.fill("#const-new #f-name", "Bad Name"),
			b.fill("#const-new #f-value", "eu-west-1"),
			click(`#const-new button[type=submit]`),
		)
		b.waitJS(t, `document.querySelector('#const-new [data-error-for="name"]').textContent.length > 0`)
		if !eval[bool](t, b, `document.querySelector("#const-new #f-name").getAttribute("aria-invalid") === "true"`) {
			t.Error("the name field is not marked invalid")
		}
		b.shot(t, "17-constant-field-error")
		b.do(t,
			b.fill("#const-new #f-name", "region"),
			click(`#const-new button[type=submit]`),
		)
		b.waitText(t, "main table", "eu-west-1")
		b.shot(t, "18-constants")
		b.open(t, "/reporting-rules")
		b.do(t,
			click(`[data-open="rule-new"]`),
			chromedp.WaitVisible(chromedp.CSS("#rule-new")),
			b.fill("#rule-new input[name=name]", "batch hosts"),
			b.fill("#rule-new input[name=notReportingAfterSeconds]", "3600"),
			click(`#rule-new button[type=submit]`),
		)
		b.waitText(t, "main table", "batch hosts")
		b.shot(t, "19-reporting-rules")
		for _, p := range []struct{ path, name string }{{"/settings", "20-settings"}, {"/account", "21-account"}, {"/configs", "22-configs"}} {
			b.open(t, p.path)
			b.shot(t, p.name)
		}
	})

	var inviteLink string
	step("invite a viewer", func(t *testing.T) {
		b.open(t, "/users")
		b.do(t,
			click("#invite-user"),
			chromedp.WaitVisible(chromedp.CSS("#invite-new")),
			b.fill("#invite-new #f-username", "vera"),
			b.fill("#invite-new #f-email", "vera@example.com"),
			chromedp.SetValue(chromedp.CSS("#invite-new #f-role"), "viewer"),
			click(`#invite-form button[type=submit]`),
			chromedp.WaitVisible(chromedp.CSS("#link-dialog")),
		)
		inviteLink = b.text(t, "#link-value")
		if !strings.Contains(inviteLink, "/invite/") {
			t.Fatalf("invite link = %q", inviteLink)
		}
		b.shot(t, "13-invite-link")
		b.do(t, click(`#link-dialog [data-reload]`))
		b.waitText(t, "main", "Pending invitations")
		b.shot(t, "14-users")
	})

	step("the viewer sees no edit controls", func(t *testing.T) {
		b.do(t, click(`.who form button`))
		b.waitURL(t, "/login")
		b.open(t, strings.TrimPrefix(inviteLink, inst.URL))
		b.do(t,
			b.fill("#f-password", "Viewer-Pass-1"),
			b.fill("#f-confirm", "Viewer-Pass-1"),
			click(`form button[type=submit]`),
		)
		b.waitJS(t, `location.pathname === "/configs" && document.readyState === "complete"`)
		if got := strings.ToLower(b.text(t, ".who .role")); got != "viewer" {
			t.Errorf("header role = %q, want viewer", got)
		}
		nav := b.text(t, ".sidebar ul")
		for _, hidden := range []string{"API Tokens", "Users", "Settings"} {
			if strings.Contains(nav, hidden) {
				t.Errorf("viewer navigation shows %q: %s", hidden, nav)
			}
		}
		b.shot(t, "15-viewer-configs")
		for _, page := range []string{"/configs", configPath, configPath + "/versions", "/labels", "/agents", "/agents/agent-web-1", "/reporting-rules", "/constants"} {
			b.open(t, page)
			n := eval[int](t, b, `document.querySelectorAll("main [data-api]:not([data-api='/api/configs/validate']), main a[href='/configs/new'], main [data-open]:not([data-open='use-dialog']), #save-toml").length`)
			if n != 0 {
				html := eval[string](t, b, `Array.from(document.querySelectorAll("main [data-api], main [data-open]")).map(e => e.outerHTML.slice(0, 120)).join("\n")`)
				t.Errorf("viewer sees %d edit controls on %s:\n%s", n, page, html)
			}
		}
		b.open(t, configPath)
		if !eval[bool](t, b, `document.querySelector("#f-toml").readOnly`) {
			t.Error("viewer's editor is not read-only")
		}
		b.open(t, "/users")
		if got := b.text(t, ".status-code"); got != "403" {
			t.Errorf("viewer on /users: status %q, want 403", got)
		}
		b.shot(t, "16-viewer-forbidden")
	})

	step("the owner changes a role and makes a reset link", func(t *testing.T) {
		b.do(t, click(`.who form button`))
		b.waitURL(t, "/login")
		b.open(t, "/login?next=/users")
		b.do(t,
			b.fill("#f-username", "owner@example.com"),
			b.fill("#f-password", "Correct-Horse-9"),
			click(`form button[type=submit]`),
		)
		b.waitURL(t, "/users")
		id := eval[string](t, b, `Array.from(document.querySelectorAll("main tbody tr")).find(r => r.textContent.includes("vera")).querySelector("select[name=role]").id`)
		b.do(t, chromedp.SetValue(chromedp.CSS("#"+id), "manager"), chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`window.stalePage = true; document.getElementById(%q).dispatchEvent(new Event("change"))`, id))(ctx, tg)
			return err
		}))
		b.do(t, chromedp.WaitVisible(chromedp.CSS("#confirm-dialog")), click("#confirm-ok"))
		// The page reloads after the change: wait for the new one.
		b.waitJS(t, fmt.Sprintf(`!window.stalePage && document.readyState === "complete" && document.getElementById(%q).value === "manager"`, id))
		b.do(t, click(`button[data-api$="/password-reset"]`))
		b.do(t, chromedp.WaitVisible(chromedp.CSS("#link-dialog")))
		if link := b.text(t, "#link-value"); !strings.Contains(link, "/reset-password/") {
			t.Errorf("reset link = %q", link)
		}
		b.shot(t, "23-reset-link")
	})

	step("the owner hands ownership to an administrator", func(t *testing.T) {
		admin := inst.MustPasswordUser(t, tc.RoleAdministrator, "Admin-Pass-77")
		b.do(t, click(`#link-dialog [data-reload]`))
		b.waitJS(t, fmt.Sprintf(`document.readyState === "complete" && !!document.querySelector('[data-transfer=%q]')`, admin.ID))
		b.do(t, click(fmt.Sprintf(`[data-transfer=%q]`, admin.ID)), chromedp.WaitVisible(chromedp.CSS("#transfer-dialog")))
		if got := b.text(t, "#transfer-name"); got != admin.Username {
			t.Errorf("dialog names %q, want %q", got, admin.Username)
		}
		// The button stays disabled until the username is typed exactly.
		b.do(t, b.fill("#transfer-confirm", admin.Username+"x"))
		if !eval[bool](t, b, `document.getElementById("transfer-ok").disabled`) {
			t.Fatal("transfer enabled with a wrong username typed")
		}
		b.do(t, b.fill("#transfer-confirm", admin.Username))
		b.waitJS(t, `!document.getElementById("transfer-ok").disabled`)
		b.shot(t, "24-transfer-ownership")
		b.do(t, click("#transfer-ok"))
		b.waitURL(t, "/login")
		// Both were signed out: the old owner's session no longer opens pages.
		b.open(t, "/users")
		b.waitURL(t, "/login?next=")
		owner, err := inst.Store.Owner(context.Background())
		if err != nil || owner.ID != admin.ID {
			t.Fatalf("owner after transfer = %+v (%v), want %s", owner, err, admin.Username)
		}
		b.do(t,
			b.fill("#f-username", admin.Username),
			b.fill("#f-password", "Admin-Pass-77"),
			click(`form button[type=submit]`),
		)
		b.waitURL(t, "/users")
		if got := strings.ToLower(b.text(t, ".who .role")); got != "owner" {
			t.Errorf("new owner's header role = %q, want owner", got)
		}
	})

	step("nothing on the journey broke the Content-Security-Policy", func(t *testing.T) {
		for _, v := range b.cspViolations() {
			t.Errorf("CSP violation: %s", v)
		}
	})
}

// setTextarea replaces a textarea's text as typing would, firing input.
func setTextarea(sel, text string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => { const ta = document.querySelector(%q); ta.value = %q; ta.dispatchEvent(new Event("input", {bubbles: true})); })()`, sel, text))(ctx, t)
		return err
	})
}
