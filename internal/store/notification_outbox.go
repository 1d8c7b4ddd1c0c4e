package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/telegrafcontroller/tc"
)

// The notification outbox (docs/alerts.md, "Outbox and retries"): every
// message the alerting engine decides to send is a row here, written in the
// transaction that changed the alerts it tells of (ApplyAlertStep). The
// delivery worker (internal/alerting) sends due rows, oldest first per rule
// and channel, and records each attempt (RecordDelivery) in the delivery
// log; a row's idempotency key is the same for every attempt.

// OutboxEntry is a message to queue for one channel.
type OutboxEntry struct {
	Key       string // idempotency key; a fresh one when empty
	ChannelID string
	Status    string // notify.StatusFiring or notify.StatusResolved
	Reason    string // tc.NotifyFirst, ...
	Subjects  int
	Payload   []byte // the notify.Message, as JSON
}

// enqueue inserts e for rule ruleID, due now.
func (tx *Tx) enqueue(ctx context.Context, ruleID string, e *OutboxEntry) error {
	if e.Key == "" {
		e.Key = "tc-" + uuid.NewString()
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO notification_outbox (idempotency_key, rule_id, channel_id, status, reason, subjects,
		payload, state, attempts, next_attempt_at, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'queued', 0, $8, $8, $8)`,
		e.Key, ruleID, e.ChannelID, e.Status, e.Reason, e.Subjects, string(e.Payload), ms(tx.now)); err != nil {
		return fmt.Errorf("queue notification: %w", err)
	}
	return nil
}

// OutboxItem is a queued notification as the delivery worker sends it.
type OutboxItem struct {
	ID        int64
	Key       string
	RuleID    string
	ChannelID string
	Status    string
	Payload   []byte
	Attempts  int
	CreatedAt time.Time
}

// DueNotifications returns up to limit queued notifications due at now,
// each the oldest queued one of its rule and channel (so that a channel
// gets a group's messages in order, its resolved after its firing), the
// longest due first.
func (s *Store) DueNotifications(ctx context.Context, now time.Time, limit int) ([]OutboxItem, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT o.id, o.idempotency_key, o.rule_id, o.channel_id, o.status, o.payload, o.attempts, o.created_at
		FROM notification_outbox o WHERE o.state = 'queued' AND o.next_attempt_at <= $1
		AND NOT EXISTS (SELECT 1 FROM notification_outbox p WHERE p.state = 'queued' AND p.rule_id = o.rule_id
			AND p.channel_id = o.channel_id AND p.id < o.id)
		ORDER BY o.next_attempt_at, o.id LIMIT `+strconv.Itoa(max(limit, 1)), ms(now))
	if err != nil {
		return nil, fmt.Errorf("read due notifications: %w", err)
	}
	defer rows.Close()
	var out []OutboxItem
	for rows.Next() {
		var it OutboxItem
		var payload string
		var created int64
		if err := rows.Scan(&it.ID, &it.Key, &it.RuleID, &it.ChannelID, &it.Status, &payload, &it.Attempts, &created); err != nil {
			return nil, fmt.Errorf("read due notifications: %w", err)
		}
		it.Payload, it.CreatedAt = []byte(payload), fromMS(created)
		out = append(out, it)
	}
	return out, rows.Err()
}

// NextNotificationDue returns when the earliest queued notification is
// due (ok false when none is queued).
func (s *Store) NextNotificationDue(ctx context.Context) (at time.Time, ok bool, err error) {
	var v sql.NullInt64
	if err := s.read.QueryRowContext(ctx, `SELECT MIN(next_attempt_at) FROM notification_outbox WHERE state = 'queued'`).Scan(&v); err != nil {
		return time.Time{}, false, fmt.Errorf("read the outbox: %w", err)
	}
	if !v.Valid {
		return time.Time{}, false, nil
	}
	return fromMS(v.Int64), true, nil
}

// Attempt is the outcome of one delivery attempt: Outcome is
// tc.DeliverySent, DeliveryRetry (Next is when to try again) or
// DeliveryFailed.
type Attempt struct {
	Outcome  string
	Error    string
	Next     time.Time
	Duration time.Duration
}

