package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/google/uuid"

	"github.com/telegrafcontroller/tc"
)

// Alert rules (docs/alerts.md): what the alerting engine evaluates
// (internal/alerting). Their channels are rows of alert_rule_channels, in
// the rule's order.

const alertRuleColumns = `r.id, r.name, r.description, r.enabled, r.event, r.scope, r.for_seconds, r.group_wait_seconds,
	r.group_interval_seconds, r.repeat_interval_seconds, r.send_resolved, r.token_expiry_days, r.created_at, r.updated_at`

func scanAlertRule(row interface{ Scan(...any) error }) (*tc.AlertRule, error) {
	var r tc.AlertRule
	var scope string
	var created, updated int64
	if err := row.Scan(&r.ID, &r.Name, &r.Description, &r.Enabled, &r.Event, &scope, &r.ForSeconds, &r.GroupWaitSeconds,
		&r.GroupIntervalSeconds, &r.RepeatIntervalSeconds, &r.SendResolved, &r.TokenExpiryDays, &created, &updated); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(scope), &r.Scope); err != nil {
		return nil, fmt.Errorf("read alert rule %s scope: %w", r.ID, err)
	}
	if r.Scope.LabelIDs == nil {
		r.Scope.LabelIDs = []string{}
	}
	r.ChannelIDs = []string{}
	r.CreatedAt, r.UpdatedAt = fromMS(created), fromMS(updated)
	return &r, nil
}

// AlertRules returns every rule by name.
func (s *Store) AlertRules(ctx context.Context) ([]*tc.AlertRule, error) {
	return alertRules(ctx, s.read, "")
}

// alertRules reads the rules (one, with id), with their channels.
func alertRules(ctx context.Context, q queryer, id string) ([]*tc.AlertRule, error) {
	var where string
	var args []any
	if id != "" {
		where, args = ` WHERE r.id = $1`, []any{id}
	}
	rows, err := q.QueryContext(ctx, `SELECT `+alertRuleColumns+` FROM alert_rules r`+where+` ORDER BY lower(r.name), r.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("list alert rules: %w", err)
	}
	out := []*tc.AlertRule{}
	byID := map[string]*tc.AlertRule{}
	for rows.Next() {
		r, err := scanAlertRule(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("list alert rules: %w", err)
		}
		out = append(out, r)
		byID[r.ID] = r
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list alert rules: %w", err)
	}
	if len(out) == 0 {
		return out, nil
	}
	rows, err = q.QueryContext(ctx, `SELECT c.rule_id, c.channel_id FROM alert_rule_channels c`+
		map[bool]string{true: ` WHERE c.rule_id = $1`, false: ``}[id != ""]+` ORDER BY c.rule_id, c.position`, args...)
	if err != nil {
		return nil, fmt.Errorf("list alert rule channels: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var rule, ch string
		if err := rows.Scan(&rule, &ch); err != nil {
			return nil, fmt.Errorf("list alert rule channels: %w", err)
		}
		if r := byID[rule]; r != nil {
			r.ChannelIDs = append(r.ChannelIDs, ch)
		}
	}
	return out, rows.Err()
}

// AlertRule returns one rule. Errors: ENOTFOUND.
func (s *Store) AlertRule(ctx context.Context, id string) (*tc.AlertRule, error) {
	return alertRuleByID(ctx, s.read, id)
}

func alertRuleByID(ctx context.Context, q queryer, id string) (*tc.AlertRule, error) {
	rules, err := alertRules(ctx, q, id)
	if err != nil {
		return nil, err
	}
	if len(rules) == 0 {
		return nil, notFound("alert rule")
	}
	return rules[0], nil
}

// CreateAlertRule validates and inserts r, assigning its id and times.
// Errors: EINVALID (also for a scope or channel that does not exist),
// ECONFLICT for a name in use.
func (s *Store) CreateAlertRule(ctx context.Context, r *tc.AlertRule) error {
	if err := r.Validate(); err != nil {
		return err
	}
	return s.withTx(ctx, func(tx *Tx) error {
		if err := tx.checkAlertRefs(ctx, r); err != nil {
			return err
		}
		r.ID = uuid.NewString()
		r.CreatedAt, r.UpdatedAt = tx.now, tx.now
		scope, _ := json.Marshal(r.Scope)
		_, err := tx.ExecContext(ctx, `INSERT INTO alert_rules (id, name, description, enabled, event, scope, for_seconds,
			group_wait_seconds, group_interval_seconds, repeat_interval_seconds, send_resolved, token_expiry_days, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
			r.ID, r.Name, r.Description, r.Enabled, r.Event, string(scope), r.ForSeconds, r.GroupWaitSeconds,
			r.GroupIntervalSeconds, r.RepeatIntervalSeconds, r.SendResolved, r.TokenExpiryDays, ms(r.CreatedAt), ms(r.UpdatedAt))
		if err := alertRuleNameConflict(err, r.Name); err != nil {
			return err
		}
		if err := tx.setAlertRuleChannels(ctx, r.ID, r.ChannelIDs); err != nil {
			return err
		}
		tx.announce(ctx, tc.EntityAlertRule, tc.OpCreate, r.ID)
		tx.describe(tc.EntityAlertRule, r.ID, r.Name, map[string]any{"event": r.Event, "enabled": r.Enabled, "channels": r.ChannelIDs})
		return nil
	})
}

