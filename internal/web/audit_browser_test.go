package web_test

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/apptest"
)

// TestBrowserAudit drives headless Chromium through the audit log as the
// owner: a change made in the UI, found on the Audit page by its action,
// its detail, a verification of the chain, History links from a config and
// from a user, and the retention setting. Each step is a subtest.
func TestBrowserAudit(t *testing.T) {
	inst := apptest.MustStart(t, apptest.DB{Name: "sqlite"})
	b := newBrowser(t, inst.URL)
	const password = "Correct-Horse-9"
	owner := inst.MustPasswordUser(t, tc.RoleOwner, password)
	tok := inst.MustToken(t, owner, tc.AllPermissions...)
	cfg := apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/configs", Token: tok,
		Body: map[string]any{"name": "edge", "toml": "[[inputs.cpu]]\n"}}), 201).Map(t)["id"].(string)

	ok := true
	step := func(name string, fn func(t *testing.T)) {
		if !ok {
			t.Run(name, func(t *testing.T) { t.Skip("an earlier step failed") })
			return
		}
		ok = t.Run(name, fn)
	}

	step("sign in as the owner", func(t *testing.T) {
		b.open(t, "/login")
		b.do(t, b.fill("#f-username", owner.Username), b.fill("#f-password", password), click(`form button[type=submit]`))
		b.waitURL(t, "/configs")
	})

	step("create a label", func(t *testing.T) {
		b.open(t, "/labels")
		b.do(t,
			click(`[data-open="label-new"]`),
			chromedp.WaitVisible(chromedp.CSS("#label-new")),
			b.fill("#label-new input[name=name]", "audit-probe"),
			click(`#label-new button[type=submit]`),
		)
		b.waitText(t, "main table", "audit-probe")
	})

	step("filter the audit log by action", func(t *testing.T) {
		b.open(t, "/audit")
		if n := b.count(t, "table.audit tbody tr"); n < 3 {
			t.Fatalf("audit page shows %d entries, want the sign-in, the config and the label at least", n)
		}
		b.do(t, b.fill("#f-action", "label.create"), click(`#audit-filters button[type=submit]`))
		b.waitURL(t, "/audit?action=label.create")
		if n := b.count(t, "table.audit tbody tr"); n != 1 {
			t.Fatalf("filtered audit page shows %d entries, want 1", n)
		}
		row := b.text(t, "table.audit tbody tr")
		for _, want := range []string{"label.create", "Success", owner.Username} {
			if !strings.Contains(row, want) {
				t.Errorf("entry row %q lacks %q", row, want)
			}
		}
		// The export links keep the filter.
		if href := eval[string](t, b, `document.querySelector("#export-csv").getAttribute("href")`); !strings.Contains(href, "action=label.create") || !strings.Contains(href, "format=csv") {
			t.Errorf("CSV export link %q does not keep the filter", href)
		}
		b.shot(t, "audit-filtered")
	})

	step("open the entry's detail", func(t *testing.T) {
		b.do(t, click("table.audit tbody tr .entry-link"))
		b.waitURL(t, "/audit/")
		b.waitText(t, "#entry", "label.create")
		if hash := b.text(t, "#entry-hash"); !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(strings.TrimSpace(hash)) {
			t.Errorf("entry hash = %q, want 64 hex digits", hash)
		}
		if entry := b.text(t, "#entry"); !strings.Contains(entry, "HeadlessChrome") {
			t.Errorf("entry detail lacks the browser's user agent: %.500s", entry)
		}
		b.shot(t, "audit-entry")
	})

	step("verify the chain", func(t *testing.T) {
		b.open(t, "/audit")
		b.do(t, click("#verify-chain"))
		b.waitURL(t, "/audit/verify")
		if got := b.text(t, "#verify-status"); got != "ok" {
			t.Fatalf("verification = %q, want ok: %s", got, b.text(t, "#verify-result"))
		}
		if h := b.text(t, "#verify-lasthash"); len(strings.TrimSpace(h)) != 64 {
			t.Errorf("last hash = %q, want 64 hex digits", h)
		}
		b.shot(t, "audit-verify")
	})

	step("History from a config's page", func(t *testing.T) {
		b.open(t, "/configs/"+cfg)
		b.do(t, click("nav.tabs a.history"))
		b.waitURL(t, "/audit?targetId="+url.QueryEscape(cfg))
		rows := b.text(t, "table.audit tbody")
		if !strings.Contains(rows, "config.create") || strings.Contains(rows, "label.create") {
			t.Errorf("config's history = %q, want its config.create only", rows)
		}
	})

	step("History from a user's row", func(t *testing.T) {
		b.open(t, "/users")
		b.do(t, click(fmt.Sprintf(`#user-%s a.history`, owner.ID)))
		b.waitURL(t, "/audit?targetId="+owner.ID)
		if rows := b.text(t, "table.audit tbody"); !strings.Contains(rows, "user.login") {
			t.Errorf("owner's history = %q, want the sign-in", rows)
		}
	})

	step("audit log retention in Settings", func(t *testing.T) {
		b.open(t, "/settings")
		b.do(t, chromedp.SetValue(chromedp.CSS("#f-auditLogRetentionHours"), "0"), click(`main form button[type=submit]`))
		b.waitJS(t, `document.querySelector("#toast").textContent.includes("Settings saved")`) // fixed: no offsetParent
		if got := inst.Store.Settings().AuditLogRetentionHours; got != 0 {
			t.Errorf("auditLogRetentionHours = %d after choosing Forever, want 0", got)
		}
	})

	for _, v := range b.cspViolations() {
		t.Errorf("CSP violation: %s", v)
	}
}
