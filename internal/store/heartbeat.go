package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/loop"
)

// beatRowsPerStatement bounds the rows of one multi-row statement: 500 rows
// of 17 parameters stay far below both SQLite's (32766) and PostgreSQL's
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

// yieldRows is how many rows a SQLite flush writes one statement at a time
// between yields (yieldEvery).
const yieldRows = 32

// yieldEvery lets waiting goroutines run (runtime.Gosched) before the i-th
// row of a SQLite flush, every yieldRows rows, and SQLite flushes yield
// between their multi-row statements too. SQLite runs on the flushing
// goroutine itself: a flush of 10,000 agents holds a processor for a
// quarter of a second, which Go's scheduler takes back only every 10 ms,
// while heartbeat and config requests wait in that processor's run queue.
// A yield every few hundred microseconds puts the flush behind them: the
// requests run first and the flush in the gaps (docs/performance.md).
//
// Where the loops run on threads of their own below requests (loop.SetNice)
// the operating system does this better, and a yield only costs: yield
// then does nothing.
func yieldEvery(i int) {
	if i%yieldRows == yieldRows-1 {
		yield()
	}
}

// yield lets waiting goroutines run, unless background work runs below
// requests anyway (yieldEvery).
func yield() {
	if !loop.Niced() {
		runtime.Gosched()
	}
}

// HeartbeatWrite is one agent's part of a WriteHeartbeats call.
type HeartbeatWrite struct {
	*tc.AgentBeat
	// WriteLinks asks for the config links (agent_configs, external_configs)
	// to be replaced from Configs. They are written anyway when the agent
	// row is new, so a deleted agent that keeps beating gets them back.
	WriteLinks bool
	// LivenessOnly says hostname, ip, version, status and config sources
	// are those stored for this agent (the flusher's digests of what it
	// last wrote), so only last_seen and the statistics change: a narrower
	// update that leaves the indexes on status and hostname alone. An agent
	// whose row is gone or marked not_reporting gets the full write anyway;
	// on PostgreSQL, where other controllers may have written since, so
	// does one whose stored hostname, ip, version or status differ.
	LivenessOnly bool
}

