package store_test

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/apptest"
	"github.com/telegrafcontroller/tc/internal/store"
)

// TestListAgentsPlansAgree runs every filter and sort with each filter
// driving the query (fetched by index, then sorted) and with none driving
// (walking the sort order): the plan choice must never change the answer,
// which must be the one computed here from the agents inserted. Each plan
// is forced by a store opened on the same database with its options.
func TestListAgentsPlansAgree(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		ctx := context.Background()
		dsn := apptest.NewDSN(t, db)
		open := func(plan store.PlanOptions) *store.Store {
			t.Helper()
			s, err := store.Open(ctx, dsn, store.Options{Plan: plan})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		}
		s := open(store.PlanOptions{})
		// forced opens a store whose drive limit is drive and whose total
		// caps are totalCap and half of it.
		forced := func(drive int64, totalCap int) *store.Store {
			return open(store.PlanOptions{FixDriveLimit: true, DriveLimit: drive, TotalCountCap: totalCap, CheckedCountCap: totalCap / 2})
		}
		for _, q := range []string{
			`INSERT INTO labels (id, name, color, created_at, updated_at) VALUES ('l1', 'one', '#000000', 0, 0)`,
			`INSERT INTO reporting_rules (id, name, not_reporting_after_seconds, created_at, updated_at) VALUES ('r2', 'two', 60, 0, 0)`,
		} {
			if _, err := s.WithTxExec(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
		statuses := tc.AgentStatuses
		base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		var agents []*tc.Agent
		for i := range 200 {
			a := &tc.Agent{
				ID:       fmt.Sprintf("Agent_%03d", i),
				Hostname: fmt.Sprintf("web-%03d.EXAMPLE", (i*37)%200),
				IP:       fmt.Sprintf("10.%d.0.%d", i%4, i),
				Status:   statuses[i%len(statuses)],
				LastSeen: base.Add(time.Duration((i*53)%200) * time.Second),
				// Another order than last heard's (a sort by severity
				// orders by how long the status has held).
				StatusSince: ptr(base.Add(-time.Duration((i*71)%200) * time.Second)),
			}
			if i%3 == 0 {
				a.ReportingRuleID = "r2"
			}
			if i%4 == 1 {
				a.LabelIDs = []string{"l1"}
			}
			if i%5 == 2 {
				a.ConfigIDs = []string{"c1"}
			}
			agents = append(agents, a)
		}
		if err := s.InsertAgents(ctx, agents); err != nil {
			t.Fatal(err)
		}
		filters := []tc.AgentFilter{
			{}, {Status: "warn"}, {ReportingRuleID: "r2"}, {LabelID: "l1"}, {ConfigID: "c1"},
			{Search: "web-01"}, {Search: "AGENT_1"}, {Search: "_1"}, {Search: "10.2.0."}, {Search: "x"}, {Search: "nothing"}, {Search: `"a*-^`}, {Search: "01.ex"},
			{Status: "ok", ReportingRuleID: "r2", LabelID: "l1"},
			{Status: "fail", ConfigID: "c1", Search: "example"},
			{ReportingRuleID: "r2", LabelID: "l1", ConfigID: "c1", Search: "agent"},
		}
		sorts := []string{tc.AgentSortName, tc.AgentSortStatus, tc.AgentSortLastSeen, tc.AgentSortHostname, tc.AgentSortSeverity}
		run := func(s *store.Store, f tc.AgentFilter) ([]string, int64, bool) {
			t.Helper()
			l, err := s.ListAgents(ctx, f)
			if err != nil {
				t.Fatalf("%+v: %v", f, err)
			}
			var ids []string
			for _, a := range l.Items {
				ids = append(ids, a.ID)
			}
			return ids, l.Total, l.TotalExact
		}
		plans := map[int64]*store.Store{0: forced(0, 10000), 1_000_000: forced(1_000_000, 10000)}
		for _, f := range filters {
			for _, sort := range sorts {
				for _, desc := range []bool{false, true} {
					for _, offset := range []int{0, 7} {
						f.SortBy, f.Desc, f.Offset, f.Limit = sort, desc, offset, 10
						wantIDs, wantTotal, _ := run(s, f)
						if offset == 0 {
							// EachAgent, which exports and resolves bulk
							// filters, finds the same agents in the same order.
							var each []string
							if err := s.EachAgent(ctx, f, 0, func(a *tc.Agent) error {
								each = append(each, a.ID)
								return nil
							}); err != nil {
								t.Fatal(err)
							}
							if all, _ := reference(agents, tc.AgentFilter{Search: f.Search, Status: f.Status,
								ReportingRuleID: f.ReportingRuleID, LabelID: f.LabelID, ConfigID: f.ConfigID,
								SortBy: f.SortBy, Desc: f.Desc, Limit: len(agents)}); !slices.Equal(each, all) {
								t.Errorf("EachAgent %+v: %v, want %v", f, each, all)
							}
						}
						if ids, total := reference(agents, f); !slices.Equal(ids, wantIDs) || total != wantTotal {
							t.Errorf("%+v: %v total %d, want %v total %d", f, wantIDs, wantTotal, ids, total)
						}
						for _, drive := range []int64{0, 1_000_000} {
							ids, total, exact := run(plans[drive], f)
							if !slices.Equal(ids, wantIDs) || total != wantTotal || !exact {
								t.Errorf("%+v with drive limit %d: %v total %d exact %v, want %v total %d",
									f, drive, ids, total, exact, wantIDs, wantTotal)
							}
						}
					}
				}
			}
		}
		// Counted totals stop at the cap and say so; maintained ones do not.
		// A search or a combination of filters stops at the lower cap (10
		// here).
		capped := forced(5000, 20)
		for _, c := range []struct {
			f     tc.AgentFilter
			total int64
			exact bool
		}{
			{tc.AgentFilter{LabelID: "l1"}, 20, false},
			{tc.AgentFilter{ConfigID: "c1"}, 20, false},
			{tc.AgentFilter{ConfigID: "c1", ReportingRuleID: "r2"}, 10, false}, // 13 match
			{tc.AgentFilter{ConfigID: "c1", LabelID: "l1"}, 10, true},          // i ≡ 17 (mod 20)
			{tc.AgentFilter{Search: "agent"}, 10, false},
			{tc.AgentFilter{Search: "agent_19"}, 10, true}, // Agent_190 to Agent_199
			{tc.AgentFilter{Status: "ok"}, 40, true},
			{tc.AgentFilter{}, 200, true},
		} {
			if _, total, exact := run(capped, c.f); total != c.total || exact != c.exact {
				t.Errorf("%+v: total %d exact %v, want %d %v", c.f, total, exact, c.total, c.exact)
			}
		}
	})
}

