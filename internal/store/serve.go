package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/telegrafcontroller/tc"
)

// ServeRetention is how long config_serves keeps a serve. The latest serve
// of a URL (config_serve_latest) and its watch (config_watches) are kept as
// long as an agent reports the URL, and for ServeRetention after that.
const ServeRetention = 7 * 24 * time.Hour

// WatchWrite is what the HEADs of one URL since the last write tell.
type WatchWrite struct {
	URL        string
	LastHeadAt time.Time
	Interval   time.Duration // 0: not inferred yet
	Heads      int64         // HEADs since the last write
	ClientIP   string
}

// serveColumns are config_serves' columns, in the order serveArgs binds them.
const serveColumns = `kind, source_id, version, members, last_modified, digest, url, params, token_id, client_ip, agent_id, telegraf, served_at, count`

const serveColumnCount = 14

// servesPerStatement bounds one insert's rows (14 parameters each).
const servesPerStatement = 500

func serveArgs(v tc.ConfigServe) []any {
	members := v.Members
	if members == nil {
		members = []tc.ServedMember{}
	}
	params := v.Params
	if params == nil {
		params = []tc.ServeParam{}
	}
	return []any{v.Kind, v.SourceID, v.Version, mustJSON(members), ms(v.LastModified), v.Digest, v.URL, mustJSON(params),
		v.TokenID, v.ClientIP, v.AgentID, v.Telegraf, ms(v.At), max(v.Count, 1)}
}

// latestServeSQL keeps the latest Telegraf serve of a URL: a serve older
// than the stored one (another node's, written later) changes nothing.
const latestServeSQL = `INSERT INTO config_serve_latest (url, kind, source_id, version, members, last_modified, digest, params,
	token_id, client_ip, agent_id, served_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
ON CONFLICT (url) DO UPDATE SET kind = excluded.kind, source_id = excluded.source_id, version = excluded.version,
	members = excluded.members, last_modified = excluded.last_modified, digest = excluded.digest, params = excluded.params,
	token_id = excluded.token_id, client_ip = excluded.client_ip, agent_id = excluded.agent_id, served_at = excluded.served_at
WHERE excluded.served_at >= config_serve_latest.served_at`

// watchSQL records a URL's HEADs: the last HEAD never moves backwards, an
// inferred interval replaces the stored one, the HEADs add up.
const watchSQL = `INSERT INTO config_watches (url, last_head_at, interval_ms, heads, client_ip) VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (url) DO UPDATE SET
	last_head_at = CASE WHEN excluded.last_head_at > config_watches.last_head_at THEN excluded.last_head_at ELSE config_watches.last_head_at END,
	interval_ms = CASE WHEN excluded.interval_ms > 0 THEN excluded.interval_ms ELSE config_watches.interval_ms END,
	heads = config_watches.heads + excluded.heads,
	client_ip = excluded.client_ip`

