package notify_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/notify"
)

// channels is a ChannelStore of fixed channels.
type channels map[string]*tc.NotificationChannel

func (c channels) NotificationChannel(_ context.Context, id string) (*tc.NotificationChannel, error) {
	if ch, ok := c[id]; ok {
		return ch, nil
	}
	return nil, tc.Errorf(tc.ENOTFOUND, "notification channel not found")
}

func testMessage(n int) notify.Message {
	m := notify.Message{IdempotencyKey: "outbox-42-1", RuleID: "r1", RuleName: "Datacenter A", Event: "not_reporting",
		Status: notify.StatusFiring, Summary: strconv.Itoa(n) + " agents not reporting (rule Datacenter A)",
		Link: "https://tc.example.com/agents?status=not_reporting", Count: n, Labels: map[string]string{"team": "ops"},
		StartsAt: time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)}
	for i := range n {
		id := "a" + strconv.Itoa(i)
		m.Subjects = append(m.Subjects, notify.Subject{Kind: "agent", ID: id, Name: "web" + strconv.Itoa(i), Status: "not_reporting",
			Link: "https://tc.example.com/agents/" + id})
	}
	return m
}

// verify checks an X-TC-Signature the way docs/alerts.md tells receivers
// to: recompute the HMAC over "t.body" and compare in constant time.
func verify(secret, header string, body []byte, now time.Time) bool {
	var ts, sig string
	for part := range strings.SplitSeq(header, ",") {
		k, v, _ := strings.Cut(part, "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sig = v
		}
	}
	t, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || now.Sub(time.Unix(t, 0)).Abs() > 5*time.Minute {
		return false
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts + "." + string(body)))
	want := hex.EncodeToString(mac.Sum(nil))
	return hmac.Equal([]byte(sig), []byte(want))
}

// TestWebhookRetriesAndSignature: a receiver that checks the signature
// fails (500), throttles (429 with Retry-After in seconds, then 503 with
// an HTTP date), refuses a bad request for good (400), and recovers; each
// answer is classified as the outbox needs, every attempt carries the same
// Idempotency-Key, and the receiver keeps one message per key.
func TestWebhookRetriesAndSignature(t *testing.T) {
	const secret = "s3cret-for-hmac"
	now := time.Date(2026, 5, 1, 10, 0, 30, 0, time.UTC)
	var mu sync.Mutex
	answers := []func(w http.ResponseWriter){
		func(w http.ResponseWriter) { http.Error(w, "database down", 500) },
		func(w http.ResponseWriter) { w.Header().Set("Retry-After", "7"); w.WriteHeader(429) },
		func(w http.ResponseWriter) {
			w.Header().Set("Retry-After", now.Add(90*time.Second).Format(http.TimeFormat))
			w.WriteHeader(503)
		},
		func(w http.ResponseWriter) { w.WriteHeader(202) },
	}
	var keys []string
	kept := map[string]notify.WebhookPayload{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		body, _ := io.ReadAll(r.Body)
		if !verify(secret, r.Header.Get("X-TC-Signature"), body, now) {
			http.Error(w, "bad signature", 401)
			return
		}
		if r.Header.Get("Authorization") != "Bearer abc" || r.Header.Get("Content-Type") != "application/json" {
			http.Error(w, "missing header", 400)
			return
		}
		key := r.Header.Get("Idempotency-Key")
		keys = append(keys, key)
		answer := answers[0]
		answers = answers[1:]
		answer(w)
		var p notify.WebhookPayload
		if err := json.Unmarshal(body, &p); err != nil {
			t.Errorf("payload: %v", err)
		}
		if _, dup := kept[key]; !dup {
			kept[key] = p
		}
	}))
	defer srv.Close()
	ch := &tc.NotificationChannel{ID: "c1", Name: "hook", Kind: tc.ChannelWebhook, Enabled: true,
		Webhook: &tc.WebhookSettings{URL: srv.URL + "/hook", Secret: secret, Headers: map[string]string{"Authorization": "Bearer abc"}}}
	d := notify.NewDispatcher(channels{"c1": ch}, notify.Options{Now: func() time.Time { return now }})
	m := testMessage(3)

	type want struct {
		retry bool
		after time.Duration
	}
	for i, w := range []want{{true, 0}, {true, 7 * time.Second}, {true, 90 * time.Second}, {false, 0}} {
		err := d.Send(context.Background(), "c1", m)
		retry, after := notify.RetryAfter(err)
		if i == 3 {
			if err != nil {
				t.Fatalf("attempt %d: %v, want delivered", i+1, err)
			}
			continue
		}
		if err == nil || retry != w.retry || after != w.after {
			t.Errorf("attempt %d: err %v retry %v after %v, want retry %v after %v", i+1, err, retry, after, w.retry, w.after)
		}
	}
	if len(keys) != 4 || len(kept) != 1 || keys[0] != "outbox-42-1" || keys[3] != keys[0] {
		t.Errorf("keys %v, kept %d messages, want one key on every attempt", keys, len(kept))
	}
	p := kept["outbox-42-1"]
	if p.Version != "1" || p.Status != "firing" || p.Rule.Name != "Datacenter A" || p.Count != 3 || len(p.Subjects) != 3 ||
		p.Subjects[2].Name != "web2" || p.Labels["team"] != "ops" || p.EndsAt != nil || p.Link == "" {
		t.Errorf("payload = %+v", p)
	}

	// A wrong secret is refused by the receiver: a 401, permanent.
	ch.Webhook.Secret = "wrong"
	err := d.Send(context.Background(), "c1", m)
	if retry, _ := notify.RetryAfter(err); retry || !errors.Is(err, notify.ErrPermanent) || !strings.Contains(err.Error(), "401") {
		t.Errorf("bad signature: %v, want a permanent 401", err)
	}
	if strings.Contains(err.Error(), srv.URL) {
		t.Errorf("error names the URL: %v", err)
	}
	// Disabled, deleted: permanent, nothing sent.
	ch.Enabled = false
	if err := d.Send(context.Background(), "c1", m); !errors.Is(err, notify.ErrPermanent) {
		t.Errorf("disabled: %v, want ErrPermanent", err)
	}
	if err := d.Send(context.Background(), "gone", m); !errors.Is(err, notify.ErrPermanent) {
		t.Errorf("deleted: %v, want ErrPermanent", err)
	}
	// Nobody listening: retryable.
	srv.Close()
	ch.Enabled = true
	if retry, _ := notify.RetryAfter(d.Send(context.Background(), "c1", m)); !retry {
		t.Error("a refused connection is not retryable")
	}
}

// TestSignMatchesDocs pins the signature format with a known vector, the
// one docs/alerts.md's snippets check.
func TestSignMatchesDocs(t *testing.T) {
	got := notify.Sign("my-secret", time.Unix(1767225600, 0), []byte(`{"version":"1"}`))
	mac := hmac.New(sha256.New, []byte("my-secret"))
	mac.Write([]byte(`1767225600.{"version":"1"}`))
	if want := "t=1767225600,v1=" + hex.EncodeToString(mac.Sum(nil)); got != want {
		t.Errorf("Sign = %s, want %s", got, want)
	}
}
