package forward

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/httpx"
)

// Webhook POSTs each entry, as JSON, to a URL, upstream's way: up to 3
// retries with a doubling backoff, a 10 s timeout per attempt; 408, 429 and
// 5xx (and network errors) are retried, honouring Retry-After (seconds or
// an HTTP date); any other 4xx drops the entry (ErrRefused). After the last
// retry the entry stays in the log and the runner tries again later.
//
// Each request carries Idempotency-Key: the entry's hash, so that a
// receiver can discard the repeats at-least-once delivery may bring.
type Webhook struct {
	URL string
	// Authorization is the Authorization header's value ("" for none).
	Authorization string
	// Client defaults to one with a 10 s timeout.
	Client *http.Client
	// Retries after the first attempt (default 3); Backoff is the first
	// wait between attempts (default 1 s), doubling.
	Retries int
	Backoff time.Duration
	// MaxRetryAfter caps a Retry-After wait (default 5 min).
	MaxRetryAfter time.Duration
	// Now reads the clock for Retry-After dates (default time.Now).
	Now func() time.Time
}

// NewWebhook returns a webhook forwarder with upstream's defaults.
func NewWebhook(url, authorization string) *Webhook {
	return &Webhook{URL: url, Authorization: authorization}
}

// Deliver POSTs e, retrying as described on Webhook.
func (w *Webhook) Deliver(ctx context.Context, e tc.AuditEntry) error {
	body, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("encode audit entry %d: %w", e.Seq, err)
	}
	if w.Client == nil {
		w.Client = &http.Client{Timeout: 10 * time.Second}
	}
	retries := w.Retries
	if retries == 0 {
		retries = 3
	}
	backoff := w.Backoff
	if backoff <= 0 {
		backoff = time.Second
	}
	for attempt := 0; ; attempt++ {
		wait, err := w.post(ctx, body, e.Hash)
		if err == nil || wait < 0 || attempt == retries {
			return err
		}
		if wait == 0 {
			wait = backoff << attempt
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// post makes one attempt. On failure wait says what next: -1 gives up (the
// entry is refused, or the context is done), 0 retries after the backoff,
// more retries after that long (Retry-After).
func (w *Webhook) post(ctx context.Context, body []byte, hash string) (time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return -1, fmt.Errorf("webhook: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "telegraf-controller-audit")
	req.Header.Set("Idempotency-Key", hash)
	if w.Authorization != "" {
		req.Header.Set("Authorization", w.Authorization)
	}
	resp, err := w.Client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return -1, ctx.Err()
		}
		return 0, fmt.Errorf("webhook: %w", err)
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // lets the connection be reused
	resp.Body.Close()
	code := resp.StatusCode
	switch {
	case code >= 200 && code < 300:
		return 0, nil
	case code == http.StatusRequestTimeout || code == http.StatusTooManyRequests || code >= 500:
		return w.retryAfter(resp.Header.Get("Retry-After")), fmt.Errorf("webhook answered %s", resp.Status)
	default:
		return -1, fmt.Errorf("webhook answered %s: %w", resp.Status, ErrRefused)
	}
}

// retryAfter reads a Retry-After value (httpx.RetryAfter), at most
// MaxRetryAfter (5 minutes by default).
func (w *Webhook) retryAfter(v string) time.Duration {
	now := time.Now
	if w.Now != nil {
		now = w.Now
	}
	limit := w.MaxRetryAfter
	if limit <= 0 {
		limit = 5 * time.Minute
	}
	return httpx.RetryAfter(v, now(), limit)
}

// Flush does nothing: each POST is answered before Deliver returns.
func (w *Webhook) Flush() error { return nil }

// Close closes idle connections.
func (w *Webhook) Close() error {
	if w.Client != nil {
		w.Client.CloseIdleConnections()
	}
	return nil
}
