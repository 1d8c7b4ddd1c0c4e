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
// page of the list sorted by severity walks agents_severity (migrations
// 0075, 0079) instead of sorting the fleet, and a status filter
// agents_status_since; that the problems come first, each status the
// longest held first.
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
			agents = append(agents, &tc.Agent{ID: fmt.Sprintf("agent-%05d", i), Status: st, LastSeen: base.Add(time.Duration(i) * time.Second),
				StatusSince: ptr(base.Add(-time.Duration(i) * time.Second))})
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
		planOf := func(q string, args ...any) string {
			t.Helper()
			rows, err := s.ReadDB().QueryContext(ctx, explain+q, args...)
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
			return strings.Join(plan, "\n")
		}
		for _, c := range []struct {
			index, query string
			args         []any
		}{
			{"agents_severity", `SELECT a.id FROM agents a ORDER BY ` + store.SeverityRank + ` ASC, a.status_since ASC, a.id ASC LIMIT 25`, nil},
			{"agents_severity", `SELECT a.id FROM agents a ORDER BY ` + store.SeverityRank + ` DESC, a.status_since DESC, a.id DESC LIMIT 25`, nil},
			{"agents_status_since", `SELECT a.id FROM agents a WHERE a.status = $1 ORDER BY a.status_since ASC, a.id ASC LIMIT 25`, []any{tc.AgentOK}},
		} {
			got := planOf(c.query, c.args...)
			if !strings.Contains(got, c.index) || strings.Contains(got, "TEMP B-TREE") || strings.Contains(got, "Sort") {
				t.Errorf("%s does not walk %s:\n%s", c.query, c.index, got)
			}
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
		for i := 1; i < len(l.Items); i++ {
			if a, b := l.Items[i-1], l.Items[i]; a.Status == b.Status && a.StatusSince.After(*b.StatusSince) {
				t.Errorf("%s (%s since %s) before %s (since %s): the longest held comes first", a.ID, a.Status, a.StatusSince, b.ID, b.StatusSince)
			}
		}
	})
}
