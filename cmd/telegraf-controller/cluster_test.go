package main_test

import (
	"bufio"
	"bytes"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/telegrafcontroller/tc/internal/apptest"
)

// startProcessCluster runs three --ha controller processes on dsn behind
// HAProxy, the first creating the owner, and returns them, the load
// balancer and a full-access token. extra flags follow the common ones.
func startProcessCluster(t *testing.T, bin, dsn string, extra ...string) ([]*node, *apptest.HAProxy, string) {
	t.Helper()
	home := t.TempDir()
	base := []string{"HOME=" + home, "XDG_DATA_HOME=" + home, "PATH=" + os.Getenv("PATH"), "DATABASE_URL=" + dsn}
	args := append([]string{"--ha", "--status-interval", "1s", "--trusted-proxies", "127.0.0.1/32",
		"--heartbeat-flush-interval", "100ms", "--shutdown-timeout", "30s"}, extra...)
	nodes := make([]*node, 3)
	for i := range nodes {
		env := base
		if i == 0 { // the first node creates the owner; the others find it
			env = append(append([]string{}, base...), "OWNER_USERNAME=owner", "OWNER_EMAIL=owner@example.test", "OWNER_PASSWORD=cluster-test-Passw0rd!")
		}
		nodes[i] = &node{t: t, bin: bin, args: args, env: env, main: freeAddr(t), hb: freeAddr(t)}
		nodes[i].start()
	}
	t.Cleanup(func() {
		for _, n := range nodes {
			n.cmd.Process.Kill()
			<-n.done
			if t.Failed() {
				t.Logf("node %s output:\n%s", n.main, n.out.String())
			}
		}
	})
	var backends []apptest.Backend
	for _, n := range nodes {
		backends = append(backends, apptest.Backend{Main: n.main, Heartbeat: n.hb})
	}
	lb := apptest.StartHAProxy(t, backends)
	lb.WaitHealthy(t, 6)
	return nodes, lb, mustClusterToken(t, lb.URL)
}

// node is one controller process of a cluster test.
type node struct {
	t        *testing.T
	bin      string
	args     []string
	env      []string
	main, hb string // host:port, fixed across restarts
	cmd      *exec.Cmd
	done     chan struct{}
	out      *apptest.SafeBuffer
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// start runs the node's process and waits until both listeners are up.
func (n *node) start() {
	t := n.t
	t.Helper()
	_, mainPort, _ := net.SplitHostPort(n.main)
	_, hbPort, _ := net.SplitHostPort(n.hb)
	n.cmd = exec.Command(n.bin, append([]string{"--bind", "127.0.0.1", "--port", mainPort, "--heartbeat-port", hbPort}, n.args...)...)
	n.cmd.Env = n.env
	n.out = &apptest.SafeBuffer{}
	stderr, err := n.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := n.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	n.done = make(chan struct{})
	listening := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stderr)
		seen := 0
		for sc.Scan() {
			n.out.Write([]byte(sc.Text() + "\n"))
			if listenRE.MatchString(sc.Text()) {
				if seen++; seen == 2 {
					close(listening)
				}
			}
		}
		n.cmd.Wait()
		close(n.done)
	}()
	select {
	case <-listening:
	case <-n.done:
		t.Fatalf("node %s exited at start:\n%s", n.main, n.out.String())
	case <-time.After(60 * time.Second):
		t.Fatalf("node %s did not listen:\n%s", n.main, n.out.String())
	}
}

func (n *node) signal(sig syscall.Signal) { n.cmd.Process.Signal(sig) }

func (n *node) wait(t *testing.T) {
	t.Helper()
	select {
	case <-n.done:
	case <-time.After(60 * time.Second):
		t.Fatalf("node %s did not exit:\n%s", n.main, n.out.String())
	}
}

