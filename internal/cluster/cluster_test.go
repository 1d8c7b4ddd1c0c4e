package cluster_test

import (
	"context"
	"database/sql"
	"errors"
	"io"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/app"
	"github.com/telegrafcontroller/tc/internal/apptest"
	"github.com/telegrafcontroller/tc/internal/store"
)

// propagationBound is how long a change made on one node may take to reach
// another before a test fails. It bounds a wait, it asserts no timing: with
// NOTIFY a change arrives in milliseconds (BenchmarkRevocationPropagation
// measures it), and the counter poll runs every 200ms in these tests.
const propagationBound = 2 * time.Second

// waitFor polls cond until it holds or bound passes, and returns how long
// it took, failing t at the bound.
func waitFor(t testing.TB, bound time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > bound {
			t.Fatalf("%s: not after %v", what, bound)
		}
		time.Sleep(time.Millisecond)
	}
	return time.Since(start)
}

// status returns the status of a GET of path on node with token.
func status(t testing.TB, node *apptest.Instance, path, token string) int {
	t.Helper()
	return node.Do(t, apptest.Req{Method: "GET", Path: path, Token: token}).StatusCode
}

// tokenID returns the id of the token whose secret is given.
func tokenID(t testing.TB, node *apptest.Instance, secret string) string {
	t.Helper()
	tok, err := node.Store.TokenByHash(context.Background(), tc.HashSecret(secret))
	if err != nil {
		t.Fatal(err)
	}
	return tok.ID
}

// leaders returns the nodes that answer /health/leader with 200, failing t
// on an answer other than 200 or 503.
func leaders(t testing.TB, nodes []*apptest.Instance) []*apptest.Instance {
	t.Helper()
	var out []*apptest.Instance
	for _, n := range nodes {
		r := n.Do(t, apptest.Req{Method: "GET", Path: "/health/leader"})
		switch {
		case r.StatusCode == 200 && strings.Contains(string(r.Body), `"leader":true`):
			out = append(out, n)
		case r.StatusCode == 503 && strings.Contains(string(r.Body), `"leader":false`):
		default:
			t.Fatalf("GET /health/leader = %d %s", r.StatusCode, r.Body)
		}
	}
	return out
}

// waitLeader waits until exactly one of nodes leads and returns it.
func waitLeader(t testing.TB, nodes []*apptest.Instance) (*apptest.Instance, time.Duration) {
	t.Helper()
	var leader *apptest.Instance
	d := waitFor(t, 10*time.Second, "exactly one leader", func() bool {
		l := leaders(t, nodes)
		if len(l) == 1 {
			leader = l[0]
		}
		return len(l) == 1
	})
	return leader, d
}

// adminDB opens the test cluster's admin connection (for pg_terminate_backend).
func adminDB(t testing.TB) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", os.Getenv(apptest.PostgresURLEnv))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// terminate kills backend pid and waits until it is gone.
func terminate(t testing.TB, db *sql.DB, pid uint32) {
	t.Helper()
	if pid == 0 {
		t.Fatal("no backend to terminate")
	}
	var ok bool
	if err := db.QueryRow(`SELECT pg_terminate_backend($1)`, int64(pid)).Scan(&ok); err != nil || !ok {
		t.Fatalf("pg_terminate_backend(%d) = %v, %v", pid, ok, err)
	}
	waitFor(t, 10*time.Second, "backend gone", func() bool {
		var n int
		db.QueryRow(`SELECT count(*) FROM pg_stat_activity WHERE pid = $1`, int64(pid)).Scan(&n)
		return n == 0
	})
}

// notifyOnly makes the counter poll too slow to matter within
// propagationBound: a change that arrives came by NOTIFY.
var notifyOnly = apptest.WithClusterArgs("--ha-check-interval", "1m", "--ha-poll-interval", "1m")

