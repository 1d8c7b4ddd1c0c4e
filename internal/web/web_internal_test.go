package web

import (
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
	var samples []FleetSample
	for i := 0; i < 24; i++ {
		samples = append(samples, FleetSample{At: now.Add(time.Duration(i-23) * time.Hour),
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
	var samples []FleetSample
	for i := 0; i < 1440; i++ {
		samples = append(samples, FleetSample{At: now.Add(time.Duration(i-1439) * time.Minute), AgentSummary: tc.AgentSummary{Total: 10, OK: 10}})
	}
	got := thin(samples, 288)
	if len(got) > 289 || got[len(got)-1].At != now || got[0].At != samples[0].At {
		t.Errorf("thin kept %d samples from %s to %s", len(got), got[0].At, got[len(got)-1].At)
	}
	if size := len(fleetChart(samples, now)); size > 40_000 {
		t.Errorf("a day of samples draws %d bytes of SVG, want under 40 kB", size)
	}
}
