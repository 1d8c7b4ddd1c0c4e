package store_test

import (
	"context"
	"testing"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/apptest"
)

// TestAgentCountsShrinkAfterABurst (PostgreSQL): a burst of counter rows
// (300,000 agents registering) leaves agent_counts's heap large after the
// scheduler folds them, and vacuum does not give it back; the tick then
// rewrites the table, keeping the counts.
func TestAgentCountsShrinkAfterABurst(t *testing.T) {
	apptest.RequirePostgres(t)
	ctx := context.Background()
	s := MustOpen(t, apptest.DB{Name: "postgres"})
	// As the triggers append them: one +1 row per new agent.
	if _, err := s.WithTxExec(ctx, `INSERT INTO agent_counts (reporting_rule_id, status, n)
		SELECT 'r' || (i % 3), (ARRAY['ok', 'warn', 'fail'])[1 + i % 3], 1 FROM generate_series(1, 300000) i`); err != nil {
		t.Fatal(err)
	}
	pages := func() int64 {
		t.Helper()
		var n int64
		if err := s.ReadDB().QueryRowContext(ctx, `SELECT pg_relation_size('agent_counts') / 8192`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := pages()
	if before < 1000 {
		t.Fatalf("the burst left %d pages, want a large heap to shrink", before)
	}
	if err := s.CompactAgentCounts(ctx); err != nil {
		t.Fatal(err)
	}
	if after := pages(); after > 1 {
		t.Errorf("agent_counts holds %d pages after the compaction (%d before), want 1", after, before)
	}
	sum, err := s.AgentSummary(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := (tc.AgentSummary{Total: 300000, OK: 100000, Warn: 100000, Fail: 100000}); sum != want {
		t.Errorf("summary %+v, want %+v", sum, want)
	}
	// A sweep's tick shrinks too; a small table is left alone.
	if _, err := s.SweepAgentStatus(ctx, s.Now()); err != nil {
		t.Fatal(err)
	}
	if after := pages(); after > 1 {
		t.Errorf("%d pages after a tick", after)
	}
}