// TestRevokedTokenRefusedOnEveryNode: the revoking call returns once every
// node confirmed the change, so the very next request is refused on every
// node, with no waiting. Node C's listener is then cut: the writer does not
// wait for a node that cannot hear (it resets at its next counter poll).
func TestRevokedTokenRefusedOnEveryNode(t *testing.T) {
	nodes := apptest.MustStartCluster(t, 3, notifyOnly)
	a := nodes[0]
	owner := a.MustOwner(t)
	admin := a.MustToken(t, owner, tc.AllPermissions...)
	revoke := func(round int, victim string) {
		for _, n := range nodes { // every node caches the token
			if got := status(t, n, "/api/configs", victim); got != 200 {
				t.Fatalf("round %d: before revocation: status %d, want 200", round, got)
			}
		}
		apptest.MustStatus(t, a.Do(t, apptest.Req{Method: "POST", Path: "/api/tokens/" + tokenID(t, a, victim) + "/revoke", Token: admin}), 200)
	}
	for round := range 20 {
		victim := a.MustToken(t, owner, tc.AllPermissions...)
		revoke(round, victim)
		for i, n := range nodes {
			if got := status(t, n, "/api/configs", victim); got != 401 {
				t.Fatalf("round %d: node %c right after the revocation returned: status %d, want 401", round, 'A'+i, got)
			}
		}
	}
	if u := a.Cluster.Unconfirmed(); u != 0 {
		t.Errorf("%d writes returned without every node's confirmation", u)
	}

	c := nodes[2]
	waitFor(t, propagationBound, "node C listening", func() bool { return c.Cluster.ListenPID() != 0 })
	terminate(t, adminDB(t), c.Cluster.ListenPID())
	victim := a.MustToken(t, owner, tc.AllPermissions...)
	start := time.Now()
	revoke(99, victim)
	t.Logf("revocation with node C's listener cut returned after %v", time.Since(start))
	if u := a.Cluster.Unconfirmed(); u != 0 {
		t.Errorf("the writer waited for a node whose listener was cut (%d unconfirmed)", u)
	}
	if got := status(t, nodes[1], "/api/configs", victim); got != 401 {
		t.Fatalf("node B right after the revocation returned: status %d, want 401", got)
	}
}

func TestConfigEditServedByEveryNode(t *testing.T) {
	nodes := apptest.MustStartCluster(t, 2, notifyOnly)
	a, b := nodes[0], nodes[1]
	tok := a.MustToken(t, a.MustOwner(t), tc.AllPermissions...)
	id := apptest.MustStatus(t, a.Do(t, apptest.Req{Method: "POST", Path: "/api/configs", Token: tok,
		Body: map[string]any{"name": "base", "toml": "[[inputs.cpu]]\n"}}), 201).Map(t)["id"].(string)
	path := "/api/configs/" + id + "/toml"
	before := apptest.MustStatus(t, b.Do(t, apptest.Req{Method: "GET", Path: path, Token: tok}), 200)
	if !strings.Contains(string(before.Body), "inputs.cpu") {
		t.Fatalf("node B serves %q", before.Body)
	}
	a.Clock.Advance(3 * time.Second) // a new Last-Modified second
	apptest.MustStatus(t, a.Do(t, apptest.Req{Method: "PATCH", Path: "/api/configs/" + id, Token: tok,
		Body: map[string]any{"toml": "[[inputs.mem]]\n"}}), 200)
	onA := apptest.MustStatus(t, a.Do(t, apptest.Req{Method: "GET", Path: path, Token: tok}), 200)
	var onB *apptest.Response
	waitFor(t, propagationBound, "node B serves the edited config", func() bool {
		onB = b.Do(t, apptest.Req{Method: "GET", Path: path, Token: tok})
		return strings.Contains(string(onB.Body), "inputs.mem")
	})
	if string(onA.Body) != string(onB.Body) {
		t.Errorf("bodies differ:\nA: %s\nB: %s", onA.Body, onB.Body)
	}
	lmA, lmB := onA.Header.Get("Last-Modified"), onB.Header.Get("Last-Modified")
	if lmA == "" || lmA != lmB || lmA == before.Header.Get("Last-Modified") {
		t.Errorf("Last-Modified: A %q, B %q, before the edit %q; want A = B, new", lmA, lmB, before.Header.Get("Last-Modified"))
	}
}

