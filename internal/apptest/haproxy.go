package apptest

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// HAProxyEnv names the variable holding the path of the haproxy binary
// (scripts/test installs Debian's package and exports it).
const HAProxyEnv = "TC_TEST_HAPROXY"

var haproxyNotice sync.Once

// RequireHAProxy returns the haproxy binary, skipping tb loudly when there
// is none (failing it when CI is set).
func RequireHAProxy(tb testing.TB) string {
	tb.Helper()
	bin := os.Getenv(HAProxyEnv)
	if bin == "" {
		bin, _ = exec.LookPath("haproxy")
	}
	if bin != "" {
		return bin
	}
	msg := "cluster tests need HAProxy (" + HAProxyEnv + " or haproxy on PATH; ./scripts/test installs it)"
	missing(tb, &haproxyNotice, "HAPROXY TESTS", msg)
	return ""
}

// Backend is one controller behind the load balancer: its main and
// heartbeat listeners as host:port.
type Backend struct{ Main, Heartbeat string }

// HAProxy is a running load balancer in front of several controllers, as
// docs/cluster.md configures it: round robin, health checks on
// /health/ready (main) and /health (heartbeat), X-Forwarded-For added.
type HAProxy struct {
	// URL and HeartbeatURL are the load balancer's two front ends.
	URL, HeartbeatURL string
	Output            *SafeBuffer
}

// StartHAProxy runs haproxy in the foreground in front of backends until
// tb's cleanup. It returns once both front ends accept connections.
func StartHAProxy(tb testing.TB, backends []Backend) *HAProxy {
	tb.Helper()
	bin := RequireHAProxy(tb)
	mainPort, hbPort := freePort(tb), freePort(tb)
	var b strings.Builder
	fmt.Fprintf(&b, `global
  maxconn 4096
defaults
  mode http
  timeout connect 2s
  timeout client 60s
  timeout server 60s
  option forwardfor
  option redispatch
  retries 2
frontend main
  bind 127.0.0.1:%d
  default_backend controllers
frontend heartbeat
  bind 127.0.0.1:%d
  default_backend heartbeats
backend controllers
  balance roundrobin
  option httpchk GET /health/ready
  default-server check inter 500ms fall 1 rise 1
`, mainPort, hbPort)
	for i, be := range backends {
		fmt.Fprintf(&b, "  server node%d %s\n", i, be.Main)
	}
	b.WriteString(`backend heartbeats
  balance roundrobin
  option httpchk GET /health
  default-server check inter 500ms fall 1 rise 1
`)
	for i, be := range backends {
		fmt.Fprintf(&b, "  server node%d %s\n", i, be.Heartbeat)
	}
	cfg := filepath.Join(tb.TempDir(), "haproxy.cfg")
	if err := os.WriteFile(cfg, []byte(b.String()), 0o600); err != nil {
		tb.Fatal(err)
	}
	h := &HAProxy{
		URL:          fmt.Sprintf("http://127.0.0.1:%d", mainPort),
		HeartbeatURL: fmt.Sprintf("http://127.0.0.1:%d", hbPort),
		Output:       &SafeBuffer{},
	}
	cmd := exec.Command(bin, "-db", "-f", cfg)
	cmd.Stdout, cmd.Stderr = h.Output, h.Output
	if err := cmd.Start(); err != nil {
		tb.Fatalf("start haproxy: %v", err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	tb.Cleanup(func() {
		cmd.Process.Kill()
		<-done
		if tb.Failed() {
			tb.Logf("haproxy output:\n%s", h.Output.String())
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for _, addr := range []string{h.URL, h.HeartbeatURL} {
		for {
			c, err := net.DialTimeout("tcp", strings.TrimPrefix(addr, "http://"), time.Second)
			if err == nil {
				c.Close()
				break
			}
			select {
			case <-done:
				tb.Fatalf("haproxy exited:\n%s", h.Output.String())
			default:
			}
			if time.Now().After(deadline) {
				tb.Fatalf("haproxy did not listen on %s: %v\n%s", addr, err, h.Output.String())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return h
}

// WaitHealthy polls the load balancer's main front end until n answers in a
// row succeed, so every back end has passed its first health check.
func (h *HAProxy) WaitHealthy(tb testing.TB, n int) {
	tb.Helper()
	deadline := time.Now().Add(15 * time.Second)
	ok := 0
	for ok < n {
		resp, err := http.Get(h.URL + "/health/ready")
		if err == nil {
			resp.Body.Close()
		}
		if err == nil && resp.StatusCode == http.StatusOK {
			ok++
			continue
		}
		ok = 0
		if time.Now().After(deadline) {
			tb.Fatalf("load balancer not healthy: %v\n%s", err, h.Output.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func freePort(tb testing.TB) int {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
