package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/telegrafcontroller/tc"
)

// agentColumns are the agents columns scanAgent reads, in order.
const agentColumns = `a.id, a.hostname, a.ip, a.version, a.status, a.reported_status, a.reporting_rule_id,
	a.first_seen, a.last_seen, a.last_errors, a.last_warnings, a.last_metrics,
	a.total_errors, a.total_warnings, a.total_metrics, a.external_configs, a.status_since`

// livenessAgentColumns are agentColumns with the exact last heard time and
// the statistics read from agent_liveness (alias lv, dialect.liveness);
// greatest is the dialect's function of the larger of two values.
func livenessAgentColumns(greatest string) string {
	return `a.id, a.hostname, a.ip, a.version, a.status, a.reported_status, a.reporting_rule_id,
	a.first_seen, ` + greatest + `(a.last_seen, lv.last_seen), lv.last_errors, lv.last_warnings, lv.last_metrics,
	lv.total_errors, lv.total_warnings, lv.total_metrics, a.external_configs, a.status_since`
}

func scanAgent(row interface{ Scan(...any) error }) (*tc.Agent, error) {
	var a tc.Agent
	var first, last, since int64
	var external string
	if err := row.Scan(&a.ID, &a.Hostname, &a.IP, &a.Version, &a.Status, &a.ReportedStatus, &a.ReportingRuleID,
		&first, &last, &a.Stats.LastErrors, &a.Stats.LastWarnings, &a.Stats.LastMetrics,
		&a.Stats.TotalErrors, &a.Stats.TotalWarnings, &a.Stats.TotalMetrics, &external, &since); err != nil {
		return nil, err
	}
	a.FirstSeen, a.LastSeen = fromMS(first), fromMS(last)
	if since > 0 { // 0: not known (migration 0079)
		t := fromMS(since)
		a.StatusSince = &t
	}
	a.ExternalConfigs = []string{}
	if err := json.Unmarshal([]byte(external), &a.ExternalConfigs); err != nil || a.ExternalConfigs == nil {
		a.ExternalConfigs = []string{}
	}
	a.LabelIDs, a.ConfigIDs = []string{}, []string{}
	return &a, nil
}

// countAgents sums the maintained counters for a rule and a status (either
// may be empty for all).
func (s *Store) countAgents(ctx context.Context, ruleID, status string) (int64, error) {
	var n sql.NullInt64
	err := s.read.QueryRowContext(ctx, `SELECT CAST(SUM(n) AS BIGINT) FROM agent_counts
		WHERE ($1 = '' OR reporting_rule_id = $1) AND ($2 = '' OR status = $2)`, ruleID, status).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count agents: %w", err)
	}
	return n.Int64, nil
}

// AgentSummary counts agents by status from the maintained counters.
func (s *Store) AgentSummary(ctx context.Context) (tc.AgentSummary, error) {
	return s.agentSummary(ctx, s.read)
}

