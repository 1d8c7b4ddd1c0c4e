package alerting_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/apptest"
	"github.com/telegrafcontroller/tc/internal/notify"
)

// webhookReceiver is a receiver a test scripts: each request gets the next
// status of script (200 once it runs out), with Retry-After on 429s. It
// checks the signature (with a secret) and keeps every request.
type webhookReceiver struct {
	*httptest.Server
	t      testing.TB
	secret string
	mu     sync.Mutex
	script []int
	reqs   []webhookRequest
	taken  int
}

type webhookRequest struct {
	key, status string
	count       int
	answered    int
	payload     notify.WebhookPayload
}

func newWebhookReceiver(t testing.TB, script ...int) *webhookReceiver {
	w := &webhookReceiver{t: t, script: script}
	w.Server = httptest.NewServer(http.HandlerFunc(w.serve))
	t.Cleanup(w.Close)
	return w
}

func (w *webhookReceiver) serve(rw http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if w.secret != "" && !validSignature(w.secret, r.Header.Get(notify.SignatureHeader), body) {
		w.t.Errorf("bad signature %q", r.Header.Get(notify.SignatureHeader))
		rw.WriteHeader(http.StatusUnauthorized)
		return
	}
	var p notify.WebhookPayload
	if err := json.Unmarshal(body, &p); err != nil {
		w.t.Errorf("webhook body: %v", err)
	}
	if p.IdempotencyKey != r.Header.Get("Idempotency-Key") || p.IdempotencyKey == "" {
		w.t.Errorf("idempotency key: body %q, header %q", p.IdempotencyKey, r.Header.Get("Idempotency-Key"))
	}
	w.mu.Lock()
	code := http.StatusOK
	if len(w.script) > 0 {
		code, w.script = w.script[0], w.script[1:]
	}
	w.reqs = append(w.reqs, webhookRequest{key: p.IdempotencyKey, status: p.Status, count: p.Count, answered: code, payload: p})
	w.mu.Unlock()
	if code == http.StatusTooManyRequests {
		rw.Header().Set("Retry-After", "120")
	}
	rw.WriteHeader(code)
}

// validSignature checks "t=<unix>,v1=<hex>" as docs/alerts.md tells
// receivers to.
func validSignature(secret, header string, body []byte) bool {
	var ts, sig string
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(part, "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sig = v
		}
	}
	if _, err := strconv.ParseInt(ts, 10, 64); err != nil {
		return false
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts + "."))
	mac.Write(body)
	want := hex.EncodeToString(mac.Sum(nil))
	return hmac.Equal([]byte(sig), []byte(want))
}

// take returns the payloads taken (answered 2xx) since the last take.
func (w *webhookReceiver) take() []notify.WebhookPayload {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []notify.WebhookPayload
	for _, r := range w.reqs[w.taken:] {
		if r.answered < 300 {
			out = append(out, r.payload)
		}
	}
	w.taken = len(w.reqs)
	return out
}

func (w *webhookReceiver) requests() []webhookRequest {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]webhookRequest(nil), w.reqs...)
}

// TestWebhookFailsThrottlesRecovers sends a rule's messages through the
// real dispatcher and webhook sender to a receiver that fails (500),
// throttles (429, Retry-After: 120) and recovers: the firing message is
// taken once, under the key of its first attempt, after waiting the 120 s
// asked for; the resolved message waits behind it and is taken once too;
// the delivery log shows each attempt with its error.
func TestWebhookFailsThrottlesRecovers(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		recv := newWebhookReceiver(t, http.StatusInternalServerError, http.StatusTooManyRequests)
		inst := start(t, db, apptest.NewDSN(t, db), apptest.NewClock(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)))
		ctx := context.Background()
		c := &tc.NotificationChannel{Name: "hook", Kind: tc.ChannelWebhook, Enabled: true,
			Webhook: &tc.WebhookSettings{URL: recv.URL + "/hook", Secret: "whsec-test-0123456789"}}
		if err := inst.Store.CreateNotificationChannel(ctx, c); err != nil {
			t.Fatal(err)
		}
		recv.secret = c.Webhook.Secret
		mustRule(t, inst, func(r *tc.AlertRule) {
			r.Event, r.ChannelIDs, r.ForSeconds, r.GroupWaitSeconds, r.GroupIntervalSeconds = tc.AlertFail, []string{c.ID}, 0, 0, 60
		})
		ids := agentIDs(3)
		beat(t, inst, ids, tc.AgentFail)
		tick(t, inst, time.Second) // firing queued; attempt 1: 500
		tick(t, inst, 10*time.Second)
		// attempt 2 (after the 10 s backoff): 429, Retry-After: 120
		beat(t, inst, ids, tc.AgentOK)
		tick(t, inst, 60*time.Second) // resolved queued behind the firing one, which waits
		if got := recv.requests(); len(got) != 2 || got[0].answered != 500 || got[1].answered != 429 || got[0].key != got[1].key {
			t.Fatalf("before the Retry-After ended: %+v", got)
		}
		tick(t, inst, 59*time.Second)
		if got := recv.requests(); len(got) != 2 {
			t.Fatalf("sent before the Retry-After ended: %+v", got)
		}
		tick(t, inst, time.Second) // 120 s after the 429: firing, then resolved
		got := recv.requests()
		if len(got) != 4 {
			t.Fatalf("after recovery: %+v", got)
		}
		taken := map[string]int{}
		for _, r := range got {
			if r.answered == http.StatusOK {
				taken[r.key]++
			}
		}
		if got[2].key != got[0].key || got[2].status != notify.StatusFiring || got[2].count != 3 ||
			got[3].status != notify.StatusResolved || got[3].key == got[2].key || len(taken) != 2 {
			t.Fatalf("deliveries: %+v", got)
		}
		for k, n := range taken {
			if n != 1 {
				t.Errorf("key %s taken %d times", k, n)
			}
		}
		tick(t, inst, time.Hour)
		if n := len(recv.requests()); n != 4 {
			t.Errorf("%d requests after everything was delivered, want 4", n)
		}
		log, n, err := inst.Store.Deliveries(ctx, tc.DeliveryFilter{ChannelID: c.ID, Limit: 10})
		if err != nil || n != 4 {
			t.Fatalf("delivery log: %d, %v", n, err)
		}
		want := []string{tc.DeliverySent, tc.DeliverySent, tc.DeliveryRetry, tc.DeliveryRetry}
		for i, d := range log {
			if d.Outcome != want[i] {
				t.Errorf("log %d: %s, want %s (%+v)", i, d.Outcome, want[i], d)
			}
		}
		if !strings.Contains(log[3].Error, "500") || !strings.Contains(log[2].Error, "429") {
			t.Errorf("errors in the log: %q, %q", log[3].Error, log[2].Error)
		}
	})
}
