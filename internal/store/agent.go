package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/telegrafcontroller/tc"
)

// agentColumns are the agents columns scanAgent reads, in order.
const agentColumns = `a.id, a.hostname, a.ip, a.version, a.status, a.reported_status, a.reporting_rule_id,
	a.first_seen, a.last_seen, a.last_errors, a.last_warnings, a.last_metrics,
	a.total_errors, a.total_warnings, a.total_metrics, a.external_configs`

func scanAgent(row interface{ Scan(...any) error }) (*tc.Agent, error) {
	var a tc.Agent
	var first, last int64
	var external string
	if err := row.Scan(&a.ID, &a.Hostname, &a.IP, &a.Version, &a.Status, &a.ReportedStatus, &a.ReportingRuleID,
		&first, &last, &a.Stats.LastErrors, &a.Stats.LastWarnings, &a.Stats.LastMetrics,
		&a.Stats.TotalErrors, &a.Stats.TotalWarnings, &a.Stats.TotalMetrics, &external); err != nil {
		return nil, err
	}
	a.FirstSeen, a.LastSeen = fromMS(first), fromMS(last)
	a.ExternalConfigs = []string{}
	if err := json.Unmarshal([]byte(external), &a.ExternalConfigs); err != nil || a.ExternalConfigs == nil {
		a.ExternalConfigs = []string{}
	}
	a.LabelIDs, a.ConfigIDs = []string{}, []string{}
	return &a, nil
}

// agentSortColumns maps sort keys to the column the list orders by; the id
// always breaks ties, so every order has an index (migrations 0002, 0061).
var agentSortColumns = map[string]string{
	tc.AgentSortName:     "a.id",
	tc.AgentSortStatus:   "a.status",
	tc.AgentSortLastSeen: "a.last_seen",
	tc.AgentSortHostname: "a.hostname",
}

// totalCountCap is where a counted (not maintained) list total stops: beyond
// it, counting a search or a config or label filter over a large fleet would
// cost more than the page itself.
var totalCountCap = 10000

// checkedCountCap is the same for a search or for a config or label filter
// combined with another filter, whose matches cost a check of each candidate
// row (a config on half the fleet and a failing status cost 20,000 lookups
// on PostgreSQL to reach 10,000): more than a thousand such matches is a
// selection to refine.
var checkedCountCap = 1000

// driveLimitOverride, when not negative, replaces the computed drive limit
// (tests force each plan with it: 0 walks the sort order's index, a large
// value lets the most selective filter drive).
var driveLimitOverride int64 = -1

// walkRowCost is how many index entries a walk checks in the time it takes
// to fetch one agent row by id, when the walk's checks need no agent row (a
// label or config looked up by the agent id its index entries carry). On
// SQLite at a million agents, walking 5,000 entries of agents_last_seen
// against agent_configs took 4 ms; fetching and sorting the rows of 5,000
// agents by id, 30–40 ms.
const walkRowCost = 9

// driveLimit is the number of matching agents up to which a filter drives
// the list query (its rows are fetched through its index, then sorted).
// With more matches the query walks the sort order's index over `scope`
// agents and checks the filters on the way, finding `rows` matches after
// about rows×scope/matches entries. The two costs meet at sqrt(rows×scope)
// (5,000 for the first page of a million), or walkRowCost times fewer
// matches when the walk's checks read no agent row.
func driveLimit(rows int, scope int64, cheapWalk bool) int64 {
	if driveLimitOverride >= 0 {
		return driveLimitOverride
	}
	n := float64(rows) * float64(scope)
	if cheapWalk {
		n /= walkRowCost
	}
	return max(100, int64(math.Sqrt(n)))
}

// agentCond is one filter of the agent list in its SQL forms. The database
// planners cannot see, for a given value, whether a filter matches ten
// agents or half the fleet (SQLite keeps no per-value statistics), so
// ListAgents estimates each filter cheaply and picks the form itself.
type agentCond struct {
	// indexed finds the matching rows through an index (nil if it cannot).
	indexed func(arg func(any) string) string
	// probe checks one row and never drives the query.
	probe func(arg func(any) string) string
	// onRow: probe reads the agent row; a label or config probe needs only
	// the agent id, which every sort index carries.
	onRow bool
	// from, join and link drive a count: the rows of the driver's own
	// tables (from, filtered by join) are read in index order and joined to
	// agents by link, so that the count's LIMIT stops the reading. An empty
	// from means agents itself, filtered by join.
	from string
	join func(arg func(any) string) string
	link string
	// recheck: the driver's rows are candidates; probe decides.
	recheck bool
	est     int64 // matches (candidates for a search), capped at the estimate limit + 1; -1 unknown
	exact   bool  // est is not capped
}

