package notify

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/telegrafcontroller/tc"
)

// SignatureHeader carries a signed webhook's signature:
// "t=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + "." + body)>"
// (docs/alerts.md shows how to check it).
const SignatureHeader = "X-TC-Signature"

// WebhookPayload is the JSON body of a generic webhook, version 1
// (docs/alerts.md, "Webhook"). Fields are only ever added.
type WebhookPayload struct {
	Version        string            `json:"version"`
	IdempotencyKey string            `json:"idempotencyKey"`
	Status         string            `json:"status"`
	Event          string            `json:"event"`
	Rule           WebhookRule       `json:"rule"`
	Summary        string            `json:"summary"`
	Text           string            `json:"text"`
	Link           string            `json:"link,omitempty"`
	Count          int               `json:"count"`
	Subjects       []WebhookSubject  `json:"subjects"`
	Resolved       []WebhookSubject  `json:"resolved"`
	Labels         map[string]string `json:"labels"`
	Annotations    map[string]string `json:"annotations"`
	StartsAt       time.Time         `json:"startsAt"`
	EndsAt         *time.Time        `json:"endsAt,omitempty"`
	Test           bool              `json:"test"`
}

// WebhookRule names the rule a webhook message is about.
type WebhookRule struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// WebhookSubject is one agent or token in a webhook message.
type WebhookSubject struct {
	Kind   string `json:"kind"`
	ID     string `json:"id"`
	Name   string `json:"name"`
	Status string `json:"status"`
	Link   string `json:"link,omitempty"`
}

// NewWebhookPayload is m as the webhook sends it.
func NewWebhookPayload(m Message) WebhookPayload {
	p := WebhookPayload{Version: "1", IdempotencyKey: m.IdempotencyKey, Status: m.Status, Event: m.Event,
		Rule: WebhookRule{ID: m.RuleID, Name: m.RuleName}, Summary: m.Summary, Text: m.Text, Link: m.Link,
		Count: m.Count, Subjects: make([]WebhookSubject, len(m.Subjects)), Resolved: make([]WebhookSubject, len(m.Resolved)), Labels: m.Labels, Annotations: m.Annotations,
		StartsAt: m.StartsAt.UTC(), Test: m.Test}
	for i, s := range m.Subjects {
		p.Subjects[i] = WebhookSubject(s)
	}
	for i, s := range m.Resolved {
		p.Resolved[i] = WebhookSubject(s)
	}
	if p.Labels == nil {
		p.Labels = map[string]string{}
	}
	if p.Annotations == nil {
		p.Annotations = map[string]string{}
	}
	if !m.EndsAt.IsZero() {
		end := m.EndsAt.UTC()
		p.EndsAt = &end
	}
	return p
}

// Sign returns the X-TC-Signature value of body sent at t under secret.
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts))
	mac.Write([]byte("."))
	mac.Write(body)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac.Sum(nil))
}

// sendWebhook POSTs the payload with the channel's headers, the message's
// Idempotency-Key and, with a secret, the signature.
func (d *ChannelDispatcher) sendWebhook(ctx context.Context, w *tc.WebhookSettings, m Message) error {
	body, err := json.Marshal(NewWebhookPayload(m))
	if err != nil {
		return fmt.Errorf("webhook: encode: %w", ErrPermanent)
	}
	h := http.Header{}
	for k, v := range w.Headers {
		h.Set(k, v)
	}
	if m.IdempotencyKey != "" {
		h.Set("Idempotency-Key", m.IdempotencyKey)
	}
	if w.Secret != "" {
		h.Set(SignatureHeader, Sign(w.Secret, d.now(), body))
	}
	return d.post(ctx, "webhook", w.URL, body, h)
}