// UpdateAlertRule reads rule id, lets fn change it, validates and stores
// the result in one transaction. A rule turned off, or whose event
// changed, ends its active alerts (resolved, without a message) and its
// group. Errors: ENOTFOUND, EINVALID, ECONFLICT, and whatever fn returns.
func (s *Store) UpdateAlertRule(ctx context.Context, id string, fn func(r *tc.AlertRule) error) (*tc.AlertRule, error) {
	var out *tc.AlertRule
	err := s.withTx(ctx, func(tx *Tx) error {
		r, err := alertRuleByID(ctx, tx, id)
		if err != nil {
			return err
		}
		before := *r
		if err := fn(r); err != nil {
			return err
		}
		r.ID, r.CreatedAt = id, before.CreatedAt
		if err := r.Validate(); err != nil {
			return err
		}
		if err := tx.checkAlertRefs(ctx, r); err != nil {
			return err
		}
		r.UpdatedAt = tx.now
		scope, _ := json.Marshal(r.Scope)
		_, err = tx.ExecContext(ctx, `UPDATE alert_rules SET name = $2, description = $3, enabled = $4, event = $5, scope = $6,
			for_seconds = $7, group_wait_seconds = $8, group_interval_seconds = $9, repeat_interval_seconds = $10,
			send_resolved = $11, token_expiry_days = $12, updated_at = $13 WHERE id = $1`,
			id, r.Name, r.Description, r.Enabled, r.Event, string(scope), r.ForSeconds, r.GroupWaitSeconds,
			r.GroupIntervalSeconds, r.RepeatIntervalSeconds, r.SendResolved, r.TokenExpiryDays, ms(r.UpdatedAt))
		if err := alertRuleNameConflict(err, r.Name); err != nil {
			return err
		}
		if err := tx.setAlertRuleChannels(ctx, id, r.ChannelIDs); err != nil {
			return err
		}
		if (before.Enabled && !r.Enabled) || before.Event != r.Event {
			if err := tx.endAlerts(ctx, id); err != nil {
				return err
			}
		}
		tx.announce(ctx, tc.EntityAlertRule, tc.OpUpdate, id)
		tx.describe(tc.EntityAlertRule, id, r.Name, alertRuleDiff(&before, r))
		out = r
		return nil
	})
	return out, err
}

// DeleteAlertRule deletes rule id with its alerts and group; its queued
// notifications are dropped. Errors: ENOTFOUND.
func (s *Store) DeleteAlertRule(ctx context.Context, id string) error {
	return s.withTx(ctx, func(tx *Tx) error {
		r, err := alertRuleByID(ctx, tx, id)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE notification_outbox SET state = 'dropped', last_error = 'the rule was deleted', updated_at = $2
			WHERE rule_id = $1 AND state = 'queued'`, id, ms(tx.now)); err != nil {
			return fmt.Errorf("drop the rule's notifications: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM alert_rules WHERE id = $1`, id); err != nil {
			return fmt.Errorf("delete alert rule: %w", err)
		}
		tx.announce(ctx, tc.EntityAlertRule, tc.OpDelete, id)
		tx.describe(tc.EntityAlertRule, id, r.Name, nil)
		return nil
	})
}