// WriteServes writes a batch of serves (in the order given) and of URL
// watches in one transaction: every serve goes to config_serves, the
// latest Telegraf serve of each URL to config_serve_latest. Serves and
// watches are telemetry, like heartbeats: nothing is announced.
func (s *Store) WriteServes(ctx context.Context, serves []tc.ConfigServe, watches []WatchWrite) error {
	if len(serves) == 0 && len(watches) == 0 {
		return nil
	}
	latest := map[string]int{}
	var urls []string
	for i, v := range serves {
		if !v.Telegraf {
			continue
		}
		j, ok := latest[v.URL]
		if !ok {
			urls = append(urls, v.URL)
		}
		if !ok || !v.At.Before(serves[j].At) {
			latest[v.URL] = i
		}
	}
	// The per-URL statements run once per row: prepared once per store
	// (parsing the upsert anew took three quarters of a watch's write),
	// and before the transaction, which on SQLite holds the only write
	// connection a prepare would wait for.
	for _, q := range []string{latestServeSQL, watchSQL} {
		if _, err := s.prepared(ctx, q); err != nil {
			return fmt.Errorf("write serves: prepare: %w", err)
		}
	}
	return s.withTx(ctx, func(tx *Tx) error {
		for start := 0; start < len(serves); start += servesPerStatement {
			chunk := serves[start:min(start+servesPerStatement, len(serves))]
			var b strings.Builder
			b.WriteString(`INSERT INTO config_serves (` + serveColumns + `) VALUES `)
			args := make([]any, 0, serveColumnCount*len(chunk))
			for i, v := range chunk {
				if i > 0 {
					b.WriteString(", ")
				}
				b.WriteString("(" + tx.store.dialect.params(1+i*serveColumnCount, serveColumnCount) + ")")
				args = append(args, serveArgs(v)...)
			}
			if _, err := tx.ExecContext(ctx, b.String(), args...); err != nil {
				return fmt.Errorf("write serves: %w", err)
			}
		}
		// In URL order, as for heartbeats: concurrent writers lock rows in
		// one order.
		slices.Sort(urls)
		for i, u := range urls {
			yieldEvery(i)
			a := serveArgs(serves[latest[u]])
			// url first, then the columns without telegraf.
			args := append([]any{u}, a[0], a[1], a[2], a[3], a[4], a[5], a[7], a[8], a[9], a[10], a[12])
			if err := tx.execPrepared(ctx, latestServeSQL, args...); err != nil {
				return fmt.Errorf("write latest serve: %w", err)
			}
		}
		for i, w := range sortedWatches(watches) {
			yieldEvery(i)
			if err := tx.execPrepared(ctx, watchSQL, w.URL, ms(w.LastHeadAt), w.Interval.Milliseconds(), w.Heads, w.ClientIP); err != nil {
				return fmt.Errorf("write config watches: %w", err)
			}
		}
		return nil
	})
}

func sortedWatches(ws []WatchWrite) []WatchWrite {
	out := slices.Clone(ws)
	slices.SortFunc(out, func(a, b WatchWrite) int { return strings.Compare(a.URL, b.URL) })
	return out
}

// PruneServes deletes the serves older than ServeRetention, and the latest
// serves and watches of URLs that no agent reports and that were not used
// within it. It returns how many rows went.
func (s *Store) PruneServes(ctx context.Context) (int64, error) {
	cutoff := ms(s.now().Add(-ServeRetention))
	var n int64
	err := s.withTx(ctx, func(tx *Tx) error {
		n = 0
		for _, q := range []string{
			`DELETE FROM config_serves WHERE served_at < $1`,
			`DELETE FROM config_serve_latest WHERE served_at < $1
				AND NOT EXISTS (SELECT 1 FROM agent_configs ac WHERE ac.url = config_serve_latest.url)
				AND NOT EXISTS (SELECT 1 FROM agent_refs ar WHERE ar.url = config_serve_latest.url)`,
			`DELETE FROM config_watches WHERE last_head_at < $1
				AND NOT EXISTS (SELECT 1 FROM agent_configs ac WHERE ac.url = config_watches.url)
				AND NOT EXISTS (SELECT 1 FROM agent_refs ar WHERE ar.url = config_watches.url)`,
		} {
			res, err := tx.ExecContext(ctx, q, cutoff)
			if err != nil {
				return fmt.Errorf("prune serves: %w", err)
			}
			d, _ := res.RowsAffected()
			n += d
		}
		return nil
	})
	return n, err
}

