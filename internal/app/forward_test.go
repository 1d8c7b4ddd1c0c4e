package app_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/app"
	"github.com/telegrafcontroller/tc/internal/apptest"
	"github.com/telegrafcontroller/tc/internal/store"
)

// TestAuditForwarderOptions: bad forwarder options are refused with one
// clear line: syslog needs its three options together.
func TestAuditForwarderOptions(t *testing.T) {
	getenv := func(string) string { return "" }
	for _, bad := range [][]string{
		{"--audit-syslog-protocol", "tls"},
		{"--audit-syslog-port", "0"},
		{"--audit-syslog-port", "70000"},
		{"--audit-webhook-url", "ftp://example.com/x"},
		{"--audit-webhook-url", "/relative"},
	} {
		if _, err := app.ParseConfig(bad, getenv, nil, io.Discard); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
	env := map[string]string{"AUDIT_SYSLOG_HOST": "logs.example", "AUDIT_SYSLOG_PORT": "6514", "AUDIT_SYSLOG_PROTOCOL": "udp",
		"AUDIT_WEBHOOK_URL": "https://siem.example/hook", "AUDIT_WEBHOOK_AUTH_HEADER": "Bearer x", "AUDIT_FILE_PATH": "/var/log/tc-audit.jsonl"}
	cfg, err := app.ParseConfig(nil, func(k string) string { return env[k] }, nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.AuditSyslogHost != "logs.example" || cfg.AuditSyslogPort != 6514 || cfg.AuditSyslogProtocol != "udp" ||
		cfg.AuditWebhookURL != "https://siem.example/hook" || cfg.AuditWebhookAuthHeader != "Bearer x" || cfg.AuditFilePath != "/var/log/tc-audit.jsonl" {
		t.Errorf("from the environment: %+v", cfg)
	}

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--audit-syslog-host", "127.0.0.1"}, "--audit-syslog-host, --audit-syslog-port and --audit-syslog-protocol"},
		{[]string{"--audit-syslog-host", "127.0.0.1", "--audit-syslog-port", "514"}, "AUDIT_SYSLOG_PROTOCOL"},
		{[]string{"--audit-syslog-port", "514", "--audit-syslog-protocol", "tcp"}, "together"},
		{[]string{"--audit-file-path", filepath.Join(t.TempDir(), "missing", "audit.jsonl")}, "--audit-file-path"},
	} {
		m := app.NewMain()
		m.Getenv = getenv
		m.LogOutput = io.Discard
		cfg, err := app.ParseConfig(append([]string{"--port", "0", "--heartbeat-port", "0", "--bind", "127.0.0.1", "--drain-period", "0", "--data-dir", t.TempDir()}, c.args...), getenv, nil, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		m.Config = cfg
		err = m.Run(context.Background())
		m.Close()
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%v: err = %v, want one line containing %q", c.args, err, c.want)
		}
	}
}

// TestAuditForwardersOfAController: a controller started with all three
// forwarders sends the entries another store on its database appends (as
// another node of a cluster would; found by the slow poll) to a syslog listener, a webhook and a file, and shows
// each forwarder's series on /metrics.
func TestAuditForwardersOfAController(t *testing.T) {
	apptest.RequirePostgres(t)
	dsn := apptest.NewDSN(t, apptest.DB{Name: "postgres"})

	syslogLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer syslogLn.Close()
	var mu sync.Mutex
	var syslogLines, hooks []string
	go func() {
		for {
			c, err := syslogLn.Accept()
			if err != nil {
				return
			}
			go func() {
				r := bufio.NewReader(c)
				for {
					n, err := r.ReadString(' ')
					if err != nil {
						return
					}
					size, _ := strconv.Atoi(strings.TrimSpace(n))
					b := make([]byte, size)
					if _, err := io.ReadFull(r, b); err != nil {
						return
					}
					mu.Lock()
					syslogLines = append(syslogLines, string(b))
					mu.Unlock()
				}
			}()
		}
	}()
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		hooks = append(hooks, r.Header.Get("Authorization")+" "+string(b))
		mu.Unlock()
	}))
	defer hook.Close()
	file := filepath.Join(t.TempDir(), "audit.jsonl")
	port := strconv.Itoa(syslogLn.Addr().(*net.TCPAddr).Port)
	// The controller's own entries (its start, refusals) are left out with
	// --audit-enabled=false: what it forwards is exactly what the other
	// store appends below.
	inst := apptest.MustStartOn(t, apptest.DB{Name: "postgres"}, dsn, apptest.NewClock(time.Now()), apptest.WithArgs(
		"--audit-enabled=false", "--audit-syslog-host", "127.0.0.1", "--audit-syslog-port", port, "--audit-syslog-protocol", "tcp",
		"--audit-webhook-url", hook.URL+"/audit", "--audit-webhook-auth-header", "Bearer hook-secret",
		"--audit-file-path", file))
	if strings.Contains(inst.Logs.String(), "hook-secret") {
		t.Error("the webhook's Authorization value reached the log")
	}

	other, err := store.Open(context.Background(), dsn, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	other.SetAudit(true)
	if err := other.AppendAudit(context.Background(), tc.AuditEntry{Action: tc.ActionServerStart},
		tc.AuditEntry{Action: tc.ActionAccessDenied, Outcome: tc.OutcomeDenied}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Minute)
	for {
		mu.Lock()
		n1, n2 := len(syslogLines), len(hooks)
		mu.Unlock()
		b, _ := os.ReadFile(file)
		if n1 == 2 && n2 == 2 && strings.Count(string(b), "\n") == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after a minute: %d syslog messages, %d webhook calls, file %q", n1, n2, b)
		}
		time.Sleep(20 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	var e tc.AuditEntry
	if !strings.HasPrefix(syslogLines[1], "<108>1 ") || !strings.Contains(syslogLines[1], " access.denied - {") {
		t.Errorf("syslog message %q", syslogLines[1])
	}
	if !strings.HasPrefix(hooks[0], "Bearer hook-secret {") || json.Unmarshal([]byte(strings.TrimPrefix(hooks[0], "Bearer hook-secret ")), &e) != nil || e.Seq != 1 {
		t.Errorf("webhook call %q", hooks[0])
	}
	r := apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/metrics"}), 200)
	for _, f := range []string{"syslog", "webhook", "file"} {
		if want := `tc_audit_forwarded_total{forwarder="` + f + `"} 2`; !strings.Contains(string(r.Body), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

// TestAuditForwardingFollowsTheLeader: in a cluster only the leader
// forwards; when it stops, the next leader continues from the cursor the
// first one stored, repeating nothing.
func TestAuditForwardingFollowsTheLeader(t *testing.T) {
	apptest.RequirePostgres(t)
	db := apptest.DB{Name: "postgres"}
	dsn := apptest.NewDSN(t, db)
	clock := apptest.NewClock(time.Now())
	dir := t.TempDir()
	files := []string{filepath.Join(dir, "a.jsonl"), filepath.Join(dir, "b.jsonl")}
	var nodes []*apptest.Instance
	for _, f := range files {
		// --audit-enabled=false: the nodes' own start and stop entries
		// would shift the seqs the test follows.
		nodes = append(nodes, apptest.MustStartOn(t, db, dsn, clock, apptest.WithClusterArgs("--audit-enabled=false", "--audit-file-path", f)))
	}
	stopped := map[int]bool{}
	leader := func() int {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			var l []int
			for i, n := range nodes {
				if !stopped[i] && n.Main.Cluster.Leader() {
					l = append(l, i)
				}
			}
			if len(l) == 1 {
				return l[0]
			}
			if time.Now().After(deadline) {
				t.Fatalf("no single leader: %v", l)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	other, err := store.Open(context.Background(), dsn, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	other.SetAudit(true)
	appendAndWait := func(file string, actions ...string) {
		t.Helper()
		var es []tc.AuditEntry
		for _, a := range actions {
			es = append(es, tc.AuditEntry{Action: a})
		}
		if err := other.AppendAudit(context.Background(), es...); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(time.Minute)
		for {
			b, _ := os.ReadFile(file)
			if strings.Count(string(b), "\n") >= len(actions) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s after a minute: %q", file, b)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	seqsOf := func(file string) []int64 {
		t.Helper()
		b, _ := os.ReadFile(file)
		var out []int64
		for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			var e tc.AuditEntry
			if l == "" {
				continue
			}
			if err := json.Unmarshal([]byte(l), &e); err != nil {
				t.Fatalf("%s: %v: %q", file, err, l)
			}
			out = append(out, e.Seq)
		}
		return out
	}

	first := leader()
	appendAndWait(files[first], "label.create", "label.update")
	if err := nodes[first].Stop(); err != nil {
		t.Fatal(err)
	}
	stopped[first] = true
	second := leader()
	appendAndWait(files[second], "label.delete")
	if got := seqsOf(files[first]); len(got) != 2 || got[0] != 1 || got[1] != 2 {
		t.Errorf("the first leader wrote %v, want [1 2]", got)
	}
	if got := seqsOf(files[second]); len(got) != 1 || got[0] != 3 {
		t.Errorf("the next leader wrote %v, want [3]", got)
	}
}
