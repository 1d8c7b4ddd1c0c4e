package store

import (
	"context"
	"fmt"
	"strings"
)

// SearchHit is one thing a search found: its id and the name it is shown by.
type SearchHit struct {
	ID   string
	Name string
}

// searchQueries are the lookups behind Search, one per kind: ids and names
// holding the text, case-insensitively. $1 is the LIKE pattern, $2 the limit,
// $3 (tokens only) the owner scope, "" for every owner. Agents are ordered by
// id alone, so a large fleet is read in primary-key order and the query stops
// at the limit.
var searchQueries = map[string]string{
	"agent": `SELECT id, id FROM agents
		WHERE lower(id) LIKE $1 ESCAPE '\' OR lower(hostname) LIKE $1 ESCAPE '\'
		ORDER BY id LIMIT $2`,
	"config": `SELECT id, name FROM configs
		WHERE lower(id) LIKE $1 ESCAPE '\' OR lower(name) LIKE $1 ESCAPE '\'
		ORDER BY lower(name), id LIMIT $2`,
	"label": `SELECT id, name FROM labels
		WHERE lower(id) LIKE $1 ESCAPE '\' OR lower(name) LIKE $1 ESCAPE '\'
		ORDER BY lower(name), id LIMIT $2`,
	"token": `SELECT id, description FROM tokens
		WHERE (lower(id) LIKE $1 ESCAPE '\' OR lower(description) LIKE $1 ESCAPE '\')
		AND ($3 = '' OR user_id = $3)
		ORDER BY lower(description), id LIMIT $2`,
	"user": `SELECT id, username FROM users
		WHERE lower(id) LIKE $1 ESCAPE '\' OR lower(username) LIKE $1 ESCAPE '\' OR lower(email) LIKE $1 ESCAPE '\'
		ORDER BY lower(username), id LIMIT $2`,
}

// Search returns up to limit things of one kind ("agent", "config",
// "label", "token" or "user") whose id or name holds text, ignoring case.
// owner limits tokens to one user's ("" for all); other kinds ignore it.
func (s *Store) Search(ctx context.Context, kind, text string, limit int, owner string) ([]SearchHit, error) {
	q, ok := searchQueries[kind]
	if !ok {
		return nil, fmt.Errorf("search: unknown kind %q", kind)
	}
	args := []any{containsPattern(strings.ToLower(text)), limit}
	if kind == "token" {
		args = append(args, owner)
	}
	rows, err := s.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("search %ss: %w", kind, err)
	}
	defer rows.Close()
	out := []SearchHit{}
	for rows.Next() {
		var h SearchHit
		if err := rows.Scan(&h.ID, &h.Name); err != nil {
			return nil, fmt.Errorf("search %ss: %w", kind, err)
		}
		out = append(out, h)
	}
	return out, rows.Err()
}