func (s *Store) agentSummary(ctx context.Context, q queryer) (tc.AgentSummary, error) {
	var sum tc.AgentSummary
	rows, err := q.QueryContext(ctx, `SELECT status, CAST(SUM(n) AS BIGINT) FROM agent_counts GROUP BY status`)
	if err != nil {
		return sum, fmt.Errorf("summarize agents: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var status string
		var n int64
		if err := rows.Scan(&status, &n); err != nil {
			return sum, fmt.Errorf("summarize agents: %w", err)
		}
		sum.Add(status, n)
	}
	return sum, rows.Err()
}

// loadAgentLinks fills the label and managed config ids of agents.
func (s *Store) loadAgentLinks(ctx context.Context, agents []*tc.Agent) error {
	if len(agents) == 0 {
		return nil
	}
	byID := make(map[string]*tc.Agent, len(agents))
	args := make([]any, 0, len(agents))
	arg := placeholder(&args)
	ids := make([]string, len(agents))
	for i, a := range agents {
		byID[a.ID] = a
		ids[i] = a.ID
	}
	in := "(" + bindEach(arg, ids) + ")"
	for _, q := range []struct {
		sql string
		add func(a *tc.Agent, id string)
	}{
		{`SELECT agent_id, label_id FROM agent_labels WHERE agent_id IN ` + in + ` ORDER BY label_id`,
			func(a *tc.Agent, id string) { a.LabelIDs = append(a.LabelIDs, id) }},
		{`SELECT agent_id, config_id FROM agent_configs WHERE agent_id IN ` + in + ` ORDER BY config_id`,
			func(a *tc.Agent, id string) { a.ConfigIDs = append(a.ConfigIDs, id) }},
	} {
		rows, err := s.read.QueryContext(ctx, q.sql, args...)
		if err != nil {
			return fmt.Errorf("load agent links: %w", err)
		}
		for rows.Next() {
			var agentID, id string
			if err := rows.Scan(&agentID, &id); err != nil {
				rows.Close()
				return fmt.Errorf("load agent links: %w", err)
			}
			if a := byID[agentID]; a != nil {
				q.add(a, id)
			}
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return fmt.Errorf("load agent links: %w", err)
		}
	}
	return nil
}

// Agent returns one agent with its rule, labels, managed configs and recent
// logs. Errors: ENOTFOUND.
func (s *Store) Agent(ctx context.Context, id string) (*tc.AgentDetail, error) {
	a, err := scanAgent(s.read.QueryRowContext(ctx, `SELECT `+s.dialect.agentColumns+` FROM `+s.dialect.agentFrom+` WHERE a.id = $1`, id))
	if err == sql.ErrNoRows {
		return nil, notFound("agent")
	}
	if err != nil {
		return nil, fmt.Errorf("get agent: %w", err)
	}
	if err := s.loadAgentLinks(ctx, []*tc.Agent{a}); err != nil {
		return nil, err
	}
	d := &tc.AgentDetail{Agent: *a, Labels: []tc.Label{}, Configs: []tc.ConfigRef{}}
	var logs string
	err = s.read.QueryRowContext(ctx, `SELECT logs FROM agent_logs WHERE agent_id = $1`, id).Scan(&logs)
	switch {
	case err == sql.ErrNoRows:
	case err != nil:
		return nil, fmt.Errorf("get agent logs: %w", err)
	default:
		if err := json.Unmarshal([]byte(logs), &d.Logs); err != nil {
			return nil, fmt.Errorf("get agent logs: %w", err)
		}
	}
	if d.Logs == nil {
		d.Logs = []tc.AgentLog{}
	}
	if d.Runs, err = s.agentRuns(ctx, id, d.Logs); err != nil {
		return nil, err
	}
	if d.ReportingRule, err = s.ReportingRule(ctx, a.ReportingRuleID); err != nil {
		return nil, err
	}
	rows, err := s.read.QueryContext(ctx, `SELECT l.id, l.name, l.color, l.description, l.created_at, l.updated_at
		FROM agent_labels al JOIN labels l ON l.id = al.label_id WHERE al.agent_id = $1 ORDER BY lower(l.name)`, id)
	if err != nil {
		return nil, fmt.Errorf("get agent labels: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var l tc.Label
		var created, updated int64
		if err := rows.Scan(&l.ID, &l.Name, &l.Color, &l.Description, &created, &updated); err != nil {
			return nil, fmt.Errorf("get agent labels: %w", err)
		}
		l.CreatedAt, l.UpdatedAt = fromMS(created), fromMS(updated)
		d.Labels = append(d.Labels, l)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("get agent labels: %w", err)
	}
	crows, err := s.read.QueryContext(ctx, `SELECT ac.config_id, COALESCE(c.name, '')
		FROM agent_configs ac LEFT JOIN configs c ON c.id = ac.config_id WHERE ac.agent_id = $1 ORDER BY ac.config_id`, id)
	if err != nil {
		return nil, fmt.Errorf("get agent configs: %w", err)
	}
	defer crows.Close()
	for crows.Next() {
		var c tc.ConfigRef
		if err := crows.Scan(&c.ID, &c.Name); err != nil {
			return nil, fmt.Errorf("get agent configs: %w", err)
		}
		d.Configs = append(d.Configs, c)
	}
	if err := crows.Err(); err != nil {
		return nil, fmt.Errorf("get agent configs: %w", err)
	}
	return d, nil
}

// UpdateAgent applies u to agent id. Errors: ENOTFOUND for the agent,
// EINVALID naming reportingRuleId or labelIds for a rule or label that does
// not exist.
func (s *Store) UpdateAgent(ctx context.Context, id string, u tc.AgentUpdate) error {
	return s.withTx(ctx, func(tx *Tx) error {
		if err := tx.requireAgent(ctx, id); err != nil {
			return err
		}
		if u.ReportingRuleID != nil {
			if err := tx.assignRule(ctx, []string{id}, *u.ReportingRuleID); err != nil {
				return err
			}
		}
		if u.LabelIDs != nil {
			labels := slices.Compact(slices.Sorted(slices.Values(*u.LabelIDs)))
			if err := tx.requireLabels(ctx, labels); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM agent_labels WHERE agent_id = $1`, id); err != nil {
				return fmt.Errorf("update agent labels: %w", err)
			}
			for _, l := range labels {
				if _, err := tx.ExecContext(ctx, `INSERT INTO agent_labels (agent_id, label_id) VALUES ($1, $2)`, id, l); err != nil {
					return fmt.Errorf("update agent labels: %w", err)
				}
			}
		}
		tx.announce(ctx, tc.EntityAgent, tc.OpUpdate, id)
		return nil
	})
}

func (tx *Tx) requireAgent(ctx context.Context, id string) error {
	var one int
	err := tx.QueryRowContext(ctx, `SELECT 1 FROM agents WHERE id = $1`, id).Scan(&one)
	if err == sql.ErrNoRows {
		return notFound("agent")
	}
	return err
}

func (tx *Tx) requireLabels(ctx context.Context, ids []string) error {
	for _, l := range ids {
		var one int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM labels WHERE id = $1`, l).Scan(&one)
		if err == sql.ErrNoRows {
			return tc.FieldErrorf("labelIds", "label %q does not exist", l)
		}
		if err != nil {
			return fmt.Errorf("check label: %w", err)
		}
	}
	return nil
}

func (tx *Tx) requireRule(ctx context.Context, id, field string) error {
	var one int
	err := tx.QueryRowContext(ctx, `SELECT 1 FROM reporting_rules WHERE id = $1`, id).Scan(&one)
	if err == sql.ErrNoRows {
		return tc.FieldErrorf(field, "reporting rule %q does not exist", id)
	}
	if err != nil {
		return fmt.Errorf("check reporting rule: %w", err)
	}
	return nil
}

// assignRule moves agents to rule ruleID.
func (tx *Tx) assignRule(ctx context.Context, agentIDs []string, ruleID string) error {
	if err := tx.requireRule(ctx, ruleID, "reportingRuleId"); err != nil {
		return err
	}
	for _, id := range agentIDs {
		if _, err := tx.ExecContext(ctx, `UPDATE agents SET reporting_rule_id = $1 WHERE id = $2`, ruleID, id); err != nil {
			return fmt.Errorf("assign reporting rule: %w", err)
		}
	}
	return nil
}

// DeleteAgent deletes an agent and what hangs off it. An agent that keeps
// sending heartbeats comes back. Errors: ENOTFOUND.
func (s *Store) DeleteAgent(ctx context.Context, id string) error {
	return s.withTx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM agents WHERE id = $1`, id)
		if err != nil {
			return fmt.Errorf("delete agent: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return notFound("agent")
		}
		tx.announce(ctx, tc.EntityAgent, tc.OpDelete, id)
		return nil
	})
}

// Bulk actions on agents (the domain's names).
const (
	BulkDelete      = tc.AgentBulkDelete
	BulkAssignRule  = tc.AgentBulkAssignRule
	BulkAddLabel    = tc.AgentBulkAddLabel
	BulkRemoveLabel = tc.AgentBulkRemoveLabel
)

// BulkAgents applies action to each of ids in one transaction and returns,
// per id, nil or why it was skipped (ENOTFOUND). arg is the rule id for
// assign-rule and the label id for the label actions; an arg that does not
// exist fails the whole call with EINVALID naming field.
func (s *Store) BulkAgents(ctx context.Context, action string, ids []string, arg, field string) (map[string]error, error) {
	results := make(map[string]error, len(ids))
	err := s.withTx(ctx, func(tx *Tx) error {
		clear(results) // a retried transaction starts again
		var changed []string
		switch action {
		case BulkAssignRule:
			if err := tx.requireRule(ctx, arg, field); err != nil {
				return err
			}
		case BulkAddLabel, BulkRemoveLabel:
			var one int
			err := tx.QueryRowContext(ctx, `SELECT 1 FROM labels WHERE id = $1`, arg).Scan(&one)
			if err == sql.ErrNoRows {
				return tc.FieldErrorf(field, "label %q does not exist", arg)
			}
			if err != nil {
				return fmt.Errorf("check label: %w", err)
			}
		case BulkDelete:
		default:
			return tc.FieldErrorf("action", "action must be one of delete, assign-rule, add-label, remove-label")
		}
		for _, id := range ids {
			if _, done := results[id]; done {
				continue
			}
			var res sql.Result
			var err error
			switch action {
			case BulkDelete:
				res, err = tx.ExecContext(ctx, `DELETE FROM agents WHERE id = $1`, id)
			case BulkAssignRule:
				res, err = tx.ExecContext(ctx, `UPDATE agents SET reporting_rule_id = $1 WHERE id = $2`, arg, id)
			case BulkAddLabel:
				res, err = tx.ExecContext(ctx, `INSERT INTO agent_labels (agent_id, label_id)
					SELECT id, $2 FROM agents WHERE id = $1 ON CONFLICT DO NOTHING`, id, arg)
				if err == nil {
					if n, _ := res.RowsAffected(); n == 0 {
						err = tx.requireAgent(ctx, id)
						res = nil
					}
				}
			case BulkRemoveLabel:
				_, err = tx.ExecContext(ctx, `DELETE FROM agent_labels WHERE agent_id = $1 AND label_id = $2`, id, arg)
				if err == nil {
					err = tx.requireAgent(ctx, id)
				}
			}
			if tc.ErrorCode(err) == tc.ENOTFOUND {
				results[id] = err
				continue
			}
			if err != nil {
				return fmt.Errorf("bulk %s agents: %w", action, err)
			}
			if res != nil {
				if n, _ := res.RowsAffected(); n == 0 {
					results[id] = notFound("agent")
					continue
				}
			}
			results[id] = nil
			changed = append(changed, id)
		}
		op := tc.OpUpdate
		if action == BulkDelete {
			op = tc.OpDelete
		}
		tx.announce(ctx, tc.EntityAgent, op, changed...)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return results, nil
}

// InsertAgents inserts whole agent rows (with their label and config links)
// in one transaction, for tests and the agents benchmark; heartbeats create
// agents through their own path. Empty rule ids get the default rule and
// zero times the store's clock.
func (s *Store) InsertAgents(ctx context.Context, agents []*tc.Agent) error {
	return s.withTx(ctx, func(tx *Tx) error {
		rule, err := defaultRuleID(ctx, tx)
		if err != nil {
			return err
		}
		for _, a := range agents {
			if a.ReportingRuleID == "" {
				a.ReportingRuleID = rule
			}
			if a.Status == "" {
				a.Status = tc.AgentOK
			}
			if a.ReportedStatus == "" {
				a.ReportedStatus = a.Status
				if a.Status == tc.AgentNotReporting {
					a.ReportedStatus = tc.AgentOK
				}
			}
			if a.LastSeen.IsZero() {
				a.LastSeen = tx.now
			}
			if a.FirstSeen.IsZero() {
				a.FirstSeen = a.LastSeen
			}
			since := ms(a.LastSeen)
			if a.StatusSince != nil {
				since = ms(*a.StatusSince)
			}
			ext, _ := json.Marshal(a.ExternalConfigs)
			if a.ExternalConfigs == nil {
				ext = []byte("[]")
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO agents (id, hostname, ip, version, reported_status, status,
				reporting_rule_id, first_seen, last_seen, last_errors, last_warnings, last_metrics,
				total_errors, total_warnings, total_metrics, external_configs, status_since)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)`,
				a.ID, a.Hostname, a.IP, a.Version, a.ReportedStatus, a.Status, a.ReportingRuleID,
				ms(a.FirstSeen), ms(a.LastSeen), a.Stats.LastErrors, a.Stats.LastWarnings, a.Stats.LastMetrics,
				a.Stats.TotalErrors, a.Stats.TotalWarnings, a.Stats.TotalMetrics, string(ext), since)
			if err != nil {
				return fmt.Errorf("insert agent %s: %w", a.ID, err)
			}
			for _, l := range a.LabelIDs {
				if _, err := tx.ExecContext(ctx, `INSERT INTO agent_labels (agent_id, label_id) VALUES ($1, $2)`, a.ID, l); err != nil {
					return fmt.Errorf("insert agent label: %w", err)
				}
			}
			for _, c := range a.ConfigIDs {
				if _, err := tx.ExecContext(ctx, `INSERT INTO agent_configs (agent_id, config_id) VALUES ($1, $2)`, a.ID, c); err != nil {
					return fmt.Errorf("insert agent config: %w", err)
				}
			}
			if len(a.Logs) > 0 {
				logs, _ := json.Marshal(a.Logs)
				if _, err := tx.ExecContext(ctx, `INSERT INTO agent_logs (agent_id, logs) VALUES ($1, $2)`, a.ID, string(logs)); err != nil {
					return fmt.Errorf("insert agent logs: %w", err)
				}
			}
		}
		return nil
	})
}
