package web_test

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/telegrafcontroller/tc/internal/apptest"
)

// AxeEnv names the variable holding the path of axe-core's axe.min.js
// (scripts/test downloads it into .cache/ and exports it).
const AxeEnv = "TC_TEST_AXE"

// axeSource reads axe.min.js, or skips loudly (fails under CI) without it.
func axeSource(t *testing.T) string {
	t.Helper()
	path := os.Getenv(AxeEnv)
	if path == "" {
		msg := "the accessibility test needs " + AxeEnv + " (run ./scripts/test, which downloads axe-core)"
		if os.Getenv("CI") != "" {
			t.Fatal(msg + "; CI is set, so this is a failure")
		}
		fmt.Fprintln(os.Stderr, "!!! SKIPPING ACCESSIBILITY TEST: "+msg)
		t.Skip("SKIPPED: " + msg)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// axeViolations runs axe-core on the open page and returns its serious and
// critical violations, one line each with the elements they concern; lesser
// ones are logged. The
// script is evaluated through DevTools, which the page's
// Content-Security-Policy does not govern.
func (b *browser) axeViolations(t *testing.T, axe string) []string {
	t.Helper()
	if !eval[bool](t, b, `typeof axe === "object"`) {
		get(t, b, chromedp.Evaluate[chromedp.Void](axe))
	}
	res := get(t, b, chromedp.Evaluate[[]string](`axe.run(document).then(r => [String(r.passes.length)].concat(
		r.violations.map(v =>
			v.impact + " " + v.id + ": " + v.help + " [" + v.nodes.slice(0, 5).map(n => n.target.join(" ")).join(", ") + "]")))`,
		chromedp.EvalAwaitPromise))
	if len(res) == 0 || res[0] == "0" {
		t.Fatalf("axe-core checked nothing on %s", b.location(t))
	}
	var serious []string
	for _, v := range res[1:] {
		if strings.HasPrefix(v, "serious ") || strings.HasPrefix(v, "critical ") {
			serious = append(serious, v)
		} else {
			t.Logf("axe (not failing): %s: %s", b.location(t), v)
		}
	}
	return serious
}

// TestBrowserAccessibility runs axe-core on every main page, in the light
// and the dark theme and at phone width, on both databases, and fails on
// any serious or critical violation.
func TestBrowserAccessibility(t *testing.T) {
	axe := axeSource(t)
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		s := newLookSite(t, db)
		b := s.b
		check := func(t *testing.T, what, path string) {
			t.Helper()
			b.open(t, path)
			b.waitJS(t, `document.readyState === "complete"`)
			for _, v := range b.axeViolations(t, axe) {
				t.Errorf("%s %s: %s", what, path, v)
			}
		}
		for _, mode := range []struct {
			name   string
			scheme string
			width  int64
		}{
			{"light", "light", 1440},
			{"dark", "dark", 1440},
			{"phone", "light", 390},
		} {
			t.Run(mode.name, func(t *testing.T) {
				b.do(t, colorScheme(mode.scheme), chromedp.EmulateViewport(mode.width, 900))
				for _, p := range s.pages {
					check(t, mode.name, p)
				}
			})
		}
		b.do(t, colorScheme(""), chromedp.EmulateViewport(1400, 950))
		// The search box with its results open, and with none.
		for _, q := range []string{"web", "nothing-like-this"} {
			b.open(t, "/labels")
			b.do(t, b.fill("#global-search", q))
			b.waitJS(t, `document.querySelector("#search-results [role=option]") !== null`)
			for _, v := range b.axeViolations(t, axe) {
				t.Errorf("search %q open: %s", q, v)
			}
		}
		// The agents list's column chooser open, every column shown, rows
		// compact, in both themes.
		b.open(t, "/agents")
		b.do(t, click("#columns > summary"))
		b.waitJS(t, `document.getElementById("columns").open`)
		b.do(t, click(`input[name=columns][value=ip]`), click("#compact-rows"))
		b.waitJS(t, `document.getElementById("columns-status").textContent.startsWith("Saved")`)
		for _, scheme := range []string{"light", "dark"} {
			b.do(t, colorScheme(scheme))
			for _, v := range b.axeViolations(t, axe) {
				t.Errorf("column chooser open (%s): %s", scheme, v)
			}
		}
		b.do(t, colorScheme(""))
		// Signed out: the sign-in page.
		b.do(t, chromedp.Evaluate[chromedp.Void](`document.querySelector(".who form").submit()`))
		b.waitURL(t, "/login")
		for _, scheme := range []string{"light", "dark"} {
			b.do(t, colorScheme(scheme))
			check(t, scheme, "/login")
		}
		if strings.Contains(b.location(t), "/configs") {
			t.Error("still signed in")
		}
	})
}
