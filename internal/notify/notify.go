// Package notify delivers alert notifications to the channels people
// already watch: a signed generic webhook, Slack and Microsoft Teams
// incoming webhooks, email over SMTP and Prometheus Alertmanager
// (docs/alerts.md).
//
// The alerting engine (rules, grouping, the outbox) decides what to say and
// when; this package only says it. A Message is one grouped notification
// for one rule and one channel; a Dispatcher sends it to a channel by id.
package notify

import (
	"context"
	"errors"
	"time"
)

// Status of the alert group a message is about.
const (
	StatusFiring   = "firing"
	StatusResolved = "resolved"
)

// Message is one notification: what one rule says to one channel about the
// agents (or tokens) that changed together.
type Message struct {
	// IdempotencyKey is the same for every attempt at one outbox entry, so a
	// receiver can drop a retry it already took (webhook header
	// Idempotency-Key; Alertmanager ignores it, it deduplicates by labels).
	IdempotencyKey string
	RuleID         string
	RuleName       string
	// Event is what the rule watches: "not_reporting", "fail", "warn",
	// "stale" or "token_expiry".
	Event  string
	Status string // StatusFiring or StatusResolved
	// Summary is one line ("500 agents not reporting (rule Datacenter A)");
	// Text is the plain-text body with counts and the first few names.
	Summary string
	Text    string
	// Link is an absolute URL to the filtered agents (or tokens) page; empty
	// when the controller's public URL is unknown.
	Link string
	// Count is how many subjects the group holds now; Subjects lists them
	// (every one, for Alertmanager's per-agent alerts; chat channels show the
	// first few).
	Count    int
	Subjects []Subject
	// Resolved lists the subjects that left the group since its last
	// message (they recovered, or no longer match the rule's scope), on a
	// firing update or repeat: Alertmanager ends their alerts now, chat
	// and email say how many recovered. A resolved message names all its
	// subjects in Subjects and leaves Resolved empty.
	Resolved []Subject
	// ValidFor is how long the engine may stay silent about this group
	// while it still fires (the rule's repeat interval plus its group
	// interval): Alertmanager's alerts end that long after they are sent
	// (plus AlertmanagerGrace), so they outlive Alertmanager's
	// resolve_timeout yet lapse if the controller stops telling. Zero on
	// a resolved or test message.
	ValidFor time.Duration
	// Labels and Annotations go to Alertmanager as they are, and to the
	// generic webhook in its JSON body.
	Labels      map[string]string
	Annotations map[string]string
	StartsAt    time.Time
	EndsAt      time.Time // zero while firing
	// Test marks the "send test" button's message.
	Test bool
}

// Subject is one agent (or token) in a message.
type Subject struct {
	Kind   string // "agent" or "token"
	ID     string
	Name   string
	Status string // the agent's status, or "expires 2026-12-24" for a token
	Link   string // absolute URL to its page, when known
}

// Dispatcher sends a message to the channel with the given id.
type Dispatcher interface {
	Send(ctx context.Context, channelID string, m Message) error
}

// RetryError is a failure worth retrying: a timeout, a refused connection,
// a 408, a 429 or a 5xx. After is the receiver's Retry-After, when it gave
// one (zero otherwise).
type RetryError struct {
	After time.Duration
	Err   error
}

func (e *RetryError) Error() string { return e.Err.Error() }
func (e *RetryError) Unwrap() error { return e.Err }

// ErrPermanent marks a failure that retrying cannot mend (a 4xx other than
// 408 and 429, a rejected recipient, a deleted or disabled channel). Errors
// that are neither a RetryError nor ErrPermanent are treated as retryable.
var ErrPermanent = errors.New("refused for good")

// RetryAfter reports whether err is worth retrying and the wait the
// receiver asked for (zero: the caller's own backoff).
func RetryAfter(err error) (retry bool, after time.Duration) {
	if err == nil || errors.Is(err, ErrPermanent) {
		return false, 0
	}
	var re *RetryError
	if errors.As(err, &re) {
		return true, re.After
	}
	return true, 0
}
