package forward_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/apptest"
	"github.com/telegrafcontroller/tc/internal/forward"
)

// receiver is a webhook endpoint that answers its first requests from a
// script (failing, throttling), then accepts every entry but those whose
// action is "test.refused" (400).
type receiver struct {
	mu       sync.Mutex
	script   []int
	requests []request
	accepted []tc.AuditEntry
	// hold, when set, stalls every request until closed.
	hold chan struct{}
}

type request struct {
	at     time.Time
	status int
	seq    int64
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if rc.hold != nil {
		<-rc.hold
	}
	var e tc.AuditEntry
	if err := json.NewDecoder(r.Body).Decode(&e); err != nil || r.Header.Get("Content-Type") != "application/json" {
		http.Error(w, "bad entry", http.StatusUnprocessableEntity)
		return
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	status := http.StatusNoContent
	if n := len(rc.requests); n < len(rc.script) {
		status = rc.script[n]
	} else if r.Header.Get("Authorization") != "Bearer s3cret" || r.Header.Get("Idempotency-Key") != e.Hash {
		status = http.StatusUnauthorized
	} else if e.Action == "test.refused" {
		status = http.StatusBadRequest
	}
	switch status {
	case http.StatusTooManyRequests:
		w.Header().Set("Retry-After", "1")
	case http.StatusServiceUnavailable:
		w.Header().Set("Retry-After", time.Now().Add(time.Second).UTC().Format(http.TimeFormat))
	}
	rc.requests = append(rc.requests, request{at: time.Now(), status: status, seq: e.Seq})
	if status == http.StatusNoContent {
		rc.accepted = append(rc.accepted, e)
	}
	w.WriteHeader(status)
}

func (rc *receiver) snapshot() ([]request, []tc.AuditEntry) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]request(nil), rc.requests...), append([]tc.AuditEntry(nil), rc.accepted...)
}

// TestWebhookForwarder: the receiver fails (500), throttles (429 with
// Retry-After in seconds, 503 with an HTTP date), fails once more — one
// delivery's retries exhausted, so the entry is sent again from the log —
// then recovers: every entry arrives exactly once, in order, but the one
// it refuses with 400, which is dropped and counted.
func TestWebhookForwarder(t *testing.T) {
	s := mustAuditStore(t, apptest.DB{Name: "sqlite"})
	rc := &receiver{script: []int{500, 429, 503, 500, 408}}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	mustAppend(t, s, "label.create", "test.refused", "label.update")

	w := forward.NewWebhook(srv.URL+"/audit", "Bearer s3cret")
	w.Backoff = 10 * time.Millisecond
	r := startRunner(t, s, forward.Forwarder{Name: "webhook", Sink: w})
	waitCaughtUp(t, s, "webhook")
	mustAppend(t, s, "label.delete", "access.denied")
	waitCaughtUp(t, s, "webhook")

	requests, accepted := rc.snapshot()
	var want []tc.AuditEntry
	for _, e := range mustEntries(t, s) {
		if e.Action != "test.refused" {
			want = append(want, e)
		}
	}
	sameEntries(t, accepted, want)
	// The first five requests were all the first entry: four attempts of one
	// delivery, then one more from the log after the runner's back-off.
	for i, q := range requests[:5] {
		if q.seq != 1 || q.status != rc.script[i] {
			t.Errorf("request %d: %+v, want entry 1 answered %d", i, q, rc.script[i])
		}
	}
	if gap := requests[2].at.Sub(requests[1].at); gap < time.Second {
		t.Errorf("retried %v after a 429 with Retry-After: 1", gap)
	}
	refused := 0
	for _, q := range requests {
		if q.seq == 2 {
			refused++
			if q.status != http.StatusBadRequest {
				t.Errorf("entry 2 answered %d", q.status)
			}
		}
	}
	if refused != 1 {
		t.Errorf("the refused entry was sent %d times, want once", refused)
	}
	for _, c := range []struct {
		name string
		m    float64
		want float64
	}{
		{"forwarded", value(r.Metrics.Forwarded.WithLabelValues("webhook")), 4},
		{"dropped", value(r.Metrics.Dropped.WithLabelValues("webhook", "refused")), 1},
		{"failed", value(r.Metrics.Failures.WithLabelValues("webhook")), 1},
		{"lag", value(r.Metrics.Lag.WithLabelValues("webhook")), 0},
	} {
		if c.m != c.want {
			t.Errorf("%s: %v, want %v", c.name, c.m, c.want)
		}
	}
}

// TestDownWebhookBlocksNoWrite: while the receiver hangs, writes that
// append entries still return; once it answers, every entry arrives.
func TestDownWebhookBlocksNoWrite(t *testing.T) {
	s := mustAuditStore(t, apptest.DB{Name: "sqlite"})
	rc := &receiver{hold: make(chan struct{})}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	w := forward.NewWebhook(srv.URL, "Bearer s3cret")
	w.Client = &http.Client{} // no timeout: the receiver holds the first request until released
	startRunner(t, s, forward.Forwarder{Name: "webhook", Sink: w})
	for range 50 {
		mustAppend(t, s, "label.update")
	}
	close(rc.hold)
	waitCaughtUp(t, s, "webhook")
	_, accepted := rc.snapshot()
	sameEntries(t, accepted, mustEntries(t, s))
}

func TestWebhookRetryAfter(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	w := &forward.Webhook{Now: func() time.Time { return now }, MaxRetryAfter: time.Minute}
	for _, c := range []struct {
		v    string
		want time.Duration
	}{
		{"", 0},
		{"soon", 0},
		{"-3", 0},
		{"0", 1},
		{"7", 7 * time.Second},
		{"3600", time.Minute}, // capped
		{now.Add(20 * time.Second).Format(http.TimeFormat), 20 * time.Second},
		{now.Add(-time.Hour).Format(http.TimeFormat), 1},
	} {
		if got := w.RetryAfter(c.v); got != c.want {
			t.Errorf("Retry-After %q: %v, want %v", c.v, got, c.want)
		}
	}
}

// TestWebhookStopsRetryingWhenClosed: Close interrupts a delivery waiting
// out a Retry-After, and the entry is sent again at the next start.
func TestWebhookStopsRetryingWhenClosed(t *testing.T) {
	s := mustAuditStore(t, apptest.DB{Name: "sqlite"})
	var mu sync.Mutex
	throttled := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		throttled++
		mu.Unlock()
		w.Header().Set("Retry-After", "3600")
		w.WriteHeader(http.StatusTooManyRequests)
	}))
	defer srv.Close()
	mustAppend(t, s, "label.create")
	r := startRunner(t, s, forward.Forwarder{Name: "webhook", Sink: forward.NewWebhook(srv.URL, "")})
	waitFor(t, "a throttled request", func() bool { mu.Lock(); defer mu.Unlock(); return throttled > 0 })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := r.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if seq, _ := s.AuditForwarderSeq(context.Background(), "webhook"); seq != 0 {
		t.Errorf("cursor %d after an undelivered entry, want 0", seq)
	}
}
