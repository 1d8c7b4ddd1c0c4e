package forward_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/apptest"
	"github.com/telegrafcontroller/tc/internal/forward"
	"github.com/telegrafcontroller/tc/internal/store"
)

// mustAuditStore opens a throwaway store with the audit log on.
func mustAuditStore(tb testing.TB, db apptest.DB) *store.Store {
	tb.Helper()
	s, err := store.Open(context.Background(), apptest.NewDSN(tb, db), store.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	s.SetAudit(true)
	return s
}

// mustAppend appends one entry per action, each in a transaction of its
// own, as a user from an address.
func mustAppend(tb testing.TB, s *store.Store, actions ...string) {
	tb.Helper()
	ctx := tc.NewContextWithCaller(context.Background(), &tc.Caller{User: &tc.User{ID: "u1"}})
	ctx = tc.NewContextWithOrigin(ctx, tc.Origin{IP: "192.0.2.7", UserAgent: "curl/8 \"quoted\" | piped é"})
	for _, a := range actions {
		e := tc.AuditEntry{Action: a, TargetType: "label", TargetID: "l-" + a, TargetName: "prod", Details: json.RawMessage(`{"color":["#000","#fff"]}`)}
		if a == "access.denied" {
			e.Outcome = tc.OutcomeDenied
		}
		if err := s.AppendAudit(ctx, e); err != nil {
			tb.Fatal(err)
		}
	}
}

// mustEntries returns every entry of the log, oldest first.
func mustEntries(tb testing.TB, s *store.Store) []tc.AuditEntry {
	tb.Helper()
	es, err := s.AuditEntriesAfter(context.Background(), 0, 10000)
	if err != nil {
		tb.Fatal(err)
	}
	return es
}

// startRunner runs fs over s, woken by s's appends only (the slow poll is
// an hour: a missed wake-up shows as a test that never finishes), and
// stopped at cleanup.
func startRunner(tb testing.TB, s *store.Store, fs ...forward.Forwarder) *forward.Runner {
	tb.Helper()
	r := &forward.Runner{Log: s, Forwarders: fs, Poll: time.Hour, RetryMin: 10 * time.Millisecond, RetryMax: 50 * time.Millisecond,
		Metrics: forward.NewMetrics(prometheus.NewRegistry())}
	s.OnAudit(r.Wake)
	r.Start()
	tb.Cleanup(func() { r.Close(context.Background()) })
	return r
}

// waitFor polls cond until it holds; a minute without is a failure.
func waitFor(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitCaughtUp waits until name's cursor is the log's head.
func waitCaughtUp(tb testing.TB, s *store.Store, name string) {
	tb.Helper()
	ctx := context.Background()
	waitFor(tb, name+" to catch up", func() bool {
		head, err1 := s.AuditHeadSeq(ctx)
		seq, err2 := s.AuditForwarderSeq(ctx, name)
		return err1 == nil && err2 == nil && seq == head
	})
}

// readJSONL decodes every line of path; a line that is not an entry fails.
func readJSONL(tb testing.TB, path string) []tc.AuditEntry {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var out []tc.AuditEntry
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		var e tc.AuditEntry
		dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&e); err != nil {
			tb.Fatalf("%s line %d is not an audit entry: %v: %s", path, n, err, sc.Text())
		}
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}

// sameEntries fails unless got are exactly want, in order, each intact
// (its hash recomputes from what arrived).
func sameEntries(tb testing.TB, got, want []tc.AuditEntry) {
	tb.Helper()
	if len(got) != len(want) {
		tb.Fatalf("%d entries arrived, want %d: %v", len(got), len(want), seqs(got))
	}
	for i := range want {
		if got[i].Seq != want[i].Seq || got[i].Hash != want[i].Hash || got[i].ComputeHash() != want[i].Hash {
			tb.Fatalf("entry %d arrived as %+v, want %+v", i, got[i], want[i])
		}
	}
}

func seqs(es []tc.AuditEntry) []int64 {
	var out []int64
	for _, e := range es {
		out = append(out, e.Seq)
	}
	return out
}

// TestFileForwarder: every entry becomes one valid JSONL line, in order;
// entries appended before the forwarder started and while it runs both
// arrive; a restart continues from the stored cursor without repeating a
// line.
func TestFileForwarder(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		s := mustAuditStore(t, db)
		path := filepath.Join(t.TempDir(), "audit.jsonl")
		mustAppend(t, s, "label.create", "label.update")

		f, err := forward.NewFile(path)
		if err != nil {
			t.Fatal(err)
		}
		r := startRunner(t, s, forward.Forwarder{Name: "file", Sink: f})
		waitCaughtUp(t, s, "file")
		mustAppend(t, s, "label.delete", "access.denied", "user.login")
		waitCaughtUp(t, s, "file")
		if err := r.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
		sameEntries(t, readJSONL(t, path), mustEntries(t, s))
		if got := value(r.Metrics.Forwarded.WithLabelValues("file")); got != 5 {
			t.Errorf("forwarded %v, want 5", got)
		}
		if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
			t.Errorf("file mode: %v %v, want 0600", st.Mode(), err)
		}

		// Entries appended while no forwarder runs are sent at the next
		// start, after the cursor: none twice.
		mustAppend(t, s, "user.logout", "token.create")
		f, err = forward.NewFile(path)
		if err != nil {
			t.Fatal(err)
		}
		r = startRunner(t, s, forward.Forwarder{Name: "file", Sink: f})
		waitCaughtUp(t, s, "file")
		mustAppend(t, s, "token.revoke")
		waitCaughtUp(t, s, "file")
		if err := r.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
		want := mustEntries(t, s)
		sameEntries(t, readJSONL(t, path), want)
		if len(want) != 8 {
			t.Fatalf("%d entries in the log, want 8", len(want))
		}
		if got := value(r.Metrics.Forwarded.WithLabelValues("file")); got != 3 {
			t.Errorf("forwarded after the restart %v, want 3", got)
		}
		if got := value(r.Metrics.Lag.WithLabelValues("file")); got != 0 {
			t.Errorf("lag %v, want 0", got)
		}
	})
}