func (n *node) leader() bool {
	resp, err := http.Get("http://" + n.main + "/health/leader")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// TestClusterBehindHAProxy runs three controller processes with --ha on one
// PostgreSQL behind a real HAProxy, under heartbeat load through the load
// balancer: kill -9 of the leader elects another (the time is logged), no
// status tick is sampled twice, no agent falsely turns not_reporting; then a
// rolling restart (SIGTERM, one node at a time, each draining first) loses
// no acknowledged heartbeat, and two real Telegraf agents that fetch their
// config and send heartbeats through the load balancer keep running, ok,
// with their config.
func TestClusterBehindHAProxy(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs a cluster")
	}
	apptest.RequirePostgres(t)
	apptest.RequireHAProxy(t)
	apptest.RequireTelegraf(t)
	bin := buildBinary(t)
	dsn := apptest.NewDSN(t, apptest.DB{Name: "postgres"})
	nodes, lb, token := startProcessCluster(t, bin, dsn, "--ha-check-interval", "200ms", "--drain-period", "2s")

	// Heartbeat load: agents beat every 100 ms through the load balancer,
	// each beat reporting one metric; the controller sums them into
	// totalMetrics, so an agent's total is exactly the number of its beats
	// that were written: fewer means acknowledged beats were lost, more
	// means double counting.
	type load struct {
		acked, failed []atomic.Int64
		stop          chan struct{}
		wg            sync.WaitGroup
	}
	const agents = 100
	client := &http.Client{Timeout: 10 * time.Second}
	startLoad := func(prefix string) *load {
		l := &load{acked: make([]atomic.Int64, agents), failed: make([]atomic.Int64, agents), stop: make(chan struct{})}
		for w := 0; w < 4; w++ {
			l.wg.Add(1)
			go func(w int) {
				defer l.wg.Done()
				for seq := 1; ; seq++ {
					for a := w; a < agents; a += 4 {
						select {
						case <-l.stop:
							return
						default:
						}
						body := fmt.Sprintf(`{"id":"%s-%03d","version":"1.39.3","schema":1,"last":%d,"hostname":"h%d","statistics":{"metrics":1,"errors":0,"warnings":0},"status":"ok"}`, prefix, a, seq, a)
						req, _ := http.NewRequest("POST", lb.HeartbeatURL+"/agents/heartbeat", strings.NewReader(body))
						req.Header.Set("Authorization", "Bearer "+token)
						req.Header.Set("Content-Type", "application/json")
						resp, err := client.Do(req)
						if err != nil {
							l.failed[a].Add(1) // may or may not have been written
							continue
						}
						io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
						if resp.StatusCode == http.StatusNoContent {
							l.acked[a].Add(1)
						} // any other answer is a refusal: not written
					}
					time.Sleep(100 * time.Millisecond)
				}
			}(w)
		}
		return l
	}
	stopLoad := func(l *load) { close(l.stop); l.wg.Wait() }
	// check compares each agent's total with its acknowledged beats and
	// returns how many acknowledged beats were lost in all.
	check := func(prefix string, l *load, strict bool) int64 {
		var lostTotal, ackedTotal int64
		var lost []string
		for a := 0; a < agents; a++ {
			var got tcAgent
			getJSON(t, lb.URL+fmt.Sprintf("/api/agents/%s-%03d", prefix, a), token, &got)
			if got.Status == "not_reporting" {
				t.Errorf("agent %s-%03d turned not_reporting", prefix, a)
			}
			acked, failed := l.acked[a].Load(), l.failed[a].Load()
			ackedTotal += acked
			if got.Statistics.TotalMetrics < acked {
				lostTotal += acked - got.Statistics.TotalMetrics
				lost = append(lost, fmt.Sprintf("%s-%03d: written %d, acknowledged %d", prefix, a, got.Statistics.TotalMetrics, acked))
			}
			if got.Statistics.TotalMetrics > acked+failed {
				t.Errorf("%s-%03d: written %d beats, but only %d were sent (%d acknowledged): counted twice", prefix, a, got.Statistics.TotalMetrics, acked+failed, acked)
			}
		}
		t.Logf("%s: %d beats acknowledged, %d of them lost", prefix, ackedTotal, lostTotal)
		if strict && len(lost) > 0 {
			sort.Strings(lost)
			t.Errorf("%d agents lost acknowledged heartbeats:\n%s", len(lost), strings.Join(lost, "\n"))
		}
		return lostTotal
	}

	waitLeader := func(except *node) (*node, time.Duration) {
		start := time.Now()
		for time.Since(start) < 30*time.Second {
			for _, n := range nodes {
				if n != except && n.leader() {
					return n, time.Since(start)
				}
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Fatalf("no leader within 30 s")
		return nil, 0
	}
	leader, _ := waitLeader(nil)
	killLoad := startLoad("ha-kill")
	time.Sleep(3 * time.Second) // a few ticks and beats before the failure

	// kill -9 the leader.
	leader.signal(syscall.SIGKILL)
	leader.wait(t)
	next, took := waitLeader(leader)
	t.Logf("kill -9 of the leader at %s: %s leads after %s", leader.main, next.main, took.Round(time.Millisecond))
	leader.start()
	lb.WaitHealthy(t, 6)
	time.Sleep(3 * time.Second)
	stopLoad(killLoad)

	// Two real Telegraf agents fetch their config through the load
	// balancer and send heartbeats through it.
	cfgBody, _ := json.Marshal(map[string]any{"name": "ha agents", "toml": "[agent]\n  interval = \"1s\"\n  flush_interval = \"1s\"\n\n" +
		"[[inputs.mem]]\n\n[[outputs.heartbeat]]\n  url = \"" + lb.HeartbeatURL + "/agents/heartbeat\"\n  instance_id = \"&{agent_id}\"\n" +
		"  token = \"${TC_AGENT_TOKEN}\"\n  interval = \"1s\"\n  include = [\"hostname\", \"statistics\", \"configs\", \"status\"]\n"})
	var cfg struct{ ID string }
	postJSON(t, lb.URL+"/api/configs", token, cfgBody, http.StatusCreated, &cfg)
	var telegrafs []*apptest.Telegraf
	for _, id := range []string{"tg-1", "tg-2"} {
		telegrafs = append(telegrafs, apptest.StartTelegraf(t, []string{"--config", lb.URL + "/api/configs/" + cfg.ID + "/toml?agent_id=" + id},
			"TELEGRAF_CONTROLLER_TOKEN="+token, "TC_AGENT_TOKEN="+token))
	}
	agentOK := func(id string) bool {
		var a tcAgent
		if !tryGetJSON(lb.URL+"/api/agents/"+id, token, &a) {
			return false
		}
		return a.Status == "ok" && len(a.ConfigIDs) == 1 && a.ConfigIDs[0] == cfg.ID
	}
	for _, id := range []string{"tg-1", "tg-2"} {
		apptest.Eventually(t, 60*time.Second, "telegraf agent "+id+" ok with its config", func() bool { return agentOK(id) })
	}

	// Rolling restart under a fresh load, every beat of which must be kept.
	rollLoad := startLoad("ha-roll")
	time.Sleep(time.Second)

	// Rolling restart: SIGTERM one node at a time; each drains (reports not
	// ready while the load balancer moves away), flushes and exits.
	for _, n := range nodes {
		n.signal(syscall.SIGTERM)
		n.wait(t)
		n.start()
		lb.WaitHealthy(t, 6)
		time.Sleep(time.Second)
	}
	stopLoad(rollLoad)
	time.Sleep(500 * time.Millisecond) // the last flush interval
	restarted := time.Now()
	for i, tg := range telegrafs {
		if tg.Exited() {
			t.Fatalf("telegraf %d exited during the rolling restart:\n%s", i+1, tg.Output)
		}
	}
	for _, id := range []string{"tg-1", "tg-2"} {
		apptest.Eventually(t, 30*time.Second, "telegraf agent "+id+" beating after the restart", func() bool {
			var a tcAgent
			return tryGetJSON(lb.URL+"/api/agents/"+id, token, &a) && a.Status == "ok" && a.LastSeen.After(restarted)
		})
		if !agentOK(id) {
			t.Errorf("telegraf agent %s lost its config or its ok status", id)
		}
	}

	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var samples, distinct int
	if err := db.QueryRow(`SELECT count(*), count(DISTINCT at) FROM fleet_health`).Scan(&samples, &distinct); err != nil {
		t.Fatal(err)
	}
	if samples != distinct || samples == 0 {
		t.Errorf("fleet-health samples: %d rows for %d ticks; want one row a tick", samples, distinct)
	}

	// kill -9 loses what the killed node acknowledged in its last flush
	// window (docs/operations.md: --heartbeat-ack=flush closes it); the
	// rolling restart loses nothing.
	check("ha-kill", killLoad, false)
	check("ha-roll", rollLoad, true)
}

type tcAgent struct {
	Status     string    `json:"status"`
	LastSeen   time.Time `json:"lastSeen"`
	ConfigIDs  []string  `json:"configIds"`
	Statistics struct {
		TotalMetrics int64 `json:"totalMetrics"`
	} `json:"statistics"`
}

// tryGetJSON reads url into out, reporting whether it answered 200.
func tryGetJSON(url, token string, out any) bool {
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode == http.StatusOK && json.Unmarshal(b, out) == nil
}

func postJSON(t *testing.T, url, token string, body []byte, want int, out any) {
	t.Helper()
	req, _ := http.NewRequest("POST", url, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("POST %s: %d %s", url, resp.StatusCode, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("POST %s: %v", url, err)
		}
	}
}

func getJSON(t *testing.T, url, token string, out any) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, b)
	}
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}

// mustClusterToken signs in as the owner through base and creates a
// full-access token.
func mustClusterToken(t *testing.T, base string) string {
	t.Helper()
	post := func(path, cookie string, body any) (*http.Response, []byte) {
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest("POST", base+path, bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		if cookie != "" {
			req.Header.Set("Cookie", cookie)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		return resp, out
	}
	resp, body := post("/api/auth/login/local", "", map[string]string{"username": "owner", "password": "cluster-test-Passw0rd!"})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("sign in: %d %s", resp.StatusCode, body)
	}
	var cookie string
	for _, c := range resp.Cookies() {
		cookie = c.Name + "=" + c.Value
	}
	resp, body = post("/api/tokens", cookie, map[string]any{"description": "cluster", "preset": "full-access"})
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create token: %d %s", resp.StatusCode, body)
	}
	var tok struct{ Token string }
	json.Unmarshal(body, &tok)
	return tok.Token
}
