package web_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/apptest"
)

// lookSite is a controller with one of each thing the main pages list and
// a browser signed in as an administrator.
type lookSite struct {
	inst   *apptest.Instance
	b      *browser
	config string // the id of the config "webapp"
	pages  []string
}

func newLookSite(t *testing.T, db apptest.DB) *lookSite {
	t.Helper()
	inst := apptest.MustStart(t, db)
	b := newBrowser(t, inst.URL)
	tok := inst.MustToken(t, inst.MustOwner(t), tc.AllPermissions...)
	cfg := apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/configs", Token: tok,
		Body: map[string]any{"name": "webapp", "description": "Front-end servers", "toml": "[[inputs.cpu]]\n"}}), 201).Map(t)["id"].(string)
	label := apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/labels", Token: tok,
		Body: map[string]any{"name": "prod", "color": "#dc2626", "description": "Production"}}), 201).Map(t)["id"].(string)
	apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/tokens", Token: tok,
		Body: map[string]any{"description": "deploy pipeline", "preset": "telegraf-agent"}}), 201)
	group := apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/config-groups", Token: tok,
		Body: map[string]any{"name": "web fleet", "description": "Every web host", "memberIds": []string{cfg}, "labelIds": []string{label}}}), 201).Map(t)["id"].(string)
	apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/config-groups/" + group + "/aliases", Token: tok,
		Body: map[string]any{"alias": "web"}}), 201)
	err := inst.Store.InsertAgents(context.Background(), []*tc.Agent{
		{ID: "web-1", Hostname: "web-1.example", Version: "1.39.0", LabelIDs: []string{label}, ConfigIDs: []string{cfg}},
		{ID: "db-1", Hostname: "db-1.example", Version: "1.38.2"},
	})
	if err != nil {
		t.Fatal(err)
	}
	channel := apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/notification-channels", Token: tok,
		Body: map[string]any{"name": "ops intake", "kind": "webhook", "webhook": map[string]any{"url": "https://intake.example.com/tc",
			"secret": "s3cret", "headers": map[string]string{"Authorization": "Bearer x"}}}}), 201).Map(t)["id"].(string)
	apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/notification-channels", Token: tok,
		Body: map[string]any{"name": "ops mail", "kind": "email", "enabled": false, "email": map[string]any{"host": "smtp.example.com",
			"username": "tc", "password": "pw", "from": "tc@example.com", "to": []string{"ops@example.com"}}}}), 201)
	inst.MustInvite(t, tc.RoleViewer, 24*time.Hour)
	const password = "Correct-Horse-9"
	admin := inst.MustPasswordUser(t, tc.RoleAdministrator, password)
	b.open(t, "/login")
	b.waitJS(t, `typeof TC === "object"`)
	b.do(t, b.fill("#f-username", admin.Username), b.fill("#f-password", password), click(`form button[type=submit]`))
	b.waitURL(t, "/configs")
	return &lookSite{inst: inst, b: b, config: cfg, pages: []string{
		"/configs", "/configs/" + cfg, "/config-groups", "/config-groups/" + group, "/agents", "/agents/web-1", "/labels", "/reporting-rules", "/alerts", "/alert-rules",
		"/tokens", "/users", "/settings", "/audit", "/account",
		"/notification-channels", "/notification-channels/" + channel, "/notification-channels/new?kind=email",
	}}
}

// shotName turns a page's path into a file name: /agents/web-1 → agents-web-1,
// /notification-channels/new?kind=email → notification-channels-new-kind-email;
// a config's id becomes "editor", a channel's "edit".
func shotName(path string) string {
	name := strings.Trim(path, "/")
	switch {
	case strings.HasPrefix(name, "configs/"):
		return "config-editor"
	case strings.HasPrefix(name, "notification-channels/") && !strings.HasPrefix(name, "notification-channels/new"):
		return "notification-channel-edit"
	}
	return strings.NewReplacer("/", "-", "?", "-", "=", "-", "&", "-").Replace(name)
}

// colorScheme emulates the system's prefers-color-scheme ("" for none).
func colorScheme(scheme string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		p := emulation.SetEmulatedMediaParams{}
		if scheme != "" {
			p.Features = []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}
		}
		_, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, p)
		return err
	})
}

