package web_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/apptest"
)

// TestBrowserAgentsProblemsFirst drives headless Chromium through the
// agents page on each database, at 1440×900: the default sort by severity,
// the last problem column, the quick filter chips (by mouse and by keyboard
// alone), a refresh that keeps the focus on a row's checkbox, a bulk action
// on every agent a filter matches, the CSV export of a filter, and the
// agent page's own refresh. Each step is a subtest.
func TestBrowserAgentsProblemsFirst(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db)
		b := newBrowser(t, inst.URL)
		ctx := context.Background()
		const password = "Correct-Horse-9"
		owner := inst.MustPasswordUser(t, tc.RoleOwner, password)
		tok := inst.MustToken(t, owner, tc.AllPermissions...)
		label := apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/labels", Token: tok,
			Body: map[string]any{"name": "bulk-probe", "color": "#336699"}}), 201).Map(t)["id"].(string)

		now := inst.Clock.Now()
		const longVersion = "Telegraf 1.38.2 (git: HEAD@eb37a442)"
		agents := []*tc.Agent{
			{ID: "z-fail-1", Hostname: "db-primary-eu-west-1", Status: tc.AgentFail, LastSeen: now.Add(-50 * time.Second),
				Logs: []tc.AgentLog{
					{Time: now.Format(time.RFC3339), Level: "INFO", Message: "flushed"},
					{Time: now.Format(time.RFC3339), Level: "ERROR", Source: "inputs.disk", Message: "disk full on /var/lib/telegraf " + strings.Repeat("x", 120)},
				}},
			{ID: "z-fail-2", Hostname: "db-replica-eu-west-1", Status: tc.AgentFail, LastSeen: now.Add(-10 * time.Second)},
			{ID: "y-nr-1", Hostname: "edge-07", Status: tc.AgentNotReporting, LastSeen: now.Add(-time.Hour)},
			{ID: "x-warn-1", Hostname: "web-01", Status: tc.AgentWarn, LastSeen: now.Add(-5 * time.Second),
				Logs: []tc.AgentLog{{Time: now.Format(time.RFC3339), Level: "WARN", Source: "outputs.influxdb", Message: "slow flush"}}},
			{ID: "w-undef-1", Hostname: "web-02", Status: tc.AgentUndefined, LastSeen: now.Add(-5 * time.Second)},
		}
		for i := range 30 {
			agents = append(agents, &tc.Agent{ID: fmt.Sprintf("a-ok-%02d", i), Hostname: fmt.Sprintf("ok-host-%02d", i),
				Status: tc.AgentOK, LastSeen: now.Add(-time.Duration(40-i) * time.Second)})
		}
		for _, a := range agents {
			a.Version, a.IP = longVersion, "10.0.0.9"
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
		rowIDs := func(t *testing.T) []string {
			t.Helper()
			return strings.Fields(eval[string](t, b, `Array.from(document.querySelectorAll("#agent-rows tr")).map(r => r.dataset.id).join(" ")`))
		}

		step("sign in as the owner", func(t *testing.T) {
			b.do(t, chromedp.EmulateViewport(1440, 900))
			b.open(t, "/login")
			b.do(t, b.fill("#f-username", owner.Username), b.fill("#f-password", password), click(`form button[type=submit]`))
			b.waitURL(t, "/configs")
		})

		step("the agents page opens problems first", func(t *testing.T) {
			b.open(t, "/agents")
			ids := rowIDs(t)
			want := []string{"z-fail-1", "z-fail-2", "y-nr-1", "x-warn-1", "w-undef-1", "a-ok-00", "a-ok-01"}
			if len(ids) < len(want) || strings.Join(ids[:len(want)], " ") != strings.Join(want, " ") {
				t.Fatalf("rows %v, want them to start with %v", ids, want)
			}
			if got := eval[string](t, b, `document.querySelector("th[aria-sort=ascending]").textContent.trim()`); got != "Status" {
				t.Errorf("sorted column %q, want Status (by severity)", got)
			}
			b.shot(t, "agents-problems-first-"+db.Name)
		})

		step("the last problem column says what went wrong", func(t *testing.T) {
			cell := func(id string) (string, string) {
				return eval[string](t, b, fmt.Sprintf(`document.querySelector('tr[data-id=%q] td.problem').textContent`, id)),
					eval[string](t, b, fmt.Sprintf(`document.querySelector('tr[data-id=%q] td.problem').title`, id))
			}
			text, title := cell("z-fail-1")
			if !strings.HasPrefix(text, "ERROR inputs.disk: disk full on /var/lib/telegraf") || !strings.HasSuffix(text, "…") {
				t.Errorf("z-fail-1's last problem %q, want the error line, cut", text)
			}
			if !strings.HasSuffix(title, strings.Repeat("x", 120)) {
				t.Errorf("z-fail-1's last problem title %q, want the whole line", title)
			}
			if text, _ := cell("y-nr-1"); !strings.HasPrefix(text, "No heartbeat for 1 h") {
				t.Errorf("y-nr-1's last problem %q, want why it is not reporting", text)
			}
			if text, _ := cell("x-warn-1"); text != "WARN outputs.influxdb: slow flush" {
				t.Errorf("x-warn-1's last problem %q", text)
			}
			if text, _ := cell("a-ok-00"); text != "" {
				t.Errorf("a-ok-00's last problem %q, want none", text)
			}
			ver := eval[string](t, b, `(c => c.textContent + "|" + c.title)(document.querySelector('tr[data-id="z-fail-1"] td.ver'))`)
			if ver != "1.38.2|"+longVersion {
				t.Errorf("version cell %q, want the number with the whole string as its title", ver)
			}
			// Ids and hostnames stay on one line (no break at hyphens).
			if h := eval[float64](t, b, `document.querySelector('tr[data-id="z-fail-1"]').getBoundingClientRect().height`); h > 40 {
				t.Errorf("a row is %.0f px high, want one compact line", h)
			}
		})

		step("a chip filters by status and shows its count", func(t *testing.T) {
			if got := b.text(t, `#agent-chips [data-chip="warn"]`); !strings.Contains(got, "Warn") || !strings.Contains(got, "1") {
				t.Errorf("warn chip %q", got)
			}
			if got := b.text(t, `#agent-chips [data-chip="ok"] .n`); got != "30" {
				t.Errorf("ok chip counts %q, want 30", got)
			}
			b.do(t, click(`#agent-chips [data-chip="warn"]`))
			b.waitURL(t, "/agents?status=warn")
			if ids := rowIDs(t); strings.Join(ids, " ") != "x-warn-1" {
				t.Errorf("warn rows %v", ids)
			}
			if got := eval[string](t, b, `document.querySelector('#agent-chips [aria-current="true"]').dataset.chip`); got != "warn" {
				t.Errorf("current chip %q, want warn", got)
			}
		})

		step("keyboard alone: tab to a chip, Enter applies it", func(t *testing.T) {
			b.open(t, "/agents")
			for i := 0; i < 80; i++ {
				if eval[bool](t, b, `document.activeElement && document.activeElement.dataset.chip === "fail"`) {
					break
				}
				b.do(t, chromedp.KeyEvent(kb.Tab))
			}
			if !eval[bool](t, b, `document.activeElement && document.activeElement.dataset.chip === "fail"`) {
				t.Fatal("80 tabs never reached the fail chip")
			}
			b.do(t, chromedp.KeyEvent(kb.Enter))
			b.waitURL(t, "/agents?status=fail")
			if ids := rowIDs(t); strings.Join(ids, " ") != "z-fail-1 z-fail-2" {
				t.Errorf("fail rows %v", ids)
			}
		})

		step("a refresh updates rows in place and keeps the focus", func(t *testing.T) {
			b.open(t, "/agents")
			b.do(t, chromedp.Focus(chromedp.CSS(`tr[data-id="z-fail-2"] input[name=ids]`)))
			before := eval[int](t, b, `Number(document.body.dataset.refreshed || 0)`)
			late := &tc.Agent{ID: "z-fail-0", Hostname: "late", Status: tc.AgentFail, LastSeen: now.Add(-2 * time.Minute)}
			if err := inst.Store.InsertAgents(ctx, []*tc.Agent{late}); err != nil {
				t.Fatal(err)
			}
			b.waitJS(t, fmt.Sprintf(`Number(document.body.dataset.refreshed || 0) > %d && document.querySelector('tr[data-id="z-fail-0"]')`, before))
			if got := eval[string](t, b, `(e => e.name + ":" + e.value)(document.activeElement)`); got != "ids:z-fail-2" {
				t.Errorf("focus on %q after the refresh, want z-fail-2's checkbox", got)
			}
			if ids := rowIDs(t); strings.Join(ids[:3], " ") != "z-fail-0 z-fail-1 z-fail-2" {
				t.Errorf("rows after the refresh %v", ids[:3])
			}
			if got := b.text(t, "#updated-ago"); !strings.HasPrefix(got, "Updated") {
				t.Errorf("updated note %q", got)
			}
		})

		step("select all 30 matching and add a label to them", func(t *testing.T) {
			b.open(t, "/agents?status=ok")
			if n := b.count(t, "#agent-rows tr"); n != 25 {
				t.Fatalf("%d rows on the first page, want 25", n)
			}
			b.do(t, click(`th.sel input[data-select-all]`))
			b.waitJS(t, `!document.getElementById("select-matching").hidden`)
			b.do(t, click("#select-matching"))
			if got := b.text(t, "#bulk .bulk-count"); got != "30" {
				t.Errorf("bulk count %q, want 30", got)
			}
			b.do(t, chromedp.SetValue(chromedp.CSS("#bulk-label"), label), click(`#bulk [data-bulk-action="add-label"]`))
			b.waitJS(t, `document.readyState === "complete" && document.getElementById("bulk") && document.getElementById("bulk").hidden`)
			var got struct {
				Total int `json:"total"`
			}
			apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/agents?labelId=" + label, Token: tok}), 200).JSON(t, &got)
			if got.Total != 30 {
				t.Errorf("%d agents carry the label, want the 30 matching ok", got.Total)
			}
		})

		step("export the filter as CSV", func(t *testing.T) {
			b.open(t, "/agents?status=fail")
			href := eval[string](t, b, `document.getElementById("export-csv").getAttribute("href")`)
			if !strings.Contains(href, "status=fail") || !strings.Contains(href, "sortBy=severity") {
				t.Fatalf("export link %q does not keep the filter and sort", href)
			}
			b.do(t, chromedp.Evaluate[chromedp.Void](`fetch(document.getElementById("export-csv").href).then(r => r.text()).then(t => { window.csvText = t; })`))
			b.waitJS(t, `typeof window.csvText === "string"`)
			lines := strings.Split(strings.TrimSpace(eval[string](t, b, `window.csvText`)), "\n")
			if len(lines) != 4 || !strings.HasPrefix(lines[0], "id,hostname,ip,version,status") {
				t.Fatalf("CSV %q, want a header and the three failing agents", lines)
			}
			for i, id := range []string{"z-fail-0", "z-fail-1", "z-fail-2"} {
				if !strings.HasPrefix(lines[i+1], id+",") {
					t.Errorf("CSV line %d %q, want %s", i+1, lines[i+1], id)
				}
			}
		})

		step("the agent page refreshes", func(t *testing.T) {
			b.open(t, "/agents/z-fail-1")
			if _, err := inst.Store.WithTxExec(ctx, `UPDATE agent_logs SET logs = $1 WHERE agent_id = 'z-fail-1'`,
				`[{"time":"2026-01-01T00:00:00Z","level":"ERROR","source":"inputs.mem","message":"fresh failure"}]`); err != nil {
				t.Fatal(err)
			}
			b.waitText(t, "#agent-logs", "fresh failure")
			if got := b.text(t, "#updated-ago"); !strings.HasPrefix(got, "Updated") {
				t.Errorf("updated note %q", got)
			}
		})
	})
}
