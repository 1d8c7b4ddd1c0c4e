package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/telegrafcontroller/tc"
)

// beatRowsPerStatement bounds the rows of one multi-row statement: 500 rows
// of 16 parameters stay far below both SQLite's (32766) and PostgreSQL's
// (65535) parameter limits, and one statement per 500 agents keeps the
// per-statement overhead of database/sql out of the per-agent cost.
const beatRowsPerStatement = 500

// chunkSizes are the row counts of the prepared batch statements: a batch
// is cut into the largest that fit, so a handful of statements serve every
// batch size.
var chunkSizes = []int{beatRowsPerStatement, 100, 20, 1}

func chunkSize(remaining int) int {
	for _, n := range chunkSizes {
		if n <= remaining {
			return n
		}
	}
	return remaining
}

// execPrepared runs q as a statement prepared once per store.
func (tx *Tx) execPrepared(ctx context.Context, q string, args ...any) error {
	st, err := tx.store.prepared(ctx, q)
	if err != nil {
		return err
	}
	_, err = tx.StmtContext(ctx, st).ExecContext(ctx, args...)
	return err
}

// queryPrepared is execPrepared for a query.
func (tx *Tx) queryPrepared(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	st, err := tx.store.prepared(ctx, q)
	if err != nil {
		return nil, err
	}
	return tx.StmtContext(ctx, st).QueryContext(ctx, args...)
}

// HeartbeatWrite is one agent's part of a WriteHeartbeats call.
type HeartbeatWrite struct {
	*tc.AgentBeat
	// WriteLinks asks for the config links (agent_configs, external_configs)
	// to be replaced from Configs. They are written anyway when the agent
	// row is new, so a deleted agent that keeps beating gets them back.
	WriteLinks bool
	// LivenessOnly says hostname, ip, version, status and config sources
	// are those last written for this agent, so only last_seen and the
	// statistics change: a narrower update that leaves the indexes on
	// status and hostname alone. An agent whose row is gone or marked
	// not_reporting gets the full write anyway.
	LivenessOnly bool
}

