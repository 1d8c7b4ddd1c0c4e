package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"
)

// AgentUsage is how many agents use one configuration, carry one label or
// follow one reporting rule, in total and per status (tc.AgentStatuses).
type AgentUsage struct {
	Total    int
	ByStatus map[string]int
}

// UsageOf names what AgentUsage counts agents by.
type UsageOf int

// What AgentUsage counts by.
const (
	UsageConfig UsageOf = iota // agent_configs: the managed configs agents loaded
	UsageLabel                 // agent_labels
	UsageRule                  // the agent's reporting rule
)

// usageQueries count agents per (id, status) for the ids bound to the %s
// placeholder list. Rules sum agent_counts, which triggers keep per (rule,
// status) (on PostgreSQL as +1/-1 rows the scheduler folds), so their cost
// does not grow with the fleet; configs and labels
// walk their link table's index on (id, agent_id) and each agent's row.
var usageQueries = map[UsageOf]string{
	UsageConfig: `SELECT l.config_id, a.status, COUNT(*) FROM agent_configs l JOIN agents a ON a.id = l.agent_id
		WHERE l.config_id IN (%s) GROUP BY l.config_id, a.status`,
	UsageLabel: `SELECT l.label_id, a.status, COUNT(*) FROM agent_labels l JOIN agents a ON a.id = l.agent_id
		WHERE l.label_id IN (%s) GROUP BY l.label_id, a.status`,
	UsageRule: `SELECT reporting_rule_id, status, CAST(SUM(n) AS BIGINT) FROM agent_counts
		WHERE reporting_rule_id IN (%s) GROUP BY reporting_rule_id, status HAVING SUM(n) > 0`,
}

// usageChunk bounds the ids bound in one query (SQLite allows 32766
// parameters, PostgreSQL 65535; list pages ask for at most 200).
const usageChunk = 500

// AgentUsage returns the agent counts of each of ids, by what of. An id no
// agent uses is in the map with a zero Total, so callers can tell "none"
// from "not asked".
func (s *Store) AgentUsage(ctx context.Context, of UsageOf, ids []string) (map[string]AgentUsage, error) {
	q, ok := usageQueries[of]
	if !ok {
		return nil, fmt.Errorf("count agents: unknown usage %d", of)
	}
	out := make(map[string]AgentUsage, len(ids))
	for _, id := range ids {
		out[id] = AgentUsage{ByStatus: map[string]int{}}
	}
	for len(ids) > 0 {
		n := min(len(ids), usageChunk)
		chunk := ids[:n]
		ids = ids[n:]
		marks := make([]string, len(chunk))
		args := make([]any, len(chunk))
		for i, id := range chunk {
			marks[i] = "$" + strconv.Itoa(i+1)
			args[i] = id
		}
		if err := s.addUsage(ctx, fmt.Sprintf(q, strings.Join(marks, ", ")), args, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (s *Store) addUsage(ctx context.Context, q string, args []any, out map[string]AgentUsage) error {
	rows, err := s.read.QueryContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("count agents: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, status string
		var n int
		if err := rows.Scan(&id, &status, &n); err != nil {
			return fmt.Errorf("count agents: %w", err)
		}
		u := out[id]
		if u.ByStatus == nil {
			u.ByStatus = map[string]int{}
		}
		u.ByStatus[status] += n
		u.Total += n
		out[id] = u
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("count agents: %w", err)
	}
	return nil
}
