package app_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/telegrafcontroller/tc/internal/app"
)

// TestDebugListener: --debug-address takes only loopback addresses, for its
// profiles have no authentication, and a node started with one serves
// them there and nowhere else.
func TestDebugListener(t *testing.T) {
	for _, bad := range []string{"0.0.0.0:6060", "10.1.2.3:6060", "example.com:6060", "6060", "[::]:6060"} {
		_, err := app.ParseConfig([]string{"--debug-address", bad}, func(string) string { return "" }, nil, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "debug-address") {
			t.Errorf("--debug-address %s: err = %v, want a refusal naming the option", bad, err)
		}
	}
	free, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := free.Addr().String()
	free.Close()
	m := app.NewMain()
	m.Getenv = func(string) string { return "" }
	m.LogOutput = io.Discard
	m.Config, err = app.ParseConfig([]string{"--port", "0", "--heartbeat-port", "0", "--bind", "127.0.0.1", "--drain-period", "0",
		"--data-dir", t.TempDir(), "--debug-address", addr}, m.Getenv, nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	get := func(url string) (int, string) {
		res, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	if code, body := get("http://" + addr + "/debug/pprof/heap?debug=1"); code != 200 || !strings.Contains(body, "heap profile") {
		t.Fatalf("debug listener: %d %.80q, want the heap profile", code, body)
	}
	if code, _ := get("http://" + m.MainAddr() + "/debug/pprof/heap?debug=1"); code == 200 {
		t.Fatal("the main listener serves profiles")
	}
}
