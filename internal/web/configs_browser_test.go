package web_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/apptest"
)

// configsTOML has a parameter for the agent id, the token variable, an
// unknown plugin (a warning, not an error) and enough lines to scroll.
var configsTOML = "[[inputs.cpu]]\n  percpu = true\n\n[[inputs.not_a_real_plugin]]\n\n" +
	strings.Repeat("# filler line\n", 60) +
	"[[outputs.http]]\n  url = \"http://example.com/&{agent_id}\"\n  [outputs.http.headers]\n    Authorization = \"Bearer ${TELEGRAF_CONTROLLER_TOKEN}\"\n\n[[inputs.cpu]]\n  percpu = false\n"

// TestBrowserConfigs drives Chromium through issue 16 on each database:
// agent counts linked to the agents list on the config, label and rule
// pages, the editor by keyboard (Tab in, type, Ctrl+S, the Save button,
// full screen and Esc), find, insert at the caret, a failed save that keeps
// the caret, the unsaved-changes guard, duplicate, the delete warning, the
// "Use this configuration" command, and the version history's author and
// "Compare with current".
func TestBrowserConfigs(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db)
		b := newBrowser(t, inst.URL)
		const password = "Correct-Horse-9"
		owner := inst.MustPasswordUser(t, tc.RoleOwner, password)
		tok := inst.MustToken(t, owner, tc.AllPermissions...)
		label := apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/labels", Token: tok,
			Body: map[string]any{"name": "edge-sites", "color": "#2563eb"}}), 201).Map(t)["id"].(string)
		cfg := apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/configs", Token: tok,
			Body: map[string]any{"name": "edge", "description": "edge hosts", "toml": configsTOML, "labelIds": []string{label}}}), 201).Map(t)["id"].(string)
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/configs", Token: tok,
			Body: map[string]any{"name": "unused", "toml": "[[inputs.mem]]\n"}}), 201)
		// Three agents use edge: two OK, one failing; two carry the label.
		agents := []*tc.Agent{
			{ID: "edge-1", Status: tc.AgentOK, ConfigIDs: []string{cfg}, LabelIDs: []string{label}},
			{ID: "edge-2", Status: tc.AgentOK, ConfigIDs: []string{cfg}, LabelIDs: []string{label}},
			{ID: "edge-3", Status: tc.AgentFail, ConfigIDs: []string{cfg}},
		}
		if err := inst.Store.InsertAgents(context.Background(), agents); err != nil {
			t.Fatal(err)
		}
		editor := "/configs/" + url.PathEscape(cfg)

		ok := true
		step := func(name string, fn func(t *testing.T)) {
			if !ok {
				t.Run(name, func(t *testing.T) { t.Skip("an earlier step failed") })
				return
			}
			ok = t.Run(name, fn)
		}
		// key sends keys to whatever has the focus.
		key := func(t *testing.T, keys string, mods ...chromedp.Modifier) {
			t.Helper()
			b.do(t, chromedp.KeyEvent(keys, chromedp.KeyModifiers(mods...)))
		}
		active := func(t *testing.T) string {
			t.Helper()
			return eval[string](t, b, `document.activeElement ? document.activeElement.id : ""`)
		}

		step("sign in at 1440x900", func(t *testing.T) {
			b.do(t, chromedp.EmulateViewport(1440, 900))
			b.open(t, "/login")
			b.do(t, b.fill("#f-username", owner.Username), b.fill("#f-password", password), click(`form button[type=submit]`))
			b.waitURL(t, "/configs")
		})

		step("config list links agent counts by status", func(t *testing.T) {
			b.open(t, "/configs")
			hrefs := eval[[]string](t, b, fmt.Sprintf(`Array.from(document.querySelector('a[href=%q]').closest("tr").querySelectorAll(".usage a")).map(a => a.getAttribute("href") + " " + a.textContent)`, editor))
			want := []string{
				"/agents?configId=" + url.QueryEscape(cfg) + " 3",
				"/agents?configId=" + url.QueryEscape(cfg) + "&status=ok 2 OK",
				"/agents?configId=" + url.QueryEscape(cfg) + "&status=fail 1 Fail",
			}
			if strings.Join(hrefs, "|") != strings.Join(want, "|") {
				t.Errorf("edge's agent links = %q, want %q", hrefs, want)
			}
			b.shot(t, "configs-list-"+db.Name)
			b.do(t, click(fmt.Sprintf(`a[href=%q]`, "/agents?configId="+url.QueryEscape(cfg)+"&status=fail")))
			b.waitURL(t, "/agents?configId=")
			b.waitText(t, "main table", "edge-3")
			if n := b.count(t, "main table tbody tr"); n != 1 {
				t.Errorf("the failing agents of edge: %d rows, want 1", n)
			}
		})

		step("label and rule lists link their agents", func(t *testing.T) {
			b.open(t, "/labels")
			got := eval[string](t, b, `Array.from(document.querySelectorAll("td.usage-cell a")).map(a => a.getAttribute("href") + " " + a.textContent).join("|")`)
			if want := "/agents?labelId=" + url.QueryEscape(label) + " 2|/agents?labelId=" + url.QueryEscape(label) + "&status=ok 2 OK"; got != want {
				t.Errorf("label links = %q, want %q", got, want)
			}
			if c := eval[string](t, b, `document.querySelector('button[data-method="DELETE"][data-api^="/api/labels/"]').dataset.confirm`); !strings.Contains(c, "every agent (2) and configuration") {
				t.Errorf("label delete confirmation %q does not count its agents", c)
			}
			b.open(t, "/reporting-rules")
			got = eval[string](t, b, `Array.from(document.querySelectorAll("td.usage-cell a")).map(a => a.textContent).join("|")`)
			if got != "3|2 OK|1 Fail" {
				t.Errorf("default rule links = %q, want 3|2 OK|1 Fail", got)
			}
		})

		step("editor shows its agents and a warning badge", func(t *testing.T) {
			b.open(t, editor)
			b.waitText(t, "#config-usage", "Used by 3 agents")
			b.waitJS(t, `document.querySelector("#validity").textContent === "Valid, with warnings" && document.querySelector("#validity").classList.contains("warning")`)
			b.shot(t, "config-editor-"+db.Name)
		})

		step("keyboard only: Tab in, type, Ctrl+S, the Save button, full screen and Esc", func(t *testing.T) {
			b.do(t, chromedp.Focus(chromedp.CSS("#fullscreen")))
			key(t, kb.Tab)
			if id := active(t); id != "f-toml" {
				t.Fatalf("Tab from Full screen focused %q, want the editor", id)
			}
			b.do(t, chromedp.Evaluate[chromedp.Void](`document.querySelector("#f-toml").setSelectionRange(0, 0)`))
			key(t, "# typed by keyboard\n")
			b.waitJS(t, `!document.querySelector("#dirty").hidden`)
			key(t, "s", chromedp.ModifierCtrl)
			b.waitText(t, "#toml-version", "version 2")
			b.waitJS(t, `document.querySelector("#dirty").hidden`)
			if id := active(t); id != "f-toml" {
				t.Errorf("after Ctrl+S the focus is on %q, want the editor", id)
			}
			// Esc releases Tab: on past the problems' line buttons to the
			// change note, then the Save button.
			key(t, "# second\n")
			key(t, kb.Escape)
			for range 10 {
				key(t, kb.Tab)
				if active(t) == "f-changeNote" {
					break
				}
			}
			if id := active(t); id != "f-changeNote" {
				t.Fatalf("Tab from the editor reached %q, not the change note", id)
			}
			key(t, "keyboard note")
			key(t, kb.Tab)
			if id := active(t); id != "save-toml" {
				t.Fatalf("Tab after the change note focused %q, want save-toml", id)
			}
			key(t, kb.Enter)
			b.waitText(t, "#toml-version", "version 3")
			// Full screen from its button, left with Esc from the editor.
			b.do(t, chromedp.Focus(chromedp.CSS("#fullscreen")))
			key(t, kb.Enter)
			b.waitJS(t, `document.querySelector("#editor-form").classList.contains("editor-full") && document.activeElement.id === "f-toml"`)
			if h := eval[float64](t, b, `document.querySelector("[data-editor]").getBoundingClientRect().height`); h < 600 {
				t.Errorf("full-screen editor is %.0fpx high, want most of the 900px window", h)
			}
			b.shot(t, "config-editor-fullscreen-"+db.Name)
			key(t, kb.Escape)
			b.waitJS(t, `!document.querySelector("#editor-form").classList.contains("editor-full")`)
			vs := string(apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/configs/" + cfg + "/versions", Token: tok}), 200).Body)
			if !strings.Contains(vs, "keyboard note") {
				t.Errorf("versions %s lack the change note typed by keyboard", vs)
			}
		})

		step("the editor resizes", func(t *testing.T) {
			if r := eval[string](t, b, `getComputedStyle(document.querySelector("[data-editor]")).resize`); r != "vertical" {
				t.Errorf("editor resize = %q, want vertical", r)
			}
			b.do(t, chromedp.Evaluate[chromedp.Void](`document.querySelector("[data-editor]").style.height = "700px"`))
			b.waitJS(t, `localStorage.getItem("tc.editorHeight") === "700"`)
		})

		step("find selects each match with Enter", func(t *testing.T) {
			b.do(t, chromedp.Focus(chromedp.CSS("#f-toml")),
				chromedp.Evaluate[chromedp.Void](`document.querySelector("#f-toml").setSelectionRange(0, 0)`))
			key(t, "f", chromedp.ModifierCtrl)
			b.waitJS(t, `!document.querySelector("#find-bar").hidden && document.activeElement.id === "find-q"`)
			key(t, "percpu")
			key(t, kb.Enter)
			b.waitText(t, "#find-count", "1 of 2")
			key(t, kb.Enter)
			b.waitText(t, "#find-count", "2 of 2")
			sel := eval[string](t, b, `(() => { const ta = document.querySelector("#f-toml"); return ta.value.slice(ta.selectionStart, ta.selectionEnd) + "@" + ta.value.slice(0, ta.selectionStart).split("\n").length; })()`)
			if !strings.HasPrefix(sel, "percpu@") || sel == "percpu@4" {
				t.Errorf("second match selected %q, want percpu on a later line", sel)
			}
			if eval[int](t, b, `document.querySelector("#f-toml").scrollTop`) == 0 {
				t.Errorf("the editor did not scroll to the match near the end: %s", eval[string](t, b, `(() => { const ta = document.querySelector("#f-toml"); return ta.scrollTop + " " + ta.clientHeight + " " + ta.scrollHeight; })()`))
			}
			if n := b.count(t, "mark.find-hit"); n != 1 {
				t.Errorf("%d highlighted matches, want 1", n)
			}
			key(t, kb.Escape)
			b.waitJS(t, `document.querySelector("#find-bar").hidden && document.activeElement.id === "f-toml"`)
		})

		step("a failed save keeps caret and scroll and shows the error once", func(t *testing.T) {
			b.do(t, chromedp.Evaluate[chromedp.Void](`(() => {
				const ta = document.querySelector("#f-toml");
				ta.focus();
				ta.setRangeText("[[broken\n", 0, 0, "start");
				ta.dispatchEvent(new Event("input"));
				ta.setSelectionRange(700, 700);
				ta.scrollTop = 300;
			})()`))
			top := eval[int](t, b, `document.querySelector("#f-toml").scrollTop`)
			key(t, "s", chromedp.ModifierCtrl)
			b.waitText(t, "#editor-form .form-error", "Not saved")
			got := eval[string](t, b, `(() => { const ta = document.querySelector("#f-toml"); return ta.selectionStart + "," + ta.scrollTop + "," + document.activeElement.id; })()`)
			if want := fmt.Sprintf("700,%d,f-toml", top); got != want {
				t.Errorf("after a failed save caret,scroll,focus = %s, want %s", got, want)
			}
			b.waitJS(t, `document.querySelectorAll("#problems li.error").length > 0`)
			if s := b.text(t, "#e-toml"); s != "" {
				t.Errorf("the field slot repeats the error: %q", s)
			}
			if n := eval[int](t, b, `document.querySelector("#editor-form").textContent.split("invalid TOML").length - 1`); n > 1 {
				t.Errorf("the TOML error is shown %d times", n)
			}
		})

		step("unsaved changes ask before leaving", func(t *testing.T) {
			if !eval[bool](t, b, `(() => { const e = new Event("beforeunload", {cancelable: true}); window.dispatchEvent(e); return e.defaultPrevented; })()`) {
				t.Error("beforeunload is not cancelled while the editor is dirty")
			}
			b.do(t, click(`nav.tabs a[href$="/versions"]`))
			b.waitJS(t, `document.querySelector("#confirm-dialog").open`)
			if s := b.text(t, "#confirm-text"); !strings.Contains(s, "not saved") {
				t.Errorf("confirm text %q", s)
			}
			b.do(t, chromedp.Evaluate[chromedp.Void](`document.querySelector("#confirm-dialog").close("")`))
			if loc := b.location(t); loc != editor {
				t.Errorf("cancelled leave went to %s", loc)
			}
			// Undo the change: the guard stands down.
			b.do(t, chromedp.Evaluate[chromedp.Void](`(() => {
				const ta = document.querySelector("#f-toml");
				ta.value = ta.value.replace("[[broken\n", "");
				ta.dispatchEvent(new Event("input"));
			})()`))
			b.waitJS(t, `document.querySelector("#dirty").hidden`)
		})

		step("insert a plugin at the caret and show it", func(t *testing.T) {
			b.do(t, chromedp.Evaluate[chromedp.Void](`(() => { const ta = document.querySelector("#f-toml"); window.tcBefore = ta.value; ta.focus(); ta.setSelectionRange(5, 5); ta.blur(); })()`))
			b.do(t, b.fill("#plugin-q", "mem"))
			b.waitJS(t, `!!document.querySelector('#plugin-list button[aria-label="Insert inputs.mem"]')`)
			b.do(t, click(`#plugin-list button[aria-label="Insert inputs.mem"]`))
			b.waitJS(t, `document.querySelector("#f-toml").value.indexOf("[[inputs.mem]]") > 0`)
			// The caret was in line 1: the block follows that line and a blank
			// one, before the rest; its first line is selected and in view.
			got := eval[string](t, b, `(() => {
				const ta = document.querySelector("#f-toml"), v = ta.value;
				return [v.startsWith("# typed by keyboard\n\n"), v.indexOf("[[inputs.mem]]") < v.indexOf("# second"),
					v.slice(0, ta.selectionStart).split("\n").length, ta.selectionEnd > ta.selectionStart, document.activeElement.id].join(" ");
			})()`)
			if want := "true true 3 true f-toml"; got != want {
				t.Errorf("after insert: %q, want %q (starts blank-separated, before the rest, selected on line 3, focused)", got, want)
			}
			// Take it out again: the editor is clean and nothing asks on leaving.
			b.do(t, chromedp.Evaluate[chromedp.Void](`(() => { const ta = document.querySelector("#f-toml"); ta.value = window.tcBefore; ta.dispatchEvent(new Event("input")); })()`))
			b.waitJS(t, `document.querySelector("#dirty").hidden`)
		})

		step("duplicate makes '(copy)' with the saved TOML and labels", func(t *testing.T) {
			b.open(t, editor)
			b.do(t, click("#duplicate"))
			b.waitJS(t, `location.pathname !== `+fmt.Sprintf("%q", editor)+` && !!document.querySelector("#f-toml")`)
			b.waitJS(t, `document.title.includes("edge (copy)") && document.readyState === "complete"`)
			toml := eval[string](t, b, `document.querySelector("#f-toml").value`)
			if !strings.HasPrefix(toml, "# typed by keyboard\n# second\n[[inputs.cpu]]") {
				t.Errorf("copy's TOML starts %q", toml[:min(len(toml), 60)])
			}
			if !eval[bool](t, b, fmt.Sprintf(`document.querySelector('input[name=labelIds][value=%q]').checked`, label)) {
				t.Error("the copy lost its label")
			}
		})

		step("delete warns how many agents use the configuration", func(t *testing.T) {
			b.open(t, editor)
			b.do(t, click(`button[data-method="DELETE"][data-then="go:/configs"]`))
			b.waitJS(t, `document.querySelector("#confirm-dialog").open`)
			if s := b.text(t, "#confirm-text"); !strings.HasPrefix(s, "3 agents use this configuration.") {
				t.Errorf("delete confirmation %q does not name the agents", s)
			}
			b.do(t, chromedp.Evaluate[chromedp.Void](`document.querySelector("#confirm-dialog").close("")`))
		})

		step("use this configuration: one token, the agent id from the shell", func(t *testing.T) {
			b.do(t, click("#use-button"))
			b.waitJS(t, `document.querySelector("#use-dialog").open`)
			if n := b.count(t, `#use-dialog input[data-env="TELEGRAF_CONTROLLER_TOKEN"]`); n != 0 {
				t.Errorf("the token is asked %d more times", n)
			}
			if s := b.text(t, "#use-dialog"); strings.Contains(s, "Environment variables") {
				t.Error("the dialog lists environment variables though the TOML reads only the token")
			}
			b.do(t, b.fill("#use-token", "tc-apiv1_secret"))
			cmd := b.text(t, "#use-command")
			for _, want := range []string{
				"export TELEGRAF_CONTROLLER_TOKEN='tc-apiv1_secret'",
				`--config "` + inst.URL + "/api/configs/" + url.PathEscape(cfg) + `/toml?agent_id=$(hostname)"`,
			} {
				if !strings.Contains(cmd, want) {
					t.Errorf("command %q lacks %q", cmd, want)
				}
			}
			b.do(t, click(`#use-dialog [data-os="windows"]`))
			if cmd := b.text(t, "#use-command"); !strings.Contains(cmd, `--config "`+inst.URL) || !strings.Contains(cmd, `agent_id=$(hostname)"`) || !strings.Contains(cmd, "$env:TELEGRAF_CONTROLLER_TOKEN = 'tc-apiv1_secret'") {
				t.Errorf("PowerShell command %q", cmd)
			}
			// The preview stays in view while the dialog scrolls.
			b.do(t, chromedp.EmulateViewport(1440, 500))
			b.do(t, chromedp.Evaluate[chromedp.Void](`document.querySelector("#use-dialog").scrollTop = 10000`))
			if !eval[bool](t, b, `(() => { const d = document.querySelector("#use-dialog").getBoundingClientRect(), c = document.querySelector("#use-command").getBoundingClientRect(); return c.top >= d.top - 1 && c.top < d.bottom; })()`) {
				t.Error("the command preview scrolled out of the dialog's view")
			}
			b.do(t, chromedp.EmulateViewport(1440, 900))
			b.shot(t, "config-use-"+db.Name)
			key(t, kb.Escape)
		})

		step("version history shows authors and compares with current", func(t *testing.T) {
			b.open(t, editor+"/versions")
			if s := b.text(t, "main table tbody"); !strings.Contains(s, owner.Username) {
				t.Errorf("versions table %q lacks the author %s", s, owner.Username)
			}
			b.do(t, click(`a.compare-current[href*="from=1&"]`))
			b.waitURL(t, editor+"/compare?from=1&to=3")
			b.waitText(t, "main", "typed by keyboard")
		})
	})
}
