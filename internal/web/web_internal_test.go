package web

import (
	"io/fs"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/telegrafcontroller/tc"
)

func TestThousands(t *testing.T) {
	for in, want := range map[int]string{0: "0", 25: "25", 1000: "1,000", 1000000: "1,000,000", -1234: "-1,234"} {
		if got := thousands(in); got != want {
			t.Errorf("thousands(%d) = %q, want %q", in, got, want)
		}
	}
}

func TestSeconds(t *testing.T) {
	day, none := int64(86400), (*int64)(nil)
	for _, c := range []struct {
		in   any
		want string
	}{
		{int64(45), "45 s"}, {int64(180), "3 min"}, {int64(7200), "2 h"}, {int64(90), "90 s"}, {&day, "1 d"}, {none, "never"},
	} {
		if got := seconds(c.in); got != c.want {
			t.Errorf("seconds(%v) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestRelTime(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		at   any
		want string
	}{
		{now.Add(-3 * time.Second), "just now"},
		{now.Add(20 * time.Second), "just now"}, // a report slightly in the future (clock skew)
		{now.Add(-90 * time.Second), "1 min ago"},
		{now.Add(-5 * time.Hour), "5 h ago"},
		{now.Add(-72 * time.Hour).Format(time.RFC3339), "3 days ago"},
		{time.Time{}, "never"},
		{(*time.Time)(nil), "never"},
	}
	for _, tt := range tests {
		if got := relTime(tt.at, now); got != tt.want {
			t.Errorf("relTime(%v) = %q, want %q", tt.at, got, tt.want)
		}
	}
}

func TestDiffRows(t *testing.T) {
	diff := "--- version 1\n+++ version 2\n@@ -1,3 +1,4 @@\n [[inputs.cpu]]\n-  percpu = true\n+  percpu = false\n+  totalcpu = true\n \n"
	lines := parseUnified(diff)
	var kinds []string
	for _, l := range lines {
		kinds = append(kinds, l.Kind)
	}
	if got, want := strings.Join(kinds, " "), "hunk ctx del add add ctx"; got != want {
		t.Fatalf("kinds = %q, want %q", got, want)
	}
	if l := lines[4]; l.New != 3 || l.Text != "  totalcpu = true" {
		t.Errorf("second addition = %+v, want new line 3", l)
	}
	rows := splitRows(lines)
	if len(rows) != 5 {
		t.Fatalf("split rows = %d, want 5", len(rows))
	}
	if r := rows[2]; r.LeftKind != "del" || r.RightKind != "add" || r.Left.Old != 2 || r.Right.New != 2 {
		t.Errorf("changed line not paired: %+v", r)
	}
	if r := rows[3]; r.LeftKind != "empty" || r.RightKind != "add" {
		t.Errorf("extra addition = %+v, want an empty left side", r)
	}
}

func TestFleetChart(t *testing.T) {
	now := time.Date(2026, 1, 2, 12, 0, 0, 0, time.UTC)
	base, _ := url.Parse("/agents?status=fail")
	empty := &tc.FleetHealth{Range: "24h", From: now.Add(-24 * time.Hour), To: now}
	if got := string(fleetChart(empty, base).SVG); !strings.Contains(got, "No samples") {
		t.Errorf("empty chart = %s", got)
	}
	fh := &tc.FleetHealth{Range: "24h", From: now.Add(-24 * time.Hour), To: now}
	for i := 0; i < 24; i++ {
		fh.Samples = append(fh.Samples, tc.FleetHealthSample{At: now.Add(time.Duration(i-23) * time.Hour),
			AgentSummary: tc.AgentSummary{Total: 100, OK: 80, Warn: 5, Fail: 5, Undefined: 5, NotReporting: 5}})
	}
	d := fleetChart(fh, base)
	got := string(d.SVG)
	if n := strings.Count(got, "<polygon"); n != 5 {
		t.Errorf("chart has %d areas, want one per status (5)", n)
	}
	for _, want := range []string{`role="img"`, "80 OK", "5 not reporting", ">100<", `data-at="2026-01-01T18:00:00Z"`, ">18:00<"} {
		if !strings.Contains(got, want) {
			t.Errorf("chart lacks %q", want)
		}
	}
	if len(d.Rows) != 24 || d.Rows[23].Values[0] != 80 || d.Rows[23].X != "892.0" {
		t.Errorf("rows: %d, last %+v; want 24, the last with 80 OK at the right edge", len(d.Rows), d.Rows[len(d.Rows)-1])
	}
	var links []string
	for _, l := range d.Ranges {
		if l.Active {
			links = append(links, "*")
		}
		links = append(links, l.URL)
	}
	if want := "/agents?range=1h&status=fail /agents?range=6h&status=fail * /agents?range=24h&status=fail /agents?range=7d&status=fail"; strings.Join(links, " ") != want {
		t.Errorf("range links = %s, want %s", strings.Join(links, " "), want)
	}
}

func TestFleetChartOfAWeek(t *testing.T) {
	now := time.Date(2026, 1, 2, 12, 0, 0, 0, time.UTC)
	var samples []tc.FleetHealthSample
	for i := 0; i < 7*1440; i++ {
		samples = append(samples, tc.FleetHealthSample{At: now.Add(time.Duration(i-7*1440+1) * time.Minute), AgentSummary: tc.AgentSummary{Total: 10, OK: 10}})
	}
	thinned := tc.ThinFleetHealth(samples, tc.HistoryPoints)
	if len(thinned) > tc.HistoryPoints+1 || !thinned[len(thinned)-1].At.Equal(now) || thinned[0].At != samples[0].At {
		t.Errorf("thin kept %d samples from %s to %s", len(thinned), thinned[0].At, thinned[len(thinned)-1].At)
	}
	d := fleetChart(&tc.FleetHealth{Range: "7d", From: now.Add(-7 * 24 * time.Hour), To: now, Samples: thinned}, &url.URL{Path: "/agents"})
	if size := len(d.SVG); size > 40_000 {
		t.Errorf("a week of samples draws %d bytes of SVG, want under 40 kB", size)
	}
	if !strings.Contains(string(d.SVG), `data-fmt="md">Dec 28<`) {
		t.Error("a week's axis should name days (Dec 28)")
	}
}

func TestAgentHistoryChart(t *testing.T) {
	now := time.Date(2026, 1, 2, 12, 0, 0, 0, time.UTC)
	from := now.Add(-time.Hour)
	h := &tc.AgentHistory{AgentID: "a", Range: "1h", From: from, To: now, StepSeconds: 60, BucketSeconds: 60}
	h.Points, h.Periods = tc.BuildAgentHistory([]tc.AgentHistoryBucket{
		{Start: from, Status: tc.AgentOK, Beats: 6, Metrics: 60},
		{Start: from.Add(time.Minute), Status: tc.AgentFail, Beats: 6, Metrics: 60, Errors: 3, Warnings: 1},
	}, time.Minute, time.Minute, 3*time.Minute, from, now, from.Add(-time.Hour))
	d := agentHistoryChart(h, &url.URL{Path: "/agents/a"})
	got := string(d.SVG)
	for _, want := range []string{`class="seg-ok"`, `class="seg-fail"`, `class="seg-not_reporting"`, "Not reporting from Jan 2 11:05", `class="bar-metrics"`} {
		if !strings.Contains(got, want) {
			t.Errorf("history chart lacks %q", want)
		}
	}
	if len(d.Rows) != 60 || d.Rows[1].Status != tc.AgentFail || d.Rows[1].Values[2] != 3 {
		t.Errorf("rows: %d, second %+v; want 60, the second failing with 3 errors", len(d.Rows), d.Rows[1])
	}
	if off := agentHistoryChart(&tc.AgentHistory{Range: "24h"}, &url.URL{Path: "/agents/a"}); !off.Off || off.SVG != "" {
		t.Errorf("history off: %+v", off)
	}
}

func TestURLPath(t *testing.T) {
	tests := []struct {
		base string
		segs []any
		want string
	}{
		{"/agents", []any{"x/../../tokens/7"}, "/agents/x%2F..%2F..%2Ftokens%2F7"},
		{"/api/agents/", []any{"a?b#c"}, "/api/agents/a%3Fb%23c"},
		{"/api/agents", []any{"100%"}, "/api/agents/100%25"},
		{"/api/agents", []any{`q"u'o te`}, "/api/agents/q%22u%27o%20te"},
		{"/api/agents", []any{"ünï\\cödé"}, "/api/agents/%C3%BCn%C3%AF%5Cc%C3%B6d%C3%A9"},
		{"/api/configs", []any{"c1", "versions", 3, "rollback"}, "/api/configs/c1/versions/3/rollback"},
	}
	for _, tt := range tests {
		if got := urlPath(tt.base, tt.segs...); got != tt.want {
			t.Errorf("urlPath(%q, %q) = %q, want %q", tt.base, tt.segs, got, tt.want)
		}
	}
}

// TestTemplateURLsEscapeIDs reads every template: a value put into a URL
// attribute's path (a link, form action or data-api call) must go through
// urlpath, so that no id can add path segments. Query values are escaped by
// html/template itself; whole URLs built in Go are listed.
func TestTemplateURLsEscapeIDs(t *testing.T) {
	wholeURL := map[string]bool{
		".URL":        true, // navigation, fixed paths
		".Data.Next":  true, // sign-in target, checked by signInTarget
		".StaleURL":   true, // agents list links, built with url.Values (serve.go)
		".CurrentURL": true,
		".AgentsURL":  true, // an alert rule's agents link (tc.AlertRule.AgentsLink escapes each value)
	}
	allowed := []string{"urlpath ", "static ", "query ", "$d.Q.SortLink "}
	attr := regexp.MustCompile(`\s(href|src|action|formaction|data-api|data-then|data-validate)="((?:\{\{.*?\}\}|[^"])*)"`)
	action := regexp.MustCompile(`\{\{-?\s*(.*?)\s*-?\}\}`)
	files, err := fs.Glob(templateFS, "templates/*/*.html")
	if err != nil {
		t.Fatal(err)
	}
	pages, _ := fs.Glob(templateFS, "templates/*.html")
	checked := 0
	for _, name := range append(files, pages...) {
		b, err := templateFS.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range attr.FindAllStringSubmatch(string(b), -1) {
			val := strings.TrimPrefix(m[2], "go:")
			for _, loc := range action.FindAllStringSubmatchIndex(val, -1) {
				checked++
				act := val[loc[2]:loc[3]]
				inQuery := strings.Contains(val[:loc[0]], "?")
				ok := inQuery || (loc[0] == 0 && loc[1] == len(val) && wholeURL[act])
				for _, p := range allowed {
					ok = ok || (loc[0] == 0 && strings.HasPrefix(act, p))
				}
				if !ok {
					t.Errorf("%s: %s=%q puts {{%s}} into a URL path without urlpath", name, m[1], m[2], act)
				}
			}
		}
	}
	if checked < 30 {
		t.Fatalf("checked only %d template URLs: the scan is broken", checked)
	}
}
