package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/apptest"
	"github.com/telegrafcontroller/tc/internal/store"
)

// TestSeverityOrderWalksItsIndex checks, on each database, that the first
// page of the list sorted by severity walks agents_severity (migration
// 0075) instead of sorting the fleet, and that the problems come first.
func TestSeverityOrderWalksItsIndex(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		ctx := context.Background()
		s, err := store.Open(ctx, apptest.NewDSN(t, db), store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		var agents []*tc.Agent
		for i := range 3000 {
			st := tc.AgentOK
			switch i % 100 {
			case 1:
				st = tc.AgentFail
			case 2:
				st = tc.AgentNotReporting
			case 3:
				st = tc.AgentWarn
			}
			agents = append(agents, &tc.Agent{ID: fmt.Sprintf("agent-%05d", i), Status: st, LastSeen: base.Add(time.Duration(i) * time.Second)})
		}
		if err := s.InsertAgents(ctx, agents); err != nil {
			t.Fatal(err)
		}
		if _, err := s.WithTxExec(ctx, "ANALYZE"); err != nil {
			t.Fatal(err)
		}
		explain := "EXPLAIN QUERY PLAN "
		if s.Dialect() == store.Postgres {
			explain = "EXPLAIN "
		}
		rows, err := s.ReadDB().QueryContext(ctx, explain+`SELECT a.id FROM agents a ORDER BY `+store.SeverityRank+
			` ASC, a.last_seen ASC, a.id ASC LIMIT 25`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		cols, _ := rows.Columns()
		var plan []string
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, fmt.Sprint(vals[len(vals)-1]))
		}
		got := strings.Join(plan, "\n")
		if !strings.Contains(got, "agents_severity") || strings.Contains(got, "TEMP B-TREE") || strings.Contains(got, "Sort") {
			t.Errorf("the severity sort does not walk agents_severity:\n%s", got)
		}
		l, err := s.ListAgents(ctx, tc.AgentFilter{SortBy: tc.AgentSortSeverity, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		var order []string
		for _, a := range l.Items {
			if len(order) == 0 || order[len(order)-1] != a.Status {
				order = append(order, a.Status)
			}
		}
		if want := "fail not_reporting warn ok"; strings.Join(order, " ") != want {
			t.Errorf("statuses in order %v, want %s", order, want)
		}
	})
}
