package heartbeat_test

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/apptest"
	"github.com/telegrafcontroller/tc/internal/heartbeat"
	"github.com/telegrafcontroller/tc/internal/metrics"
	"github.com/telegrafcontroller/tc/internal/store"
)

// newIngester starts an ingester that flushes only when told, on a fresh
// SQLite store.
func newIngester(t *testing.T, maxPending int, logs *lockedBuffer) (*heartbeat.Ingester, *store.Store, string) {
	t.Helper()
	dsn := apptest.NewDSN(t, apptest.DB{Name: "sqlite"})
	s, err := store.Open(context.Background(), dsn, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	logger := slog.New(slog.DiscardHandler)
	if logs != nil {
		logger = slog.New(slog.NewTextHandler(logs, nil))
	}
	g := &heartbeat.Ingester{Store: s, Metrics: metrics.New(), Logger: logger, Interval: time.Hour, BatchSize: 1 << 20, MaxPending: maxPending}
	g.Start()
	return g, s, dsn
}

func agentBeat(id string) *tc.AgentBeat {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	return &tc.AgentBeat{ID: id, Version: "Telegraf 1.39.3", Status: tc.AgentOK, FirstSeen: now, LastSeen: now,
		Last: tc.HeartbeatStats{Metrics: 1}, Sum: tc.HeartbeatStats{Metrics: 1}}
}

// TestMaxPendingIsABound: the bound counts every agent not yet written,
// those of a flush under way included, so no new agent gets in while a
// flush is blocked, and a failed batch merged back does not exceed it.
// An agent already waiting may update its entry. The gauge shows the count.
func TestMaxPendingIsABound(t *testing.T) {
	ctx := context.Background()
	g, _, dsn := newIngester(t, 3, nil)
	defer g.Close(ctx)
	gauge := func() int {
		var m dto.Metric
		if err := g.Metrics.HeartbeatPending.Write(&m); err != nil {
			t.Fatal(err)
		}
		return int(m.GetGauge().GetValue())
	}
	for _, id := range []string{"a", "b", "c"} {
		if err := g.Add(ctx, agentBeat(id)); err != nil {
			t.Fatalf("add %s: %v", id, err)
		}
	}
	if err := g.Add(ctx, agentBeat("d")); tc.ErrorCode(err) != tc.EUNAVAILABLE {
		t.Fatalf("fourth agent with a bound of 3: err = %v, want unavailable", err)
	}

	// Another connection holds SQLite's write lock: the flush blocks.
	raw, err := sql.Open("sqlite", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	conn, err := raw.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	flushed := make(chan error, 1)
	go func() { flushed <- g.Flush(ctx) }()
	apptest.Eventually(t, 10*time.Second, "the flush to take the batch", func() bool { return g.InFlight() == 3 })
	if err := g.Add(ctx, agentBeat("d")); tc.ErrorCode(err) != tc.EUNAVAILABLE {
		t.Fatalf("new agent while 3 are being written: err = %v, want unavailable", err)
	}
	if err := g.Add(ctx, agentBeat("a")); err != nil {
		t.Fatalf("agent of the flush under way beats again: %v", err)
	}
	if got := g.Pending(); got != 3 || gauge() != 3 {
		t.Fatalf("during the blocked flush: pending = %d, gauge = %d, want 3 and 3", got, gauge())
	}
	if _, err := conn.ExecContext(ctx, "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	if err := <-flushed; err != nil {
		t.Fatalf("flush: %v", err)
	}
	if got := g.Pending(); got != 1 || gauge() != 1 {
		t.Fatalf("after the flush: pending = %d, gauge = %d, want 1 (a's newer beat)", got, gauge())
	}
	for _, id := range []string{"d", "e"} {
		if err := g.Add(ctx, agentBeat(id)); err != nil {
			t.Fatalf("add %s after the flush: %v", id, err)
		}
	}
	if err := g.Add(ctx, agentBeat("f")); tc.ErrorCode(err) != tc.EUNAVAILABLE {
		t.Fatalf("fourth agent after the flush: err = %v, want unavailable", err)
	}
}

// TestMaxPendingFailedFlush: a failed batch goes back under the bound.
func TestMaxPendingFailedFlush(t *testing.T) {
	ctx := context.Background()
	g, s, _ := newIngester(t, 2, nil)
	for _, id := range []string{"a", "b"} {
		if err := g.Add(ctx, agentBeat(id)); err != nil {
			t.Fatal(err)
		}
	}
	s.Close() // every write fails from now on
	if err := g.Flush(ctx); err == nil {
		t.Fatal("flush on a closed store succeeded")
	}
	if got := g.Pending(); got != 2 {
		t.Fatalf("after a failed flush: pending = %d, want 2", got)
	}
	if err := g.Add(ctx, agentBeat("c")); tc.ErrorCode(err) != tc.EUNAVAILABLE {
		t.Fatalf("third agent with a bound of 2 after a failed flush: err = %v", err)
	}
	if err := g.Add(ctx, agentBeat("b")); err != nil {
		t.Fatalf("waiting agent beats again: %v", err)
	}
}

// TestCloseRetriesUntilTheBudget: while the database refuses writes, Close
// tries again until its context ends, then reports exactly how many
// acknowledged beats were not written.
func TestCloseRetriesUntilTheBudget(t *testing.T) {
	logs := &lockedBuffer{}
	g, s, _ := newIngester(t, 0, logs)
	ctx := context.Background()
	for _, id := range []string{"a", "a", "b"} { // three beats of two agents
		if err := g.Add(ctx, agentBeat(id)); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	cctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancel()
	err := g.Close(cctx)
	if err == nil || !strings.Contains(err.Error(), "3 acknowledged heartbeats of 2 agents not written") {
		t.Fatalf("close with the database gone: err = %v", err)
	}
	if !strings.Contains(logs.String(), "trying again") || !strings.Contains(logs.String(), "beats=3 agents=2") {
		t.Fatalf("logs lack the retries or the count of lost beats:\n%s", logs.String())
	}
}

// TestCloseRetriesUntilWritten: a flush that fails at shutdown is tried
// again, and succeeds once the database accepts writes again.
func TestCloseRetriesUntilWritten(t *testing.T) {
	logs := &lockedBuffer{retry: make(chan struct{})}
	g, s, _ := newIngester(t, 0, logs)
	ctx := context.Background()
	for i := range 50 {
		if err := g.Add(ctx, agentBeat(fmt.Sprintf("agent-%d", i))); err != nil {
			t.Fatal(err)
		}
	}
	unfill := apptest.FillSQLite(t, s)
	go func() { <-logs.retry; unfill() }() // the disk is freed after the first failure
	cctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := g.Close(cctx); err != nil {
		t.Fatalf("close: %v", err)
	}
	var n int
	if err := s.ReadDB().QueryRow(`SELECT count(*) FROM agents`).Scan(&n); err != nil || n != 50 {
		t.Fatalf("after close: %d agents stored (%v), want 50", n, err)
	}
	if !strings.Contains(logs.String(), "flushed pending heartbeats at shutdown") {
		t.Fatalf("logs:\n%s", logs.String())
	}
}

// lockedBuffer collects log lines; retry (if set) closes at the first
// "trying again".
type lockedBuffer struct {
	mu    sync.Mutex
	b     bytes.Buffer
	retry chan struct{}
	once  sync.Once
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.retry != nil && bytes.Contains(p, []byte("trying again")) {
		l.once.Do(func() { close(l.retry) })
	}
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

// TestAckAfterFlush: with --heartbeat-ack=flush a 204 means the beat is in
// the database, though no flush interval has passed.
func TestAckAfterFlush(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db, apptest.WithArgs("--heartbeat-ack", "flush", "--heartbeat-flush-interval", "1h"))
		tok := inst.MustToken(t, inst.MustUser(t, tc.RoleManager), tc.Perm(tc.ResHeartbeat, tc.ActionWrite))
		for i := range 3 {
			id := fmt.Sprintf("acked-%d", i)
			mustBeat(t, inst, tok, `{"id":"`+id+`","version":"v","statistics":{"errors":0,"warnings":0,"metrics":1}}`)
			mustAgent(t, inst, id)
		}
		if got := inst.HB.Ingest.Pending(); got != 0 {
			t.Fatalf("pending after acknowledged beats = %d, want 0", got)
		}
	})
}
