package store

import (
	"context"
	"database/sql"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

// dialect holds every difference between SQLite and PostgreSQL that the
// store's code must know; everything else runs the same SQL on both ($n
// placeholders, RETURNING, ON CONFLICT, times as Unix milliseconds). A
// Store holds one (sqliteDialect or postgresDialect, chosen by Open) and
// code asks it rather than comparing names. Three differences need no
// entry: migrations are a directory per name (migrate.go); driver errors
// are translated by each driver's own error type and codes (error.go); and
// connection set-up is openSQLite or openPostgres (store.go).
type dialect struct {
	name Dialect

	// positional: long statements (heartbeat batches of thousands of
	// parameters, params) use "?" rather than "$n". SQLite looks "$n" up by
	// name in a list, quadratic in the count; PostgreSQL knows only "$n".
	positional bool

	// forUpdate ends a SELECT that locks the rows it reads in a write
	// transaction. SQLite has no FOR UPDATE; its single writer already
	// serialises writers.
	forUpdate string

	// planArgs, prepended to the arguments of a list or count query
	// (planned), makes pgx send it without a named prepared statement, so
	// that the server plans it for these values: a prepared statement
	// switches to a generic plan after five runs, and a generic plan cannot
	// tell that a label matches a thousand agents rather than half the fleet
	// (it walked the whole hostname index for one, 450 ms). SQLite plans
	// every statement for its values anyway.
	planArgs []any

	// probeColumn is the form of an equality a filter checks without
	// driving the query (%s the column). The concatenation hides the column
	// from SQLite's planner, which keeps no per-value statistics and would
	// otherwise read the filter's index; PostgreSQL's statistics list the
	// common values, so it gets the plain column.
	probeColumn string

	// countThrough is the inner query of a count driven by the rows of
	// another table (from, filtered by join and linked to agents a by link)
	// that checks where on the agent row. The join order is forced, so that
	// the count's LIMIT stops the reading: CROSS JOIN on SQLite; on
	// PostgreSQL a LATERAL lookup, as its planner would otherwise hash-join
	// the whole fleet.
	countThrough func(from, join, link string, where []string) string

	// search is the agent search's form (agent_search.go).
	search searchDialect

	// compactCounts folds agent_counts (fleet_health.go). SQLite's
	// triggers update one row per key, so only zeros go; PostgreSQL's
	// append rows (no update contention between writers), which a
	// data-modifying CTE sums on one snapshot: rows appended by
	// transactions that commit meanwhile are neither deleted nor summed.
	compactCounts string

	// liveness: the exact last heard time and the statistics live in
	// agent_liveness (migrations 0072 on PostgreSQL, 0084 on SQLite), which
	// a heartbeat that brings nothing else updates alone; agents.last_seen
	// is the key of agents' indexes, kept within indexedSeenLag of the
	// exact time. agentFrom and agentColumns read an agent with them.
	liveness     bool
	agentFrom    string
	agentColumns string

	// sweep is the status sweep's statements (fleet_health.go): the
	// silent agents are found from agent_liveness, differently on each.
	sweep *sweepStatements

	// arrays: a heartbeat flush writes a whole batch in one statement per
	// step, its values in array parameters read with unnest (heartbeat.go):
	// one short prepared statement, where multi-row VALUES lists cost a
	// long bind and a parse of 8,000 parameters per 500 agents. SQLite has
	// no arrays: it updates liveness with a prepared single-row UPDATE (it
	// plans UPDATE ... FROM (VALUES ...) as a scan of agents) and upserts
	// in multi-row chunks.
	arrays bool

	// beatTxSetup, when set, runs first in a heartbeat flush's transaction.
	// PostgreSQL plans an UPDATE ... FROM unnest of 10,000 ids for the
	// values at hand as a hash join over a scan of the whole agents table
	// (1 s at 200,000 agents, where probing the primary key per id takes
	// 0.1 s); a generic plan made while agents was small scans it once per
	// id. Every statement of a flush reads agents by key, so the flush
	// turns scans, hash and merge joins off for its own transaction: index
	// probes, linear in the batch whatever the statistics say.
	beatTxSetup string
}

// searchDialect is how the agent search reads the trigram index (migration
// 0061): an FTS5 trigram table on SQLite, pg_trgm on PostgreSQL.
type searchDialect struct {
	// position is true when the id, hostname or IP holds the lower-cased
	// term %[1]s, exactly (LIKE wildcards in the term mean nothing).
	position string
	// candidates selects the agent_id of the rows whose terms hold the
	// pattern %s.
	candidates string
	// from, join and link drive a count through the index: join filters
	// from by the pattern %s and link joins the result to agents a.
	from, join, link string
	// pattern is the index's pattern for rows holding part (three
	// characters or more) as a substring, whatever its case.
	pattern func(part string) string
	// sample returns the query of searchSample and its arguments.
	sample func(ctx context.Context, db *sql.DB, fleet int64) (string, []any, error)
}

var sqliteDialect = &dialect{
	name:        SQLite,
	positional:  true,
	probeColumn: "(%s || '')",
	countThrough: func(from, join, link string, where []string) string {
		return "SELECT 1 FROM " + from + " CROSS JOIN agents a" + whereClause(append([]string{join, link}, where...))
	},
	search: searchDialect{
		position:   "instr(lower(a.id), %[1]s) > 0 OR instr(lower(a.hostname), %[1]s) > 0 OR instr(a.ip, %[1]s) > 0",
		candidates: `SELECT k.agent_id FROM agent_search x JOIN agent_search_keys k ON k.key = x.rowid WHERE agent_search MATCH %s`,
		from:       "agent_search x CROSS JOIN agent_search_keys k",
		join:       "agent_search MATCH %s AND k.key = x.rowid",
		link:       "a.id = k.agent_id",
		// An FTS5 string of three characters or more is the phrase of its
		// trigrams.
		pattern: func(part string) string { return `"` + strings.ReplaceAll(part, `"`, `""`) + `"` },
		sample:  sqliteSearchSample,
	},
	compactCounts: `DELETE FROM agent_counts WHERE n = 0`,
	liveness:      true,
	agentFrom:     "agents a JOIN agent_liveness lv ON lv.agent_id = a.id",
	agentColumns:  livenessAgentColumns("max"),
	sweep:         &sqliteLivenessSweep,
}

var postgresDialect = &dialect{
	name:        Postgres,
	forUpdate:   " FOR UPDATE",
	planArgs:    []any{pgx.QueryExecModeExec},
	probeColumn: "%s",
	countThrough: func(from, join, link string, where []string) string {
		return "SELECT 1 FROM " + from + " CROSS JOIN LATERAL (SELECT 1 FROM agents a" +
			whereClause(append([]string{link}, where...)) + " LIMIT 1) m WHERE " + join
	},
	search: searchDialect{
		position:   "strpos(lower(a.id), %[1]s) > 0 OR strpos(lower(a.hostname), %[1]s) > 0 OR strpos(a.ip, %[1]s) > 0",
		candidates: `SELECT agent_id FROM agent_search WHERE terms LIKE %s`,
		from:       "agent_search x",
		join:       "x.terms LIKE %s",
		link:       "a.id = x.agent_id",
		pattern:    containsPattern, // PostgreSQL's default LIKE escape is the backslash
		sample:     postgresSearchSample,
	},
	compactCounts: `WITH d AS (DELETE FROM agent_counts RETURNING reporting_rule_id, status, n)
			INSERT INTO agent_counts (reporting_rule_id, status, n)
			SELECT reporting_rule_id, status, SUM(n) FROM d GROUP BY reporting_rule_id, status HAVING SUM(n) <> 0`,
	liveness:     true,
	agentFrom:    "agents a JOIN agent_liveness lv ON lv.agent_id = a.id",
	agentColumns: livenessAgentColumns("GREATEST"),
	sweep:        &livenessSweep,
	arrays:       true,
	beatTxSetup: `SELECT set_config('enable_seqscan', 'off', true), set_config('enable_hashjoin', 'off', true),
		set_config('enable_mergejoin', 'off', true)`,
}

// param is the placeholder of the n-th (1-based) parameter of a long
// statement.
func (d *dialect) param(n int) string {
	if d.positional {
		return "?"
	}
	return "$" + strconv.Itoa(n)
}

// params is the list of n placeholders of a long statement starting at
// parameter from.
func (d *dialect) params(from, n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(d.param(from + i))
	}
	return b.String()
}

