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
		for _, u := range urls {
			a := serveArgs(serves[latest[u]])
			// url first, then the columns without telegraf.
			args := append([]any{u}, a[0], a[1], a[2], a[3], a[4], a[5], a[7], a[8], a[9], a[10], a[12])
			if _, err := tx.ExecContext(ctx, latestServeSQL, args...); err != nil {
				return fmt.Errorf("write latest serve: %w", err)
			}
		}
		for _, w := range sortedWatches(watches) {
			if _, err := tx.ExecContext(ctx, watchSQL, w.URL, ms(w.LastHeadAt), w.Interval.Milliseconds(), w.Heads, w.ClientIP); err != nil {
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
				AND NOT EXISTS (SELECT 1 FROM agent_configs ac WHERE ac.url = config_serve_latest.url)`,
			`DELETE FROM config_watches WHERE last_head_at < $1
				AND NOT EXISTS (SELECT 1 FROM agent_configs ac WHERE ac.url = config_watches.url)`,
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

// runColumns read, per agent_configs row x (joined to configs c, the URL's
// latest serve l and watch w), what AgentConfigRun needs.
const runColumns = `x.agent_id, x.config_id, COALESCE(c.name, ''), x.url, COALESCE(c.revision_at, 0), COALESCE(c.current_version, 0),
	CASE WHEN l.url IS NULL THEN 0 ELSE 1 END, COALESCE(l.version, 0), COALESCE(l.last_modified, 0), COALESCE(l.served_at, 0),
	COALESCE(l.digest, ''), COALESCE(l.params, '[]'), COALESCE(w.last_head_at, 0), COALESCE(w.interval_ms, 0)`

// runFrom joins an agent's config links to what was served and watched.
// A link without a URL (written before migration 0077, until the agent's
// list changes or the controller restarts) has no serve.
const runFrom = ` FROM agent_configs x LEFT JOIN configs c ON c.id = x.config_id
	LEFT JOIN config_serve_latest l ON l.url = x.url AND x.url <> ''
	LEFT JOIN config_watches w ON w.url = x.url AND x.url <> ''`

// configStateSQL is the state of the config link x (tc.ConfigRunState,
// without the reason) at time now ($ placeholder), for filters and counts.
func configStateSQL(now string) string {
	return `(CASE WHEN l.url IS NULL THEN '` + tc.ConfigUnknown + `'
		WHEN l.last_modified >= c.revision_at THEN '` + tc.ConfigCurrent + `'
		WHEN ` + now + ` < c.revision_at + (CASE WHEN w.last_head_at > l.served_at THEN w.interval_ms ELSE 0 END) + ` +
		strconv.FormatInt(tc.ConfigStaleGrace.Milliseconds(), 10) + ` THEN '` + tc.ConfigPending + `'
		ELSE '` + tc.ConfigStale + `' END)`
}

// scanRun reads one runColumns row into a run, its state decided with
// logs (the agent's, newest first; nil when not read).
func scanRun(rows *sql.Rows, logs []tc.AgentLog, now time.Time) (string, tc.AgentConfigRun, error) {
	var agentID string
	var r tc.AgentConfigRun
	var revision, lm, at, head, interval int64
	var served int
	var params string
	if err := rows.Scan(&agentID, &r.ConfigID, &r.ConfigName, &r.URL, &revision, &r.CurrentVersion, &served,
		&r.Version, &lm, &at, &r.Digest, &params, &head, &interval); err != nil {
		return "", r, err
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
	}
	r.State, r.StaleReason = tc.ConfigRunState(sv, fromMS(revision), watch, len(r.LoadErrors) > 0, now)
	r.Stale = r.State == tc.ConfigStale
	return agentID, r, nil
}

// agentRuns reads what agentID runs of each managed config.
func (s *Store) agentRuns(ctx context.Context, agentID string, logs []tc.AgentLog) ([]tc.AgentConfigRun, error) {
	now := s.now()
	rows, err := s.read.QueryContext(ctx, `SELECT `+runColumns+runFrom+` WHERE x.agent_id = $1 ORDER BY x.config_id`, agentID)
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
	return out, rows.Err()
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
	rows, err := s.read.QueryContext(ctx, `SELECT `+runColumns+runFrom+` WHERE x.agent_id IN (`+bindEach(arg, ids)+`)
		ORDER BY x.agent_id, x.config_id`, args...)
	if err != nil {
		return fmt.Errorf("load config states: %w", err)
	}
	defer rows.Close()
	var stale []string
	for rows.Next() {
		id, r, err := scanRun(rows, nil, now)
		if err != nil {
			return fmt.Errorf("load config states: %w", err)
		}
		a := byID[id]
		if a == nil {
			continue
		}
		if r.Stale && !slices.Contains(stale, id) {
			stale = append(stale, id)
		}
		a.ConfigStates = append(a.ConfigStates, tc.AgentConfigState{ConfigID: r.ConfigID, State: r.State, Version: r.Version, StaleReason: r.StaleReason})
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
		a := byID[id]
		for i, st := range a.ConfigStates {
			if st.State == tc.ConfigStale && len(tc.ConfigLoadErrors(logs, "/api/configs/"+st.ConfigID+"/toml")) > 0 {
				a.ConfigStates[i].StaleReason = tc.StaleWatchingFailing
			}
		}
	}
	for _, a := range agents {
		if a.ConfigStates == nil {
			a.ConfigStates = []tc.AgentConfigState{}
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
// versions): agents with a managed config (configID's, or any) in state
// (any, when "") served version (any, when 0).
func configStateCond(arg func(any) string, now time.Time, configID, state string, version int) string {
	var conds []string
	if configID != "" {
		conds = append(conds, "x.config_id = "+arg(configID))
	}
	if state != "" {
		conds = append(conds, configStateSQL(arg(ms(now)))+" = "+arg(state))
	}
	if version > 0 {
		conds = append(conds, "l.version = "+arg(version))
	}
	return "EXISTS (SELECT 1" + runFrom + " WHERE x.agent_id = a.id AND " + strings.Join(conds, " AND ") + ")"
}

// StaleAgentCount counts the agents, not marked not_reporting, with at
// least one stale config. It reads every config link whose URL has a
// serve older than its config's revision.
func (s *Store) StaleAgentCount(ctx context.Context) (int64, error) {
	var n int64
	err := s.read.QueryRowContext(ctx, `SELECT COUNT(DISTINCT x.agent_id)`+runFrom+`
		JOIN agents a ON a.id = x.agent_id
		WHERE a.status <> $1 AND l.last_modified < c.revision_at AND `+configStateSQL("$2")+` = $3`,
		tc.AgentNotReporting, ms(s.now()), tc.ConfigStale).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count stale agents: %w", err)
	}
	return n, nil
}

// ConfigVersionCounts counts the agents linked to a config by the version
// they were served (0: no serve of their URL recorded), newest first.
func (s *Store) ConfigVersionCounts(ctx context.Context, configID string) ([]tc.ConfigVersionCount, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT COALESCE(l.version, 0), COUNT(*),
		SUM(CASE WHEN l.last_modified >= c.revision_at THEN 1 ELSE 0 END)`+runFrom+`
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
