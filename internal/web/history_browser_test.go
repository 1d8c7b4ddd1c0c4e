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
	"github.com/telegrafcontroller/tc/internal/store"
)

// TestBrowserHistory drives headless Chromium, in the Asia/Kolkata time
// zone (UTC+5:30), through the fleet chart's ranges and its values (by
// pointer and by keyboard), and an agent's reporting history, on each
// database.
func TestBrowserHistory(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db)
		b := newBrowser(t, inst.URL)
		ctx := context.Background()
		const password = "Correct-Horse-9"
		owner := inst.MustPasswordUser(t, tc.RoleOwner, password)
		now := inst.Clock.Now() // 03:04:05 UTC, 08:34:05 in Kolkata

		// Fleet samples 50 minutes, 5 hours and 3 days ago.
		for _, s := range []struct {
			ago      time.Duration
			ok, fail int
		}{{3 * 24 * time.Hour, 2, 0}, {5 * time.Hour, 5, 1}, {50 * time.Minute, 10, 3}} {
			if _, err := inst.Store.WithTxExec(ctx, `INSERT INTO fleet_health (at, total, ok, warn, fail, undefined, not_reporting)
				VALUES ($1, $2, $3, 0, $4, 0, 0)`, now.Add(-s.ago).UnixMilli(), s.ok+s.fail, s.ok, s.fail); err != nil {
				t.Fatal(err)
			}
		}
		// An agent: ok, then failing 20 minutes ago, silent, warning a minute ago.
		for _, bt := range []struct {
			ago    time.Duration
			status string
			errs   int64
		}{{30 * time.Minute, tc.AgentOK, 0}, {20 * time.Minute, tc.AgentFail, 7}, {time.Minute, tc.AgentWarn, 0}} {
			at := now.Add(-bt.ago)
			st := tc.HeartbeatStats{Metrics: 40, Errors: bt.errs}
			if err := inst.Store.WriteHeartbeats(ctx, []store.HeartbeatWrite{{AgentBeat: &tc.AgentBeat{ID: "hist-1", Hostname: "web-9",
				IP: "10.0.0.9", Version: "1.39.3", Status: bt.status, FirstSeen: at, LastSeen: at, Last: st, Sum: st}}}); err != nil {
				t.Fatal(err)
			}
		}

		ok := true
		step := func(name string, fn func(t *testing.T)) {
			if !ok {
				t.Run(name, func(t *testing.T) { t.Skip("an earlier step failed") })
				return
			}
			ok = t.Run(name, fn)
		}
		rows := func(t *testing.T, table string) int {
			t.Helper()
			return eval[int](t, b, fmt.Sprintf(`document.querySelectorAll("#%s tbody tr").length`, table))
		}
		tip := func(t *testing.T) string {
			t.Helper()
			return eval[string](t, b, `(() => { const e = document.querySelector("#fleet-chart .chart-tip, #agent-history .chart-tip:not([hidden])"); return e && !e.hidden ? e.innerText : "" })()`)
		}

		step("sign in as the owner, in Kolkata", func(t *testing.T) {
			b.do(t, chromedp.EmulateViewport(1440, 900), chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
				_, err := cdp.Call(ctx, tg, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: "Asia/Kolkata"})
				return err
			}))
			b.open(t, "/login")
			b.do(t, b.fill("#f-username", owner.Username), b.fill("#f-password", password), click(`form button[type=submit]`))
			b.waitURL(t, "/configs")
		})

		step("the fleet chart switches ranges with links kept in the URL", func(t *testing.T) {
			b.open(t, "/agents")
			b.do(t, click("#auto-refresh")) // no refresh under the pointer
			b.waitText(t, "#chart-h", "Last 24 hours")
			if n := rows(t, "fleet-values"); n != 2 {
				t.Errorf("24 hours: %d samples, want 2", n)
			}
			b.do(t, click(`#fleet-chart a[data-range="1h"]`))
			b.waitText(t, "#chart-h", "Last 1 hour")
			b.waitURL(t, "/agents?range=1h") // the new page parsed to its end, the table included
			if loc := b.location(t); !strings.HasSuffix(loc, "/agents?range=1h") {
				t.Errorf("location %s, want the range in the URL", loc)
			}
			if n := rows(t, "fleet-values"); n != 1 {
				t.Errorf("1 hour: %d samples, want 1", n)
			}
			if cur := b.text(t, `#fleet-chart a[aria-current="true"]`); cur != "1 hour" {
				t.Errorf("current range %q", cur)
			}
			b.do(t, click(`#fleet-chart a[data-range="7d"]`))
			b.waitText(t, "#chart-h", "Last 7 days")
			b.waitURL(t, "/agents?range=7d")
			if n := rows(t, "fleet-values"); n != 3 {
				t.Errorf("7 days: %d samples, want 3", n)
			}
			// A filter applied from the form keeps the range.
			b.do(t, b.fill("#q", "hist"), click(`#agent-filters button[type=submit]`))
			// The page was already at /agents?range=7d: wait for the new URL.
			b.waitJS(t, `location.search.includes("search=hist") && document.readyState === "complete"`)
			if loc := b.location(t); !strings.Contains(loc, "range=7d") || !strings.Contains(loc, "search=hist") {
				t.Errorf("after filtering: %s, want range=7d kept", loc)
			}
		})

		step("times are local and say which zone", func(t *testing.T) {
			b.open(t, "/agents?range=24h")
			if z := b.text(t, "#fleet-chart [data-zone]"); z != "Asia/Kolkata" && z != "Asia/Calcutta" { // ICU's canonical name
				t.Errorf("zone %q, want Asia/Kolkata", z)
			}
			// The first axis label is 03:04:05 UTC a day ago: 08:34 in Kolkata.
			if got := eval[string](t, b, `document.querySelector("#fleet-chart svg text[data-at]").textContent`); !strings.Contains(got, "08:34") {
				t.Errorf("first axis label %q, want 08:34 (local)", got)
			}
			if got := eval[string](t, b, `document.querySelector("#fleet-values tbody tr:last-child time").textContent`); strings.Contains(got, "UTC") || !strings.Contains(got, "07:44") {
				t.Errorf("last sample's time %q, want 07:44 local (02:14 UTC)", got)
			}
		})

		step("hovering the chart shows a sample's values", func(t *testing.T) {
			x := eval[float64](t, b, `(() => { const s = document.querySelector("#fleet-chart svg"), r = s.getBoundingClientRect();
				const last = document.querySelector("#fleet-values tbody tr:last-child");
				return r.left + Number(last.dataset.x) * r.width / s.viewBox.baseVal.width })()`)
			y := eval[float64](t, b, `(() => { const r = document.querySelector("#fleet-chart svg").getBoundingClientRect(); return r.top + r.height / 2 })()`)
			b.do(t, chromedp.MouseEvent(chromedp.MouseMoved, x-2, y))
			b.waitJS(t, `!document.querySelector("#fleet-chart .chart-tip").hidden`)
			got := tip(t)
			if !strings.Contains(got, "07:44") || !strings.Contains(got, "OK\n10") && !strings.Contains(got, "OK\t10") {
				t.Errorf("tooltip %q, want the 07:44 sample with 10 OK", got)
			}
			b.shot(t, "16-fleet-chart-hover")
			b.do(t, chromedp.MouseEvent(chromedp.MouseMoved, 5, 5))
			b.waitJS(t, `document.querySelector("#fleet-chart .chart-tip").hidden`)
		})

		step("the keyboard steps through the samples, and the table lists them", func(t *testing.T) {
			b.do(t, chromedp.Focus("#fleet-chart svg"))
			b.waitJS(t, `!document.querySelector("#fleet-chart .chart-tip").hidden`)
			if got := tip(t); !strings.Contains(got, "13") { // the latest: total 13
				t.Errorf("focused chart's tooltip %q, want the latest sample (13 in all)", got)
			}
			b.do(t, chromedp.KeyEvent(kb.ArrowLeft))
			b.waitJS(t, `document.querySelector("#fleet-chart .chart-tip").innerText.includes("6")`)
			if got := tip(t); !strings.Contains(got, "Fail\n1") && !strings.Contains(got, "Fail\t1") {
				t.Errorf("after ←: %q, want the sample 5 hours ago (1 failing)", got)
			}
			b.do(t, click("#fleet-values-box summary"))
			if got := b.text(t, "#fleet-values tbody tr:first-child"); !strings.Contains(got, "5") || !strings.Contains(got, "6") {
				t.Errorf("first row of the values: %q", got)
			}
		})

		step("an agent's timeline over ranges", func(t *testing.T) {
			b.open(t, "/agents/hist-1?range=1h")
			b.waitText(t, "#history-h", "Reporting history")
			for _, cls := range []string{"seg-ok", "seg-fail", "seg-not_reporting", "seg-warn"} {
				if n := b.count(t, "#agent-history svg rect."+cls); n == 0 {
					t.Errorf("timeline has no %s period", cls)
				}
			}
			if n := rows(t, "history-values"); n != 61 {
				t.Errorf("1 hour: %d rows, want 61 (one a minute)", n)
			}
			b.do(t, chromedp.Focus("#agent-history svg"), chromedp.KeyEvent(kb.End))
			b.waitJS(t, `!document.querySelector("#agent-history .chart-tip").hidden`)
			if got := tip(t); !strings.Contains(got, "Warn") {
				t.Errorf("last point's tooltip %q, want Warn", got)
			}
			for range 20 {
				b.do(t, chromedp.KeyEvent(kb.ArrowLeft))
			}
			if got := tip(t); !strings.Contains(got, "Fail") || !strings.Contains(got, "7") {
				t.Errorf("20 minutes ago: %q, want Fail with 7 errors", got)
			}
			b.shot(t, "17-agent-history")
			b.do(t, click(`#agent-history a[data-range="6h"]`))
			b.waitText(t, "#history-h", "Reporting history")
			b.waitURL(t, "/agents/hist-1?range=6h") // not only committed: parsed to the table's last row
			if n := rows(t, "history-values"); n < 180 || n > 181 {
				t.Errorf("6 hours: %d rows, want 180 or 181", n)
			}
			if v := b.cspViolations(); len(v) > 0 {
				t.Errorf("CSP violations: %v", v)
			}
		})
	})
}