// endAlerts resolves rule id's active alerts and resets its group, saying
// nothing: the rule was turned off or now watches something else.
func (tx *Tx) endAlerts(ctx context.Context, id string) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM alerts WHERE rule_id = $1 AND state = 'pending'`, id); err != nil {
		return fmt.Errorf("end alerts: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE alerts SET state = 'resolved', resolved_at = $2, notified = FALSE
		WHERE rule_id = $1 AND state = 'firing'`, id, ms(tx.now)); err != nil {
		return fmt.Errorf("end alerts: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM alert_groups WHERE rule_id = $1`, id); err != nil {
		return fmt.Errorf("end alerts: %w", err)
	}
	return nil
}

// setAlertRuleChannels replaces rule id's channels.
func (tx *Tx) setAlertRuleChannels(ctx context.Context, id string, channels []string) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM alert_rule_channels WHERE rule_id = $1`, id); err != nil {
		return fmt.Errorf("set alert rule channels: %w", err)
	}
	for i, ch := range channels {
		if _, err := tx.ExecContext(ctx, `INSERT INTO alert_rule_channels (rule_id, channel_id, position) VALUES ($1, $2, $3)`,
			id, ch, i); err != nil {
			return fmt.Errorf("set alert rule channels: %w", err)
		}
	}
	return nil
}

// checkAlertRefs refuses a rule whose scope or channels name something
// that does not exist, naming the field.
func (tx *Tx) checkAlertRefs(ctx context.Context, r *tc.AlertRule) error {
	type ref struct {
		field, table, what string
		ids                []string
	}
	refs := []ref{
		{"scope.labelIds", "labels", "label", r.Scope.LabelIDs},
		{"scope.configId", "configs", "config", nonEmpty(r.Scope.ConfigID)},
		{"scope.configGroupId", "config_groups", "config group", nonEmpty(r.Scope.ConfigGroupID)},
		{"scope.reportingRuleId", "reporting_rules", "reporting rule", nonEmpty(r.Scope.ReportingRuleID)},
		{"channelIds", "notification_channels", "notification channel", r.ChannelIDs},
	}
	for _, f := range refs {
		for _, id := range f.ids {
			var one int
			err := tx.QueryRowContext(ctx, `SELECT 1 FROM `+f.table+` WHERE id = $1`, id).Scan(&one)
			if err == sql.ErrNoRows {
				return tc.FieldErrorf(f.field, "no %s has the id %q", f.what, id)
			}
			if err != nil {
				return fmt.Errorf("check alert rule %s: %w", f.field, err)
			}
		}
	}
	return nil
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

// alertRuleDiff is an update's audit details: each changed field as
// [before, after].
func alertRuleDiff(a, b *tc.AlertRule) map[string]any {
	d := map[string]any{}
	add := func(name string, x, y any) {
		xj, _ := json.Marshal(x)
		yj, _ := json.Marshal(y)
		if string(xj) != string(yj) {
			d[name] = [2]any{x, y}
		}
	}
	add("name", a.Name, b.Name)
	add("description", a.Description, b.Description)
	add("enabled", a.Enabled, b.Enabled)
	add("event", a.Event, b.Event)
	add("scope", a.Scope, b.Scope)
	add("forSeconds", a.ForSeconds, b.ForSeconds)
	add("groupWaitSeconds", a.GroupWaitSeconds, b.GroupWaitSeconds)
	add("groupIntervalSeconds", a.GroupIntervalSeconds, b.GroupIntervalSeconds)
	add("repeatIntervalSeconds", a.RepeatIntervalSeconds, b.RepeatIntervalSeconds)
	add("sendResolved", a.SendResolved, b.SendResolved)
	add("tokenExpiryDays", a.TokenExpiryDays, b.TokenExpiryDays)
	add("channelIds", a.ChannelIDs, b.ChannelIDs)
	if len(d) == 0 {
		return nil
	}
	return d
}

func alertRuleNameConflict(err error, name string) error {
	if err == nil {
		return nil
	}
	if IsConflict(err) {
		return &tc.Error{Code: tc.ECONFLICT, Field: "name", Message: fmt.Sprintf("an alert rule named %q already exists", name)}
	}
	return fmt.Errorf("store alert rule: %w", err)
}
