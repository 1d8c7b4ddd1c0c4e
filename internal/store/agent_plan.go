package store

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/telegrafcontroller/tc"
)

// severityRank is the rank of an agent's status in a sort by severity. The
// index agents_severity (migrations 0075, 0079) is on this very expression:
// the list must order by it as written there.
const severityRank = "(CASE a.status WHEN 'fail' THEN 0 WHEN 'not_reporting' THEN 1 WHEN 'warn' THEN 2 " +
	"WHEN 'undefined' THEN 3 ELSE 4 END)"

// agentSortColumns maps sort keys to the columns the list orders by; the id
// always breaks ties, so every order has an index (migrations 0002, 0061,
// 0079).
var agentSortColumns = map[string][]string{
	tc.AgentSortName:     {"a.id"},
	tc.AgentSortStatus:   {"a.status"},
	tc.AgentSortLastSeen: {"a.last_seen"},
	tc.AgentSortHostname: {"a.hostname"},
	tc.AgentSortSeverity: {severityRank, "a.status_since"},
}

// agentOrder is the ORDER BY of a list sorted by sortBy. Within one status
// the rank of a sort by severity is constant: the order is then that of
// agents_status_since, which a status filter walks.
func agentOrder(sortBy, status string, desc bool) (string, bool) {
	cols, ok := agentSortColumns[sortBy]
	if sortBy == "" {
		cols, ok = agentSortColumns[tc.AgentSortName], true
	}
	if !ok {
		return "", false
	}
	if sortBy == tc.AgentSortSeverity && status != "" {
		cols = cols[1:]
	}
	dir := " ASC"
	if desc {
		dir = " DESC"
	}
	var order []string
	for _, c := range append(cols, "a.id") {
		if !slices.Contains(order, c+dir) {
			order = append(order, c+dir)
		}
	}
	return strings.Join(order, ", "), true
}

// PlanOptions tunes the agent list's planner (Options.Plan). Zero fields
// take the measured defaults; tests force each plan with them.
type PlanOptions struct {
	// TotalCountCap is where a counted (not maintained) list total stops,
	// 10,000 by default: beyond it, counting a search or a config or label
	// filter over a large fleet would cost more than the page itself.
	TotalCountCap int
	// CheckedCountCap is the same for a search or for a config or label
	// filter combined with another filter, 1,000 by default: their matches
	// cost a check of each candidate row (a config on half the fleet and a
	// failing status cost 20,000 lookups on PostgreSQL to reach 10,000), and
	// more than a thousand such matches is a selection to refine.
	CheckedCountCap int
	// FixDriveLimit replaces the computed drive limit by DriveLimit: 0
	// walks the sort order's index, a large value lets the most selective
	// filter drive.
	FixDriveLimit bool
	DriveLimit    int64
}

func (o PlanOptions) withDefaults() PlanOptions {
	if o.TotalCountCap <= 0 {
		o.TotalCountCap = 10000
	}
	if o.CheckedCountCap <= 0 {
		o.CheckedCountCap = 1000
	}
	return o
}

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
func (o PlanOptions) driveLimit(rows int, scope int64, cheapWalk bool) int64 {
	if o.FixDriveLimit {
		return o.DriveLimit
	}
	n := float64(rows) * float64(scope)
	if cheapWalk {
		n /= walkRowCost
	}
	return max(100, int64(math.Sqrt(n)))
}

// estimateLimit is how far a filter's matches are counted to estimate it:
// the largest drive limit for rows of fleet, beyond which the count says
// only "too many to drive".
func (o PlanOptions) estimateLimit(rows int, fleet int64) int64 {
	return o.driveLimit(rows, fleet, false)
}

// filterKind is what a filter of the agent list looks up.
type filterKind uint8

const (
	byStatus filterKind = iota // agents_status indexes; counted by the maintained counters
	byRule                     // agents' rule index; counted by the maintained counters
	byLink                     // a label or config: another table's rows, checked by agent id alone
	bySearch                   // the trigram index's candidates, each checked on the agent row
	// byConfigState: the state of an agent's configs (store/serve.go),
	// computed per agent from its links, what was served and the clock: no
	// index finds it, so it never drives and is checked on each candidate.
	byConfigState
)

// filterEstimate is what the planner knows of one filter. The database
// planners cannot see, for a given value, whether a filter matches ten
// agents or half the fleet (SQLite keeps no per-value statistics), so
// ListAgents estimates each filter cheaply (agentConds) and picks the plan
// itself.
type filterEstimate struct {
	kind filterKind
	// est is the filter's matches (candidates for a search), capped at the
	// estimate limit + 1; -1 is unknown, for a search with no index to
	// look up (a term under three characters), which never drives.
	est   int64
	exact bool // est is not capped
}

