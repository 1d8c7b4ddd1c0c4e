package store_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/apptest"
	"github.com/telegrafcontroller/tc/internal/store"
)

// TestAgentUsage counts agents by status per config, label and rule, and
// follows a deletion and a status change.
func TestAgentUsage(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		ctx := context.Background()
		s := MustOpen(t, db)
		for _, q := range []string{
			`INSERT INTO labels (id, name, color, created_at, updated_at) VALUES ('l1', 'one', '#000000', 0, 0)`,
			`INSERT INTO labels (id, name, color, created_at, updated_at) VALUES ('l2', 'two', '#000000', 0, 0)`,
			`INSERT INTO reporting_rules (id, name, not_reporting_after_seconds, created_at, updated_at) VALUES ('r2', 'two', 60, 0, 0)`,
		} {
			if _, err := s.WithTxExec(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
		// Agents 0..9: status cycles ok, fail; even ones use c1 and carry l1
		// and follow r2; every third one also uses c2.
		var agents []*tc.Agent
		for i := range 10 {
			a := &tc.Agent{ID: fmt.Sprintf("a%d", i), Status: []string{tc.AgentOK, tc.AgentFail}[i%2]}
			if i%2 == 0 {
				a.ConfigIDs = []string{"c1"}
				a.LabelIDs = []string{"l1"}
				a.ReportingRuleID = "r2"
			}
			if i%3 == 0 {
				a.ConfigIDs = append(a.ConfigIDs, "c2")
			}
			agents = append(agents, a)
		}
		if err := s.InsertAgents(ctx, agents); err != nil {
			t.Fatal(err)
		}
		check := func(of store.UsageOf, ids []string, want map[string]map[string]int) {
			t.Helper()
			got, err := s.AgentUsage(ctx, of, ids)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(ids) {
				t.Errorf("usage %d: got %d ids, want %d", of, len(got), len(ids))
			}
			for id, w := range want {
				total := 0
				for st, n := range w {
					total += n
					if got[id].ByStatus[st] != n {
						t.Errorf("usage %d of %s, status %s: got %d, want %d", of, id, st, got[id].ByStatus[st], n)
					}
				}
				if got[id].Total != total {
					t.Errorf("usage %d of %s: got total %d, want %d", of, id, got[id].Total, total)
				}
			}
		}
		// a0, a2, a4, a6, a8 are ok (even); c2: a0, a3, a6, a9 (a3, a9 fail).
		check(store.UsageConfig, []string{"c1", "c2", "none"}, map[string]map[string]int{
			"c1": {tc.AgentOK: 5}, "c2": {tc.AgentOK: 2, tc.AgentFail: 2}, "none": {},
		})
		check(store.UsageLabel, []string{"l1", "l2"}, map[string]map[string]int{"l1": {tc.AgentOK: 5}, "l2": {}})
		check(store.UsageRule, []string{"r2"}, map[string]map[string]int{"r2": {tc.AgentOK: 5}})
		check(store.UsageConfig, nil, nil)

		if err := s.DeleteAgent(ctx, "a0"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.WithTxExec(ctx, `UPDATE agents SET status = 'not_reporting' WHERE id = 'a2'`); err != nil {
			t.Fatal(err)
		}
		check(store.UsageConfig, []string{"c1", "c2"}, map[string]map[string]int{
			"c1": {tc.AgentOK: 3, tc.AgentNotReporting: 1}, "c2": {tc.AgentOK: 1, tc.AgentFail: 2},
		})
		check(store.UsageRule, []string{"r2"}, map[string]map[string]int{"r2": {tc.AgentOK: 3, tc.AgentNotReporting: 1}})
	})
}