// reference filters and orders agents as ListAgents documents it.
func reference(agents []*tc.Agent, f tc.AgentFilter) ([]string, int64) {
	term := strings.ToLower(f.Search)
	var match []*tc.Agent
	for _, a := range agents {
		if (f.Status == "" || a.Status == f.Status) &&
			(f.ReportingRuleID == "" || a.ReportingRuleID == f.ReportingRuleID) &&
			(f.LabelID == "" || slices.Contains(a.LabelIDs, f.LabelID)) &&
			(f.ConfigID == "" || slices.Contains(a.ConfigIDs, f.ConfigID)) &&
			(term == "" || strings.Contains(strings.ToLower(a.ID), term) ||
				strings.Contains(strings.ToLower(a.Hostname), term) || strings.Contains(a.IP, term)) {
			match = append(match, a)
		}
	}
	key := func(a *tc.Agent) string {
		switch f.SortBy {
		case tc.AgentSortStatus:
			return a.Status
		case tc.AgentSortHostname:
			return a.Hostname
		case tc.AgentSortLastSeen:
			return a.LastSeen.UTC().Format(time.RFC3339Nano)
		case tc.AgentSortSeverity:
			rank := map[string]string{"fail": "0", "not_reporting": "1", "warn": "2", "undefined": "3", "ok": "4"}[a.Status]
			return rank + a.StatusSince.UTC().Format(time.RFC3339Nano) // every agent here has one
		}
		return ""
	}
	slices.SortFunc(match, func(a, b *tc.Agent) int {
		c := cmp.Or(strings.Compare(key(a), key(b)), strings.Compare(a.ID, b.ID))
		if f.Desc {
			return -c
		}
		return c
	})
	var ids []string
	for _, a := range match[min(f.Offset, len(match)):min(f.Offset+f.Limit, len(match))] {
		ids = append(ids, a.ID)
	}
	return ids, int64(len(match))
}
