package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/telegrafcontroller/tc"
)

// FleetHealthRetention is how long fleet health samples are kept.
const FleetHealthRetention = 7 * 24 * time.Hour

// Sweep is what one status sweep did.
type Sweep struct {
	NotReporting int64 // agents newly marked not_reporting
	Restored     int64 // agents back to their reported status
	Deleted      int64 // agents deleted past their rule's auto-delete threshold
	Summary      tc.AgentSummary
}

// SweepAgentStatus is one scheduler tick, in one transaction at the store's
// clock: per reporting rule it marks agents silent for longer than the rule
// allows as not_reporting, restores those that reported again in time, and
// deletes those silent past the auto-delete threshold. Until one rule
// threshold has passed since startedAt (the controller's start) the rule
// neither marks nor deletes, so a restart does not turn the fleet red: live
// agents have had a full threshold to report. It then records a fleet health
// sample and prunes old ones.
func (s *Store) SweepAgentStatus(ctx context.Context, startedAt time.Time) (Sweep, error) {
	return s.SweepAgentStatusAsLeader(ctx, startedAt, nil)
}

// SweepAgentStatusAsLeader is SweepAgentStatus for the leader of a cluster:
// the transaction first proves the leadership fence (cluster.go) and fails
// with ErrNotLeader, having changed nothing, when this node has lost it.
// startedAt is then when the node became leader: a failover applies the
// same grace as a restart. A nil fence proves nothing.
func (s *Store) SweepAgentStatusAsLeader(ctx context.Context, startedAt time.Time, fence *Fence) (Sweep, error) {
	var total Sweep
	candidates := ""
	if q := s.sweepSQL(); q.mark.candidates {
		var err error
		if candidates, err = s.silentCandidates(ctx); err != nil {
			return total, err
		}
	}
	for {
		var sw Sweep
		more := false
		err := s.withTx(ctx, func(tx *Tx) error {
			sw, more = Sweep{}, false
			if err := tx.proveLeader(ctx, fence); err != nil {
				return err
			}
			rules, err := s.reportingRules(ctx, tx)
			if err != nil {
				return err
			}
			now := ms(tx.now)
			q := s.sweepSQL()
			for _, r := range rules {
				cutoff := now - r.NotReportingAfterSeconds*1000
				n, err := tx.sweepStep(ctx, tc.ActionAgentRestored, r, q.restore, cutoff, "")
				if err != nil {
					return fmt.Errorf("restore reporting agents: %w", err)
				}
				sw.Restored += n
				if tx.now.Sub(startedAt) < time.Duration(r.NotReportingAfterSeconds)*time.Second {
					continue
				}
				n, err = tx.sweepStep(ctx, tc.ActionAgentNotReporting, r, q.mark, cutoff, candidates)
				if err != nil {
					return fmt.Errorf("mark agents not reporting: %w", err)
				}
				sw.NotReporting += n
				more = more || q.mark.slice && n >= int64(sweepSlice)
				if r.AutoDeleteAfterSeconds != nil {
					n, err = tx.sweepStep(ctx, tc.ActionAgentExpired, r, q.delete, now-*r.AutoDeleteAfterSeconds*1000, "")
					if err != nil {
						return fmt.Errorf("auto-delete agents: %w", err)
					}
					sw.Deleted += n
				}
			}
			if more {
				return nil // the next transaction goes on; it takes the sample
			}
			if err := tx.compactAgentCounts(ctx); err != nil {
				return err
			}
			if sw.Summary, err = s.agentSummary(ctx, tx); err != nil {
				return err
			}
			c := sw.Summary
			if _, err := tx.ExecContext(ctx, `INSERT INTO fleet_health (at, total, ok, warn, fail, undefined, not_reporting)
				VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (at) DO NOTHING`,
				now, c.Total, c.OK, c.Warn, c.Fail, c.Undefined, c.NotReporting); err != nil {
				return fmt.Errorf("record fleet health: %w", err)
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM fleet_health WHERE at < $1`, ms(tx.now.Add(-FleetHealthRetention))); err != nil {
				return fmt.Errorf("prune fleet health: %w", err)
			}
			return nil
		})
		if err != nil {
			return total, err
		}
		total.Restored += sw.Restored
		total.NotReporting += sw.NotReporting
		total.Deleted += sw.Deleted
		total.Summary = sw.Summary
		if !more {
			return total, s.shrinkAgentCounts(ctx)
		}
	}
}

// sweepSlice bounds how many agents one transaction of a sweep marks
// not_reporting where the statement takes a slice (PostgreSQL's): marking
// locks the agents' agent_liveness rows, which heartbeats of those agents
// wait for, and costs about 90 µs an agent (at 100,000: 2.4 s of 9 s were
// the status counters' row triggers, 1 s the liveness digests'). A mass
// marking (a network cut off 200,000 agents: 60 s in one transaction
// under load) then holds no lock for more than about two seconds. Each
// slice is a transaction of its own, proving leadership and writing its
// audit entries; the last one takes the fleet health sample. Each slice
// scans the silent agents anew: at 10,000 a 100,000-agent marking took
// 12.9 s instead of 8.2, at 20,000 9.3 s.
var sweepSlice = 20000

// sweepStatements are the statements of a status sweep for one rule ($1)
// and time ($2): restore the agents heard since, mark those silent since as
// not_reporting, delete those silent since.
type sweepStatements struct {
	restore, mark, delete sweepStatement
}

// sweepStatement changes agents. The audit log records the agents it
// changes: noted lists them (SQLite's UPDATEs), else read selects them
// first (SQLite's DELETE), else the change returns them (PostgreSQL's).
// slice is set when change takes at most sweepSlice agents ($3).
// noted, when set, is change with the new status passed through
// tc_note_agent($3, ...) (sqlite_notes.go), which lists the agents changed.
// candidates is set when the statement takes the JSON array of
// silentCandidates as $3 (SQLite's marking; its noted form then takes the
// key as $4).
type sweepStatement struct {
	change, read, noted string
	slice, candidates   bool
}

// agentsStatement is a sweep statement on agents alone: change where cond,
// with a SELECT of the agents it changes (SQLite's: its RETURNING collects
// the rows in a temporary B-tree before the first comes out, which cost a
// 100,000-agent sweep a third of its time; its one writer keeps the two
// statements consistent).
func agentsStatement(change, cond string) sweepStatement {
	return sweepStatement{change: change + ` WHERE ` + cond, read: `SELECT id, hostname FROM agents WHERE ` + cond}
}

// agentsRestore is the restoring statement of SQLite's sweep: an
// agentsStatement setting status to the reported one, and status_since to
// last_seen (the agent has reported since then), which also notes the
// agents it changes (noted). The concatenation keeps the planner on
// (status, last_seen) (migration 0062), which yields just the agents to
// change, rather than the rule's index, which may hold the whole fleet.
func agentsRestore() sweepStatement {
	const cond = `status = 'not_reporting' AND (reporting_rule_id || '') = $1 AND last_seen >= $2`
	st := agentsStatement(`UPDATE agents SET status_since = last_seen, status = reported_status`, cond)
	st.noted = `UPDATE agents SET status_since = last_seen, status = CASE tc_note_agent($3, id, hostname) WHEN 0 THEN reported_status END WHERE ` + cond
	return st
}

// livenessSweep is the sweep where the exact last heard time is
// agent_liveness's (dialect.liveness). Marking reads the silent agents
// from a scan of agent_liveness (narrow, and with no index on last_seen,
// which would cost every heartbeat an index entry): agents.last_seen,
// up to 10 minutes behind, would name most of a live fleet as candidates
// under a 3-minute rule (a plan through agents_last_seen took 47 s at a
// million agents). Deleting, past thresholds of hours or days, starts
// from agents.last_seen, which is never ahead of the exact time and is
// exact for agents marked not_reporting. Marking and deleting lock the
// agent_liveness rows first, as a heartbeat's write does: a beat written
// meanwhile takes its agent out of the sweep (PostgreSQL rechecks the
// locked row), and the lock order is the heartbeat's. Marking also writes
// the exact time into agents.last_seen (the row changes anyway), so the
// list sorted by last heard is exact for silent agents, and into
// status_since, as restoring does. The changes return
// the agents they change (RETURNING), for the audit log.
var livenessSweep = sweepStatements{
	restore: sweepStatement{change: `UPDATE agents a SET status = a.reported_status, status_since = GREATEST(a.last_seen, l.last_seen)
		FROM agent_liveness l
		WHERE l.agent_id = a.id AND a.status = 'not_reporting' AND (a.reporting_rule_id || '') = $1
		AND GREATEST(a.last_seen, l.last_seen) >= $2`},
	mark: sweepStatement{change: `WITH silent AS MATERIALIZED (SELECT agent_id FROM agent_liveness WHERE last_seen < $2),
		stale AS (SELECT l.agent_id, l.last_seen FROM silent s JOIN agent_liveness l ON l.agent_id = s.agent_id
			JOIN agents a ON a.id = l.agent_id
			WHERE l.last_seen < $2 AND (a.last_seen + 0) < $2 AND a.status IN ('ok', 'warn', 'fail', 'undefined')
			AND (a.reporting_rule_id || '') = $1 LIMIT $3 FOR UPDATE OF l)
		UPDATE agents a SET status = 'not_reporting', last_seen = GREATEST(a.last_seen, stale.last_seen),
			status_since = GREATEST(a.last_seen, stale.last_seen)
		FROM stale WHERE a.id = stale.agent_id AND a.status IN ('ok', 'warn', 'fail', 'undefined')`, slice: true},
	delete: sweepStatement{change: `WITH old AS (SELECT l.agent_id FROM agent_liveness l JOIN agents a ON a.id = l.agent_id
			WHERE l.last_seen < $2 AND a.last_seen < $2 AND (a.reporting_rule_id || '') = $1 FOR UPDATE OF l)
		DELETE FROM agents a USING old WHERE a.id = old.agent_id`},
}

// sqliteLivenessSweep is the sweep on SQLite, where the exact last heard
// time is agent_liveness's (migration 0084). Marking takes the agents
// named by silentCandidates ($3, a JSON array of ids), which scans
// agent_liveness on the read pool before the sweep's transaction, so the
// scan (a million narrow rows) does not hold SQLite's one writer; the
// transaction checks each candidate's exact time again, so a beat written
// meanwhile takes it out. It writes the exact time into agents.last_seen
// (the row changes anyway), so that restoring and the list sorted by last
// heard are exact for silent agents, and into status_since. Restoring
// needs no join: an agent marked not_reporting gets no narrow update (its
// agent_liveness row says it is not reporting), so its agents.last_seen is
// its exact time. Deleting, past thresholds of hours or days, starts from
// agents.last_seen, never ahead of the exact time, and checks the exact
// one.
var sqliteLivenessSweep = sweepStatements{
	restore: agentsRestore(),
	mark: sqliteMark(`status IN ('ok', 'warn', 'fail', 'undefined') AND id IN (SELECT value FROM json_each($3))
		AND (reporting_rule_id || '') = $1 AND ` + sqliteSilent),
	delete: agentsStatement(`DELETE FROM agents`, `last_seen < $2 AND (reporting_rule_id || '') = $1 AND `+sqliteSilent),
}

// sqliteSilent holds for an agent not heard since $2 (SQLite, agents
// unaliased).
const sqliteSilent = `NOT EXISTS (SELECT 1 FROM agent_liveness l WHERE l.agent_id = agents.id AND l.last_seen >= $2)`

// sqliteExactSeen is the exact last heard time of the agent of an UPDATE of
// agents on SQLite.
const sqliteExactSeen = `max(last_seen, COALESCE((SELECT l.last_seen FROM agent_liveness l WHERE l.agent_id = agents.id), 0))`

// sqliteMark is the marking statement of sqliteLivenessSweep; the noted
// form takes the note key as $4, after the candidates.
func sqliteMark(cond string) sweepStatement {
	set := `UPDATE agents SET last_seen = ` + sqliteExactSeen + `, status_since = ` + sqliteExactSeen + `, status = `
	return sweepStatement{
		change:     set + `'not_reporting' WHERE ` + cond,
		read:       `SELECT id, hostname FROM agents WHERE ` + cond,
		noted:      set + `CASE tc_note_agent($4, id, hostname) WHEN 0 THEN 'not_reporting' END WHERE ` + cond,
		candidates: true,
	}
}

// silentCandidates returns, as a JSON array, the agents whose exact last
// heard time is before the earliest cutoff any rule may have by the time
// the sweep's transaction starts (SQLite): a scan of agent_liveness, one
// per sweep. The margin covers the time between this read and the
// transaction's clock; the transaction checks each again.
//
// The scan runs on the writer's connection, outside a transaction, not on
// the read pool. This SQLite build shares one page cache among all
// connections (SQLITE_ENABLE_MEMORY_MANAGEMENT): a reader past its own
// cache size takes the least recently used page of any connection, so a
// scan of the whole table moved about 11,000 of the writer's pages into a
// read connection. The next time that connection began a read after a
// commit it dropped them all under the cache's lock, and the allocator
// handed them back to the kernel 60 KiB at a time (2,366 madvise calls):
// a stall of the whole process once a sweep, 100–300 ms of p99 at a
// million agents. On the writer the pages stay in the cache that updates
// them, and a commit never resets the writer's own cache.

func (s *Store) silentCandidates(ctx context.Context) (string, error) {
	var shortest sql.NullInt64
	if err := s.read.QueryRowContext(ctx, `SELECT MIN(not_reporting_after_seconds) FROM reporting_rules`).Scan(&shortest); err != nil {
		return "", fmt.Errorf("find silent agents: %w", err)
	}
	if !shortest.Valid {
		return "[]", nil
	}
	cutoff := ms(s.Now().Add(silentMargin)) - shortest.Int64*1000
	var ids string
	err := s.write.QueryRowContext(ctx, `SELECT COALESCE(json_group_array(agent_id), '[]') FROM agent_liveness
		WHERE last_seen < $1 AND reporting`, cutoff).Scan(&ids)
	if err != nil {
		return "", fmt.Errorf("find silent agents: %w", err)
	}
	return ids, nil
}

// silentMargin is how far past now silentCandidates looks: agents about to
// fall silent are candidates too, in case the transaction's clock reads
// later than the scan's.
const silentMargin = time.Minute

func (s *Store) sweepSQL() sweepStatements { return *s.dialect.sweep }

// CompactAgentCounts folds the agent counters now (the scheduler does it at
// every tick; the agents benchmark after seeding).
func (s *Store) CompactAgentCounts(ctx context.Context) error {
	if err := s.withTx(ctx, func(tx *Tx) error { return tx.compactAgentCounts(ctx) }); err != nil {
		return err
	}
	return s.shrinkAgentCounts(ctx)
}

// shrinkAgentCountsPages is the size of agent_counts's heap, in pages
// (8 MB), past which a tick rewrites it (shrinkAgentCounts).
const shrinkAgentCountsPages = 1000

// shrinkAgentCounts gives agent_counts's space back on PostgreSQL when a
// burst (a million agents registering, a mass marking) left its heap large:
// the folded rows are then a handful, but the summary and every count, which
// read them several times a page, still scan the whole heap (10,000 pages,
// 15 to 30 ms a read after a million agents), and vacuum does not truncate
// it: the dead line pointers of the last page (vacuum skips the index pass
// for so few) hold it. It runs after the tick's transaction, in its own,
// only past shrinkAgentCountsPages: it locks the table, copies the rows out,
// truncates it and puts them back. The lock waits at most a second for the
// heartbeat writes in flight (whose triggers append rows); when they hold it
// longer the next tick tries again. This transaction holds no other lock, so
// it cannot deadlock with them.
func (s *Store) shrinkAgentCounts(ctx context.Context) error {
	if s.dialect.name != Postgres {
		return nil // SQLite's triggers update one row per key in place
	}
	var pages int64
	if err := s.read.QueryRowContext(ctx, `SELECT pg_relation_size('agent_counts') / current_setting('block_size')::bigint`).Scan(&pages); err != nil {
		return fmt.Errorf("shrink agent counts: %w", err)
	}
	if pages < shrinkAgentCountsPages {
		return nil
	}
	err := s.withTx(ctx, func(tx *Tx) error {
		for _, q := range []string{
			`SET LOCAL lock_timeout = '1s'`,
			`LOCK TABLE agent_counts IN ACCESS EXCLUSIVE MODE`,
			`CREATE TEMPORARY TABLE agent_counts_folded ON COMMIT DROP AS
				SELECT reporting_rule_id, status, SUM(n) AS n FROM agent_counts GROUP BY reporting_rule_id, status HAVING SUM(n) <> 0`,
			`TRUNCATE agent_counts`,
			`INSERT INTO agent_counts (reporting_rule_id, status, n) SELECT reporting_rule_id, status, n FROM agent_counts_folded`,
		} {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return err
			}
		}
		return nil
	})
	if e, ok := errors.AsType[*pgconn.PgError](err); ok && e.Code == pgLockNotAvailable {
		s.logger.Debug("agent counts not shrunk: heartbeat writes hold the table; the next tick tries again")
		return nil
	}
	if err != nil {
		return fmt.Errorf("shrink agent counts: %w", err)
	}
	return nil
}

// compactAgentCounts folds the counter rows into one per key and drops
// zeros (dialect.compactCounts); rows appended by transactions that commit
// meanwhile stay for the next compaction.
func (tx *Tx) compactAgentCounts(ctx context.Context) error {
	if _, err := tx.ExecContext(ctx, tx.store.dialect.compactCounts); err != nil {
		return fmt.Errorf("compact agent counts: %w", err)
	}
	return nil
}

// FleetHealth returns the samples taken in [from, to], oldest first.
func (s *Store) FleetHealth(ctx context.Context, from, to time.Time) ([]tc.FleetHealthSample, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT at, total, ok, warn, fail, undefined, not_reporting
		FROM fleet_health WHERE at >= $1 AND at <= $2 ORDER BY at`, ms(from), ms(to))
	if err != nil {
		return nil, fmt.Errorf("read fleet health: %w", err)
	}
	defer rows.Close()
	out := []tc.FleetHealthSample{}
	for rows.Next() {
		var at int64
		var c tc.FleetHealthSample
		if err := rows.Scan(&at, &c.Total, &c.OK, &c.Warn, &c.Fail, &c.Undefined, &c.NotReporting); err != nil {
			return nil, fmt.Errorf("read fleet health: %w", err)
		}
		c.At = fromMS(at)
		out = append(out, c)
	}
	return out, rows.Err()
}

func affected(res interface{ RowsAffected() (int64, error) }) int64 {
	n, _ := res.RowsAffected()
	return n
}

// sweepStep runs one statement of a sweep for rule r ($1) and time ($2)
// and returns how many agents it changed. With the audit log on, it also
// lists the agents it changes (sweepStatement), recorded as
// one run of entries by the system (written in batches at commit, with the
// sweep).
func (tx *Tx) sweepStep(ctx context.Context, action string, r *tc.ReportingRule, st sweepStatement, at int64, candidates string) (int64, error) {
	args := []any{r.ID, at}
	if st.slice {
		args = append(args, sweepSlice)
	}
	if st.candidates {
		args = append(args, candidates)
	}
	if !tx.store.audit {
		res, err := tx.ExecContext(ctx, st.change, args...)
		if err != nil {
			return 0, err
		}
		return affected(res), nil
	}
	if st.noted != "" {
		targets, err := noteAgents(func(key int64) error {
			_, err := tx.ExecContext(ctx, st.noted, append(args, key)...)
			return err
		})
		if err != nil {
			return 0, err
		}
		tx.recordSweepRun(ctx, action, r, targets)
		return int64(len(targets)), nil
	}
	read := st.change + ` RETURNING a.id, a.hostname`
	if st.read != "" {
		read = st.read
	}
	rows, err := tx.QueryContext(ctx, read, args...)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	var targets []auditTarget
	for rows.Next() {
		var t auditTarget
		if err := rows.Scan(&t.id, &t.name); err != nil {
			return 0, err
		}
		targets = append(targets, t)
	}
	if err := rows.Err(); err != nil {
		return 0, err
	}
	if st.read != "" {
		res, err := tx.ExecContext(ctx, st.change, args...)
		if err != nil {
			return 0, err
		}
		if n := affected(res); n != int64(len(targets)) {
			return 0, fmt.Errorf("%d agents read, %d changed", len(targets), n)
		}
	}
	tx.recordSweepRun(ctx, action, r, targets)
	return int64(len(targets)), nil
}

// recordSweepRun records the agents a sweep step changed under rule r.
func (tx *Tx) recordSweepRun(ctx context.Context, action string, r *tc.ReportingRule, targets []auditTarget) {
	details, _ := json.Marshal(map[string]string{"reportingRuleId": r.ID, "reportingRule": r.Name})
	tx.recordRun(ctx, tc.AuditEntry{Action: action, ActorType: tc.ActorSystem, TargetType: string(tc.EntityAgent),
		Details: details}, targets)
}