// TestCursorMovesForwardOnly: an older seq (a former leader finishing a
// batch) does not move a cursor back.
func TestCursorMovesForwardOnly(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		s := mustAuditStore(t, db)
		ctx := context.Background()
		for _, step := range []struct{ set, want int64 }{{5, 5}, {3, 5}, {9, 9}} {
			if err := s.SetAuditForwarderSeq(ctx, "webhook", step.set); err != nil {
				t.Fatal(err)
			}
			if got, err := s.AuditForwarderSeq(ctx, "webhook"); err != nil || got != step.want {
				t.Errorf("after setting %d: %d %v, want %d", step.set, got, err, step.want)
			}
		}
		if got, err := s.AuditForwarderSeq(ctx, "file"); err != nil || got != 0 {
			t.Errorf("a new forwarder's cursor: %d %v, want 0", got, err)
		}
	})
}

// TestFollowerDoesNotForward: off the lead, nothing is sent; on gaining it,
// everything is.
func TestFollowerDoesNotForward(t *testing.T) {
	s := mustAuditStore(t, apptest.DB{Name: "sqlite"})
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	f, err := forward.NewFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// The runner asks Leader once per wake-up or poll.
	var leader atomic.Bool
	var asked atomic.Int64
	lead := func() bool { asked.Add(1); return leader.Load() }
	r := &forward.Runner{Log: s, Forwarders: []forward.Forwarder{{Name: "file", Sink: f}}, Poll: 5 * time.Millisecond, Leader: lead}
	s.OnAudit(r.Wake)
	r.Start()
	defer r.Close(context.Background())
	mustAppend(t, s, "label.create", "label.delete")
	n := asked.Load()
	waitFor(t, "three more polls", func() bool { return asked.Load() >= n+3 })
	if b, _ := os.ReadFile(path); len(b) != 0 {
		t.Fatalf("a follower forwarded: %s", b)
	}
	leader.Store(true)
	waitCaughtUp(t, s, "file")
	sameEntries(t, readJSONL(t, path), mustEntries(t, s))
}

func TestFileForwarderRefusesAnUnwritablePath(t *testing.T) {
	if _, err := forward.NewFile(filepath.Join(t.TempDir(), "missing", "audit.jsonl")); err == nil {
		t.Fatal("no error for a file in a missing directory")
	}
}

// value reads a counter's or gauge's value.
func value(m prometheus.Metric) float64 {
	var d dto.Metric
	if err := m.Write(&d); err != nil {
		panic(err)
	}
	if d.Counter != nil {
		return d.Counter.GetValue()
	}
	return d.Gauge.GetValue()
}