// WriteHeartbeats writes a batch of heartbeats in one transaction: agents
// are created (on the current default reporting rule) or updated, statistics
// added to the running totals, new log entries put in front of the kept
// ones, and config links replaced where asked. Each agent appears at most
// once in beats.
func (s *Store) WriteHeartbeats(ctx context.Context, beats []HeartbeatWrite) error {
	if len(beats) == 0 {
		return nil
	}
	// Prepare before the transaction: on SQLite the transaction holds the
	// only write connection, which a prepare on the pool would wait for.
	if s.dialect.livenessPerRow {
		if _, err := s.prepared(ctx, livenessRowSQL); err != nil {
			return fmt.Errorf("write heartbeats: prepare: %w", err)
		}
	}
	for _, n := range chunkSizes {
		st := s.beatSQL()[n]
		for _, q := range []string{st.upsert, st.findAgents, st.liveness} {
			if _, err := s.prepared(ctx, q); err != nil {
				return fmt.Errorf("write heartbeats: prepare: %w", err)
			}
		}
	}
	var live, full []HeartbeatWrite
	for _, b := range beats {
		if b.LivenessOnly {
			live = append(live, b)
		} else {
			full = append(full, b)
		}
	}
	return s.withTx(ctx, func(tx *Tx) error {
		updated := make(map[string]bool, len(live))
		for start := 0; start < len(live); {
			n := chunkSize(len(live) - start)
			if err := updateLiveness(ctx, tx, live[start:start+n], updated); err != nil {
				return err
			}
			start += n
		}
		for _, b := range live {
			if !updated[b.ID] {
				full = append(full, b)
			}
		}
		rule, err := defaultRuleID(ctx, tx)
		if err != nil {
			return fmt.Errorf("write heartbeats: %w", err)
		}
		created := make(map[string]bool)
		for start := 0; start < len(full); {
			n := chunkSize(len(full) - start)
			if err := upsertAgents(ctx, tx, rule, full[start:start+n], created); err != nil {
				return err
			}
			start += n
		}
		if err := writeLinks(ctx, tx, full, created); err != nil {
			return err
		}
		for _, b := range beats {
			if len(b.Logs) > 0 {
				if err := prependLogs(ctx, tx, b.ID, b.Logs); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// beatStatements are the texts of the batch statements for one chunk size.
type beatStatements struct {
	upsert, findAgents, liveness string
}

// buildBeatStatements builds the batch statements of every chunk size,
// once per Store (Store.beatSQL): a 500-row statement's text is 100 KB.
func buildBeatStatements(d *dialect) map[int]beatStatements {
	m := make(map[int]beatStatements, len(chunkSizes))
	for _, n := range chunkSizes {
		m[n] = beatStatements{upsert: upsertStatement(d, n), findAgents: findAgentsStatement(d, n), liveness: livenessStatement(d, n)}
	}
	return m
}

// livenessColumns is the number of values per row of livenessStatement.
const livenessColumns = 8

// livenessStatement updates last_seen and the statistics of n agents that
// exist and are not marked not_reporting, returning the ids it updated.
// VALUES columns are column1..column8 on both databases; the casts give
// PostgreSQL the parameter types.
func livenessStatement(d *dialect, n int) string {
	var b strings.Builder
	b.WriteString(`UPDATE agents SET
	last_seen = CASE WHEN v.column2 > agents.last_seen THEN v.column2 ELSE agents.last_seen END,
	last_errors = v.column3, last_warnings = v.column4, last_metrics = v.column5,
	total_errors = agents.total_errors + v.column6,
	total_warnings = agents.total_warnings + v.column7,
	total_metrics = agents.total_metrics + v.column8
FROM (VALUES `)
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		p := 1 + i*livenessColumns
		b.WriteString("(CAST(" + d.param(p) + " AS TEXT)")
		for c := 1; c < livenessColumns; c++ {
			b.WriteString(", CAST(" + d.param(p+c) + " AS BIGINT)")
		}
		b.WriteString(")")
	}
	b.WriteString(`) AS v
WHERE agents.id = v.column1 AND agents.status <> 'not_reporting'
RETURNING agents.id`)
	return b.String()
}

// livenessRowSQL is livenessStatement for one agent, where the dialect
// updates liveness row by row (dialect.livenessPerRow): a prepared
// single-row update is a primary-key lookup with no round trip.
const livenessRowSQL = `UPDATE agents SET
	last_seen = CASE WHEN $2 > last_seen THEN $2 ELSE last_seen END,
	last_errors = $3, last_warnings = $4, last_metrics = $5,
	total_errors = total_errors + $6, total_warnings = total_warnings + $7, total_metrics = total_metrics + $8
WHERE id = $1 AND status <> 'not_reporting'`

// updateLiveness runs livenessStatement for chunk and records the agents it
// updated.
func updateLiveness(ctx context.Context, tx *Tx, chunk []HeartbeatWrite, updated map[string]bool) error {
	if tx.store.dialect.livenessPerRow {
		st, err := tx.store.prepared(ctx, livenessRowSQL)
		if err != nil {
			return fmt.Errorf("write heartbeats: update liveness: %w", err)
		}
		txst := tx.StmtContext(ctx, st)
		for _, b := range chunk {
			res, err := txst.ExecContext(ctx, b.ID, ms(b.LastSeen), b.Last.Errors, b.Last.Warnings, b.Last.Metrics,
				b.Sum.Errors, b.Sum.Warnings, b.Sum.Metrics)
			if err != nil {
				return fmt.Errorf("write heartbeats: update liveness: %w", err)
			}
			if n, _ := res.RowsAffected(); n == 1 {
				updated[b.ID] = true
			}
		}
		return nil
	}
	args := make([]any, 0, livenessColumns*len(chunk))
	for _, b := range chunk {
		args = append(args, b.ID, ms(b.LastSeen), b.Last.Errors, b.Last.Warnings, b.Last.Metrics,
			b.Sum.Errors, b.Sum.Warnings, b.Sum.Metrics)
	}
	rows, err := tx.queryPrepared(ctx, tx.store.beatSQL()[len(chunk)].liveness, args...)
	if err != nil {
		return fmt.Errorf("write heartbeats: update liveness: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return fmt.Errorf("write heartbeats: update liveness: %w", err)
		}
		updated[id] = true
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("write heartbeats: update liveness: %w", err)
	}
	return nil
}

const upsertAgentsHead = `INSERT INTO agents (id, hostname, ip, version, reported_status, status, reporting_rule_id,
	first_seen, last_seen, last_errors, last_warnings, last_metrics, total_errors, total_warnings, total_metrics, external_configs)
VALUES `

// upsertAgentsTail updates an existing row: a hostname is kept when none was
// reported, the status becomes the reported one at once (which ends
// not_reporting), last_seen never goes backwards, and totals grow by the
// summed deltas. external_configs changes only through writeLinks.
const upsertAgentsTail = `
ON CONFLICT (id) DO UPDATE SET
	hostname = CASE WHEN excluded.hostname = '' THEN agents.hostname ELSE excluded.hostname END,
	ip = excluded.ip,
	version = excluded.version,
	reported_status = excluded.reported_status,
	status = excluded.status,
	last_seen = CASE WHEN excluded.last_seen > agents.last_seen THEN excluded.last_seen ELSE agents.last_seen END,
	last_errors = excluded.last_errors,
	last_warnings = excluded.last_warnings,
	last_metrics = excluded.last_metrics,
	total_errors = agents.total_errors + excluded.total_errors,
	total_warnings = agents.total_warnings + excluded.total_warnings,
	total_metrics = agents.total_metrics + excluded.total_metrics`

// findAgentsStatement selects which of n agent ids exist, locking them
// where the dialect locks rows.
func findAgentsStatement(d *dialect, n int) string {
	return `SELECT id FROM agents WHERE id IN (` + d.params(1, n) + `)` + d.forUpdate
}

// upsertStatement inserts or updates rows agents.
func upsertStatement(d *dialect, rows int) string {
	var b strings.Builder
	b.WriteString(upsertAgentsHead)
	for i := range rows {
		if i > 0 {
			b.WriteString(",\n")
		}
		b.WriteString("(" + d.params(1+i*beatColumns, beatColumns) + ")")
	}
	b.WriteString(upsertAgentsTail)
	return b.String()
}

// beatColumns is the number of columns upsertAgentsHead names.
const beatColumns = 16

// upsertAgents writes one chunk. Agents that report config sources are
// looked up first, so that created holds exactly the ones whose row is new
// (on PostgreSQL the rows are locked, so a concurrent delete waits).
func upsertAgents(ctx context.Context, tx *Tx, rule string, chunk []HeartbeatWrite, created map[string]bool) error {
	ids := make([]any, len(chunk))
	anyConfigs := false
	for i, b := range chunk {
		ids[i] = b.ID
		anyConfigs = anyConfigs || b.HasConfigs
	}
	if anyConfigs {
		existing := make(map[string]bool, len(ids))
		rows, err := tx.queryPrepared(ctx, tx.store.beatSQL()[len(ids)].findAgents, ids...)
		if err != nil {
			return fmt.Errorf("write heartbeats: find agents: %w", err)
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return fmt.Errorf("write heartbeats: find agents: %w", err)
			}
			existing[id] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("write heartbeats: find agents: %w", err)
		}
		for _, b := range chunk {
			if b.HasConfigs && !existing[b.ID] {
				created[b.ID] = true
			}
		}
	}

	args := make([]any, 0, beatColumns*len(chunk))
	for _, b := range chunk {
		external := "[]"
		if b.HasConfigs {
			_, ext := tc.ConfigLinks(b.Configs)
			external = mustJSON(ext)
		}
		args = append(args, b.ID, b.Hostname, b.IP, b.Version, b.Status, b.Status, rule,
			ms(b.FirstSeen), ms(b.LastSeen), b.Last.Errors, b.Last.Warnings, b.Last.Metrics,
			b.Sum.Errors, b.Sum.Warnings, b.Sum.Metrics, external)
	}
	if err := tx.execPrepared(ctx, tx.store.beatSQL()[len(chunk)].upsert, args...); err != nil {
		return fmt.Errorf("write heartbeats: upsert agents: %w", err)
	}
	return nil
}

// writeLinks replaces the config links of the agents that asked for it or
// whose row is new. The managed links of all of them go in multi-row
// inserts.
func writeLinks(ctx context.Context, tx *Tx, beats []HeartbeatWrite, created map[string]bool) error {
	var pairs []any
	flush := func() error {
		if len(pairs) == 0 {
			return nil
		}
		var b strings.Builder
		b.WriteString(`INSERT INTO agent_configs (agent_id, config_id) VALUES `)
		for i := 0; i < len(pairs); i += 2 {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("(" + tx.store.dialect.params(i+1, 2) + ")")
		}
		b.WriteString(` ON CONFLICT DO NOTHING`)
		if _, err := tx.ExecContext(ctx, b.String(), pairs...); err != nil {
			return fmt.Errorf("write heartbeats: link configs: %w", err)
		}
		pairs = pairs[:0]
		return nil
	}
	for _, b := range beats {
		isNew := created[b.ID]
		if !b.HasConfigs || (!b.WriteLinks && !isNew) {
			continue
		}
		managed, external := tc.ConfigLinks(b.Configs)
		if !isNew {
			if _, err := tx.ExecContext(ctx, `UPDATE agents SET external_configs = $2 WHERE id = $1`, b.ID, mustJSON(external)); err != nil {
				return fmt.Errorf("write heartbeats: external configs: %w", err)
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM agent_configs WHERE agent_id = $1`, b.ID); err != nil {
				return fmt.Errorf("write heartbeats: unlink configs: %w", err)
			}
		}
		for _, id := range managed {
			pairs = append(pairs, b.ID, id)
		}
		if len(pairs) >= 2*beatRowsPerStatement {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return flush()
}

// prependLogs puts entries (newest first) in front of the agent's kept log
// entries, keeping at most tc.MaxAgentLogs.
func prependLogs(ctx context.Context, tx *Tx, agentID string, entries []tc.AgentLog) error {
	var old string
	err := tx.QueryRowContext(ctx, `SELECT logs FROM agent_logs WHERE agent_id = $1`, agentID).Scan(&old)
	if err != nil && err != sql.ErrNoRows {
		return fmt.Errorf("write heartbeats: read logs: %w", err)
	}
	kept := make([]json.RawMessage, 0, tc.MaxAgentLogs)
	for _, e := range entries[:min(len(entries), tc.MaxAgentLogs)] {
		raw, err := json.Marshal(e)
		if err != nil {
			return fmt.Errorf("write heartbeats: encode log: %w", err)
		}
		kept = append(kept, raw)
	}
	if old != "" && len(kept) < tc.MaxAgentLogs {
		var prev []json.RawMessage
		if err := json.Unmarshal([]byte(old), &prev); err == nil {
			kept = append(kept, prev[:min(len(prev), tc.MaxAgentLogs-len(kept))]...)
		}
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO agent_logs (agent_id, logs) VALUES ($1, $2)
		ON CONFLICT (agent_id) DO UPDATE SET logs = excluded.logs`, agentID, mustJSON(kept))
	if err != nil {
		return fmt.Errorf("write heartbeats: write logs: %w", err)
	}
	return nil
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}
