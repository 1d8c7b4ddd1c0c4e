package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/telegrafcontroller/tc"
)

// Alerts, their groups and mutes (docs/alerts.md). The alerting engine
// (internal/alerting) reads what each rule watches (AlertSubjects), steps
// the rule's alerts and group in memory (tc.StepAlerts, tc.AlertGroup.Step)
// and writes the outcome, with the notifications it queues, in one
// transaction (ApplyAlertStep): a restart or a failover finds the alerts
// and the outbox as they were, and never queues one event twice.

// AlertSubjects returns what rule r finds at now: the agents in its state
// within its scope, or the active tokens expiring within its days.
func (s *Store) AlertSubjects(ctx context.Context, r *tc.AlertRule, now time.Time) ([]tc.AlertObservation, error) {
	if r.Event == tc.AlertTokenExpiry {
		return s.expiringTokens(ctx, now.Add(time.Duration(r.TokenExpiryDays)*24*time.Hour))
	}
	var where []string
	var args []any
	arg := placeholder(&args)
	if r.Event == tc.AlertStale {
		where = append(where, "a.status <> "+arg(tc.AgentNotReporting), configStateCond(arg, now, "", tc.ConfigStale, 0))
	} else {
		where = append(where, "a.status = "+arg(r.Event))
	}
	for _, l := range r.Scope.LabelIDs {
		where = append(where, "EXISTS (SELECT 1 FROM agent_labels l WHERE l.agent_id = a.id AND l.label_id = "+arg(l)+")")
	}
	if r.Scope.ConfigID != "" {
		where = append(where, "EXISTS (SELECT 1 FROM agent_configs c WHERE c.agent_id = a.id AND c.config_id = "+arg(r.Scope.ConfigID)+")")
	}
	if g := r.Scope.ConfigGroupID; g != "" {
		where = append(where, "EXISTS (SELECT 1 FROM agent_refs x LEFT JOIN aliases al ON al.alias = x.ref WHERE x.agent_id = a.id AND COALESCE(al.group_id, x.ref) = "+arg(g)+")")
	}
	if r.Scope.ReportingRuleID != "" {
		where = append(where, "a.reporting_rule_id = "+arg(r.Scope.ReportingRuleID))
	}
	rows, err := s.read.QueryContext(ctx, `SELECT a.id, a.hostname, a.status, a.status_since FROM agents a`+whereClause(where)+` ORDER BY a.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("read alert subjects: %w", err)
	}
	defer rows.Close()
	out := []tc.AlertObservation{}
	for rows.Next() {
		var o tc.AlertObservation
		var since int64
		if err := rows.Scan(&o.ID, &o.Name, &o.Detail, &since); err != nil {
			return nil, fmt.Errorf("read alert subjects: %w", err)
		}
		o.Kind = tc.SubjectAgent
		if o.Name == "" {
			o.Name = o.ID
		}
		if r.Event == tc.AlertStale {
			o.Detail = tc.ConfigStale
		} else if since > 0 {
			t := fromMS(since)
			o.Since = &t
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// expiringTokens returns the active tokens that expire (or expired) by
// before.
func (s *Store) expiringTokens(ctx context.Context, before time.Time) ([]tc.AlertObservation, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT t.id, t.description, t.expires_at FROM tokens t
		WHERE t.status = 'active' AND t.expires_at IS NOT NULL AND t.expires_at <= $1 ORDER BY t.id`, ms(before))
	if err != nil {
		return nil, fmt.Errorf("read expiring tokens: %w", err)
	}
	defer rows.Close()
	out := []tc.AlertObservation{}
	for rows.Next() {
		var o tc.AlertObservation
		var exp int64
		if err := rows.Scan(&o.ID, &o.Name, &exp); err != nil {
			return nil, fmt.Errorf("read expiring tokens: %w", err)
		}
		o.Kind, o.Detail = tc.SubjectToken, "expires "+fromMS(exp).Format("2006-01-02 15:04 UTC")
		if o.Name == "" {
			o.Name = o.ID
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// AgentLabelsAmong returns, for every agent carrying one of labelIDs,
// which of them it carries (label mutes match agents through it).
func (s *Store) AgentLabelsAmong(ctx context.Context, labelIDs []string) (map[string][]string, error) {
	out := map[string][]string{}
	if len(labelIDs) == 0 {
		return out, nil
	}
	var args []any
	arg := placeholder(&args)
	rows, err := s.read.QueryContext(ctx, `SELECT agent_id, label_id FROM agent_labels WHERE label_id IN (`+bindEach(arg, labelIDs)+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("read agent labels: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var a, l string
		if err := rows.Scan(&a, &l); err != nil {
			return nil, fmt.Errorf("read agent labels: %w", err)
		}
		out[a] = append(out[a], l)
	}
	return out, rows.Err()
}

const alertColumns = `x.id, x.rule_id, COALESCE(r.name, ''), COALESCE(r.event, ''), x.subject_kind, x.subject_id, x.subject_name,
	x.detail, x.state, x.since, x.fired_at, x.resolved_at, x.notified`

func scanAlert(row interface{ Scan(...any) error }) (*tc.Alert, error) {
	var a tc.Alert
	var since int64
	var fired, resolved sql.NullInt64
	if err := row.Scan(&a.ID, &a.RuleID, &a.RuleName, &a.Event, &a.SubjectKind, &a.SubjectID, &a.SubjectName,
		&a.Detail, &a.State, &since, &fired, &resolved, &a.Notified); err != nil {
		return nil, err
	}
	a.Since, a.FiredAt, a.ResolvedAt = fromMS(since), fromNullMS(fired), fromNullMS(resolved)
	return &a, nil
}

func queryAlerts(ctx context.Context, q queryer, query string, args ...any) ([]*tc.Alert, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("read alerts: %w", err)
	}
	defer rows.Close()
	out := []*tc.Alert{}
	for rows.Next() {
		a, err := scanAlert(rows)
		if err != nil {
			return nil, fmt.Errorf("read alerts: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// ActiveAlerts returns rule ruleID's pending and firing alerts, and its
// resolved alerts that were in the group's last message (a resolved
// message names them).
func (s *Store) ActiveAlerts(ctx context.Context, ruleID string) (active, resolvedNotified []*tc.Alert, err error) {
	all, err := queryAlerts(ctx, s.read, `SELECT `+alertColumns+` FROM alerts x LEFT JOIN alert_rules r ON r.id = x.rule_id
		WHERE x.rule_id = $1 AND (x.state <> 'resolved' OR x.notified) ORDER BY x.subject_id`, ruleID)
	if err != nil {
		return nil, nil, err
	}
	for _, a := range all {
		if a.State == tc.AlertResolved {
			resolvedNotified = append(resolvedNotified, a)
		} else {
			active = append(active, a)
		}
	}
	return active, resolvedNotified, nil
}

// AlertGroup returns rule ruleID's group (idle when never stored).
func (s *Store) AlertGroup(ctx context.Context, ruleID string) (tc.AlertGroup, error) {
	g := tc.AlertGroup{RuleID: ruleID}
	var since, at int64
	err := s.read.QueryRowContext(ctx, `SELECT since, notified_at, notified_count FROM alert_groups WHERE rule_id = $1`, ruleID).
		Scan(&since, &at, &g.NotifiedCount)
	if err == sql.ErrNoRows {
		return g, nil
	}
	if err != nil {
		return g, fmt.Errorf("read alert group: %w", err)
	}
	g.Since, g.NotifiedAt = fromZeroMS(since), fromZeroMS(at)
	return g, nil
}

// fromZeroMS is fromMS with 0 as the zero time.
func fromZeroMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return fromMS(v)
}

// zeroMS is ms with the zero time as 0.
func zeroMS(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return ms(t)
}

// AlertStep is what one evaluation of a rule writes: its alerts'
// transitions, its group (when it changed) and, when the group notifies,
// the alerts the message names and one outbox entry per channel.
type AlertStep struct {
	Rule         *tc.AlertRule
	Transitions  tc.AlertTransitions
	Group        tc.AlertGroup
	GroupChanged bool
	// Notify is set when the group sent a message: the notified flags
	// become exactly NotifiedIDs (alert ids, or subject ids of new alerts
	// whose ids the write assigns).
	Notify      bool
	NotifiedIDs []string
	Outbox      []OutboxEntry
}

// ErrAlertRuleChanged is returned by ApplyAlertStep when the rule changed
// or was deleted since it was read: the step is dropped and the next
// evaluation starts over from the stored state.
var ErrAlertRuleChanged = tc.Errorf(tc.ECONFLICT, "the alert rule changed during its evaluation")

// ApplyAlertStep writes st in one transaction, on the leader (f, nil
// outside a cluster). New alerts get their ids. Errors: ErrNotLeader,
// ErrAlertRuleChanged.
func (s *Store) ApplyAlertStep(ctx context.Context, f *Fence, st *AlertStep) error {
	return s.withTx(ctx, func(tx *Tx) error {
		if err := tx.proveLeader(ctx, f); err != nil {
			return err
		}
		var updated int64
		var enabled bool
		err := tx.QueryRowContext(ctx, `SELECT updated_at, enabled FROM alert_rules WHERE id = $1`+tx.store.dialect.forUpdate, st.Rule.ID).
			Scan(&updated, &enabled)
		if err == sql.ErrNoRows || (err == nil && (updated != ms(st.Rule.UpdatedAt) || !enabled)) {
			return ErrAlertRuleChanged
		}
		if err != nil {
			return fmt.Errorf("apply alert step: %w", err)
		}
		return tx.applyAlertStep(ctx, st)
	})
}

func (tx *Tx) applyAlertStep(ctx context.Context, st *AlertStep) error {
	t := &st.Transitions
	ruleID := st.Rule.ID
	bySubject := map[string]string{}
	// Each statement is prepared once in the transaction, on its own
	// connection, and run for every alert: an outage fires 100,000 at
	// once, and SQLite parsing the text for each was most of a tick.
	each := func(what, q string, n int, args func(i int) []any) error {
		if n == 0 {
			return nil
		}
		st, err := tx.PrepareContext(ctx, q)
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		defer st.Close()
		for i := range n {
			if _, err := st.ExecContext(ctx, args(i)...); err != nil {
				return fmt.Errorf("%s: %w", what, err)
			}
		}
		return nil
	}
	err := each("insert alert", `INSERT INTO alerts (id, rule_id, subject_kind, subject_id, subject_name, detail, state, since, fired_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, len(t.New), func(i int) []any {
		a := t.New[i]
		a.ID = uuid.NewString()
		bySubject[a.SubjectID] = a.ID
		return []any{a.ID, ruleID, a.SubjectKind, a.SubjectID, a.SubjectName, a.Detail, a.State, ms(a.Since), msPtr(a.FiredAt)}
	})
	if err != nil {
		return err
	}
	changed := slices.Concat(t.Fired, t.Changed, t.Resolved)
	err = each("update alert", `UPDATE alerts SET subject_name = $2, detail = $3, state = $4, since = $5, fired_at = $6,
		resolved_at = $7 WHERE id = $1`, len(changed), func(i int) []any {
		a := changed[i]
		return []any{a.ID, a.SubjectName, a.Detail, a.State, ms(a.Since), msPtr(a.FiredAt), msPtr(a.ResolvedAt)}
	})
	if err != nil {
		return err
	}
	err = each("drop alert", `DELETE FROM alerts WHERE id = $1`, len(t.Dropped), func(i int) []any { return []any{t.Dropped[i].ID} })
	if err != nil {
		return err
	}
	if st.GroupChanged {
		g := st.Group
		if _, err := tx.ExecContext(ctx, `INSERT INTO alert_groups (rule_id, since, notified_at, notified_count) VALUES ($1, $2, $3, $4)
			ON CONFLICT (rule_id) DO UPDATE SET since = excluded.since, notified_at = excluded.notified_at, notified_count = excluded.notified_count`,
			ruleID, zeroMS(g.Since), zeroMS(g.NotifiedAt), g.NotifiedCount); err != nil {
			return fmt.Errorf("store alert group: %w", err)
		}
	}
	if st.Notify {
		if _, err := tx.ExecContext(ctx, `UPDATE alerts SET notified = FALSE WHERE rule_id = $1 AND notified`, ruleID); err != nil {
			return fmt.Errorf("mark notified alerts: %w", err)
		}
		ids := make([]string, 0, len(st.NotifiedIDs))
		for _, id := range st.NotifiedIDs {
			if n, ok := bySubject[id]; ok {
				id = n
			}
			ids = append(ids, id)
		}
		for len(ids) > 0 {
			n := min(len(ids), 500)
			var args []any
			arg := placeholder(&args)
			if _, err := tx.ExecContext(ctx, `UPDATE alerts SET notified = TRUE WHERE id IN (`+bindEach(arg, ids[:n])+`)`, args...); err != nil {
				return fmt.Errorf("mark notified alerts: %w", err)
			}
			ids = ids[n:]
		}
	}
	for i := range st.Outbox {
		if err := tx.enqueue(ctx, ruleID, &st.Outbox[i]); err != nil {
			return err
		}
	}
	return nil
}

// Alerts returns a page of alerts matching f, newest first, and how many
// match: the active ones (pending and firing, f.State "", or one of them)
// by when they began, or the history (resolved) by when they resolved,
// within f.From and f.To. Active alerts a mute covers now have Muted set.
func (s *Store) Alerts(ctx context.Context, f tc.AlertFilter) ([]*tc.Alert, int64, error) {
	var where []string
	var args []any
	arg := placeholder(&args)
	order := "x.since DESC, x.id"
	switch f.State {
	case "":
		where = append(where, "x.state <> 'resolved'")
	case tc.AlertResolved:
		where = append(where, "x.state = 'resolved'")
		order = "x.resolved_at DESC, x.id"
		if !f.From.IsZero() {
			where = append(where, "x.resolved_at >= "+arg(ms(f.From)))
		}
		if !f.To.IsZero() {
			where = append(where, "x.resolved_at < "+arg(ms(f.To)))
		}
	default:
		where = append(where, "x.state = "+arg(f.State))
	}
	if f.RuleID != "" {
		where = append(where, "x.rule_id = "+arg(f.RuleID))
	}
	var total int64
	if err := s.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM alerts x`+whereClause(where), args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count alerts: %w", err)
	}
	limit := max(f.Limit, 1)
	offset := (max(f.Page, 1) - 1) * limit
	list, err := queryAlerts(ctx, s.read, `SELECT `+alertColumns+` FROM alerts x LEFT JOIN alert_rules r ON r.id = x.rule_id`+
		whereClause(where)+` ORDER BY `+order+` LIMIT `+strconv.Itoa(limit)+` OFFSET `+strconv.Itoa(offset), args...)
	if err != nil {
		return nil, 0, err
	}
	if err := s.markMuted(ctx, list); err != nil {
		return nil, 0, err
	}
	return list, total, nil
}

// markMuted sets Muted on the active alerts of list that a mute covers.
func (s *Store) markMuted(ctx context.Context, list []*tc.Alert) error {
	now := s.now()
	mutes, err := s.ActiveMutes(ctx, now)
	if err != nil || len(mutes) == 0 {
		return err
	}
	var labels []string
	for _, m := range mutes {
		if m.Kind == tc.MuteLabel {
			labels = append(labels, m.TargetID)
		}
	}
	agentLabels, err := s.AgentLabelsAmong(ctx, labels)
	if err != nil {
		return err
	}
	for _, a := range list {
		if a.State != tc.AlertResolved {
			a.Muted = tc.Mutes(mutes).Muted(a.RuleID, a.SubjectKind, a.SubjectID, agentLabels[a.SubjectID], now)
		}
	}
	return nil
}

// AlertCount is how many alerts of one rule are in each active state.
type AlertCount struct {
	Pending, Firing int64
}

// AlertCounts counts each rule's active alerts.
func (s *Store) AlertCounts(ctx context.Context) (map[string]AlertCount, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT rule_id, state, COUNT(*) FROM alerts WHERE state <> 'resolved' GROUP BY rule_id, state`)
	if err != nil {
		return nil, fmt.Errorf("count alerts: %w", err)
	}
	defer rows.Close()
	out := map[string]AlertCount{}
	for rows.Next() {
		var rule, state string
		var n int64
		if err := rows.Scan(&rule, &state, &n); err != nil {
			return nil, fmt.Errorf("count alerts: %w", err)
		}
		c := out[rule]
		if state == tc.AlertFiring {
			c.Firing = n
		} else {
			c.Pending = n
		}
		out[rule] = c
	}
	return out, rows.Err()
}

const muteColumns = `id, kind, target_id, target_name, ends_at, reason, created_by, created_by_name, created_at`

func scanMute(row interface{ Scan(...any) error }) (tc.AlertMute, error) {
	var m tc.AlertMute
	var until, created int64
	err := row.Scan(&m.ID, &m.Kind, &m.TargetID, &m.TargetName, &until, &m.Reason, &m.CreatedBy, &m.CreatedByName, &created)
	m.Until, m.CreatedAt = fromMS(until), fromMS(created)
	return m, err
}

// ActiveMutes returns the mutes in force at now, ending soonest first.
func (s *Store) ActiveMutes(ctx context.Context, now time.Time) ([]tc.AlertMute, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+muteColumns+` FROM alert_mutes WHERE ends_at > $1 ORDER BY ends_at, id`, ms(now))
	if err != nil {
		return nil, fmt.Errorf("list mutes: %w", err)
	}
	defer rows.Close()
	out := []tc.AlertMute{}
	for rows.Next() {
		m, err := scanMute(rows)
		if err != nil {
			return nil, fmt.Errorf("list mutes: %w", err)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// CreateMute validates and stores m, naming its target from the agent,
// label or rule it mutes. Errors: EINVALID (also for a target that does
// not exist; an agent may be muted before it is known).
func (s *Store) CreateMute(ctx context.Context, m *tc.AlertMute) error {
	return s.withTx(ctx, func(tx *Tx) error {
		if err := m.Validate(tx.now); err != nil {
			return err
		}
		var q string
		switch m.Kind {
		case tc.MuteAgent:
			q = `SELECT CASE WHEN hostname <> '' THEN hostname ELSE id END FROM agents WHERE id = $1`
		case tc.MuteLabel:
			q = `SELECT name FROM labels WHERE id = $1`
		case tc.MuteRule:
			q = `SELECT name FROM alert_rules WHERE id = $1`
		}
		err := tx.QueryRowContext(ctx, q, m.TargetID).Scan(&m.TargetName)
		switch {
		case err == sql.ErrNoRows && m.Kind == tc.MuteAgent:
			m.TargetName = m.TargetID
		case err == sql.ErrNoRows:
			return tc.FieldErrorf("targetId", "no %s has the id %q", map[string]string{tc.MuteLabel: "label", tc.MuteRule: "alert rule"}[m.Kind], m.TargetID)
		case err != nil:
			return fmt.Errorf("create mute: %w", err)
		}
		m.ID, m.CreatedAt = uuid.NewString(), tx.now
		if caller := tc.CallerFromContext(ctx); caller != nil && caller.User != nil {
			m.CreatedBy, m.CreatedByName = caller.User.ID, caller.User.Username
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO alert_mutes (`+muteColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			m.ID, m.Kind, m.TargetID, m.TargetName, ms(m.Until), m.Reason, m.CreatedBy, m.CreatedByName, ms(m.CreatedAt)); err != nil {
			return fmt.Errorf("create mute: %w", err)
		}
		tx.announce(ctx, tc.EntityAlert, tc.OpMute, m.ID)
		tx.describe(tc.EntityAlert, m.ID, m.TargetName, map[string]any{"kind": m.Kind, "targetId": m.TargetID,
			"until": m.Until.Format(time.RFC3339), "reason": m.Reason})
		return nil
	})
}

// DeleteMute lifts mute id before its end. Errors: ENOTFOUND (also for a
// mute that already ended).
func (s *Store) DeleteMute(ctx context.Context, id string) error {
	return s.withTx(ctx, func(tx *Tx) error {
		m, err := scanMute(tx.QueryRowContext(ctx, `SELECT `+muteColumns+` FROM alert_mutes WHERE id = $1 AND ends_at > $2`, id, ms(tx.now)))
		if err == sql.ErrNoRows {
			return notFound("mute")
		}
		if err != nil {
			return fmt.Errorf("delete mute: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM alert_mutes WHERE id = $1`, id); err != nil {
			return fmt.Errorf("delete mute: %w", err)
		}
		tx.announce(ctx, tc.EntityAlert, tc.OpUnmute, id)
		tx.describe(tc.EntityAlert, id, m.TargetName, map[string]any{"kind": m.Kind, "targetId": m.TargetID})
		return nil
	})
}

// PruneAlerts removes what is older than cutoff: resolved alerts, ended
// mutes, delivered or given-up notifications and their delivery log.
// It returns how many rows went.
func (s *Store) PruneAlerts(ctx context.Context, cutoff time.Time) (int64, error) {
	var n int64
	err := s.withTx(ctx, func(tx *Tx) error {
		c := ms(cutoff)
		for _, q := range []string{
			`DELETE FROM alerts WHERE state = 'resolved' AND resolved_at < $1`,
			`DELETE FROM alert_mutes WHERE ends_at < $1`,
			`DELETE FROM notification_outbox WHERE state <> 'queued' AND updated_at < $1`,
			`DELETE FROM notification_deliveries WHERE at < $1`,
		} {
			res, err := tx.ExecContext(ctx, q, c)
			if err != nil {
				return fmt.Errorf("prune alerts: %w", err)
			}
			d, _ := res.RowsAffected()
			n += d
		}
		return nil
	})
	return n, err
}
