package tc_test

import (
	"strings"
	"testing"
	"time"

	"github.com/telegrafcontroller/tc"
)

func TestHistoryRanges(t *testing.T) {
	for _, c := range []struct {
		name     string
		unit     time.Duration
		wantStep time.Duration
		points   int
	}{
		{"1h", time.Minute, time.Minute, 60},
		{"6h", time.Minute, 2 * time.Minute, 180},
		{"", time.Minute, 6 * time.Minute, 240}, // 24h
		{"7d", time.Minute, 42 * time.Minute, 240},
		{"1h", 10 * time.Second, 20 * time.Second, 180},
	} {
		r, err := tc.ParseHistoryRange(c.name)
		if err != nil {
			t.Fatal(err)
		}
		step := r.Step(c.unit)
		if step != c.wantStep {
			t.Errorf("%q over %s: step %s, want %s", c.name, c.unit, step, c.wantStep)
		}
		{
			if n := int(r.Span / step); n != c.points {
				t.Errorf("%q: %d points, want %d", c.name, n, c.points)
			}
		}
		now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		from, to := r.Window(now, step)
		if from.UnixNano()%int64(step) != 0 || from.After(now.Add(-r.Span)) || now.Add(-r.Span).Sub(from) >= step || !to.Equal(now) {
			t.Errorf("%q: window %s–%s, want from aligned to %s just before %s", c.name, from, to, step, now.Add(-r.Span))
		}
	}
	for _, bad := range []string{"2h", "24H", "1d", " 1h", "7d&", "0"} {
		if _, err := tc.ParseHistoryRange(bad); tc.ErrorCode(err) != tc.EINVALID {
			t.Errorf("range %q: %v, want EINVALID", bad, err)
		}
	}
}

// TestBuildAgentHistory: an agent first heard 10 minutes into an hour,
// ok every two minutes (one-minute buckets with gaps between), failing
// once, silent for eight minutes (the rule allows three), then warning.
func TestBuildAgentHistory(t *testing.T) {
	from := time.Date(2026, 1, 2, 3, 0, 0, 0, time.UTC)
	to := from.Add(time.Hour)
	at := func(m int) time.Time { return from.Add(time.Duration(m) * time.Minute) }
	var buckets []tc.AgentHistoryBucket
	add := func(m int, status string, errs int64) {
		buckets = append(buckets, tc.AgentHistoryBucket{Start: at(m), Status: status, Beats: 2, Metrics: 10, Errors: errs})
	}
	for m := 10; m <= 30; m += 2 {
		st := tc.AgentOK
		if m == 20 {
			st = tc.AgentFail
		}
		add(m, st, map[bool]int64{true: 4}[m == 20])
	}
	// silent from minute 31 (+ 3 min allowed: not reporting from 34) to 42
	for m := 42; m < 60; m++ {
		add(m, tc.AgentWarn, 0)
	}
	points, periods := tc.BuildAgentHistory(buckets, time.Minute, time.Minute, 3*time.Minute, from, to, at(10).Add(5*time.Second))
	if len(points) != 60 {
		t.Fatalf("%d points, want 60", len(points))
	}
	want := map[int]string{0: "", 9: "", 10: tc.AgentOK, 11: tc.AgentOK, 20: tc.AgentFail, 21: tc.AgentFail, 22: tc.AgentOK,
		33: tc.AgentOK, 34: tc.AgentNotReporting, 41: tc.AgentNotReporting, 42: tc.AgentWarn, 59: tc.AgentWarn}
	for i, st := range want {
		if points[i].Status != st {
			t.Errorf("minute %d: status %q, want %q", i, points[i].Status, st)
		}
	}
	if p := points[20]; p.Beats != 2 || p.Metrics != 10 || p.Errors != 4 || !p.At.Equal(at(20)) {
		t.Errorf("minute 20: %+v", p)
	}
	var got []string
	for _, p := range periods {
		got = append(got, p.From.Format("04")+"-"+p.To.Format("04")+":"+p.Status)
	}
	if s := strings.Join(got, " "); s != "00-10: 10-20:ok 20-22:fail 22-34:ok 34-42:not_reporting 42-00:warn" {
		t.Errorf("periods: %s", s)
	}

	// Six-minute steps: a step holds the worst of its minutes.
	points, _ = tc.BuildAgentHistory(buckets, time.Minute, 6*time.Minute, 3*time.Minute, from, to, at(10))
	if len(points) != 10 || points[3].Status != tc.AgentFail || points[3].Beats != 6 || points[5].Status != tc.AgentNotReporting || points[1].Status != tc.AgentOK {
		t.Errorf("six-minute steps: %+v", points)
	}

	// Silent to the end, and a bucket before the range that still covers its start.
	points, periods = tc.BuildAgentHistory([]tc.AgentHistoryBucket{{Start: from.Add(-2 * time.Minute), Status: tc.AgentWarn, Beats: 1}},
		time.Minute, time.Minute, 3*time.Minute, from, to, from.Add(-time.Hour))
	if points[0].Status != tc.AgentWarn || points[1].Status != tc.AgentWarn || points[2].Status != tc.AgentNotReporting || points[59].Status != tc.AgentNotReporting || len(periods) != 2 {
		t.Errorf("silent: %v %v %v, %d periods", points[0], points[1], points[2], len(periods))
	}
}

func TestMergeCountsBeatsAndWorstStatus(t *testing.T) {
	t0 := time.Unix(100, 0)
	a := &tc.AgentBeat{ID: "a", Status: tc.AgentFail, FirstSeen: t0, LastSeen: t0}
	b := &tc.AgentBeat{ID: "a", Status: tc.AgentOK, FirstSeen: t0.Add(time.Second), LastSeen: t0.Add(time.Second)}
	c := &tc.AgentBeat{ID: "a", Status: tc.AgentWarn, FirstSeen: t0.Add(2 * time.Second), LastSeen: t0.Add(2 * time.Second)}
	b.Merge(a)
	c.Merge(b)
	if c.BeatCount() != 3 || c.WorstStatus() != tc.AgentFail || c.Status != tc.AgentWarn {
		t.Errorf("merged: %d beats, worst %q, status %q; want 3, fail, warn", c.BeatCount(), c.WorstStatus(), c.Status)
	}
}
