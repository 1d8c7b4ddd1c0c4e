package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/telegrafcontroller/tc"
)

// The agents' reporting history (migration 0076, docs/agents.md): per
// agent and bucket of Options.AgentHistoryBucket, the worst status
// reported, the beats, and the metrics, errors and warnings they added.
// The heartbeat flush adds to it in its own transaction; silences are the
// gaps between buckets, which tc.BuildAgentHistory reads as not_reporting.

// historyColumns are the columns a flush writes, in order.
const historyColumns = `agent_id, bucket, status, beats, metrics, errors, warnings`

// historyTail adds a flush's beats to a bucket already written: the
// worst status stays, the counts add up.
const historyTail = `
ON CONFLICT (agent_id, bucket) DO UPDATE SET
	status = CASE WHEN excluded.status > agent_history.status THEN excluded.status ELSE agent_history.status END,
	beats = agent_history.beats + excluded.beats,
	metrics = agent_history.metrics + excluded.metrics,
	errors = agent_history.errors + excluded.errors,
	warnings = agent_history.warnings + excluded.warnings`

// historyArraySQL is the history write of a whole batch (PostgreSQL), its
// values in arrays as the other statements of a flush.
const historyArraySQL = `INSERT INTO agent_history (` + historyColumns + `)
SELECT * FROM unnest($1::text[], $2::bigint[], $3::smallint[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[])` + historyTail

// historyStatement is the history write of n agents (SQLite): a multi-row
// VALUES list, prepared once per chunk size as the agents' upsert.
func historyStatement(d *dialect, n int) string {
	var b strings.Builder
	b.WriteString(`INSERT INTO agent_history (` + historyColumns + `) VALUES `)
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("(" + d.params(1+i*7, 7) + ")")
	}
	b.WriteString(historyTail)
	return b.String()
}

// historyStatements builds historyStatement for every chunk size, once per
// Store (Store.historySQL).
func historyStatements(d *dialect) map[int]string {
	m := make(map[int]string, len(chunkSizes))
	for _, n := range chunkSizes {
		m[n] = historyStatement(d, n)
	}
	return m
}

// AgentHistoryBucket is the width of the history's buckets; 0 when the
// history is off.
func (s *Store) AgentHistoryBucket() time.Duration { return s.historyBucket }

// historyStart is the start of the bucket holding t, in Unix seconds.
func (s *Store) historyStart(t time.Time) int64 {
	w := int64(s.historyBucket / time.Second)
	sec := t.Unix()
	return sec - ((sec%w)+w)%w
}

// writeHistory adds beats to their agents' history, one row per agent:
// the beats merged into one write count in the bucket of the latest (a
// flush every second merges beats of the same few seconds). Agents in id
// order, so that concurrent flushes of other nodes lock shared rows in one
// order.
func writeHistory(ctx context.Context, tx *Tx, beats []HeartbeatWrite) error {
	s := tx.store
	if s.historyBucket <= 0 || len(beats) == 0 {
		return nil
	}
	sorted := slices.IsSortedFunc(beats, func(a, b HeartbeatWrite) int { return strings.Compare(a.ID, b.ID) })
	if !sorted {
		beats = slices.Clone(beats)
		slices.SortFunc(beats, func(a, b HeartbeatWrite) int { return strings.Compare(a.ID, b.ID) })
	}
	if s.dialect.arrays {
		n := len(beats)
		ids := make([]string, n)
		bucket, beatN, metrics, errs, warns := make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
		status := make([]int16, n)
		for i, b := range beats {
			ids[i], bucket[i], status[i] = b.ID, s.historyStart(b.LastSeen), int16(tc.StatusRank(b.WorstStatus()))
			beatN[i], metrics[i], errs[i], warns[i] = b.BeatCount(), b.Sum.Metrics, b.Sum.Errors, b.Sum.Warnings
		}
		if err := tx.execPrepared(ctx, historyArraySQL, ids, bucket, status, beatN, metrics, errs, warns); err != nil {
			return fmt.Errorf("write heartbeats: history: %w", err)
		}
		return nil
	}
	args := make([]any, 0, 7*beatRowsPerStatement)
	for start := 0; start < len(beats); {
		yield() // between chunks: see yieldEvery
		n := chunkSize(len(beats) - start)
		args = args[:0]
		for _, b := range beats[start : start+n] {
			args = append(args, b.ID, s.historyStart(b.LastSeen), tc.StatusRank(b.WorstStatus()),
				b.BeatCount(), b.Sum.Metrics, b.Sum.Errors, b.Sum.Warnings)
		}
		if err := tx.execPrepared(ctx, s.historySQL()[n], args...); err != nil {
			return fmt.Errorf("write heartbeats: history: %w", err)
		}
		start += n
	}
	return nil
}

// historyPrepare lists the statements writeHistory runs, for
// prepareBeatStatements.
func (s *Store) historyPrepare() []string {
	if s.historyBucket <= 0 {
		return nil
	}
	if s.dialect.arrays {
		return []string{historyArraySQL}
	}
	var qs []string
	for _, n := range chunkSizes {
		qs = append(qs, s.historySQL()[n])
	}
	return qs
}

// AgentHistory returns the buckets of agent id that start in [from, to),
// oldest first. A week of one-minute buckets is 10,080 rows, read along
// the primary key.
func (s *Store) AgentHistory(ctx context.Context, id string, from, to time.Time) ([]tc.AgentHistoryBucket, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT bucket, status, beats, metrics, errors, warnings FROM agent_history
		WHERE agent_id = $1 AND bucket >= $2 AND bucket < $3 ORDER BY bucket`, id, from.Unix(), to.Unix())
	if err != nil {
		return nil, fmt.Errorf("read agent history: %w", err)
	}
	defer rows.Close()
	out := []tc.AgentHistoryBucket{}
	for rows.Next() {
		var b tc.AgentHistoryBucket
		var start int64
		var rank int
		if err := rows.Scan(&start, &rank, &b.Beats, &b.Metrics, &b.Errors, &b.Warnings); err != nil {
			return nil, fmt.Errorf("read agent history: %w", err)
		}
		b.Start, b.Status = time.Unix(start, 0).UTC(), tc.StatusOfRank(rank)
		out = append(out, b)
	}
	return out, rows.Err()
}

// PruneAgentHistory deletes the buckets that started before cutoff of the
// next agents (at most limit, in id order after after) in one transaction,
// and returns how many buckets it deleted and the last agent id it
// covered: the next slice starts after it; "" once the fleet is done.
// Walking the agents seeks each one's old buckets along the primary key,
// so no index on bucket has to be kept up by every heartbeat flush. A
// slice holds no lock for long however large the fleet.
func (s *Store) PruneAgentHistory(ctx context.Context, cutoff time.Time, after string, limit int) (deleted int64, next string, err error) {
	err = s.withTx(ctx, func(tx *Tx) error {
		deleted, next = 0, ""
		rows, err := tx.QueryContext(ctx, `SELECT id FROM agents WHERE id > $1 ORDER BY id LIMIT $2`, after, limit)
		if err != nil {
			return err
		}
		var ids []any
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			ids = append(ids, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(ids) == 0 {
			return nil
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM agent_history WHERE bucket < $1 AND agent_id IN (`+
			s.dialect.params(2, len(ids))+`)`, append([]any{cutoff.Unix()}, ids...)...)
		if err != nil {
			return err
		}
		deleted = affected(res)
		if len(ids) == limit {
			next = ids[len(ids)-1].(string)
		}
		return nil
	})
	if err != nil {
		return 0, "", fmt.Errorf("prune agent history: %w", err)
	}
	return deleted, next, nil
}
