package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/google/uuid"

	"github.com/telegrafcontroller/tc"
)

const ruleColumns = `r.id, r.name, r.description, r.not_reporting_after_seconds, r.auto_delete_after_seconds, r.is_default, r.created_at, r.updated_at,
	COALESCE((SELECT CAST(SUM(c.n) AS BIGINT) FROM agent_counts c WHERE c.reporting_rule_id = r.id), 0)`

func scanRule(row interface{ Scan(...any) error }) (*tc.ReportingRule, error) {
	var r tc.ReportingRule
	var autoDelete sql.NullInt64
	var created, updated int64
	if err := row.Scan(&r.ID, &r.Name, &r.Description, &r.NotReportingAfterSeconds, &autoDelete, &r.IsDefault,
		&created, &updated, &r.AgentCount); err != nil {
		return nil, err
	}
	if autoDelete.Valid {
		r.AutoDeleteAfterSeconds = &autoDelete.Int64
	}
	r.CreatedAt, r.UpdatedAt = fromMS(created), fromMS(updated)
	return &r, nil
}

// ReportingRules returns every rule, the default first, then by name.
func (s *Store) ReportingRules(ctx context.Context) ([]*tc.ReportingRule, error) {
	return s.reportingRules(ctx, s.read)
}

func (s *Store) reportingRules(ctx context.Context, q queryer) ([]*tc.ReportingRule, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+ruleColumns+` FROM reporting_rules r ORDER BY r.is_default DESC, lower(r.name), r.id`)
	if err != nil {
		return nil, fmt.Errorf("list reporting rules: %w", err)
	}
	defer rows.Close()
	out := []*tc.ReportingRule{}
	for rows.Next() {
		r, err := scanRule(rows)
		if err != nil {
			return nil, fmt.Errorf("list reporting rules: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// ReportingRule returns one rule. Errors: ENOTFOUND.
func (s *Store) ReportingRule(ctx context.Context, id string) (*tc.ReportingRule, error) {
	return ruleByID(ctx, s.read, id)
}

func ruleByID(ctx context.Context, q queryer, id string) (*tc.ReportingRule, error) {
	r, err := scanRule(q.QueryRowContext(ctx, `SELECT `+ruleColumns+` FROM reporting_rules r WHERE r.id = $1`, id))
	if err == sql.ErrNoRows {
		return nil, notFound("reporting rule")
	}
	if err != nil {
		return nil, fmt.Errorf("get reporting rule: %w", err)
	}
	return r, nil
}

// CreateReportingRule validates and inserts r, assigning its id and times.
// A new default rule takes the flag from the previous one. Errors: EINVALID,
// ECONFLICT for a name in use.
func (s *Store) CreateReportingRule(ctx context.Context, r *tc.ReportingRule) error {
	if err := r.Validate(); err != nil {
		return err
	}
	return s.withTx(ctx, func(tx *Tx) error {
		r.ID = uuid.NewString()
		r.CreatedAt, r.UpdatedAt = tx.now, tx.now
		r.AgentCount = 0
		if r.IsDefault {
			if err := tx.clearDefaultRule(ctx); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO reporting_rules (id, name, description, not_reporting_after_seconds,
			auto_delete_after_seconds, is_default, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			r.ID, r.Name, r.Description, r.NotReportingAfterSeconds, nullInt(r.AutoDeleteAfterSeconds), r.IsDefault,
			ms(r.CreatedAt), ms(r.UpdatedAt))
		tx.announce(ctx, tc.EntityReportingRule, tc.OpCreate, r.ID)
		return ruleNameConflict(err, r.Name)
	})
}

// UpdateReportingRule reads rule id, lets fn change it (and refuse the
// change: service.ReportingRules decides what may change), validates and
// stores the result in one transaction. Turning isDefault on takes the flag
// from the previous default. Errors: ENOTFOUND, EINVALID, ECONFLICT, and
// whatever fn returns.
func (s *Store) UpdateReportingRule(ctx context.Context, id string, fn func(r *tc.ReportingRule) error) (*tc.ReportingRule, error) {
	var out *tc.ReportingRule
	err := s.withTx(ctx, func(tx *Tx) error {
		r, err := ruleByID(ctx, tx, id)
		if err != nil {
			return err
		}
		wasDefault := r.IsDefault
		if err := fn(r); err != nil {
			return err
		}
		r.ID = id
		if err := r.Validate(); err != nil {
			return err
		}
		if !wasDefault && r.IsDefault {
			if err := tx.clearDefaultRule(ctx); err != nil {
				return err
			}
		}
		r.UpdatedAt = tx.now
		_, err = tx.ExecContext(ctx, `UPDATE reporting_rules SET name = $2, description = $3, not_reporting_after_seconds = $4,
			auto_delete_after_seconds = $5, is_default = $6, updated_at = $7 WHERE id = $1`,
			id, r.Name, r.Description, r.NotReportingAfterSeconds, nullInt(r.AutoDeleteAfterSeconds), r.IsDefault, ms(r.UpdatedAt))
		if err := ruleNameConflict(err, r.Name); err != nil {
			return err
		}
		tx.announce(ctx, tc.EntityReportingRule, tc.OpUpdate, id)
		out = r
		return nil
	})
	return out, err
}

// DeleteReportingRule deletes rule id and moves its agents to the default
// rule, in one transaction. Errors: ENOTFOUND, ECONFLICT for the default.
func (s *Store) DeleteReportingRule(ctx context.Context, id string) error {
	return s.withTx(ctx, func(tx *Tx) error {
		r, err := ruleByID(ctx, tx, id)
		if err != nil {
			return err
		}
		if r.IsDefault {
			return tc.Errorf(tc.ECONFLICT, "the default reporting rule cannot be deleted; make another rule the default first")
		}
		def, err := defaultRuleID(ctx, tx)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE agents SET reporting_rule_id = $1 WHERE reporting_rule_id = $2`, def, id); err != nil {
			return fmt.Errorf("move agents to the default rule: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM reporting_rules WHERE id = $1`, id); err != nil {
			return fmt.Errorf("delete reporting rule: %w", err)
		}
		tx.announce(ctx, tc.EntityReportingRule, tc.OpDelete, id)
		return nil
	})
}

// defaultRuleID names the reporting rule an agent falls under when it has
// none of its own: a new agent (a heartbeat's, InsertAgents') and the agents
// of a deleted rule. It is the rule flagged default, or the first
// migration's rule should none be.
func defaultRuleID(ctx context.Context, q queryer) (string, error) {
	id := tc.DefaultReportingRuleID
	err := q.QueryRowContext(ctx, `SELECT id FROM reporting_rules WHERE is_default`).Scan(&id)
	if err != nil && err != sql.ErrNoRows {
		return "", fmt.Errorf("find default reporting rule: %w", err)
	}
	return id, nil
}

func (tx *Tx) clearDefaultRule(ctx context.Context) error {
	ids, err := queryStrings(ctx, tx, `UPDATE reporting_rules SET is_default = FALSE, updated_at = $1 WHERE is_default RETURNING id`, ms(tx.now))
	tx.announce(ctx, tc.EntityReportingRule, tc.OpUpdate, ids...)
	if err != nil {
		return fmt.Errorf("clear default reporting rule: %w", err)
	}
	return nil
}

func ruleNameConflict(err error, name string) error {
	if err == nil {
		return nil
	}
	if IsConflict(err) {
		return &tc.Error{Code: tc.ECONFLICT, Field: "name", Message: fmt.Sprintf("a reporting rule named %q already exists", name)}
	}
	return fmt.Errorf("store reporting rule: %w", err)
}

func nullInt(v *int64) sql.NullInt64 {
	if v == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: *v, Valid: true}
}