// ConfigServes returns the newest serves of a config (or group) recorded
// within the retention, newest first, at most limit.
func (s *Store) ConfigServes(ctx context.Context, sourceID string, limit int) ([]tc.ConfigServe, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+serveColumns+` FROM config_serves WHERE source_id = $1
		ORDER BY served_at DESC LIMIT `+strconv.Itoa(max(limit, 1)), sourceID)
	if err != nil {
		return nil, fmt.Errorf("list serves: %w", err)
	}
	defer rows.Close()
	out := []tc.ConfigServe{}
	for rows.Next() {
		var v tc.ConfigServe
		var members, params string
		var lm, at int64
		if err := rows.Scan(&v.Kind, &v.SourceID, &v.Version, &members, &lm, &v.Digest, &v.URL, &params,
			&v.TokenID, &v.ClientIP, &v.AgentID, &v.Telegraf, &at, &v.Count); err != nil {
			return nil, fmt.Errorf("list serves: %w", err)
		}
		v.LastModified, v.At = fromMS(lm), fromMS(at)
		json.Unmarshal([]byte(members), &v.Members)
		json.Unmarshal([]byte(params), &v.Params)
		if v.Params == nil {
			v.Params = []tc.ServeParam{}
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// linkArm is one kind of an agent's managed links as the run queries read
// them: its FROM clause joins the link x to the config c or group g it
// names, the URL's latest serve l and its watch w. Config links
// (agent_configs) name a config by id; refs (agent_refs) a group by id or
// a config or group by alias, resolved here, when read, so that an agent
// on a transferred alias is read against the alias's new target.
type linkArm struct {
	from string
	// cond keeps the links that name something (a ref whose alias or
	// group is gone names nothing).
	cond                                                  string
	kind, sourceID, name, revision, currentVersion, alias string
}

var configArm = linkArm{
	from: ` FROM agent_configs x LEFT JOIN configs c ON c.id = x.config_id
	LEFT JOIN config_serve_latest l ON l.url = x.url AND x.url <> ''
	LEFT JOIN config_watches w ON w.url = x.url AND x.url <> ''`,
	// A config URL naming an alias in place of the id is also a ref: the
	// ref arm reads it.
	cond: `c.id IS NOT NULL`,
	kind: `'` + tc.ServeConfig + `'`, sourceID: `x.config_id`, name: `COALESCE(c.name, '')`,
	revision: `c.revision_at`, currentVersion: `COALESCE(c.current_version, 0)`, alias: `''`,
}

var refArm = linkArm{
	from: ` FROM agent_refs x LEFT JOIN aliases al ON al.alias = x.ref
	LEFT JOIN configs c ON c.id = al.config_id
	LEFT JOIN config_groups g ON g.id = COALESCE(al.group_id, x.ref)
	LEFT JOIN config_serve_latest l ON l.url = x.url AND x.url <> ''
	LEFT JOIN config_watches w ON w.url = x.url AND x.url <> ''`,
	cond:     `(c.id IS NOT NULL OR g.id IS NOT NULL)`,
	kind:     `(CASE WHEN c.id IS NULL THEN '` + tc.ServeGroup + `' ELSE '` + tc.ServeConfig + `' END)`,
	sourceID: `COALESCE(c.id, g.id)`, name: `COALESCE(c.name, g.name)`,
	revision: `COALESCE(c.revision_at, g.revision_at)`, currentVersion: `COALESCE(c.current_version, 0)`,
	alias: `COALESCE(al.alias, '')`,
}

// linkArms are both kinds of links, in the order runs list them.
var linkArms = []linkArm{configArm, refArm}

// columns read, per link x, what AgentConfigRun needs (scanRun).
func (a linkArm) columns() string {
	return `x.agent_id, ` + a.kind + `, ` + a.sourceID + `, ` + a.name + `, x.url, COALESCE(` + a.revision + `, 0), ` + a.currentVersion + `,
	CASE WHEN l.url IS NULL THEN 0 ELSE 1 END, COALESCE(l.version, 0), COALESCE(l.last_modified, 0), COALESCE(l.served_at, 0),
	COALESCE(l.digest, ''), COALESCE(l.params, '[]'), COALESCE(w.last_head_at, 0), COALESCE(w.interval_ms, 0),
	` + a.alias + `, COALESCE(l.members, '[]')`
}

// runsSQL selects the runs of both arms whose links satisfy where (the
// same text for both: $ placeholders may repeat).
func runsSQL(where string) string {
	var b strings.Builder
	for i, a := range linkArms {
		if i > 0 {
			b.WriteString(" UNION ALL ")
		}
		b.WriteString(`SELECT ` + a.columns() + a.from + ` WHERE ` + a.cond + ` AND ` + where)
	}
	return b.String()
}

// stateSQL is the state of the link x of arm a (tc.ConfigRunState, without
// the reason) at time now ($ placeholder), for filters and counts.
func (a linkArm) stateSQL(now string) string {
	rev := a.revision
	return `(CASE WHEN l.url IS NULL THEN '` + tc.ConfigUnknown + `'
		WHEN l.last_modified >= ` + rev + ` THEN '` + tc.ConfigCurrent + `'
		WHEN ` + now + ` < ` + rev + ` + (CASE WHEN w.last_head_at > l.served_at THEN w.interval_ms ELSE 0 END) + ` +
		strconv.FormatInt(tc.ConfigStaleGrace.Milliseconds(), 10) + ` THEN '` + tc.ConfigPending + `'
		ELSE '` + tc.ConfigStale + `' END)`
}

// scanRun reads one row of linkArm.columns into a run, its state decided
// with logs (the agent's, newest first; nil when not read).
func scanRun(rows *sql.Rows, logs []tc.AgentLog, now time.Time) (string, tc.AgentConfigRun, error) {
	var agentID, sourceID, name string
	var r tc.AgentConfigRun
	var revision, lm, at, head, interval int64
	var served int
	var params, members string
	if err := rows.Scan(&agentID, &r.Kind, &sourceID, &name, &r.URL, &revision, &r.CurrentVersion, &served,
		&r.Version, &lm, &at, &r.Digest, &params, &head, &interval, &r.Alias, &members); err != nil {
		return "", r, err
	}
	if r.Kind == tc.ServeGroup {
		r.GroupID, r.GroupName = sourceID, name
	} else {
		r.ConfigID, r.ConfigName = sourceID, name
	}
	r.Params = []tc.ServeParam{}
	path, _, _ := strings.Cut(r.URL, "?")
	r.LoadErrors = tc.ConfigLoadErrors(logs, path)
	watch := tc.ConfigWatch{Interval: time.Duration(interval) * time.Millisecond}
	if head > 0 {
		watch.LastHeadAt = fromMS(head)
		t := watch.LastHeadAt
		r.LastWatchAt = &t
	}
	var sv *tc.ConfigServe
	if served == 1 {
		sv = &tc.ConfigServe{LastModified: fromMS(lm), At: fromMS(at)}
		lmT, atT := sv.LastModified, sv.At
		r.LastModified, r.FetchedAt = &lmT, &atT
		json.Unmarshal([]byte(params), &r.Params)
		if r.Params == nil {
			r.Params = []tc.ServeParam{}
		}
		r.Watching = watch.LastHeadAt.After(sv.At)
		if r.Watching {
			r.WatchIntervalSeconds = watch.Interval.Seconds()
		}
		if r.Kind == tc.ServeGroup {
			var ms []tc.ServedMember
			json.Unmarshal([]byte(members), &ms)
			for _, m := range ms {
				r.Members = append(r.Members, tc.RunMember{ConfigID: m.ConfigID, Version: m.Version})
			}
		}
	}
	r.State, r.StaleReason = tc.ConfigRunState(sv, fromMS(revision), watch, len(r.LoadErrors) > 0, now)
	r.Stale = r.State == tc.ConfigStale
	return agentID, r, nil
}

// sortRuns orders an agent's runs: configs before groups, each by name,
// then URL.
func sortRuns(rs []tc.AgentConfigRun) {
	slices.SortFunc(rs, func(a, b tc.AgentConfigRun) int {
		if c := strings.Compare(a.Kind, b.Kind); c != 0 {
			return c
		}
		if c := strings.Compare(a.ConfigName+a.GroupName, b.ConfigName+b.GroupName); c != 0 {
			return c
		}
		return strings.Compare(a.URL, b.URL)
	})
}

// agentRuns reads what agentID runs of each managed config and group.
func (s *Store) agentRuns(ctx context.Context, agentID string, logs []tc.AgentLog) ([]tc.AgentConfigRun, error) {
	now := s.now()
	rows, err := s.read.QueryContext(ctx, runsSQL(`x.agent_id = $1`), agentID)
	if err != nil {
		return nil, fmt.Errorf("get agent runs: %w", err)
	}
	defer rows.Close()
	out := []tc.AgentConfigRun{}
	for rows.Next() {
		_, r, err := scanRun(rows, logs, now)
		if err != nil {
			return nil, fmt.Errorf("get agent runs: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("get agent runs: %w", err)
	}
	rows.Close()
	if err := s.fillRunMembers(ctx, out); err != nil {
		return nil, err
	}
	sortRuns(out)
	return out, nil
}

// fillRunMembers names the served members of groups' runs and gives each
// its config's current version.
func (s *Store) fillRunMembers(ctx context.Context, runs []tc.AgentConfigRun) error {
	var ids []string
	for _, r := range runs {
		for _, m := range r.Members {
			if !slices.Contains(ids, m.ConfigID) {
				ids = append(ids, m.ConfigID)
			}
		}
	}
	if len(ids) == 0 {
		return nil
	}
	var args []any
	rows, err := s.read.QueryContext(ctx, `SELECT id, name, current_version FROM configs WHERE id IN (`+bindEach(placeholder(&args), ids)+`)`, args...)
	if err != nil {
		return fmt.Errorf("get agent runs: members: %w", err)
	}
	defer rows.Close()
	type cfg struct {
		name    string
		current int
	}
	byID := map[string]cfg{}
	for rows.Next() {
		var id string
		var c cfg
		if err := rows.Scan(&id, &c.name, &c.current); err != nil {
			return fmt.Errorf("get agent runs: members: %w", err)
		}
		byID[id] = c
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("get agent runs: members: %w", err)
	}
	for _, r := range runs {
		for i, m := range r.Members {
			c := byID[m.ConfigID]
			r.Members[i].ConfigName, r.Members[i].CurrentVersion = c.name, c.current
		}
	}
	return nil
}

// loadConfigStates fills the config states of a page of agents. A stale
// config's reason depends on the agent's logs: they are read for the
// agents with one.
func (s *Store) loadConfigStates(ctx context.Context, agents []*tc.Agent) error {
	if len(agents) == 0 {
		return nil
	}
	now := s.now()
	byID := make(map[string]*tc.Agent, len(agents))
	ids := make([]string, len(agents))
	for i, a := range agents {
		byID[a.ID], ids[i] = a, a.ID
	}
	var args []any
	arg := placeholder(&args)
	rows, err := s.read.QueryContext(ctx, runsSQL(`x.agent_id IN (`+bindEach(arg, ids)+`)`), args...)
	if err != nil {
		return fmt.Errorf("load config states: %w", err)
	}
	defer rows.Close()
	runs := map[string][]tc.AgentConfigRun{}
	var stale []string
	for rows.Next() {
		id, r, err := scanRun(rows, nil, now)
		if err != nil {
			return fmt.Errorf("load config states: %w", err)
		}
		if byID[id] == nil {
			continue
		}
		if r.Stale && !slices.Contains(stale, id) {
			stale = append(stale, id)
		}
		runs[id] = append(runs[id], r)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("load config states: %w", err)
	}
	rows.Close()
	for _, id := range stale {
		logs, err := s.agentLogs(ctx, id)
		if err != nil {
			return err
		}
		if len(logs) == 0 {
			continue
		}
		for i, r := range runs[id] {
			path, _, _ := strings.Cut(r.URL, "?")
			if r.State == tc.ConfigStale && len(tc.ConfigLoadErrors(logs, path)) > 0 {
				runs[id][i].StaleReason = tc.StaleWatchingFailing
			}
		}
	}
	for _, a := range agents {
		rs := runs[a.ID]
		sortRuns(rs)
		a.ConfigStates = make([]tc.AgentConfigState, len(rs))
		for i, r := range rs {
			a.ConfigStates[i] = tc.AgentConfigState{Kind: r.Kind, ConfigID: r.ConfigID, GroupID: r.GroupID,
				State: r.State, Version: r.Version, StaleReason: r.StaleReason}
		}
	}
	return nil
}

// agentLogs reads an agent's kept log entries, newest first.
func (s *Store) agentLogs(ctx context.Context, id string) ([]tc.AgentLog, error) {
	var raw string
	err := s.read.QueryRowContext(ctx, `SELECT logs FROM agent_logs WHERE agent_id = $1`, id).Scan(&raw)
	if err == sql.ErrNoRows {
		return []tc.AgentLog{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("get agent logs: %w", err)
	}
	var logs []tc.AgentLog
	if err := json.Unmarshal([]byte(raw), &logs); err != nil {
		return nil, fmt.Errorf("get agent logs: %w", err)
	}
	if logs == nil {
		logs = []tc.AgentLog{}
	}
	return logs, nil
}

// configStateCond is the agent list's filter on config states (and
// versions): agents with a managed config or group (sourceID's, or any)
// in state (any, when "") served version (any, when 0).
func configStateCond(arg func(any) string, now time.Time, sourceID, state string, version int) string {
	var id, st, v, nowArg string
	if sourceID != "" {
		id = arg(sourceID)
	}
	if state != "" {
		st, nowArg = arg(state), arg(ms(now))
	}
	if version > 0 {
		v = arg(version)
	}
	var exists []string
	for _, a := range linkArms {
		conds := []string{"x.agent_id = a.id", a.cond}
		if id != "" {
			conds = append(conds, a.sourceID+" = "+id)
		}
		if st != "" {
			conds = append(conds, a.stateSQL(nowArg)+" = "+st)
		}
		if v != "" {
			conds = append(conds, "l.version = "+v)
		}
		exists = append(exists, "EXISTS (SELECT 1"+a.from+" WHERE "+strings.Join(conds, " AND ")+")")
	}
	return "(" + strings.Join(exists, " OR ") + ")"
}

// StaleAgentCount counts the agents, not marked not_reporting, with at
// least one stale config or group. It reads every link whose URL has a
// serve older than its config's (group's) revision.
func (s *Store) StaleAgentCount(ctx context.Context) (int64, error) {
	var parts []string
	for _, a := range linkArms {
		parts = append(parts, `SELECT x.agent_id`+a.from+` JOIN agents a ON a.id = x.agent_id
		WHERE `+a.cond+` AND a.status <> $1 AND l.last_modified < `+a.revision+` AND `+a.stateSQL("$2")+` = $3`)
	}
	var n int64
	err := s.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM (`+strings.Join(parts, " UNION ")+`) s`,
		tc.AgentNotReporting, ms(s.now()), tc.ConfigStale).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count stale agents: %w", err)
	}
	return n, nil
}

// ConfigVersionCounts counts the agents linked to a config by its id (the
// agent list's configId filter) by the version they were served (0: no
// serve of their URL recorded), newest first.
func (s *Store) ConfigVersionCounts(ctx context.Context, configID string) ([]tc.ConfigVersionCount, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT COALESCE(l.version, 0), COUNT(*),
		SUM(CASE WHEN l.last_modified >= c.revision_at THEN 1 ELSE 0 END)`+configArm.from+`
		WHERE x.config_id = $1 GROUP BY COALESCE(l.version, 0) ORDER BY COALESCE(l.version, 0) DESC`, configID)
	if err != nil {
		return nil, fmt.Errorf("count config versions: %w", err)
	}
	defer rows.Close()
	out := []tc.ConfigVersionCount{}
	for rows.Next() {
		var c tc.ConfigVersionCount
		var cur sql.NullInt64
		if err := rows.Scan(&c.Version, &c.Agents, &cur); err != nil {
			return nil, fmt.Errorf("count config versions: %w", err)
		}
		c.Current = cur.Int64
		out = append(out, c)
	}
	return out, rows.Err()
}

// GroupAgentStates returns, for up to limit agents whose config URLs name
// group id (by id or by one of its aliases), their state of it, in agent
// id order.
func (s *Store) GroupAgentStates(ctx context.Context, id string, limit int) ([]tc.GroupAgentState, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT x.agent_id, `+refArm.stateSQL("$2")+`, COALESCE(l.last_modified, 0)`+refArm.from+`
		WHERE g.id = $1 AND (x.ref = $1 OR x.ref IN (SELECT alias FROM aliases WHERE group_id = $1))
		ORDER BY x.agent_id LIMIT `+strconv.Itoa(max(limit, 1)), id, ms(s.now()))
	if err != nil {
		return nil, fmt.Errorf("list group agents: %w", err)
	}
	defer rows.Close()
	out := []tc.GroupAgentState{}
	for rows.Next() {
		var st tc.GroupAgentState
		var lm int64
		if err := rows.Scan(&st.AgentID, &st.State, &lm); err != nil {
			return nil, fmt.Errorf("list group agents: %w", err)
		}
		if lm > 0 {
			t := fromMS(lm)
			st.LastModified = &t
		}
		out = append(out, st)
	}
	return out, rows.Err()
}
