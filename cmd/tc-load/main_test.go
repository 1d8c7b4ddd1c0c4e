package main

import (
	"testing"
	"time"
)

// TestRunSmall runs the tool end to end on a tiny fleet: bare handler,
// in-process controller, an open-loop phase and the freshness check.
func TestRunSmall(t *testing.T) {
	o := options{agents: 300, conns: 4, compare: 300 * time.Millisecond, rate: 400, duration: 500 * time.Millisecond,
		logFraction: 0.1, freshnessTimeout: 20 * time.Second}
	if err := run(o); err != nil {
		t.Fatal(err)
	}
}

func TestRequireLoopback(t *testing.T) {
	for _, tt := range []struct {
		host string
		ok   bool
	}{{"127.0.0.1", true}, {"::1", true}, {"localhost", true}, {"127.5.6.7", true}, {"10.0.0.1", false}, {"example.com", false}, {"", false}} {
		if err := requireLoopback(tt.host); (err == nil) != tt.ok {
			t.Errorf("requireLoopback(%q) = %v, want ok %v", tt.host, err, tt.ok)
		}
	}
}

func TestHistogram(t *testing.T) {
	h := &histogram{}
	for i := 1; i <= 1000; i++ {
		h.record(time.Duration(i) * time.Millisecond)
	}
	for _, tt := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 500 * time.Millisecond}, {0.99, 990 * time.Millisecond}} {
		got := h.quantile(tt.q)
		if d := got - tt.want; d < -tt.want/200 || d > tt.want/200 {
			t.Errorf("quantile(%v) = %s, want %s within 0.5%%", tt.q, got, tt.want)
		}
	}
	if got := h.max(); got != time.Second {
		t.Errorf("max = %s, want 1s", got)
	}
}