// onRow: checking the filter reads the agent row; a label or config check
// needs only the agent id, which every sort index carries.
func (e filterEstimate) onRow() bool { return e.kind != byLink }

// elsewhere: the filter's index is another table's, read and then joined
// to agents.
func (e filterEstimate) elsewhere() bool {
	return e.kind == byLink || e.kind == bySearch || e.kind == byConfigState
}

// listShape is what a list plan is chosen from.
type listShape struct {
	rows       int   // offset + limit: the matches the page query must find
	fleet      int64 // agents in all
	byHostname bool  // the sort is by hostname, whose index has no status order
	filters    []filterEstimate
}

// listPlan is how ListAgents runs a list.
type listPlan struct {
	// page is the filter whose index drives the page query (its rows
	// fetched, then sorted); -1 walks the sort order's index.
	page int
	// countCap is where the total's count stops; 0 when the total comes
	// from the maintained counters.
	countCap int64
	// count is the filter whose index drives the count; -1 reads agents.
	count int
}

// plan chooses how to run a list from the filters' estimates alone.
func (o PlanOptions) plan(sh listShape) listPlan {
	p := listPlan{page: o.pageDriver(sh), count: -1}
	counted, checked := false, len(sh.filters) > 1
	for _, f := range sh.filters {
		counted = counted || f.elsewhere()
		checked = checked || f.kind == bySearch
	}
	if !counted {
		return p
	}
	p.countCap = int64(o.TotalCountCap)
	if checked {
		p.countCap = int64(o.CheckedCountCap)
	}
	p.count = countDriver(sh.filters, p.countCap, sh.fleet)
	return p
}

// pageDriver is the filter that drives the page query, or -1.
//
// The status indexes come in the order of a sort by name, status, last
// heard or severity (agents_status on (status, id), agents_status_last_seen
// on (status, last_seen, id), agents_status_since on (status, status_since,
// id)): walking the status's entries there is the walk
// of the sort order over those agents alone, which the filter drives.
// Another filter drives instead when it is selective enough against that
// smaller walk.
func (o PlanOptions) pageDriver(sh listShape) int {
	ordered := len(sh.filters) > 0 && sh.filters[0].kind == byStatus && !sh.byHostname &&
		!(o.FixDriveLimit && o.DriveLimit == 0)
	scope := sh.fleet
	if ordered {
		scope = sh.filters[0].est
	}
	cheapWalk := true
	for i, f := range sh.filters {
		if f.onRow() && !(ordered && i == 0) {
			cheapWalk = false
		}
	}
	drive := o.driveLimit(sh.rows, scope, cheapWalk)
	driver := -1
	if ordered {
		driver = 0
	}
	for i, f := range sh.filters {
		if f.est >= 0 && f.est <= drive && (driver < 0 || f.est < sh.filters[driver].est) {
			driver = i
		}
	}
	return driver
}

// countDriver is the filter whose index reaches the count's cap or the end
// soonest, so that the count's LIMIT stops the reading; -1 reads agents.
func countDriver(filters []filterEstimate, countCap, fleet int64) int {
	driver, best := -1, math.Inf(1)
	for i, c := range filters {
		if c.est < 0 {
			continue
		}
		// Reading c's entries finds a match every fleet/others entries
		// (filters taken as independent), so it stops after the lesser of
		// its own size and countCap+1 matches' worth. A capped estimate
		// says only "more than the limit": its geometric mean with the
		// fleet stands for it. Checking the others costs an agent row per
		// entry unless they are all label or config lookups.
		size, others, cost := effEst(c, fleet), 1.0, 1.0
		for j, o := range filters {
			if j == i {
				continue
			}
			others *= effEst(o, fleet) / float64(max(fleet, 1))
			if o.onRow() || c.elsewhere() {
				cost = walkRowCost
			}
		}
		cost *= min(size, float64(countCap+1)/max(others, 1e-9))
		if cost < best {
			driver, best = i, cost
		}
	}
	return driver
}

// effEst is the number of agents c is taken to match when choosing plans.
func effEst(c filterEstimate, fleet int64) float64 {
	switch {
	case c.est < 0:
		return float64(fleet)
	case c.exact:
		return float64(c.est)
	}
	return math.Sqrt(float64(c.est) * float64(fleet))
}

// agentCond is one filter of the agent list in its SQL forms, with its
// estimate.
type agentCond struct {
	filterEstimate
	// indexed finds the matching rows through an index (nil if it cannot,
	// and then est is -1).
	indexed func(arg func(any) string) string
	// probe checks one row and never drives the query.
	probe func(arg func(any) string) string
	// from, join and link drive a count: the rows of the driver's own
	// tables (from, filtered by join) are read in index order and joined to
	// agents by link, so that the count's LIMIT stops the reading. An empty
	// from means agents itself, filtered by join.
	from string
	join func(arg func(any) string) string
	link string
	// recheck: the driver's rows are candidates; probe decides.
	recheck bool
}