// ListAgents returns one page of agents matching f and how many match.
// Totals for filters on status and reporting rule alone come from the
// maintained counters; a config or label filter alone is counted up to
// totalCountCap, a search or a combination of filters up to checkedCountCap.
func (s *Store) ListAgents(ctx context.Context, f tc.AgentFilter) (*tc.AgentList, error) {
	col, ok := agentSortColumns[f.SortBy]
	if f.SortBy == "" {
		col, ok = "a.id", true
	}
	if !ok {
		return nil, tc.FieldErrorf("sortBy", "sortBy must be one of name, status, lastSeen, hostname")
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 25
	}
	offset := max(f.Offset, 0)
	fleet, err := s.countAgents(ctx, "", "")
	if err != nil {
		return nil, err
	}
	conds, err := s.agentConds(ctx, f, offset+limit, fleet)
	if err != nil {
		return nil, err
	}
	// The status indexes come in the order of a sort by name, status or
	// last heard (agents_status on (status, id), agents_status_last_seen on
	// (status, last_seen, id)): walking the status's entries there is the
	// walk of the sort order over those agents alone, which the filter
	// drives. Another filter drives instead when it is selective enough
	// against that smaller walk.
	ordered := f.Status != "" && col != "a.hostname" && driveLimitOverride != 0
	scope := fleet
	if ordered {
		scope = conds[0].est // agentConds puts the status filter first
	}
	cheapWalk := true
	for i, c := range conds {
		if c.onRow && !(ordered && i == 0) {
			cheapWalk = false
		}
	}
	drive := driveLimit(offset+limit, scope, cheapWalk)
	driver := -1
	if ordered {
		driver = 0
	}
	for i, c := range conds {
		if c.indexed != nil && c.est >= 0 && c.est <= drive && (driver < 0 || c.est < conds[driver].est) {
			driver = i
		}
	}
	var where []string
	var args []any
	arg := placeholder(&args)
	for i, c := range conds {
		if i == driver {
			where = append(where, c.indexed(arg))
		} else {
			where = append(where, c.probe(arg))
		}
	}
	dir := "ASC"
	if f.Desc {
		dir = "DESC"
	}
	order := col + " " + dir
	if col != "a.id" {
		order += ", a.id " + dir
	}
	q := `SELECT ` + agentColumns + ` FROM agents a` + whereClause(where) + ` ORDER BY ` + order +
		` LIMIT ` + strconv.Itoa(limit) + ` OFFSET ` + strconv.Itoa(offset)
	rows, err := s.read.QueryContext(ctx, q, s.dialect.planned(args)...)
	if err != nil {
		return nil, fmt.Errorf("list agents: %w", err)
	}
	defer rows.Close()
	list := &tc.AgentList{Items: []*tc.Agent{}}
	for rows.Next() {
		a, err := scanAgent(rows)
		if err != nil {
			return nil, fmt.Errorf("list agents: %w", err)
		}
		list.Items = append(list.Items, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list agents: %w", err)
	}
	rows.Close()
	if err := s.loadAgentLinks(ctx, list.Items); err != nil {
		return nil, err
	}
	if f.Search == "" && f.ConfigID == "" && f.LabelID == "" {
		n, err := s.countAgents(ctx, f.ReportingRuleID, f.Status)
		if err != nil {
			return nil, err
		}
		list.Total, list.TotalExact = n, true
		return list, nil
	}
	countCap := int64(totalCountCap)
	if f.Search != "" || len(conds) > 1 {
		countCap = int64(checkedCountCap)
	}
	n, err := s.countMatches(ctx, conds, countCap, fleet)
	if err != nil {
		return nil, err
	}
	list.Total, list.TotalExact = min(n, countCap), n <= countCap
	return list, nil
}

// countMatches counts agents matching conds up to countCap+1, reading
// from the filter whose index reaches the cap or the end soonest, so that
// the LIMIT stops the reading (the join order forced: dialect.countThrough).
func (s *Store) countMatches(ctx context.Context, conds []agentCond, countCap, fleet int64) (int64, error) {
	driver, best := -1, math.Inf(1)
	for i, c := range conds {
		if c.join == nil || c.est < 0 {
			continue
		}
		// Reading c's entries finds a match every fleet/others entries
		// (filters taken as independent), so it stops after the lesser of
		// its own size and countCap+1 matches' worth. A capped estimate
		// says only "more than the limit": its geometric mean with the
		// fleet stands for it. Checking the others costs an agent row per
		// entry unless they are all label or config lookups.
		size, others, cost := effEst(c, fleet), 1.0, 1.0
		for j, o := range conds {
			if j == i {
				continue
			}
			others *= effEst(o, fleet) / float64(max(fleet, 1))
			if o.onRow || c.from != "" {
				cost = walkRowCost
			}
		}
		cost *= min(size, float64(countCap+1)/max(others, 1e-9))
		if cost < best {
			driver, best = i, cost
		}
	}
	var args []any
	arg := placeholder(&args)
	var onAgents []string
	for i, c := range conds {
		if i != driver || c.recheck {
			onAgents = append(onAgents, c.probe(arg))
		}
	}
	inner := "SELECT 1 FROM agents a" + whereClause(onAgents)
	if driver >= 0 {
		c := conds[driver]
		switch {
		case c.from != "" && len(onAgents) == 0:
			// A label or config alone: its rows name existing agents (the
			// foreign key cascades), so the index alone counts them.
			inner = "SELECT 1 FROM " + c.from + " WHERE " + c.join(arg)
		case c.from == "":
			inner = "SELECT 1 FROM agents a" + whereClause(append([]string{c.join(arg)}, onAgents...))
		default:
			inner = s.dialect.countThrough(c.from, c.join(arg), c.link, onAgents)
		}
	}
	var n int64
	err := s.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM (`+inner+` LIMIT `+strconv.FormatInt(countCap+1, 10)+`) t`,
		s.dialect.planned(args)...).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count agents: %w", err)
	}
	return n, nil
}

// effEst is the number of agents c is taken to match when choosing plans.
func effEst(c agentCond, fleet int64) float64 {
	switch {
	case c.est < 0:
		return float64(fleet)
	case c.exact:
		return float64(c.est)
	}
	return math.Sqrt(float64(c.est) * float64(fleet))
}

// agentConds turns f's filters into conditions with their estimates: status
// and rule from the maintained counters (exact), labels, configs and
// searches by counting their index entries up to the largest drive limit
// + 1. The status filter, when there is one, comes first.
func (s *Store) agentConds(ctx context.Context, f tc.AgentFilter, rows int, fleet int64) ([]agentCond, error) {
	var conds []agentCond
	estLimit := driveLimit(rows, fleet, false)
	capped := strconv.FormatInt(estLimit+1, 10)
	equal := func(column, value string) agentCond {
		indexed := func(arg func(any) string) string { return column + " = " + arg(value) }
		probe := func(arg func(any) string) string {
			return fmt.Sprintf(s.dialect.probeColumn, column) + " = " + arg(value)
		}
		return agentCond{indexed: indexed, probe: probe, join: indexed, onRow: true, exact: true}
	}
	for _, e := range []struct{ column, value, rule, status string }{
		{"a.status", f.Status, "", f.Status},
		{"a.reporting_rule_id", f.ReportingRuleID, f.ReportingRuleID, ""},
	} {
		if e.value == "" {
			continue
		}
		c := equal(e.column, e.value)
		var err error
		if c.est, err = s.countAgents(ctx, e.rule, e.status); err != nil {
			return nil, err
		}
		conds = append(conds, c)
	}
	link := func(table, column, value string) (agentCond, error) {
		c := agentCond{
			indexed: func(arg func(any) string) string {
				return "a.id IN (SELECT agent_id FROM " + table + " WHERE " + column + " = " + arg(value) + ")"
			},
			probe: func(arg func(any) string) string {
				return "EXISTS (SELECT 1 FROM " + table + " l WHERE l.agent_id = a.id AND l." + column + " = " + arg(value) + ")"
			},
			from: table + " d",
			join: func(arg func(any) string) string { return "d." + column + " = " + arg(value) },
			link: "a.id = d.agent_id",
		}
		err := s.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM `+table+` WHERE `+column+` = $1 LIMIT `+
			capped+`) t`, s.dialect.planned([]any{value})...).Scan(&c.est)
		if err != nil {
			return c, fmt.Errorf("estimate agent filter: %w", err)
		}
		c.exact = c.est <= estLimit
		return c, nil
	}
	if f.ConfigID != "" {
		c, err := link("agent_configs", "config_id", f.ConfigID)
		if err != nil {
			return nil, err
		}
		conds = append(conds, c)
	}
	if f.LabelID != "" {
		c, err := link("agent_labels", "label_id", f.LabelID)
		if err != nil {
			return nil, err
		}
		conds = append(conds, c)
	}
	if f.Search != "" {
		c, err := s.searchCond(ctx, strings.ToLower(f.Search), rows, fleet, estLimit)
		if err != nil {
			return nil, err
		}
		conds = append(conds, c)
	}
	return conds, nil
}

