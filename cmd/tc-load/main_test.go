package main

import (
	"bufio"
	"bytes"
	"net/http"
	"net/url"
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

// TestRunWatch runs watcher mode end to end: beats and, beside them, the
// agents' HEADs of a config's URL, which must be answered 2xx (run fails
// otherwise), with settle and per-window figures.
func TestRunWatch(t *testing.T) {
	o := options{agents: 300, conns: 4, rate: 400, duration: 1500 * time.Millisecond, settle: 300 * time.Millisecond,
		window: 500 * time.Millisecond, watchInterval: time.Second, watchConns: 2, freshnessTimeout: 20 * time.Second}
	if err := run(o); err != nil {
		t.Fatal(err)
	}
}

// TestHead: the watcher's request is the one Telegraf 1.39 sends: HEAD of
// the URL with the agent's id, User-Agent and Authorization, and nothing
// else (no Accept, no Accept-Encoding).
func TestHead(t *testing.T) {
	g := newGenerator(10, 0, "tc-apiv1_secret")
	u, _ := url.Parse("http://127.0.0.1:8888/api/configs/c1/toml?agent_id={id}&region=eu")
	req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(g.head(nil, u, 7))))
	if err != nil {
		t.Fatal(err)
	}
	want := "/api/configs/c1/toml?agent_id=5a1e0c3d-0000-4000-8000-000000000007&region=eu"
	if req.Method != http.MethodHead || req.RequestURI != want || req.Host != "127.0.0.1:8888" {
		t.Errorf("request %s %s (host %s), want HEAD %s", req.Method, req.RequestURI, req.Host, want)
	}
	if len(req.Header) != 2 || req.Header.Get("User-Agent") != "Telegraf/1.39.3 Go/1.26.8" ||
		req.Header.Get("Authorization") != "Bearer tc-apiv1_secret" {
		t.Errorf("headers %v, want User-Agent and Authorization only", req.Header)
	}
}
