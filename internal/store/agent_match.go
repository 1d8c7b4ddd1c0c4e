package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/telegrafcontroller/tc"
)

// EachAgent calls fn for each agent matching f's filters, in f's order, up
// to limit agents (0 for all), from one query read as it goes: the CSV
// export streams the fleet through it and a bulk action on a filter
// resolves its agents with it. Offset and Limit of f are ignored; label and
// config ids are not loaded. Errors: EINVALID for an unknown sort, and
// whatever fn returns.
func (s *Store) EachAgent(ctx context.Context, f tc.AgentFilter, limit int, fn func(*tc.Agent) error) error {
	order, ok := agentOrder(f.SortBy, f.Status, f.Desc)
	if !ok {
		return tc.FieldErrorf("sortBy", "sortBy must be one of name, status, lastSeen, hostname, severity")
	}
	// Equalities on indexed columns, so that each filter may drive; the
	// search is checked on the row (its index pays for a page, not for a
	// walk through every match).
	var where []string
	var args []any
	arg := placeholder(&args)
	for _, e := range []struct{ column, value string }{
		{"a.status", f.Status}, {"a.reporting_rule_id", f.ReportingRuleID},
	} {
		if e.value != "" {
			where = append(where, e.column+" = "+arg(e.value))
		}
	}
	if f.ConfigID != "" {
		where = append(where, "EXISTS (SELECT 1 FROM agent_configs l WHERE l.agent_id = a.id AND l.config_id = "+arg(f.ConfigID)+")")
	}
	if f.ConfigState != "" || f.ConfigVersion > 0 {
		where = append(where, configStateCond(arg, s.now(), f.ConfigID, f.ConfigState, f.ConfigVersion))
	}
	if f.LabelID != "" {
		where = append(where, "EXISTS (SELECT 1 FROM agent_labels l WHERE l.agent_id = a.id AND l.label_id = "+arg(f.LabelID)+")")
	}
	if term := strings.ToLower(strings.TrimSpace(f.Search)); term != "" {
		where = append(where, "("+fmt.Sprintf(s.dialect.search.position, arg(term))+")")
	}
	q := `SELECT ` + s.dialect.agentColumns + ` FROM ` + s.dialect.agentFrom + whereClause(where) + ` ORDER BY ` + order
	if limit > 0 {
		q += ` LIMIT ` + strconv.Itoa(limit)
	}
	rows, err := s.read.QueryContext(ctx, q, s.dialect.planned(args)...)
	if err != nil {
		return fmt.Errorf("read agents: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		a, err := scanAgent(rows)
		if err != nil {
			return fmt.Errorf("read agents: %w", err)
		}
		if err := fn(a); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read agents: %w", err)
	}
	return nil
}

// AgentProblems returns, for those of ids whose latest reported logs hold
// an error or a warning, the newest such entry: the agents list's "last
// problem" column, read for one page of agents.
func (s *Store) AgentProblems(ctx context.Context, ids []string) (map[string]tc.AgentLog, error) {
	out := make(map[string]tc.AgentLog)
	if len(ids) == 0 {
		return out, nil
	}
	var args []any
	arg := placeholder(&args)
	rows, err := s.read.QueryContext(ctx, `SELECT agent_id, logs FROM agent_logs WHERE agent_id IN (`+bindEach(arg, ids)+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("read agent problems: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, logs string
		if err := rows.Scan(&id, &logs); err != nil {
			return nil, fmt.Errorf("read agent problems: %w", err)
		}
		var entries []tc.AgentLog
		if json.Unmarshal([]byte(logs), &entries) != nil {
			continue // a row this version cannot read has no problem to show
		}
		for _, e := range entries { // newest first
			if IsProblemLevel(e.Level) {
				out[id] = e
				break
			}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read agent problems: %w", err)
	}
	return out, nil
}

// IsProblemLevel reports whether a log level reported by Telegraf is an
// error or a warning ("ERROR", "E", "WARN", "W", in any case).
func IsProblemLevel(level string) bool {
	l := strings.ToUpper(strings.TrimSpace(level))
	return strings.HasPrefix(l, "E") || strings.HasPrefix(l, "W")
}