// planned returns the arguments of a list or count query (planArgs).
func (d *dialect) planned(args []any) []any {
	if len(d.planArgs) == 0 {
		return args
	}
	return append(append(make([]any, 0, len(d.planArgs)+len(args)), d.planArgs...), args...)
}

// placeholder returns a function that appends a query argument to args and
// returns its $n placeholder, the same on both databases; a placeholder may
// appear more than once in the query. Queries built from parts take their
// parameters through it.
func placeholder(args *[]any) func(any) string {
	return func(v any) string {
		*args = append(*args, v)
		return "$" + strconv.Itoa(len(*args))
	}
}

// bindEach binds each of vs with arg and returns the placeholders, comma
// separated (for IN lists).
func bindEach[T any](arg func(any) string, vs []T) string {
	var b strings.Builder
	for i, v := range vs {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(arg(v))
	}
	return b.String()
}

// containsPattern is the LIKE pattern for values holding s, its wildcards
// escaped with a backslash: PostgreSQL's default LIKE escape, and the one
// the store names with ESCAPE '\' where SQLite runs the query too.
func containsPattern(s string) string {
	return "%" + likeEscaper.Replace(s) + "%"
}

var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// whereClause joins conditions into a WHERE clause ("" for none).
func whereClause(conds []string) string {
	if len(conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(conds, " AND ")
}
