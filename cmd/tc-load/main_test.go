package main

import (
	"bufio"
	"bytes"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
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

// TestTraceSlow: a request slower than -trace-slow has the flight
// recorder's trace written, once.
func TestTraceSlow(t *testing.T) {
	file := filepath.Join(t.TempDir(), "slow.trace")
	o := options{agents: 100, conns: 2, rate: 200, duration: 300 * time.Millisecond, freshnessTimeout: 20 * time.Second,
		traceSlow: time.Nanosecond, traceFile: file}
	if err := run(o); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte("go 1.")) {
		t.Errorf("%s starts %q, want a Go runtime trace", file, b[:min(len(b), 16)])
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

// TestReadResponse: the generator's reader takes each response whole, so
// the next one on the connection starts where it should, and refuses what
// it cannot frame.
func TestReadResponse(t *testing.T) {
	const next = "HTTP/1.1 204 No Content\r\n\r\n"
	for _, tt := range []struct {
		name, in string
		head     bool
		status   int
		err      string // a substring; "" for none
	}{
		{"no content", "HTTP/1.1 204 No Content\r\nDate: x\r\n\r\n", false, 204, ""},
		{"a body", "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\ncontent-length: 17\r\n\r\n{\"error\":\"busy\"}\n", false, 503, ""},
		{"after a HEAD, no body", "HTTP/1.1 200 OK\r\nContent-Length: 1234\r\nETag: \"v1\"\r\n\r\n", true, 200, ""},
		{"chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", false, 200, ""},
		{"chunked, a trailer", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\nX-Sum: 1\r\n\r\n", false, 200, ""},
		{"closing", "HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}", false, 400, "closed"},
		{"no framing", "HTTP/1.1 200 OK\r\n\r\nto the end", false, 200, "closed"},
		{"not HTTP", "SSH-2.0-OpenSSH\r\n\r\n", false, 0, "malformed status line"},
		{"bad length", "HTTP/1.1 200 OK\r\nContent-Length: -3\r\n\r\n", false, 0, "Content-Length"},
		{"cut short", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", false, 0, "EOF"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in
			if tt.err == "" {
				in += next
			}
			br := bufio.NewReader(strings.NewReader(in))
			status, err := readResponse(br, tt.head)
			if status != tt.status || (err == nil) != (tt.err == "") || err != nil && !strings.Contains(err.Error(), tt.err) {
				t.Fatalf("readResponse = %d, %v; want %d and an error containing %q", status, err, tt.status, tt.err)
			}
			if tt.err != "" {
				return
			}
			if status, err := readResponse(br, false); status != 204 || err != nil {
				t.Errorf("the next response: %d, %v; want 204 (the first was not read whole)", status, err)
			}
		})
	}
}