func TestOneLeaderAndFailover(t *testing.T) {
	nodes := apptest.MustStartCluster(t, 3)
	leader, d := waitLeader(t, nodes)
	t.Logf("first election took %v", d)
	for range 20 { // stays one leader
		if l := leaders(t, nodes); len(l) != 1 || l[0] != leader {
			t.Fatalf("%d leaders, want the same one", len(l))
		}
		time.Sleep(20 * time.Millisecond)
	}
	tok := leader.MustToken(t, leader.MustOwner(t), tc.AllPermissions...)
	if resp := leader.Do(t, apptest.Req{Method: "POST", Path: leader.HeartbeatURL + "/agents/heartbeat", Token: tok,
		Body: `{"id":"agent-1","version":"1.39.3","status":"OK"}`}); resp.StatusCode != 204 {
		t.Fatalf("heartbeat: %d %s", resp.StatusCode, resp.Body)
	}
	if err := leader.Main.HB.Ingest.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := leader.Scheduler.Tick(context.Background()); err != nil {
		t.Fatalf("leader's sweep: %v", err)
	}
	var rest []*apptest.Instance
	for _, n := range nodes {
		if n != leader {
			rest = append(rest, n)
			if _, err := n.Scheduler.Tick(context.Background()); !errors.Is(err, store.ErrNotLeader) {
				t.Errorf("follower's sweep: error %v, want ErrNotLeader", err)
			}
		}
	}
	for _, n := range nodes { // every node's gauges show the fleet
		want := []string{"\ntc_leader 0\n", "\ntc_agents{status=\"ok\"} 1\n"}
		if n == leader {
			want[0] = "\ntc_leader 1\n"
		}
		body := string(apptest.MustStatus(t, n.Do(t, apptest.Req{Method: "GET", Path: "/metrics"}), 200).Body)
		for _, w := range want {
			if !strings.Contains(body, w) {
				t.Errorf("/metrics lacks %q", strings.TrimSpace(w))
			}
		}
	}
	stopped := time.Now()
	if err := leader.Stop(); err != nil {
		t.Fatal(err)
	}
	next, _ := waitLeader(t, rest)
	t.Logf("failover: a new leader %v after the old leader's Main.Close returned", time.Since(stopped))
	if _, err := next.Scheduler.Tick(context.Background()); err != nil {
		t.Fatalf("new leader's sweep: %v", err)
	}
}