// searchCond matches term as a substring of the id, hostname or IP. The
// trigram index (migration 0061) finds candidates, the agents holding a
// part of the term (searchPart); the exact check on the agent row decides,
// so LIKE wildcards in the term never widen the match. Terms under three
// characters have no trigram to look up: the list walks and checks.
func (s *Store) searchCond(ctx context.Context, term string, rows int, fleet, estLimit int64) (agentCond, error) {
	d := s.dialect.search
	c := agentCond{
		probe: func(arg func(any) string) string { return "(" + fmt.Sprintf(d.position, arg(term)) + ")" },
		onRow: true,
		est:   -1,
	}
	if utf8.RuneCountInString(term) < 3 || strings.ContainsRune(term, '\n') {
		return c, nil
	}
	sample, err := s.searchSample(ctx, fleet)
	if err != nil {
		return c, err
	}
	part := searchPart(term, sample, rows, fleet, estLimit)
	pattern := d.pattern(part)
	c.indexed = func(arg func(any) string) string {
		return "a.id IN (" + fmt.Sprintf(d.candidates, arg(pattern)) + ") AND " + c.probe(arg)
	}
	c.from, c.link, c.recheck = d.from, d.link, true
	c.join = func(arg func(any) string) string { return fmt.Sprintf(d.join, arg(pattern)) }
	err = s.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM (`+fmt.Sprintf(d.candidates, "$1")+` LIMIT `+
		strconv.FormatInt(estLimit+1, 10)+`) t`, s.dialect.planned([]any{pattern})...).Scan(&c.est)
	if err != nil {
		return c, fmt.Errorf("estimate agent search: %w", err)
	}
	c.exact = c.est <= estLimit
	return c, nil
}

// searchSampleSize is about how many agents' search terms searchSample reads.
const searchSampleSize = 1024

// searchSample returns the lower-cased search terms (id, hostname and IP)
// of about searchSampleSize agents spread over the fleet, or of all of
// them in a smaller fleet. Agents next to each other share IP prefixes and
// id digits, so the sample takes many short runs (sqliteSearchSample,
// postgresSearchSample).
func (s *Store) searchSample(ctx context.Context, fleet int64) ([]string, error) {
	q, args, err := s.dialect.search.sample(ctx, s.read, fleet)
	if err != nil {
		return nil, fmt.Errorf("sample agent search: %w", err)
	}
	rows, err := s.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("sample agent search: %w", err)
	}
	defer rows.Close()
	var sample []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			return nil, fmt.Errorf("sample agent search: %w", err)
		}
		sample = append(sample, strings.ToLower(t))
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sample agent search: %w", err)
	}
	return sample, nil
}

// sqliteSearchSample takes 16 runs of consecutive keys (more runs cost
// more to prepare than they improve the choice).
func sqliteSearchSample(ctx context.Context, db *sql.DB, fleet int64) (string, []any, error) {
	var top sql.NullInt64
	if err := db.QueryRowContext(ctx, `SELECT MAX(key) FROM agent_search_keys`).Scan(&top); err != nil {
		return "", nil, err
	}
	const runs = 16
	var parts []string
	var args []any
	for i := range runs {
		args = append(args, top.Int64*int64(i)/runs)
		parts = append(parts, `SELECT * FROM (SELECT terms FROM agent_search WHERE rowid > $`+strconv.Itoa(i+1)+
			` ORDER BY rowid LIMIT `+strconv.Itoa(searchSampleSize/runs)+`)`)
	}
	return strings.Join(parts, " UNION ALL "), args, nil
}

// postgresSearchSample takes every step-th row of the pages TABLESAMPLE
// picks (the same ones each time), step×searchSampleSize rows in all.
func postgresSearchSample(_ context.Context, _ *sql.DB, fleet int64) (string, []any, error) {
	step := max(1, min(16, fleet/searchSampleSize))
	q := `SELECT terms FROM (SELECT terms, row_number() OVER () AS n
			FROM agent_search TABLESAMPLE SYSTEM ($1) REPEATABLE (0)) t WHERE n % $2 = 0`
	return q, []any{min(100, 100*float64(step*searchSampleSize)/float64(max(fleet, 1))), step}, nil
}

// searchCandidateCost is what checking one candidate of the trigram index
// against its agent row costs, in index entries read.
const searchCandidateCost = 8

// searchPart picks the substring of term whose trigram lookup is cheapest,
// from how often each substring occurs in the sample. The index reads
// every entry of each trigram of the part (a trigram most agents share,
// such as the "age" of "agent-0054321", costs a read of the whole fleet),
// and each candidate it yields costs a check of the agent row. A longer
// part yields fewer candidates for more entries read. When the term is
// rare and the part's candidates too many for it to drive the list, the
// list walks its sort order for matches: that cost counts too.
func searchPart(term string, sample []string, rows int, fleet, estLimit int64) string {
	r := []rune(term)
	if len(r) > 40 {
		r = r[:40] // any part of the term finds all its matches
	}
	nt := len(r) - 2
	words := (len(sample) + 63) / 64
	holds := make([][]uint64, nt) // per trigram, the sample rows holding it
	for i := range nt {
		holds[i] = make([]uint64, words)
		t := string(r[i : i+3])
		for j, row := range sample {
			if strings.Contains(row, t) {
				holds[i][j/64] |= 1 << (j % 64)
			}
		}
	}
	n, m := float64(fleet), float64(len(sample))
	// agents estimates how many agents hold a substring found in hits
	// sample rows, never zero: an unseen one may still be there.
	agents := func(hits int) float64 { return (float64(hits) + 0.5) / (m + 1) * n }
	count := func(set []uint64, sub string) int {
		hits := 0
		for w, word := range set {
			for word != 0 {
				b := bits.TrailingZeros64(word)
				word &= word - 1
				if strings.Contains(sample[w*64+b], sub) {
					hits++
				}
			}
		}
		return hits
	}
	all := make([]uint64, words)
	for j := range sample {
		all[j/64] |= 1 << (j % 64)
	}
	matches := agents(count(all, term))
	best, bestCost := term, math.Inf(1)
	for i := range nt {
		set := slices.Clone(holds[i])
		read := 0.0
		for j := i; j < nt && j < i+12; j++ {
			for w := range set {
				set[w] &= holds[j][w]
			}
			read += agents(ones(holds[j]))
			part := string(r[i : j+3])
			cand := agents(count(set, part))
			cost := read + searchCandidateCost*cand
			if cand > float64(estLimit) && matches < float64(estLimit) {
				cost += searchCandidateCost * float64(rows) * n / matches
			}
			if cost < bestCost {
				best, bestCost = part, cost
			}
		}
	}
	return best
}

func ones(set []uint64) int {
	n := 0
	for _, w := range set {
		n += bits.OnesCount64(w)
	}
	return n
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
	a, err := scanAgent(s.read.QueryRowContext(ctx, `SELECT `+agentColumns+` FROM agents a WHERE a.id = $1`, id))
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
		return nil
	})
}

// Bulk actions on agents.
const (
	BulkDelete      = "delete"
	BulkAssignRule  = "assign-rule"
	BulkAddLabel    = "add-label"
	BulkRemoveLabel = "remove-label"
)

// BulkAgents applies action to each of ids in one transaction and returns,
// per id, nil or why it was skipped (ENOTFOUND). arg is the rule id for
// assign-rule and the label id for the label actions; an arg that does not
// exist fails the whole call with EINVALID naming field.
func (s *Store) BulkAgents(ctx context.Context, action string, ids []string, arg, field string) (map[string]error, error) {
	results := make(map[string]error, len(ids))
	err := s.withTx(ctx, func(tx *Tx) error {
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
		}
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
		for _, a := range agents {
			if a.ReportingRuleID == "" {
				a.ReportingRuleID = tc.DefaultReportingRuleID
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
			ext, _ := json.Marshal(a.ExternalConfigs)
			if a.ExternalConfigs == nil {
				ext = []byte("[]")
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO agents (id, hostname, ip, version, reported_status, status,
				reporting_rule_id, first_seen, last_seen, last_errors, last_warnings, last_metrics,
				total_errors, total_warnings, total_metrics, external_configs)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
				a.ID, a.Hostname, a.IP, a.Version, a.ReportedStatus, a.Status, a.ReportingRuleID,
				ms(a.FirstSeen), ms(a.LastSeen), a.Stats.LastErrors, a.Stats.LastWarnings, a.Stats.LastMetrics,
				a.Stats.TotalErrors, a.Stats.TotalWarnings, a.Stats.TotalMetrics, string(ext))
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
