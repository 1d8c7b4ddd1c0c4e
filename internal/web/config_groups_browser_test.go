package web_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/apptest"
)

// TestBrowserConfigGroups drives Chromium through the config group pages
// on each database: create a group by adding configs, reorder its members
// by keyboard alone (Alt+ArrowUp on a focused member, announced) and save,
// see the merged preview, add an alias, and read the "Use this config
// group" command, with no CSP violation.
func TestBrowserConfigGroups(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db)
		b := newBrowser(t, inst.URL)
		const password = "Correct-Horse-9"
		owner := inst.MustPasswordUser(t, tc.RoleOwner, password)
		tok := inst.MustToken(t, owner, tc.AllPermissions...)
		var ids []string
		for _, c := range []struct{ name, toml string }{
			{"alpha", "[[inputs.cpu]]\n"},
			{"beta", "[[inputs.mem]]\n"},
			{"gamma", "[[outputs.file]]\n  files = [\"&{out}\"]\n"},
		} {
			ids = append(ids, apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/configs", Token: tok,
				Body: map[string]any{"name": c.name, "toml": c.toml}}), 201).Map(t)["id"].(string))
		}
		members := func(t *testing.T, id string) string {
			t.Helper()
			var g tc.ConfigGroup
			apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/config-groups/" + id, Token: tok}), 200).JSON(t, &g)
			var names []string
			for _, m := range g.Members {
				names = append(names, m.Name)
			}
			return strings.Join(names, ",")
		}
		ok := true
		step := func(name string, fn func(t *testing.T)) {
			if !ok {
				t.Run(name, func(t *testing.T) { t.Skip("an earlier step failed") })
				return
			}
			ok = t.Run(name, fn)
		}
		var groupID string

		step("sign in", func(t *testing.T) {
			b.do(t, chromedp.EmulateViewport(1280, 900))
			b.open(t, "/login")
			b.do(t, b.fill("#f-username", owner.Username), b.fill("#f-password", password), click(`form button[type=submit]`))
			b.waitURL(t, "/configs")
		})
		step("create a group from three configs", func(t *testing.T) {
			b.open(t, "/config-groups")
			b.waitText(t, "main", "No config groups yet")
			b.do(t, click(`a[href="/config-groups/new"]`))
			b.waitURL(t, "/config-groups/new")
			b.do(t, b.fill("#f-name", "edge fleet"), b.fill("#f-description", "every edge host"))
			for _, id := range ids {
				b.do(t, chromedp.SetValue(chromedp.CSS("#add-config"), id), click("#add-member"))
			}
			if n := b.count(t, "#members li"); n != 3 {
				t.Fatalf("members listed = %d, want 3", n)
			}
			b.do(t, click(`#group-form button[type=submit]`))
			b.waitURL(t, "/config-groups/")
			b.waitText(t, "#merged-toml", `# --- config "gamma"`)
			groupID = strings.TrimPrefix(b.location(t), "/config-groups/")
			if got := members(t, groupID); got != "alpha,beta,gamma" {
				t.Fatalf("members = %s", got)
			}
		})
		step("reorder by keyboard and save", func(t *testing.T) {
			b.do(t, chromedp.Focus(chromedp.CSS(`#members li:nth-child(3)`)))
			b.do(t, chromedp.KeyEvent(kb.ArrowUp, chromedp.KeyModifiers(chromedp.ModifierAlt)))
			b.waitText(t, "#members-live", "gamma moved to position 2 of 3")
			b.do(t, chromedp.KeyEvent(kb.ArrowUp, chromedp.KeyModifiers(chromedp.ModifierAlt)))
			b.waitText(t, "#members-live", "gamma moved to position 1 of 3")
			if got := eval[string](t, b, `document.activeElement.querySelector(".member-name").textContent`); got != "gamma" {
				t.Errorf("focus after moving: %q, want gamma", got)
			}
			// Arrow keys alone move the focus, Delete removes.
			b.do(t, chromedp.KeyEvent(kb.ArrowDown), chromedp.KeyEvent(kb.ArrowDown), chromedp.KeyEvent(kb.Delete))
			b.waitText(t, "#members-live", "beta removed")
			eval[bool](t, b, `window.beforeSave = true`)
			b.do(t, click(`#group-form button[type=submit]`))
			// Saved when the page has reloaded.
			b.waitJS(t, `!window.beforeSave && document.readyState === "complete"`)
			if got := members(t, groupID); got != "gamma,alpha" {
				t.Fatalf("members after reordering = %s, want gamma,alpha", got)
			}
			b.waitText(t, "#merged-toml", `# --- config "gamma"`)
			if txt := b.text(t, "#merged-toml"); strings.Index(txt, `"gamma"`) > strings.Index(txt, `"alpha"`) {
				t.Errorf("merged preview not in the new order:\n%s", txt)
			}
		})
		step("add an alias and use the group", func(t *testing.T) {
			b.do(t, b.fill("#f-alias", "edge"), click(`#aliases button[type=submit]`))
			b.waitText(t, "#aliases table", "/c/edge")
			b.do(t, click(`[data-open="use-dialog"]`))
			b.waitText(t, "#use-command", "/c/edge?out=VALUE")
			if cmd := b.text(t, "#use-command"); !strings.Contains(cmd, inst.URL+"/c/edge") || !strings.Contains(cmd, "--config-url-watch-interval") {
				t.Errorf("use command: %s", cmd)
			}
			b.do(t, click(`#use-dialog [data-close]`))
		})
		step("the config page lists its aliases", func(t *testing.T) {
			apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/configs/" + ids[0] + "/aliases", Token: tok,
				Body: map[string]any{"alias": "alpha-one"}}), 201)
			b.open(t, "/configs/"+ids[0])
			b.waitText(t, "#aliases", "alpha-one")
		})
		step("no CSP violation", func(t *testing.T) {
			for _, v := range b.cspViolations() {
				t.Errorf("CSP violation: %s", v)
			}
		})
	})
}