// WriteHeartbeats writes a batch of heartbeats in one transaction: agents
// are created (on the current default reporting rule) or updated, statistics
// added to the running totals, new log entries merged into the kept ones,
// config links replaced where asked, and the beats added to the agents'
// history (history.go). Each agent appears at most once in beats.
//
// Writes are last-writer-wins by heartbeat time, so that several nodes may
// write beats of one agent in any order: last_seen never moves backwards,
// first_seen never forwards, the reported values (hostname, ip, version,
// status, the latest statistics, config links) are those of the beat with
// the latest LastSeen, and every beat's statistics are added to the totals
// exactly once. A beat older than the stored row changes only the totals
// (and first_seen, logs and an empty hostname).
func (s *Store) WriteHeartbeats(ctx context.Context, beats []HeartbeatWrite) error {
	if len(beats) == 0 {
		return nil
	}
	// Prepare before the transaction: on SQLite the transaction holds the
	// only write connection, which a prepare on the pool would wait for.
	if err := s.prepareBeatStatements(ctx); err != nil {
		return fmt.Errorf("write heartbeats: prepare: %w", err)
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
		// withTx may run this again (a deadlock victim): nothing here
		// may outlive one attempt, or a retry would add totals twice.
		if q := tx.store.dialect.beatTxSetup; q != "" {
			if tx.store.beatsAckedOnReceipt {
				q += asyncCommitSetup
			}
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("write heartbeats: %w", err)
			}
		}
		updated := make(map[string]bool, len(live))
		if err := updateLiveness(ctx, tx, live, updated); err != nil {
			return err
		}
		full := full[:len(full):len(full)]
		for _, b := range live {
			if !updated[b.ID] {
				full = append(full, b)
			}
		}
		// In id order, as the batch came: concurrent flushes of other
		// nodes lock the rows they share with this one in the same order.
		slices.SortFunc(full, func(a, b HeartbeatWrite) int { return strings.Compare(a.ID, b.ID) })
		rule, err := defaultRuleID(ctx, tx)
		if err != nil {
			return fmt.Errorf("write heartbeats: %w", err)
		}
		created := make(map[string]bool)
		newest := make(map[string]bool, len(full))
		var registered *agentChanges // the audit log's
		if tx.store.audit {
			registered = &agentChanges{created: map[string]bool{}, restored: map[string]bool{}}
		}
		if err := upsertAgents(ctx, tx, rule, full, created, newest, registered); err != nil {
			return err
		}
		if err := writeLinks(ctx, tx, full, created, newest); err != nil {
			return err
		}
		tx.recordRegistrations(ctx, full, registered)
		if err := writeHistory(ctx, tx, beats); err != nil {
			return err
		}
		for _, b := range beats {
			if len(b.Logs) > 0 {
				yield() // a merge reads and writes a whole log: see yieldEvery
				if err := mergeLogs(ctx, tx, b.ID, b.Logs); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// asyncCommitSetup is added to beatTxSetup's SELECT list when the beats
// were acknowledged on receipt (Options.BeatsAckedOnReceipt): the flush's
// commit returns once its WAL record is written, not flushed to disk.
const asyncCommitSetup = `, set_config('synchronous_commit', 'off', true)`

// prepareBeatStatements prepares every statement WriteHeartbeats runs.
func (s *Store) prepareBeatStatements(ctx context.Context) error {
	var qs []string
	if s.dialect.arrays {
		qs = []string{livenessArraySQL, indexedSeenSQL, lockLivenessSQL, updateAgentsArraySQL, updateStatsArraySQL, insertAgentsArraySQL}
	} else {
		qs = []string{livenessRowSQL, indexedSeenRowSQL, statsRowSQL}
		for _, n := range chunkSizes {
			st := s.beatSQL()[n]
			qs = append(qs, st.upsert, st.findAgents)
		}
	}
	qs = append(qs, readLogsSQL, writeLogsSQL)
	for _, q := range append(qs, s.historyPrepare()...) {
		if _, err := s.prepared(ctx, q); err != nil {
			return err
		}
	}
	return nil
}

// beatStatements are the texts of the batch statements for one chunk size
// (SQLite: PostgreSQL takes a whole batch as arrays in one statement).
type beatStatements struct {
	upsert, findAgents string
}

// buildBeatStatements builds the batch statements of every chunk size,
// once per Store (Store.beatSQL): a 500-row statement's text is 100 KB.
func buildBeatStatements(d *dialect) map[int]beatStatements {
	m := make(map[int]beatStatements, len(chunkSizes))
	for _, n := range chunkSizes {
		m[n] = beatStatements{upsert: upsertStatement(d, n), findAgents: findAgentsStatement(d, n)}
	}
	return m
}

// livenessSet is the SET list of a liveness update of table t (agents, or
// agent_liveness on PostgreSQL), given the expressions of the beat's time,
// latest statistics and statistics to add: last_seen never goes backwards,
// the latest statistics are the latest beat's, the totals grow by every
// beat's.
func livenessSet(t, seen, le, lw, lm, te, tw, tm string) string {
	newer := seen + " >= " + t + ".last_seen"
	return `last_seen = CASE WHEN ` + seen + ` > ` + t + `.last_seen THEN ` + seen + ` ELSE ` + t + `.last_seen END,
	last_errors = CASE WHEN ` + newer + ` THEN ` + le + ` ELSE ` + t + `.last_errors END,
	last_warnings = CASE WHEN ` + newer + ` THEN ` + lw + ` ELSE ` + t + `.last_warnings END,
	last_metrics = CASE WHEN ` + newer + ` THEN ` + lm + ` ELSE ` + t + `.last_metrics END,
	total_errors = ` + t + `.total_errors + ` + te + `,
	total_warnings = ` + t + `.total_warnings + ` + tw + `,
	total_metrics = ` + t + `.total_metrics + ` + tm
}

// livenessWhere limits a liveness update of agent_liveness (alias l) to
// the agent id whose stored hostname, ip, version and status are the
// beat's (its status is never not_reporting, so an agent marked so takes
// the full write). The flusher's digests say what it last wrote, but
// another node may have written since; this check makes the narrow update
// right whoever wrote last. It compares agent_liveness's digests of those
// columns (migration 0072), not agents' columns: PostgreSQL rechecks the
// conditions on the row an UPDATE waited for, and only on that row.
func livenessWhere(id, hostname, ip, version, status string) string {
	return `l.agent_id = ` + id + ` AND l.meta = agent_meta(` + ip + `, ` + version + `, ` + status + `)` +
		` AND (` + hostname + ` = '' OR l.host = hashtextextended(` + hostname + `, 0))`
}

// livenessRowSQL is the liveness update of one agent (SQLite): a prepared
// single-row update of agent_liveness (migration 0084), a primary-key
// lookup with no round trip, where SQLite plans a multi-row UPDATE ...
// FROM (VALUES ...) as a scan. It does not check the row's metadata
// (livenessWhere): one process writes a SQLite database, so the flusher's
// digests are what is stored, and the check cost a quarter of the update
// (5 µs of 21 per agent, tc-agents-bench -flushes). An agent marked
// not_reporting (reporting = 0) is left to the full write. Past the lag
// (indexedSeenLag; $9 the lag drawn for this beat, indexedLag) it moves
// indexed_seen, which a trigger (agent_liveness_indexed) copies into
// agents.last_seen.
var livenessRowSQL = `UPDATE agent_liveness SET ` + livenessSet("agent_liveness", "$2", "$3", "$4", "$5", "$6", "$7", "$8") + `,
	indexed_seen = CASE WHEN $2 > indexed_seen + $9 THEN $2 ELSE indexed_seen END
WHERE agent_id = $1 AND reporting`

// indexedSeenRowSQL moves agents.last_seen of one agent, never backwards
// (SQLite: before a full write of a beat older than the exact time, so
// that the full write's last writer wins compares with the exact time).
const indexedSeenRowSQL = `UPDATE agents SET last_seen = $2 WHERE id = $1 AND last_seen < $2`

// statsRowSQL adds a full write's statistics to an existing agent's
// agent_liveness row (SQLite); agents.last_seen was just set to the exact
// time (the trigger that would move it finds it there).
var statsRowSQL = `UPDATE agent_liveness SET ` + livenessSet("agent_liveness", "$2", "$3", "$4", "$5", "$6", "$7", "$8") + `,
	indexed_seen = max(last_seen, $2)
WHERE agent_id = $1`

// indexedLag is the lag drawn for a beat of agent id at seen (Unix
// milliseconds), between half of indexedSeenLag and all of it, from a hash
// of both (FNV-1a), as livenessArraySQL draws it on PostgreSQL.
func indexedLag(id string, seen int64) int64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(id); i++ {
		h = (h ^ uint64(id[i])) * 1099511628211
	}
	for i := 0; i < 8; i++ {
		h = (h ^ uint64(byte(seen>>(8*i)))) * 1099511628211
	}
	half := indexedSeenLag.Milliseconds() / 2
	return half + int64((h&65535)*uint64(half)/65536)
}

// indexedSeenLag is how far the exact last heard time (agent_liveness) may
// move past agents.last_seen, the key of agents' indexes, before a
// liveness update on PostgreSQL writes it there too: a lag drawn per beat
// between half of it and all of it (from a hash of the agent id and the
// beat's time), so that agents created together do not all move their
// index entries in the same minute ever after. With agents beating every
// minute, about one beat in seven moves agents' index entries. The list
// sorted by last heard orders by that key; the sweep reads the exact time.
const indexedSeenLag = 10 * time.Minute

// livenessArraySQL is the liveness update of a whole batch (PostgreSQL): one
// statement whose parameters are arrays, one element per agent, updating
// agent_liveness alone and returning the ids it updated, each with whether
// agents.last_seen is to be moved (indexedSeenLag; $13 in milliseconds).
var livenessArraySQL = `UPDATE agent_liveness l SET ` + livenessSet("l", "v.seen", "v.le", "v.lw", "v.lm", "v.te", "v.tw", "v.tm") + `,
	indexed_seen = CASE WHEN v.seen > l.indexed_seen + $13 / 2 + ((hashtextextended(l.agent_id, v.seen) & 65535) * ($13 / 2)) / 65536
		THEN v.seen ELSE l.indexed_seen END
FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[], $8::bigint[],
	$9::text[], $10::text[], $11::text[], $12::text[]) AS v(id, seen, le, lw, lm, te, tw, tm, hostname, ip, version, status)
WHERE ` + livenessWhere("v.id", "v.hostname", "v.ip", "v.version", "v.status") + `
RETURNING l.agent_id, l.indexed_seen = v.seen`

// indexedSeenSQL moves agents.last_seen, never backwards, for the agents
// whose liveness update asked for it (PostgreSQL).
const indexedSeenSQL = `UPDATE agents SET last_seen = v.seen
FROM unnest($1::text[], $2::bigint[]) AS v(id, seen)
WHERE agents.id = v.id AND agents.last_seen < v.seen`

// updateLiveness runs the liveness update of beats and records the agents
// it updated.
func updateLiveness(ctx context.Context, tx *Tx, beats []HeartbeatWrite, updated map[string]bool) error {
	if len(beats) == 0 {
		return nil
	}
	if tx.store.dialect.arrays {
		return updateLivenessArrays(ctx, tx, beats, updated)
	}
	st, err := tx.store.prepared(ctx, livenessRowSQL)
	if err != nil {
		return fmt.Errorf("write heartbeats: update liveness: %w", err)
	}
	txst := tx.StmtContext(ctx, st)
	for i, b := range beats {
		yieldEvery(i)
		seen := ms(b.LastSeen)
		res, err := txst.ExecContext(ctx, b.ID, seen, b.Last.Errors, b.Last.Warnings, b.Last.Metrics,
			b.Sum.Errors, b.Sum.Warnings, b.Sum.Metrics, indexedLag(b.ID, seen))
		if err != nil {
			return fmt.Errorf("write heartbeats: update liveness: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			updated[b.ID] = true
		}
	}
	return nil
}

// updateLivenessArrays is updateLiveness in one statement (livenessArraySQL)
// and, for the agents whose agents.last_seen lags too far, a second.
func updateLivenessArrays(ctx context.Context, tx *Tx, beats []HeartbeatWrite, updated map[string]bool) error {
	n := len(beats)
	ids, hosts, ips, versions, statuses := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	seen, le, lw, lm, te, tw, tm := make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
	for i, b := range beats {
		ids[i], hosts[i], ips[i], versions[i], statuses[i] = b.ID, b.Hostname, b.IP, b.Version, b.Status
		seen[i], le[i], lw[i], lm[i] = ms(b.LastSeen), b.Last.Errors, b.Last.Warnings, b.Last.Metrics
		te[i], tw[i], tm[i] = b.Sum.Errors, b.Sum.Warnings, b.Sum.Metrics
	}
	rows, err := tx.queryPrepared(ctx, livenessArraySQL, ids, seen, le, lw, lm, te, tw, tm, hosts, ips, versions, statuses,
		indexedSeenLag.Milliseconds())
	if err != nil {
		return fmt.Errorf("write heartbeats: update liveness: %w", err)
	}
	defer rows.Close()
	var move []string
	for rows.Next() {
		var id string
		var index bool
		if err := rows.Scan(&id, &index); err != nil {
			return fmt.Errorf("write heartbeats: update liveness: %w", err)
		}
		updated[id] = true
		if index {
			move = append(move, id)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("write heartbeats: update liveness: %w", err)
	}
	rows.Close()
	if len(move) == 0 {
		return nil
	}
	at := make(map[string]int64, n)
	for _, b := range beats {
		at[b.ID] = ms(b.LastSeen)
	}
	slices.Sort(move)
	moveSeen := make([]int64, len(move))
	for i, id := range move {
		moveSeen[i] = at[id]
	}
	if err := tx.execPrepared(ctx, indexedSeenSQL, move, moveSeen); err != nil {
		return fmt.Errorf("write heartbeats: move last seen: %w", err)
	}
	return nil
}

const upsertAgentsColumns = `id, hostname, ip, version, reported_status, status, reporting_rule_id,
	first_seen, last_seen, last_errors, last_warnings, last_metrics, total_errors, total_warnings, total_metrics, external_configs,
	status_since`

// upsertAgentsTail updates an existing row, last writer wins by heartbeat
// time: the reported values (ip, version, statuses, latest statistics) are
// the beat's when it is not older than the stored last_seen, the status
// becomes the reported one (which ends not_reporting); a hostname is kept
// when none was reported, and taken from an older beat only when none is
// stored; last_seen never goes backwards nor first_seen forwards; totals
// grow by the summed deltas. status_since becomes the beat's time when the
// beat changes the status. external_configs changes only through
// writeLinks. It returns last_seen after the write: a beat is the newest
// written when it equals the beat's.
const upsertAgentsTail = `
ON CONFLICT (id) DO UPDATE SET
	hostname = CASE WHEN excluded.hostname = '' OR (excluded.last_seen < agents.last_seen AND agents.hostname <> '')
		THEN agents.hostname ELSE excluded.hostname END,
	ip = CASE WHEN excluded.last_seen >= agents.last_seen THEN excluded.ip ELSE agents.ip END,
	version = CASE WHEN excluded.last_seen >= agents.last_seen THEN excluded.version ELSE agents.version END,
	reported_status = CASE WHEN excluded.last_seen >= agents.last_seen THEN excluded.reported_status ELSE agents.reported_status END,
	status = CASE WHEN excluded.last_seen >= agents.last_seen THEN excluded.status ELSE agents.status END,
	status_since = CASE WHEN excluded.last_seen >= agents.last_seen AND excluded.status <> agents.status
		THEN excluded.last_seen ELSE agents.status_since END,
	first_seen = CASE WHEN excluded.first_seen < agents.first_seen THEN excluded.first_seen ELSE agents.first_seen END,
	last_seen = CASE WHEN excluded.last_seen > agents.last_seen THEN excluded.last_seen ELSE agents.last_seen END,
	last_errors = CASE WHEN excluded.last_seen >= agents.last_seen THEN excluded.last_errors ELSE agents.last_errors END,
	last_warnings = CASE WHEN excluded.last_seen >= agents.last_seen THEN excluded.last_warnings ELSE agents.last_warnings END,
	last_metrics = CASE WHEN excluded.last_seen >= agents.last_seen THEN excluded.last_metrics ELSE agents.last_metrics END,
	total_errors = agents.total_errors + excluded.total_errors,
	total_warnings = agents.total_warnings + excluded.total_warnings,
	total_metrics = agents.total_metrics + excluded.total_metrics
RETURNING id, last_seen`

// findAgentsStatement selects which of n agent ids exist (SQLite), with
// their status, agents.last_seen and exact last heard time.
func findAgentsStatement(d *dialect, n int) string {
	return `SELECT a.id, a.status, a.last_seen, l.last_seen FROM agents a JOIN agent_liveness l ON l.agent_id = a.id
WHERE a.id IN (` + d.params(1, n) + `)` + d.forUpdate
}

// upsertStatement inserts or updates rows agents (SQLite).
func upsertStatement(d *dialect, rows int) string {
	var b strings.Builder
	b.WriteString("INSERT INTO agents (" + upsertAgentsColumns + ")\nVALUES ")
	for i := range rows {
		if i > 0 {
			b.WriteString(",\n")
		}
		b.WriteString("(" + d.params(1+i*beatColumns, beatColumns) + ")")
	}
	b.WriteString(upsertAgentsTail)
	return b.String()
}

// beatColumns is the number of columns upsertAgentsColumns names.
const beatColumns = 17

// lockLivenessSQL locks the agent_liveness rows of a batch's agents
// (PostgreSQL) and reads their exact last heard time: with them locked, no
// other node's narrow update runs for these agents, and a beat's values are
// the agent's exactly when the beat is not older. A join with unnest, not
// id = ANY($1): a generic plan made while the table was small tested
// = ANY on each row of a scan, quadratic in the batch.
const lockLivenessSQL = `SELECT l.agent_id, l.last_seen, a.status FROM unnest($1::text[]) AS v(id)
JOIN agent_liveness l ON l.agent_id = v.id JOIN agents a ON a.id = l.agent_id FOR UPDATE OF l`

// updateAgentsArraySQL is the full write of existing agents (PostgreSQL),
// last writer wins as upsertAgentsTail but against the exact last heard
// time $8 (read by lockLivenessSQL): agents.last_seen becomes the exact
// time, status_since the beat's time when it changes the status; the
// statistics are agent_liveness's (updateStatsArraySQL). (The narrow update,
// livenessArraySQL, never changes a status: its condition holds only for a
// beat whose status is the stored one.)
const updateAgentsArraySQL = `UPDATE agents a SET
	hostname = CASE WHEN v.hostname = '' OR (v.seen < GREATEST(a.last_seen, v.prior) AND a.hostname <> '')
		THEN a.hostname ELSE v.hostname END,
	ip = CASE WHEN v.seen >= GREATEST(a.last_seen, v.prior) THEN v.ip ELSE a.ip END,
	version = CASE WHEN v.seen >= GREATEST(a.last_seen, v.prior) THEN v.version ELSE a.version END,
	reported_status = CASE WHEN v.seen >= GREATEST(a.last_seen, v.prior) THEN v.status ELSE a.reported_status END,
	status = CASE WHEN v.seen >= GREATEST(a.last_seen, v.prior) THEN v.status ELSE a.status END,
	status_since = CASE WHEN v.seen >= GREATEST(a.last_seen, v.prior) AND v.status <> a.status THEN v.seen ELSE a.status_since END,
	first_seen = CASE WHEN v.first_seen < a.first_seen THEN v.first_seen ELSE a.first_seen END,
	last_seen = GREATEST(a.last_seen, v.prior, v.seen)
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::bigint[], $8::bigint[])
	AS v(id, hostname, ip, version, status, first_seen, seen, prior)
WHERE a.id = v.id
RETURNING a.id, a.last_seen`

// updateStatsArraySQL adds a full write's statistics to agent_liveness
// (PostgreSQL); agents.last_seen was just set to the exact time.
var updateStatsArraySQL = `UPDATE agent_liveness l SET ` + livenessSet("l", "v.seen", "v.le", "v.lw", "v.lm", "v.te", "v.tw", "v.tm") + `,
	indexed_seen = GREATEST(l.last_seen, v.seen)
FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[], $8::bigint[])
	AS v(id, seen, le, lw, lm, te, tw, tm)
WHERE l.agent_id = v.id`

// insertAgentsArraySQL creates the agents of a batch that have no row
// (PostgreSQL; a trigger creates their agent_liveness rows) and returns the
// ids it created: one another node created meanwhile is left alone and
// written as an existing agent.
const insertAgentsArraySQL = `INSERT INTO agents (` + upsertAgentsColumns + `)
SELECT v.id, v.hostname, v.ip, v.version, v.status, v.status, $15, v.first_seen, v.last_seen,
	v.le, v.lw, v.lm, v.te, v.tw, v.tm, v.external, v.last_seen
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::bigint[],
	$8::bigint[], $9::bigint[], $10::bigint[], $11::bigint[], $12::bigint[], $13::bigint[], $14::text[])
	AS v(id, hostname, ip, version, status, first_seen, last_seen, le, lw, lm, te, tw, tm, external)
ON CONFLICT (id) DO NOTHING
RETURNING id`

// arrayChunk bounds how many agents one PostgreSQL statement of a flush
// takes: pgx encodes a statement's arrays in memory before sending them,
// and a flush after a backlog (200,000 new agents of a warm-up) held 200 MB
// of encoded arrays at once, which the garbage collector's headroom
// doubled (controller RSS 700 MB at 200,000 agents). The chunks go in id
// order, so the rows are still locked in one order.
const arrayChunk = 10000

// upsertAgents creates or updates the agents of beats. Agents that report
// config sources are looked up first, so that created holds exactly the
// ones whose row is new (on PostgreSQL the rows are locked, so a concurrent
// delete waits); newest holds those whose beat is the latest written.
func upsertAgents(ctx context.Context, tx *Tx, rule string, beats []HeartbeatWrite, created, newest map[string]bool, registered *agentChanges) error {
	if tx.store.dialect.arrays {
		for start := 0; start < len(beats); start += arrayChunk {
			chunk := beats[start:min(start+arrayChunk, len(beats))]
			if err := upsertAgentsLiveness(ctx, tx, rule, chunk, created, newest, registered); err != nil {
				return err
			}
		}
		return nil
	}
	for start := 0; start < len(beats); {
		yield() // between chunks: see yieldEvery
		n := chunkSize(len(beats) - start)
		if err := upsertAgentsChunk(ctx, tx, rule, beats[start:start+n], created, newest, registered); err != nil {
			return err
		}
		start += n
	}
	return nil
}

// externalJSON is what a beat's write stores in external_configs.
func externalJSON(b HeartbeatWrite) string {
	if !b.HasConfigs {
		return "[]"
	}
	_, ext := tc.ConfigLinks(b.Configs)
	return mustJSON(ext)
}

// upsertAgentsChunk writes one chunk (SQLite).
func upsertAgentsChunk(ctx context.Context, tx *Tx, rule string, chunk []HeartbeatWrite, created, newest map[string]bool, registered *agentChanges) error {
	ids := make([]any, len(chunk))
	for i, b := range chunk {
		ids[i] = b.ID
	}
	rows, err := tx.queryPrepared(ctx, tx.store.beatSQL()[len(ids)].findAgents, ids...)
	if err != nil {
		return fmt.Errorf("write heartbeats: find agents: %w", err)
	}
	prior, err := markCreated(rows, chunk, created, registered)
	if err != nil {
		return err
	}
	// A beat older than the exact last heard time compares with it: the
	// indexed copy, which may lag, moves there first.
	for _, b := range chunk {
		if p, ok := prior[b.ID]; ok && p.exact > p.indexed && p.exact > ms(b.LastSeen) {
			if err := tx.execPrepared(ctx, indexedSeenRowSQL, b.ID, p.exact); err != nil {
				return fmt.Errorf("write heartbeats: move last seen: %w", err)
			}
		}
	}
	args := make([]any, 0, beatColumns*len(chunk))
	for _, b := range chunk {
		args = append(args, b.ID, b.Hostname, b.IP, b.Version, b.Status, b.Status, rule,
			ms(b.FirstSeen), ms(b.LastSeen), b.Last.Errors, b.Last.Warnings, b.Last.Metrics,
			b.Sum.Errors, b.Sum.Warnings, b.Sum.Metrics, externalJSON(b), ms(b.LastSeen))
	}
	rows, err = tx.queryPrepared(ctx, tx.store.beatSQL()[len(chunk)].upsert, args...)
	if err != nil {
		return fmt.Errorf("write heartbeats: upsert agents: %w", err)
	}
	if err := markNewest(rows, chunk, newest); err != nil {
		return err
	}
	// A new agent's agent_liveness row was made from its first beat (a
	// trigger); an existing agent's gets the beat's statistics here.
	for _, b := range chunk {
		if _, ok := prior[b.ID]; !ok {
			continue
		}
		if err := tx.execPrepared(ctx, statsRowSQL, b.ID, ms(b.LastSeen), b.Last.Errors, b.Last.Warnings, b.Last.Metrics,
			b.Sum.Errors, b.Sum.Warnings, b.Sum.Metrics); err != nil {
			return fmt.Errorf("write heartbeats: update statistics: %w", err)
		}
	}
	return nil
}

// upsertAgentsLiveness is upsertAgents on PostgreSQL: the agent_liveness
// rows of the batch's agents are locked first (lockLivenessSQL), existing
// agents updated against their exact last heard time and their statistics
// added there, the others inserted. An agent another node inserted between
// the lock and the insert goes round again as an existing one.
func upsertAgentsLiveness(ctx context.Context, tx *Tx, rule string, beats []HeartbeatWrite, created, newest map[string]bool, registered *agentChanges) error {
	for round := 0; len(beats) > 0; round++ {
		if round == 3 {
			return fmt.Errorf("write heartbeats: agents created and deleted meanwhile, three times")
		}
		ids := make([]string, len(beats))
		for i, b := range beats {
			ids[i] = b.ID
		}
		prior, err := lockLiveness(ctx, tx, ids, registered)
		if err != nil {
			return err
		}
		var existing, fresh []HeartbeatWrite
		for _, b := range beats {
			if _, ok := prior[b.ID]; ok {
				existing = append(existing, b)
			} else {
				fresh = append(fresh, b)
			}
		}
		if err := updateAgentsArrays(ctx, tx, existing, prior, newest); err != nil {
			return err
		}
		inserted, err := insertAgentsArrays(ctx, tx, rule, fresh)
		if err != nil {
			return err
		}
		beats = beats[:0:0]
		for _, b := range fresh {
			if !inserted[b.ID] {
				beats = append(beats, b)
				continue
			}
			newest[b.ID] = true
			if b.HasConfigs {
				created[b.ID] = true
			}
			if registered != nil {
				registered.created[b.ID] = true
			}
		}
	}
	return nil
}

// lockLiveness locks the agent_liveness rows of ids and returns their exact
// last heard times; an id without a row has no agent. registered (the
// audit log's, nil when it is off) gets in its restored set the agents that
// were not_reporting, which the write restores.
func lockLiveness(ctx context.Context, tx *Tx, ids []string, registered *agentChanges) (map[string]int64, error) {
	rows, err := tx.queryPrepared(ctx, lockLivenessSQL, ids)
	if err != nil {
		return nil, fmt.Errorf("write heartbeats: lock liveness: %w", err)
	}
	defer rows.Close()
	prior := make(map[string]int64, len(ids))
	for rows.Next() {
		var id, status string
		var at int64
		if err := rows.Scan(&id, &at, &status); err != nil {
			return nil, fmt.Errorf("write heartbeats: lock liveness: %w", err)
		}
		prior[id] = at
		if registered != nil && status == tc.AgentNotReporting {
			registered.restored[id] = true
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("write heartbeats: lock liveness: %w", err)
	}
	return prior, nil
}

// updateAgentsArrays writes beats of existing agents (updateAgentsArraySQL,
// updateStatsArraySQL) and marks those whose beat is the newest written.
func updateAgentsArrays(ctx context.Context, tx *Tx, beats []HeartbeatWrite, prior map[string]int64, newest map[string]bool) error {
	n := len(beats)
	if n == 0 {
		return nil
	}
	ids, hosts, ips, versions, statuses := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	first, seen, before, le, lw, lm, te, tw, tm := make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
	for i, b := range beats {
		ids[i], hosts[i], ips[i], versions[i], statuses[i] = b.ID, b.Hostname, b.IP, b.Version, b.Status
		first[i], seen[i], before[i] = ms(b.FirstSeen), ms(b.LastSeen), prior[b.ID]
		le[i], lw[i], lm[i], te[i], tw[i], tm[i] = b.Last.Errors, b.Last.Warnings, b.Last.Metrics, b.Sum.Errors, b.Sum.Warnings, b.Sum.Metrics
	}
	rows, err := tx.queryPrepared(ctx, updateAgentsArraySQL, ids, hosts, ips, versions, statuses, first, seen, before)
	if err != nil {
		return fmt.Errorf("write heartbeats: update agents: %w", err)
	}
	if err := markNewest(rows, beats, newest); err != nil {
		return err
	}
	if err := tx.execPrepared(ctx, updateStatsArraySQL, ids, seen, le, lw, lm, te, tw, tm); err != nil {
		return fmt.Errorf("write heartbeats: update statistics: %w", err)
	}
	return nil
}

// insertAgentsArrays inserts the agents of beats (insertAgentsArraySQL) and
// returns the ids it created.
func insertAgentsArrays(ctx context.Context, tx *Tx, rule string, beats []HeartbeatWrite) (map[string]bool, error) {
	n := len(beats)
	inserted := make(map[string]bool, n)
	if n == 0 {
		return inserted, nil
	}
	ids, hosts, ips, versions, statuses, external := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	first, seen, le, lw, lm, te, tw, tm := make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
	for i, b := range beats {
		ids[i], hosts[i], ips[i], versions[i], statuses[i], external[i] = b.ID, b.Hostname, b.IP, b.Version, b.Status, externalJSON(b)
		first[i], seen[i], le[i], lw[i], lm[i] = ms(b.FirstSeen), ms(b.LastSeen), b.Last.Errors, b.Last.Warnings, b.Last.Metrics
		te[i], tw[i], tm[i] = b.Sum.Errors, b.Sum.Warnings, b.Sum.Metrics
	}
	rows, err := tx.queryPrepared(ctx, insertAgentsArraySQL, ids, hosts, ips, versions, statuses, first, seen, le, lw, lm, te, tw, tm, external, rule)
	if err != nil {
		return nil, fmt.Errorf("write heartbeats: insert agents: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("write heartbeats: insert agents: %w", err)
		}
		inserted[id] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("write heartbeats: insert agents: %w", err)
	}
	return inserted, nil
}

// seenTimes are an existing agent's agents.last_seen (indexed) and exact
// last heard time (SQLite's agent_liveness).
type seenTimes struct{ indexed, exact int64 }

// markCreated reads the existing agents among beats from rows (id, status,
// agents.last_seen, exact last heard) and returns their times; it marks
// the others, among those reporting config sources, as created; registered
// (the audit log's, nil when it is off) gets every new one, and its
// restored set the not_reporting ones, which the write restores.
func markCreated(rows *sql.Rows, beats []HeartbeatWrite, created map[string]bool, registered *agentChanges) (map[string]seenTimes, error) {
	defer rows.Close()
	existing := make(map[string]seenTimes, len(beats))
	for rows.Next() {
		var id, status string
		var t seenTimes
		if err := rows.Scan(&id, &status, &t.indexed, &t.exact); err != nil {
			return nil, fmt.Errorf("write heartbeats: find agents: %w", err)
		}
		existing[id] = t
		if registered != nil && status == tc.AgentNotReporting {
			registered.restored[id] = true
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("write heartbeats: find agents: %w", err)
	}
	for _, b := range beats {
		if _, ok := existing[b.ID]; !ok {
			if b.HasConfigs {
				created[b.ID] = true
			}
			if registered != nil {
				registered.created[b.ID] = true
			}
		}
	}
	return existing, nil
}

// markNewest reads (id, last_seen) after an upsert from rows and marks the
// agents whose beat is the latest written (its time is the stored one).
func markNewest(rows *sql.Rows, beats []HeartbeatWrite, newest map[string]bool) error {
	defer rows.Close()
	seen := make(map[string]int64, len(beats))
	for rows.Next() {
		var id string
		var at int64
		if err := rows.Scan(&id, &at); err != nil {
			return fmt.Errorf("write heartbeats: upsert agents: %w", err)
		}
		seen[id] = at
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("write heartbeats: upsert agents: %w", err)
	}
	for _, b := range beats {
		if at, ok := seen[b.ID]; ok && at == ms(b.LastSeen) {
			newest[b.ID] = true
		}
	}
	return nil
}

// writeLinks replaces the config links of the agents that asked for it or
// whose row is new, where the beat is the newest written (an older beat's
// sources are no longer the agent's). The managed links of all of them go
// in multi-row inserts, each with the URL it was reported under, which ties
// the agent to what that URL was served (store/serve.go): so the tie costs
// a heartbeat nothing unless its config list changed.
func writeLinks(ctx context.Context, tx *Tx, beats []HeartbeatWrite, created, newest map[string]bool) error {
	var pairs []any
	flush := func() error {
		if len(pairs) == 0 {
			return nil
		}
		var b strings.Builder
		b.WriteString(`INSERT INTO agent_configs (agent_id, config_id, url) VALUES `)
		for i := 0; i < len(pairs); i += 3 {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("(" + tx.store.dialect.params(i+1, 3) + ")")
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
		if !b.HasConfigs || (!b.WriteLinks && !isNew) || !newest[b.ID] {
			continue
		}
		_, external := tc.ConfigLinks(b.Configs)
		if !isNew {
			if _, err := tx.ExecContext(ctx, `UPDATE agents SET external_configs = $2 WHERE id = $1`, b.ID, mustJSON(external)); err != nil {
				return fmt.Errorf("write heartbeats: external configs: %w", err)
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM agent_configs WHERE agent_id = $1`, b.ID); err != nil {
				return fmt.Errorf("write heartbeats: unlink configs: %w", err)
			}
		}
		for _, m := range tc.ManagedConfigs(b.Configs) {
			pairs = append(pairs, b.ID, m.ID, m.URL)
		}
		if err := writeAgentRefs(ctx, tx, b.ID, tc.ManagedRefs(b.Configs), isNew); err != nil {
			return err
		}
		if len(pairs) >= 3*beatRowsPerStatement {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return flush()
}

// readLogsSQL and writeLogsSQL read and replace an agent's kept log
// entries (mergeLogs), prepared once per store as the flush's other
// statements.
const (
	readLogsSQL  = `SELECT logs FROM agent_logs WHERE agent_id = $1`
	writeLogsSQL = `INSERT INTO agent_logs (agent_id, logs) VALUES ($1, $2)
		ON CONFLICT (agent_id) DO UPDATE SET logs = excluded.logs`
)

// mergeLogs merges entries (newest first) into the agent's kept log entries,
// keeping the newest tc.MaxAgentLogs. Entries usually are newer than every
// kept one and go in front; a beat written after a newer one (another node
// wrote it first) has its entries placed by time.
func mergeLogs(ctx context.Context, tx *Tx, agentID string, entries []tc.AgentLog) error {
	var old string
	st, err := tx.store.prepared(ctx, readLogsSQL)
	if err == nil {
		err = tx.StmtContext(ctx, st).QueryRowContext(ctx, agentID).Scan(&old)
	}
	if err != nil && err != sql.ErrNoRows {
		return fmt.Errorf("write heartbeats: read logs: %w", err)
	}
	var prev []json.RawMessage
	if old != "" {
		if err := json.Unmarshal([]byte(old), &prev); err != nil {
			prev = nil
		}
	}
	entries = entries[:min(len(entries), tc.MaxAgentLogs)]
	kept := make([]json.RawMessage, 0, min(len(entries)+len(prev), tc.MaxAgentLogs))
	for _, e := range entries {
		raw, err := json.Marshal(e)
		if err != nil {
			return fmt.Errorf("write heartbeats: encode log: %w", err)
		}
		kept = append(kept, raw)
	}
	if newestOld, oldestNew := logTime(rawLogTime(prev)), logTime(entries[len(entries)-1].Time); !newestOld.IsZero() && !oldestNew.IsZero() && oldestNew.Before(newestOld) {
		// Out of order: merge by time, newest first, each side's order kept.
		type timed struct {
			raw json.RawMessage
			at  time.Time
		}
		all := make([]timed, 0, len(kept)+len(prev))
		for i, raw := range kept {
			all = append(all, timed{raw, logTime(entries[i].Time)})
		}
		for _, raw := range prev {
			all = append(all, timed{raw, logTime(rawLogTime([]json.RawMessage{raw}))})
		}
		slices.SortStableFunc(all, func(a, b timed) int { return b.at.Compare(a.at) })
		kept = kept[:0]
		for _, e := range all[:min(len(all), tc.MaxAgentLogs)] {
			kept = append(kept, e.raw)
		}
	} else if len(kept) < tc.MaxAgentLogs {
		kept = append(kept, prev[:min(len(prev), tc.MaxAgentLogs-len(kept))]...)
	}
	if err := tx.execPrepared(ctx, writeLogsSQL, agentID, mustJSON(kept)); err != nil {
		return fmt.Errorf("write heartbeats: write logs: %w", err)
	}
	return nil
}

// logTime parses a log entry's time (RFC 3339 as Telegraf sends it); an
// entry without a readable time counts as the oldest.
func logTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}
	}
	return t
}

// rawLogTime is the time field of the first of stored log entries ("" for
// none).
func rawLogTime(entries []json.RawMessage) string {
	if len(entries) == 0 {
		return ""
	}
	var e struct {
		Time string `json:"time"`
	}
	if json.Unmarshal(entries[0], &e) != nil {
		return ""
	}
	return e.Time
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}
