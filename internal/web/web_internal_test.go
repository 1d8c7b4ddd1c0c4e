package web

import (
	"io/fs"
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
	if got := string(fleetChart(nil, now)); !strings.Contains(got, "No samples yet") {
		t.Errorf("empty chart = %s", got)
	}
	var samples []tc.FleetHealthSample
	for i := 0; i < 24; i++ {
		samples = append(samples, tc.FleetHealthSample{At: now.Add(time.Duration(i-23) * time.Hour),
			AgentSummary: tc.AgentSummary{Total: 100, OK: 80, Warn: 5, Fail: 5, Undefined: 5, NotReporting: 5}})
	}
	got := string(fleetChart(samples, now))
	if n := strings.Count(got, "<polygon"); n != 5 {
		t.Errorf("chart has %d areas, want one per status (5)", n)
	}
	for _, want := range []string{`role="img"`, "80 OK", "5 not reporting", ">100<"} {
		if !strings.Contains(got, want) {
			t.Errorf("chart lacks %q", want)
		}
	}
}

func TestFleetChartThinsADay(t *testing.T) {
	now := time.Date(2026, 1, 2, 12, 0, 0, 0, time.UTC)
	var samples []tc.FleetHealthSample
	for i := 0; i < 1440; i++ {
		samples = append(samples, tc.FleetHealthSample{At: now.Add(time.Duration(i-1439) * time.Minute), AgentSummary: tc.AgentSummary{Total: 10, OK: 10}})
	}
	got := thin(samples, 288)
	if len(got) > 289 || got[len(got)-1].At != now || got[0].At != samples[0].At {
		t.Errorf("thin kept %d samples from %s to %s", len(got), got[0].At, got[len(got)-1].At)
	}
	if size := len(fleetChart(samples, now)); size > 40_000 {
		t.Errorf("a day of samples draws %d bytes of SVG, want under 40 kB", size)
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
		".URL":       true, // navigation, fixed paths
		".Data.Next": true, // sign-in target, checked by signInTarget
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
