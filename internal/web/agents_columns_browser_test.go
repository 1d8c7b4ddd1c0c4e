package web_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/apptest"
)

// TestBrowserAgentsColumnsAndCopy drives headless Chromium through the
// agents list's view choices on each database: how long each agent has had
// its status, the column chooser and compact rows by keyboard alone, kept
// for the person (a reload, another browser), copy buttons with their
// confirmation, and both without JavaScript (the chooser's form posts; no
// copy buttons).
func TestBrowserAgentsColumnsAndCopy(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db)
		b := newBrowser(t, inst.URL)
		ctx := context.Background()
		const password = "Correct-Horse-9"
		inst.MustOwner(t)
		viewer := inst.MustPasswordUser(t, tc.RoleViewer, password)
		now := inst.Clock.Now()
		since := now.Add(-3*time.Hour - 5*time.Minute)
		agents := []*tc.Agent{
			{ID: "fail-1", Hostname: "db-1.example", IP: "10.1.2.3", Status: tc.AgentFail, LastSeen: now.Add(-10 * time.Second), StatusSince: &since,
				ExternalConfigs: []string{"/etc/telegraf/telegraf.d/local.conf"}},
			{ID: "ok-1", Hostname: "web-1.example", IP: "10.1.2.4", Status: tc.AgentOK, LastSeen: now.Add(-5 * time.Second)},
		}
		if err := inst.Store.InsertAgents(ctx, agents); err != nil {
			t.Fatal(err)
		}
		ok := true
		step := func(name string, fn func(t *testing.T)) {
			if !ok {
				t.Run(name, func(t *testing.T) { t.Skip("an earlier step failed") })
				return
			}
			ok = t.Run(name, fn)
		}
		shown := func(t *testing.T, sel string) bool {
			t.Helper()
			return eval[bool](t, b, fmt.Sprintf(`(e => !!e && getComputedStyle(e).display !== "none")(document.querySelector(%q))`, sel))
		}
		tabTo := func(t *testing.T, js string) {
			t.Helper()
			for range 80 {
				if eval[bool](t, b, js) {
					return
				}
				b.do(t, chromedp.KeyEvent(kb.Tab))
			}
			t.Fatalf("80 tabs never reached %s", js)
		}
		active := func(t *testing.T) string {
			t.Helper()
			return eval[string](t, b, `(e => e.tagName + (e.name ? ":" + e.name + "=" + e.value : "") + (e.id ? "#" + e.id : ""))(document.activeElement)`)
		}

		step("sign in as a viewer", func(t *testing.T) {
			b.do(t, chromedp.EmulateViewport(1440, 900))
			b.open(t, "/login")
			b.do(t, b.fill("#f-username", viewer.Username), b.fill("#f-password", password), click(`form button[type=submit]`))
			b.waitJS(t, `location.pathname !== "/login"`)
		})

		step("each status says how long it has held", func(t *testing.T) {
			b.open(t, "/agents")
			if got := b.text(t, `tr[data-id="fail-1"] .since`); got != "for 3 h" {
				t.Errorf("fail-1's status cell says %q, want for 3 h", got)
			}
			if got := eval[string](t, b, `document.querySelector('tr[data-id="fail-1"] .since').title`); !strings.Contains(got, since.UTC().Format("2006-01-02 15:04")) {
				t.Errorf("its title %q, want the time", got)
			}
			b.open(t, "/agents/fail-1")
			if got := b.text(t, "#status-since"); got != "for 3 h" {
				t.Errorf("the agent page says %q", got)
			}
			b.open(t, "/agents")
		})

		step("keyboard alone: open the chooser, show IP, compact rows, Esc", func(t *testing.T) {
			if shown(t, "th.col-ip") || !shown(t, "th.col-hostname") {
				t.Fatal("by default the IP column is hidden and the hostname shown")
			}
			b.do(t, chromedp.Focus(chromedp.CSS("#export-csv")))
			tabTo(t, `document.activeElement.matches("#columns > summary")`)
			b.do(t, chromedp.KeyEvent(kb.Enter))
			b.waitJS(t, `document.getElementById("columns").open`)
			tabTo(t, `document.activeElement.matches('input[name=columns][value=ip]')`)
			b.do(t, chromedp.KeyEvent(" "))
			b.waitJS(t, `getComputedStyle(document.querySelector("th.col-ip")).display !== "none"`)
			b.waitText(t, "#columns-status", "Saved for your account")
			if got := b.text(t, `tr[data-id="fail-1"] td.col-ip`); got != "10.1.2.3" {
				t.Errorf("IP cell %q", got)
			}
			tabTo(t, `document.activeElement.matches('input[name=columns][value=hostname]')`)
			b.do(t, chromedp.KeyEvent(" "))
			b.waitJS(t, `getComputedStyle(document.querySelector("th.col-hostname")).display === "none"`)
			before := eval[float64](t, b, `document.querySelector('tr[data-id="fail-1"]').getBoundingClientRect().height`)
			tabTo(t, `document.activeElement.id === "compact-rows"`)
			b.do(t, chromedp.KeyEvent(" "))
			b.waitJS(t, `document.getElementById("agents-grid").classList.contains("compact")`)
			b.waitText(t, "#columns-status", "Saved for your account")
			if after := eval[float64](t, b, `document.querySelector('tr[data-id="fail-1"]').getBoundingClientRect().height`); after >= before {
				t.Errorf("a compact row is %.0f px high, %.0f before", after, before)
			}
			b.do(t, chromedp.KeyEvent(kb.Escape))
			b.waitJS(t, `!document.getElementById("columns").open`)
			if got := active(t); got != "SUMMARY" {
				t.Errorf("after Esc the focus is on %s, want the chooser's button", got)
			}
			b.shot(t, "agents-columns-compact-"+db.Name)
		})

		step("the choice is kept for the person", func(t *testing.T) {
			b.open(t, "/agents")
			if !shown(t, "th.col-ip") || shown(t, "th.col-hostname") || !eval[bool](t, b, `document.getElementById("agents-grid").classList.contains("compact")`) {
				t.Error("after a reload the choice is gone")
			}
			// Another browser, the same person: the server keeps it.
			other := inst.MustSession(t, viewer)
			page := apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/agents", Client: other}), 200).Body
			if !strings.Contains(string(page), "compact hide-hostname") {
				t.Error("another session's page does not have the choice")
			}
		})

		step("copy buttons confirm, by mouse and by keyboard", func(t *testing.T) {
			btn := `tr[data-id="fail-1"] td.ident button[data-copy="fail-1"]`
			if got := eval[string](t, b, fmt.Sprintf(`document.querySelector(%q).getAttribute("aria-label")`, btn)); got != "Copy agent id fail-1" {
				t.Errorf("copy button label %q", got)
			}
			b.do(t, click(btn))
			b.waitJS(t, fmt.Sprintf(`document.querySelector(%q).dataset.copied === "true"`, btn))
			if got := eval[string](t, b, fmt.Sprintf(`getComputedStyle(document.querySelector(%q), "::after").content`, btn)); got != `"Copied"` {
				t.Errorf("the button shows %s, want Copied", got)
			}
			b.waitJS(t, `document.getElementById("toast").textContent === "Copied to the clipboard"`) // fixed: no offsetParent for waitText
			b.waitJS(t, fmt.Sprintf(`document.querySelector(%q).dataset.copied === undefined`, btn))
			ip := `tr[data-id="fail-1"] td.col-ip button[data-copy]`
			b.do(t, chromedp.Focus(chromedp.CSS(ip)), chromedp.KeyEvent(kb.Enter))
			b.waitJS(t, fmt.Sprintf(`document.querySelector(%q).dataset.copied === "true"`, ip))
			b.open(t, "/agents/fail-1")
			if n := b.count(t, "#agent-status [data-copy]"); n != 3 {
				t.Errorf("%d copy buttons on the agent's status card, want id, hostname and IP", n)
			}
			if n := b.count(t, `button[data-copy="/etc/telegraf/telegraf.d/local.conf"]`); n != 1 {
				t.Errorf("%d copy buttons for the external config's URL, want 1", n)
			}
		})

		step("without JavaScript: no copy buttons, the chooser's form posts", func(t *testing.T) {
			b.do(t, scripts(false))
			defer b.do(t, scripts(true))
			b.open(t, "/agents")
			if eval[bool](t, b, `document.documentElement.classList.contains("js")`) {
				t.Fatal("scripts ran")
			}
			if shown(t, `button[data-copy]`) {
				t.Error("a copy button shows without JavaScript")
			}
			b.do(t, click("#columns > summary"))
			b.waitJS(t, `getComputedStyle(document.getElementById("columns-save")).display !== "none"`)
			b.do(t, click(`input[name=columns][value=hostname]`), click(`#compact-rows`), click("#columns-save"))
			b.waitJS(t, `document.readyState === "complete" && !!document.querySelector("#agents-grid") && !document.getElementById("agents-grid").classList.contains("compact")`)
			if !shown(t, "th.col-hostname") || !shown(t, "th.col-ip") {
				t.Error("after the form: hostname and IP should both show")
			}
		})
	})
}

// scripts switches the page's JavaScript on or off, as a browser with
// JavaScript disabled.
func scripts(on bool) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: !on})
		return err
	})
}