// TestFailoverGrace: the new leader's sweep does not turn agents
// not_reporting that could not report during the failover; the grace
// counts from when it became leader.
func TestFailoverGrace(t *testing.T) {
	nodes := apptest.MustStartCluster(t, 2)
	leader, _ := waitLeader(t, nodes)
	other := nodes[0]
	if other == leader {
		other = nodes[1]
	}
	tok := leader.MustToken(t, leader.MustOwner(t), tc.AllPermissions...)
	resp := leader.Do(t, apptest.Req{Method: "POST", Path: leader.HeartbeatURL + "/agents/heartbeat", Token: tok,
		Body: `{"id":"agent-web-1","version":"1.39.3","hostname":"web-1","status":"OK"}`})
	if resp.StatusCode != 204 {
		t.Fatalf("heartbeat: %d %s", resp.StatusCode, resp.Body)
	}
	if err := leader.Main.HB.Ingest.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	// Long after every node started, the agent falls silent past the
	// default rule's threshold while the leader goes away.
	leader.Clock.Advance(24 * time.Hour)
	if err := leader.Stop(); err != nil {
		t.Fatal(err)
	}
	waitLeader(t, []*apptest.Instance{other})
	sw, err := other.Scheduler.Tick(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if sw.NotReporting != 0 {
		t.Errorf("new leader's first sweep marked %d agents not_reporting, want 0 (failover grace)", sw.NotReporting)
	}
	other.Clock.Advance(24 * time.Hour)
	if sw, err = other.Scheduler.Tick(context.Background()); err != nil || sw.NotReporting != 1 {
		t.Errorf("after the grace: %d agents marked, error %v; want 1", sw.NotReporting, err)
	}
}

// TestFencing: a leader whose lock connection was killed cannot commit a
// sweep, whether or not its elector noticed and whether or not another node
// took over.
func TestFencing(t *testing.T) {
	nodes := apptest.MustStartCluster(t, 2)
	leader, _ := waitLeader(t, nodes)
	fence, since, ok := leader.Cluster.Fence()
	if !ok {
		t.Fatal("leader has no fence")
	}
	ctx := context.Background()
	if _, err := leader.Store.SweepAgentStatusAsLeader(ctx, since, fence); err != nil {
		t.Fatalf("sweep with the current fence: %v", err)
	}
	terminate(t, adminDB(t), fence.LockPID)
	if _, err := leader.Store.SweepAgentStatusAsLeader(ctx, since, fence); !errors.Is(err, store.ErrNotLeader) {
		t.Fatalf("sweep after the lock connection died: error %v, want ErrNotLeader", err)
	}
	var f2 *store.Fence
	waitFor(t, 10*time.Second, "a leader of a new epoch", func() bool { // the other node, or the same one again
		for _, n := range nodes {
			if f, _, ok := n.Cluster.Fence(); ok && f.Epoch > fence.Epoch {
				f2 = f
				return true
			}
		}
		return false
	})
	if _, err := leader.Store.SweepAgentStatusAsLeader(ctx, since, fence); !errors.Is(err, store.ErrNotLeader) {
		t.Fatalf("sweep with the old fence after a new election: error %v, want ErrNotLeader", err)
	}
	forged := *f2
	forged.Epoch = fence.Epoch
	if _, err := leader.Store.SweepAgentStatusAsLeader(ctx, since, &forged); !errors.Is(err, store.ErrNotLeader) {
		t.Fatalf("sweep with an old epoch on the live lock: error %v, want ErrNotLeader", err)
	}
}

// TestFencingBeforeNoticing: the leader's scheduler, whose elector has not
// yet noticed (checks every minute here) that its lock connection died,
// cannot commit a sweep.
func TestFencingBeforeNoticing(t *testing.T) {
	nodes := apptest.MustStartCluster(t, 1, apptest.WithClusterArgs("--ha-check-interval", "1m", "--ha-poll-interval", "1m"))
	leader, _ := waitLeader(t, nodes)
	if _, err := leader.Scheduler.Tick(context.Background()); err != nil {
		t.Fatalf("sweep while leading: %v", err)
	}
	terminate(t, adminDB(t), leader.Cluster.LockPID())
	if !leader.Cluster.Leader() {
		t.Fatal("the elector noticed already; this test needs it not to")
	}
	if _, err := leader.Scheduler.Tick(context.Background()); !errors.Is(err, store.ErrNotLeader) {
		t.Fatalf("sweep after the lock connection died: error %v, want ErrNotLeader", err)
	}
}

// TestListenerKilled: a node whose listening connection is killed still
// refuses a token revoked elsewhere (it reconnects and resets its caches).
func TestListenerKilled(t *testing.T) {
	nodes := apptest.MustStartCluster(t, 2)
	a, b := nodes[0], nodes[1]
	owner := a.MustOwner(t)
	admin := a.MustToken(t, owner, tc.AllPermissions...)
	victim := a.MustToken(t, owner, tc.AllPermissions...)
	waitFor(t, 5*time.Second, "node B listening", func() bool { return b.Cluster.ListenPID() != 0 })
	if got := status(t, b, "/api/configs", victim); got != 200 {
		t.Fatalf("before: status %d", got)
	}
	terminate(t, adminDB(t), b.Cluster.ListenPID())
	apptest.MustStatus(t, a.Do(t, apptest.Req{Method: "POST", Path: "/api/tokens/" + tokenID(t, a, victim) + "/revoke", Token: admin}), 200)
	d := waitFor(t, propagationBound, "node B refuses the revoked token", func() bool {
		return status(t, b, "/api/configs", victim) == 401
	})
	t.Logf("refused after %v", d)
}

// TestCounterPollWithoutNotify: a change that moved the change counter
// without a notification reaching a node (here, written behind the
// controllers' backs) still reaches its caches through the counter poll.
func TestCounterPollWithoutNotify(t *testing.T) {
	nodes := apptest.MustStartCluster(t, 2)
	a, b := nodes[0], nodes[1]
	victim := a.MustToken(t, a.MustOwner(t), tc.AllPermissions...)
	id := tokenID(t, a, victim)
	counter, err := b.Store.ReadChangeCounter(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, propagationBound, "node B has heard every change", func() bool { return b.Cluster.Seen() >= counter })
	if got := status(t, b, "/api/configs", victim); got != 200 {
		t.Fatalf("before: status %d", got)
	}
	resets := b.Cluster.Resets()
	db, err := sql.Open("pgx", b.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`UPDATE tokens SET status = 'revoked', revoked_at = 1 WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`UPDATE cluster_changes SET counter = counter + 1`); err != nil {
		t.Fatal(err)
	}
	d := waitFor(t, 5*time.Second, "node B refuses the token revoked without a notification", func() bool {
		return status(t, b, "/api/configs", victim) == 401
	})
	t.Logf("refused after %v", d)
	if b.Cluster.Resets() == resets {
		t.Error("node B's caches were not reset")
	}
}

func TestHARefusesSQLite(t *testing.T) {
	m := app.NewMain()
	m.Getenv = func(string) string { return "" }
	m.LogOutput = io.Discard
	cfg, err := app.ParseConfig([]string{"--ha=true", "--port", "0", "--heartbeat-port", "0", "--database", t.TempDir() + "/x.db"}, m.Getenv, nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	m.Config = cfg
	err = m.Run(context.Background())
	m.Close()
	if err == nil || !strings.Contains(err.Error(), "needs PostgreSQL") {
		t.Fatalf("Run with --ha on SQLite: %v, want a clear error", err)
	}
}

// BenchmarkRevocationPropagation measures a revocation through node A's
// API with node B caching the token: how long the revoking call takes (it
// returns once B confirmed), and how often B still accepted the token after
// it returned (asked in a loop until it refuses; 0 is the goal). Run with
// -benchtime=1000x for the figures in docs/cluster.md; it reports p50, p99
// and max of the call and of the delay after it, in milliseconds.
func BenchmarkRevocationPropagation(b *testing.B) {
	nodes := apptest.MustStartCluster(b, 2, notifyOnly)
	a, other := nodes[0], nodes[1]
	owner := a.MustOwner(b)
	admin := a.MustToken(b, owner, tc.AllPermissions...)
	calls := make([]time.Duration, 0, b.N)
	lat := make([]time.Duration, 0, b.N)
	polls := 0
	for b.Loop() {
		victim := a.MustToken(b, owner, tc.AllPermissions...)
		id := tokenID(b, a, victim)
		if got := status(b, other, "/api/configs", victim); got != 200 {
			b.Fatalf("before revocation: status %d", got)
		}
		call := time.Now()
		apptest.MustStatus(b, a.Do(b, apptest.Req{Method: "POST", Path: "/api/tokens/" + id + "/revoke", Token: admin}), 200)
		start := time.Now()
		calls = append(calls, start.Sub(call))
		for status(b, other, "/api/configs", victim) != 401 {
			polls++
			if time.Since(start) > propagationBound {
				b.Fatalf("revoked token still accepted after %v", propagationBound)
			}
		}
		lat = append(lat, time.Since(start))
	}
	reportLatency(b, "call", calls)
	reportLatency(b, "after", lat)
	b.ReportMetric(float64(polls)/float64(len(lat)), "accepted-after-return/op")
	b.ReportMetric(float64(a.Cluster.Unconfirmed()), "unconfirmed")
}

// reportLatency reports p50, p99 and max of lat in milliseconds, named
// after what.
func reportLatency(b *testing.B, what string, lat []time.Duration) {
	slices.Sort(lat)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	b.ReportMetric(ms(lat[len(lat)/2]), what+"-p50-ms")
	b.ReportMetric(ms(lat[len(lat)*99/100]), what+"-p99-ms")
	b.ReportMetric(ms(lat[len(lat)-1]), what+"-max-ms")
}

// BenchmarkRevocationPropagationListenerCut is BenchmarkRevocationPropagation
// with node B's listening connection cut before every revocation: the
// change reaches B through the counter poll (--ha-poll-interval, 250 ms by
// default) or the listener's reconnect, whichever comes first.
//
//	go test -run '^$' -bench RevocationPropagationListenerCut -benchtime 100x ./internal/cluster/
func BenchmarkRevocationPropagationListenerCut(b *testing.B) {
	nodes := apptest.MustStartCluster(b, 2)
	a, other := nodes[0], nodes[1]
	db := adminDB(b)
	owner := a.MustOwner(b)
	admin := a.MustToken(b, owner, tc.AllPermissions...)
	lat := make([]time.Duration, 0, b.N)
	for b.Loop() {
		victim := a.MustToken(b, owner, tc.AllPermissions...)
		id := tokenID(b, a, victim)
		if got := status(b, other, "/api/configs", victim); got != 200 {
			b.Fatalf("before revocation: status %d", got)
		}
		waitFor(b, 10*time.Second, "node B listening", func() bool { return other.Cluster.ListenPID() != 0 })
		terminate(b, db, other.Cluster.ListenPID())
		apptest.MustStatus(b, a.Do(b, apptest.Req{Method: "POST", Path: "/api/tokens/" + id + "/revoke", Token: admin}), 200)
		start := time.Now()
		for status(b, other, "/api/configs", victim) != 401 {
			if time.Since(start) > propagationBound {
				b.Fatalf("revoked token still accepted after %v", propagationBound)
			}
			time.Sleep(time.Millisecond)
		}
		lat = append(lat, time.Since(start))
	}
	reportLatency(b, "after", lat)
}