// RecordDelivery records attempt a at item it, on the leader (f, nil
// outside a cluster): the row's state, attempts, next attempt and last
// error, and a line of the delivery log. A row no longer queued (its rule
// was deleted meanwhile) keeps its state. Errors: ErrNotLeader.
func (s *Store) RecordDelivery(ctx context.Context, f *Fence, it OutboxItem, a Attempt) error {
	return s.withTx(ctx, func(tx *Tx) error {
		if err := tx.proveLeader(ctx, f); err != nil {
			return err
		}
		state := map[string]string{tc.DeliverySent: tc.NotificationSent, tc.DeliveryRetry: tc.NotificationQueued,
			tc.DeliveryFailed: tc.NotificationFailed}[a.Outcome]
		var sent sql.NullInt64
		if a.Outcome == tc.DeliverySent {
			sent = sql.NullInt64{Int64: ms(tx.now), Valid: true}
		}
		next := tx.now
		if a.Outcome == tc.DeliveryRetry {
			next = a.Next
		}
		errText := truncate(a.Error, 1000)
		if _, err := tx.ExecContext(ctx, `UPDATE notification_outbox SET state = $2, attempts = attempts + 1, next_attempt_at = $3,
			last_error = $4, sent_at = $5, updated_at = $6 WHERE id = $1 AND state = 'queued'`,
			it.ID, state, ms(next), errText, sent, ms(tx.now)); err != nil {
			return fmt.Errorf("record delivery: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO notification_deliveries (outbox_id, channel_id, rule_id, attempt, at, outcome, error, duration_ms)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, it.ID, it.ChannelID, it.RuleID, it.Attempts+1, ms(tx.now), a.Outcome, errText,
			a.Duration.Milliseconds()); err != nil {
			return fmt.Errorf("record delivery: %w", err)
		}
		return nil
	})
}

// truncate cuts s to at most n bytes on a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}

// QueuedNotifications counts the notifications waiting in the outbox, by
// channel.
func (s *Store) QueuedNotifications(ctx context.Context) (map[string]int64, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT channel_id, COUNT(*) FROM notification_outbox WHERE state = 'queued' GROUP BY channel_id`)
	if err != nil {
		return nil, fmt.Errorf("count queued notifications: %w", err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var ch string
		var n int64
		if err := rows.Scan(&ch, &n); err != nil {
			return nil, fmt.Errorf("count queued notifications: %w", err)
		}
		out[ch] = n
	}
	return out, rows.Err()
}

// Deliveries returns a page of the delivery log matching f, newest first,
// and how many entries match.
func (s *Store) Deliveries(ctx context.Context, f tc.DeliveryFilter) ([]tc.NotificationDelivery, int64, error) {
	var where []string
	var args []any
	arg := placeholder(&args)
	for _, c := range []struct{ col, v string }{{"d.channel_id", f.ChannelID}, {"d.rule_id", f.RuleID}, {"d.outcome", f.Outcome}} {
		if c.v != "" {
			where = append(where, c.col+" = "+arg(c.v))
		}
	}
	var total int64
	if err := s.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM notification_deliveries d`+whereClause(where), args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count deliveries: %w", err)
	}
	limit := max(f.Limit, 1)
	offset := (max(f.Page, 1) - 1) * limit
	rows, err := s.read.QueryContext(ctx, `SELECT d.id, d.outbox_id, d.channel_id, d.rule_id, COALESCE(r.name, ''), COALESCE(o.status, ''),
		d.attempt, d.at, d.outcome, d.error, d.duration_ms FROM notification_deliveries d
		LEFT JOIN alert_rules r ON r.id = d.rule_id LEFT JOIN notification_outbox o ON o.id = d.outbox_id`+whereClause(where)+
		` ORDER BY d.id DESC LIMIT `+strconv.Itoa(limit)+` OFFSET `+strconv.Itoa(offset), args...)
	if err != nil {
		return nil, 0, fmt.Errorf("list deliveries: %w", err)
	}
	defer rows.Close()
	out := []tc.NotificationDelivery{}
	for rows.Next() {
		var d tc.NotificationDelivery
		var at int64
		if err := rows.Scan(&d.ID, &d.NotificationID, &d.ChannelID, &d.RuleID, &d.RuleName, &d.Status, &d.Attempt, &at,
			&d.Outcome, &d.Error, &d.DurationMS); err != nil {
			return nil, 0, fmt.Errorf("list deliveries: %w", err)
		}
		d.At = fromMS(at)
		out = append(out, d)
	}
	return out, total, rows.Err()
}