// ListAgents returns one page of agents matching f and how many match.
// Totals for filters on status and reporting rule alone come from the
// maintained counters; a config or label filter alone is counted up to
// PlanOptions.TotalCountCap, a search or a combination of filters up to
// PlanOptions.CheckedCountCap.
func (s *Store) ListAgents(ctx context.Context, f tc.AgentFilter) (*tc.AgentList, error) {
	order, ok := agentOrder(f.SortBy, f.Status, f.Desc)
	if !ok {
		return nil, tc.FieldErrorf("sortBy", "sortBy must be one of name, status, lastSeen, hostname, severity")
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
	filters := make([]filterEstimate, len(conds))
	for i, c := range conds {
		filters[i] = c.filterEstimate
	}
	p := s.plan.plan(listShape{rows: offset + limit, fleet: fleet, byHostname: f.SortBy == tc.AgentSortHostname, filters: filters})
	var where []string
	var args []any
	arg := placeholder(&args)
	for i, c := range conds {
		if i == p.page {
			where = append(where, c.indexed(arg))
		} else {
			where = append(where, c.probe(arg))
		}
	}
	q := `SELECT ` + agentColumns + ` FROM agents a` + whereClause(where) + ` ORDER BY ` + order +
		` LIMIT ` + strconv.Itoa(limit) + ` OFFSET ` + strconv.Itoa(offset)
	if s.dialect.liveness {
		// The page first, then its agents' liveness rows: joined inside,
		// every row walked or sorted before the offset and limit would
		// cost a lookup (page 401 by last heard: 38 → 207 ms at a million).
		q = `SELECT ` + s.dialect.agentColumns + ` FROM (SELECT a.* FROM agents a` + whereClause(where) + ` ORDER BY ` + order +
			` LIMIT ` + strconv.Itoa(limit) + ` OFFSET ` + strconv.Itoa(offset) + `) a JOIN agent_liveness lv ON lv.agent_id = a.id ORDER BY ` + order
	}
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
	if err := s.loadConfigStates(ctx, list.Items); err != nil {
		return nil, err
	}
	if p.countCap == 0 {
		n, err := s.countAgents(ctx, f.ReportingRuleID, f.Status)
		if err != nil {
			return nil, err
		}
		list.Total, list.TotalExact = n, true
		return list, nil
	}
	n, err := s.countMatches(ctx, conds, p.count, p.countCap)
	if err != nil {
		return nil, err
	}
	list.Total, list.TotalExact = min(n, p.countCap), n <= p.countCap
	return list, nil
}

// countMatches counts agents matching conds up to countCap+1, reading
// from conds[driver]'s index (none if -1), the join order forced
// (dialect.countThrough).
func (s *Store) countMatches(ctx context.Context, conds []agentCond, driver int, countCap int64) (int64, error) {
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

// agentConds turns f's filters into conditions with their estimates: status
// and rule from the maintained counters (exact), labels, configs and
// searches by counting their index entries up to the largest drive limit
// + 1. The status filter, when there is one, comes first.
func (s *Store) agentConds(ctx context.Context, f tc.AgentFilter, rows int, fleet int64) ([]agentCond, error) {
	var conds []agentCond
	estLimit := s.plan.estimateLimit(rows, fleet)
	capped := strconv.FormatInt(estLimit+1, 10)
	equal := func(column, value string) agentCond {
		indexed := func(arg func(any) string) string { return column + " = " + arg(value) }
		probe := func(arg func(any) string) string {
			return fmt.Sprintf(s.dialect.probeColumn, column) + " = " + arg(value)
		}
		return agentCond{indexed: indexed, probe: probe, join: indexed}
	}
	for _, e := range []struct {
		kind                        filterKind
		column, value, rule, status string
	}{
		{byStatus, "a.status", f.Status, "", f.Status},
		{byRule, "a.reporting_rule_id", f.ReportingRuleID, f.ReportingRuleID, ""},
	} {
		if e.value == "" {
			continue
		}
		c := equal(e.column, e.value)
		c.kind, c.exact = e.kind, true
		var err error
		if c.est, err = s.countAgents(ctx, e.rule, e.status); err != nil {
			return nil, err
		}
		conds = append(conds, c)
	}
	link := func(table, column, value string) (agentCond, error) {
		c := agentCond{
			filterEstimate: filterEstimate{kind: byLink},
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
	if f.ConfigState != "" || f.ConfigVersion > 0 {
		now := s.now()
		conds = append(conds, agentCond{
			filterEstimate: filterEstimate{kind: byConfigState, est: -1},
			probe: func(arg func(any) string) string {
				return configStateCond(arg, now, f.ConfigID, f.ConfigState, f.ConfigVersion)
			},
		})
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
