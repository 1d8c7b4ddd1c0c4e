package store

import "testing"

// TestPlan checks the list planner's choices from estimates alone, for the
// shapes tc-agents-bench measures on a million agents (first page of 25
// unless said): where each filter's estimate puts the drive limit
// (sqrt(rows×scope), a ninth of it for a walk that reads no agent row) and
// which index the count reads.
func TestPlan(t *testing.T) {
	const fleet = 1_000_000
	status := func(n int64) filterEstimate { return filterEstimate{kind: byStatus, est: n, exact: true} }
	rule := func(n int64) filterEstimate { return filterEstimate{kind: byRule, est: n, exact: true} }
	link := func(n int64) filterEstimate { return filterEstimate{kind: byLink, est: n, exact: true} }
	search := func(n int64) filterEstimate { return filterEstimate{kind: bySearch, est: n, exact: n >= 0} }
	// many is an estimate capped at the estimate limit (5,000) + 1.
	many := func(e filterEstimate) filterEstimate { e.est, e.exact = 5001, false; return e }
	shape := func(filters ...filterEstimate) listShape {
		return listShape{rows: 25, fleet: fleet, filters: filters}
	}
	byHostname := func(sh listShape) listShape { sh.byHostname = true; return sh }
	for _, c := range []struct {
		name string
		opts PlanOptions
		sh   listShape
		want listPlan
	}{
		{"no filter: walk, counters", PlanOptions{}, shape(),
			listPlan{page: -1, count: -1}},
		{"status 2% sort name: its index is the sort order", PlanOptions{}, shape(status(20_000)),
			listPlan{page: 0, count: -1}},
		{"status 2% sort hostname: walk (limit 5,000)", PlanOptions{}, byHostname(shape(status(20_000))),
			listPlan{page: -1, count: -1}},
		{"status 2% sort hostname, offset 10,000: status drives (limit 100,125)", PlanOptions{},
			listShape{rows: 10_025, fleet: fleet, byHostname: true, filters: []filterEstimate{status(20_000)}},
			listPlan{page: 0, count: -1}},
		{"rule 20%: walk, counters", PlanOptions{}, shape(rule(200_000)),
			listPlan{page: -1, count: -1}},
		{"label 0.1% sort hostname: drives (cheap walk, limit 1,666)", PlanOptions{}, byHostname(shape(link(1000))),
			listPlan{page: 0, countCap: 10000, count: 0}},
		{"label 10%: walk, counted through the label", PlanOptions{}, shape(many(link(0))),
			listPlan{page: -1, countCap: 10000, count: 0}},
		{"status 90% + label 0.1% sort lastSeen: label drives (limit 1,581)", PlanOptions{},
			shape(status(900_000), link(1000)),
			listPlan{page: 1, countCap: 1000, count: 1}},
		{"status 2% + config 50%: status drives both", PlanOptions{}, shape(status(20_000), many(link(0))),
			listPlan{page: 0, countCap: 1000, count: 0}},
		{"config 50% + label 0.3%: walk, the label counts", PlanOptions{}, shape(many(link(0)), link(3000)),
			listPlan{page: -1, countCap: 1000, count: 1}},
		{"search under three characters: walk, count agents", PlanOptions{}, shape(search(-1)),
			listPlan{page: -1, countCap: 1000, count: -1}},
		{"search with 50 candidates: drives", PlanOptions{}, shape(search(50)),
			listPlan{page: 0, countCap: 1000, count: 0}},
		{"small fleet: the drive limit is at least 100", PlanOptions{},
			listShape{rows: 10, fleet: 200, filters: []filterEstimate{link(50)}},
			listPlan{page: 0, countCap: 10000, count: 0}},
		{"fixed drive limit 0: status walks too", PlanOptions{FixDriveLimit: true}, shape(status(20_000)),
			listPlan{page: -1, count: -1}},
		{"fixed drive limit 1,000,000: rule drives", PlanOptions{FixDriveLimit: true, DriveLimit: 1_000_000}, shape(rule(200_000)),
			listPlan{page: 0, count: -1}},
		{"caps set", PlanOptions{TotalCountCap: 20, CheckedCountCap: 10}, shape(many(link(0))),
			listPlan{page: -1, countCap: 20, count: 0}},
	} {
		if got := c.opts.withDefaults().plan(c.sh); got != c.want {
			t.Errorf("%s: plan = %+v, want %+v", c.name, got, c.want)
		}
	}
}