// pickTheme chooses a theme in the top bar's picker as a visitor would.
func pickTheme(theme string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => { const s = document.getElementById("theme-select"); s.value = %q; s.dispatchEvent(new Event("change")); })()`, theme))(ctx, t)
		return err
	})
}

// pressSlash presses "/" as a keyboard does: one keyDown carrying the text,
// so a page that cancels the keydown types nothing (chromedp.KeyEvent sends
// the character as a separate event, which no cancelled keydown suppresses).
var pressSlash = chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
	down := input.DispatchKeyEventParams{Type: input.DispatchKeyEventTypeKeyDown, Key: "/", Code: "Slash", Text: "/", UnmodifiedText: "/", WindowsVirtualKeyCode: 191, NativeVirtualKeyCode: 191}
	if _, err := cdp.Call(ctx, t, input.DispatchKeyEvent, down); err != nil {
		return err
	}
	up := input.DispatchKeyEventParams{Type: input.DispatchKeyEventTypeKeyUp, Key: "/", Code: "Slash", WindowsVirtualKeyCode: 191, NativeVirtualKeyCode: 191}
	_, err := cdp.Call(ctx, t, input.DispatchKeyEvent, up)
	return err
})

const (
	darkBG  = `getComputedStyle(document.documentElement).getPropertyValue("--bg").trim() === "#0f141b"`
	lightBG = `getComputedStyle(document.documentElement).getPropertyValue("--bg").trim() === "#f6f7f9"`
)

// TestBrowserLook checks the dark theme, the phone layout and the search
// box in Chromium, on both databases.
func TestBrowserLook(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		s := newLookSite(t, db)
		b := s.b

		t.Run("dark mode", func(t *testing.T) {
			b.open(t, "/labels")
			if !eval[bool](t, b, `document.querySelector('head script[src*="/theme."]:not([defer]):not([async])') !== null`) {
				t.Fatal("theme.js is not a blocking script in <head>: the theme would show after the first paint")
			}
			// System (nothing chosen): follows prefers-color-scheme.
			b.do(t, colorScheme("dark"))
			b.waitJS(t, darkBG)
			b.do(t, colorScheme("light"))
			b.waitJS(t, lightBG)
			// Dark chosen: dark under a light system, after a reload too.
			b.do(t, pickTheme("dark"))
			b.waitJS(t, darkBG+` && document.documentElement.dataset.theme === "dark"`)
			b.open(t, "/agents")
			b.waitJS(t, darkBG+` && document.getElementById("theme-select").value === "dark"`)
			// Light chosen: light under a dark system.
			b.do(t, colorScheme("dark"), pickTheme("light"))
			b.waitJS(t, lightBG)
			b.open(t, "/agents")
			b.waitJS(t, lightBG+` && document.getElementById("theme-select").value === "light"`)
			// Back to system: follows the system again, remembered.
			b.do(t, pickTheme("system"))
			b.waitJS(t, darkBG+` && !document.documentElement.hasAttribute("data-theme") && localStorage.getItem("tc.theme") === null`)
			b.open(t, "/agents")
			b.waitJS(t, darkBG+` && document.getElementById("theme-select").value === "system"`)
			b.do(t, colorScheme("light"))
			b.waitJS(t, lightBG)
			b.do(t, colorScheme(""))
		})

		t.Run("mobile", func(t *testing.T) {
			b.do(t, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
			defer b.do(t, chromedp.EmulateViewport(1400, 950))
			for _, p := range []string{"/agents", "/configs", "/labels", "/reporting-rules", "/notification-channels", "/tokens", "/users", "/audit"} {
				b.open(t, p)
				b.waitJS(t, `document.readyState === "complete"`)
				ok := eval[bool](t, b, `(() => {
					const td = document.querySelector("table.cards-on-mobile tbody td[data-label]");
					const table = td.closest("table");
					return getComputedStyle(td).display === "flex" && getComputedStyle(td, "::before").content.includes(td.dataset.label) &&
						table.querySelector("thead").getBoundingClientRect().height <= 1 && table.getBoundingClientRect().right <= 390;
				})()`)
				if !ok {
					t.Errorf("%s at 390 px: the table is not shown as cards", p)
				}
				if !eval[bool](t, b, `(() => { const r = document.querySelector(".who button.link").getBoundingClientRect(); return r.width > 0 && r.left >= 0 && r.right <= 390 && r.bottom <= 844; })()`) {
					t.Errorf("%s at 390 px: Sign out is not on the first screen", p)
				}
				if eval[bool](t, b, `document.getElementById("nav-list").offsetParent !== null`) {
					t.Errorf("%s at 390 px: the navigation is open before the Menu button is pressed", p)
				}
			}
			// The Menu button opens and closes the navigation from the keyboard.
			b.open(t, "/agents")
			b.waitJS(t, `document.readyState === "complete"`)
			b.do(t, chromedp.KeyEvent(kb.Tab), chromedp.KeyEvent(kb.Tab), chromedp.KeyEvent(kb.Tab))
			b.waitJS(t, `document.activeElement.id === "menu-button"`)
			b.do(t, chromedp.KeyEvent(kb.Enter))
			b.waitJS(t, `document.getElementById("nav-list").offsetParent !== null && document.getElementById("menu-button").getAttribute("aria-expanded") === "true"`)
			b.shot(t, "look-mobile-menu")
			b.do(t, chromedp.KeyEvent(kb.Tab)) // into the list
			b.waitJS(t, `document.activeElement.closest("#nav-list") !== null`)
			b.do(t, chromedp.KeyEvent(kb.Escape))
			b.waitJS(t, `document.getElementById("nav-list").offsetParent === null && document.activeElement.id === "menu-button"`)
			b.do(t, chromedp.KeyEvent(" "))
			b.waitJS(t, `document.getElementById("nav-list").offsetParent !== null`)
			b.do(t, chromedp.KeyEvent(" "))
			b.waitJS(t, `document.getElementById("nav-list").offsetParent === null && document.getElementById("menu-button").getAttribute("aria-expanded") === "false"`)
		})

		t.Run("search", func(t *testing.T) {
			// "/" typed into a field stays in the field.
			b.open(t, "/configs")
			b.waitJS(t, `document.readyState === "complete"`)
			b.do(t, chromedp.Focus(chromedp.CSS(`main input[type=search]`)), pressSlash)
			if got := eval[string](t, b, `document.activeElement.id + "|" + document.querySelector("main input[type=search]").value`); got != "q|/" {
				t.Errorf(`"/" in the page's search field: focus|value = %q, want "q|/"`, got)
			}
			// From anywhere else "/" focuses the search box.
			b.open(t, "/labels")
			b.waitJS(t, `document.readyState === "complete"`)
			b.do(t, pressSlash)
			b.waitJS(t, `document.activeElement.id === "global-search"`)
			b.do(t, chromedp.KeyEvent("web"))
			b.waitJS(t, `document.querySelectorAll("#search-results [role=option]:not([aria-disabled])").length === 2`)
			got := eval[string](t, b, `Array.from(document.querySelectorAll("#search-results [role=option]")).map(o => o.textContent).join(", ")`)
			if want := "web-1Agent, webappConfiguration"; got != want {
				t.Errorf("results = %q, want %q", got, want)
			}
			b.do(t, chromedp.KeyEvent(kb.ArrowDown))
			b.waitJS(t, `document.getElementById("global-search").getAttribute("aria-activedescendant") === "search-result-0"`)
			b.do(t, chromedp.KeyEvent(kb.ArrowDown))
			b.waitJS(t, `document.getElementById("search-result-1").getAttribute("aria-selected") === "true"`)
			b.do(t, chromedp.KeyEvent(kb.Enter))
			b.waitURL(t, "/configs/"+s.config)
			// A token and a user, by name.
			b.do(t, pressSlash, chromedp.KeyEvent("deploy"))
			b.waitJS(t, `document.querySelector("#search-results [role=option]") !== null`)
			b.do(t, chromedp.KeyEvent(kb.ArrowDown), chromedp.KeyEvent(kb.Enter))
			b.waitJS(t, `location.pathname === "/tokens" && location.hash.startsWith("#token-")`)
		})

		if db.Name != "sqlite" {
			return // the same pages, once is enough
		}
		t.Run("screenshots", func(t *testing.T) {
			for _, mode := range []struct {
				name          string
				scheme        string
				width, height int64
			}{
				{"desktop", "light", 1440, 900},
				{"mobile", "light", 390, 844},
				{"dark", "dark", 1440, 900},
			} {
				b.do(t, colorScheme(mode.scheme), chromedp.EmulateViewport(mode.width, mode.height))
				for _, p := range s.pages {
					b.open(t, p)
					b.waitJS(t, `document.readyState === "complete"`)
					b.shot(t, "look-"+mode.name+"-"+shotName(p))
				}
			}
			// Signed out: the sign-in page in each mode.
			b.do(t, chromedp.Evaluate[chromedp.Void](`document.querySelector(".who form").submit()`))
			b.waitURL(t, "/login")
			for _, mode := range []struct {
				name          string
				scheme        string
				width, height int64
			}{
				{"desktop", "light", 1440, 900},
				{"mobile", "light", 390, 844},
				{"dark", "dark", 1440, 900},
			} {
				b.do(t, colorScheme(mode.scheme), chromedp.EmulateViewport(mode.width, mode.height))
				b.open(t, "/login")
				b.waitJS(t, `document.readyState === "complete"`)
				b.shot(t, "look-"+mode.name+"-login")
			}
			b.do(t, colorScheme(""), chromedp.EmulateViewport(1400, 950))
		})
	})
}
