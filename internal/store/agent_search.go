package store

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// searchCond matches term as a substring of the id, hostname or IP. The
// trigram index (migration 0061) finds candidates, the agents holding a
// part of the term (searchPart); the exact check on the agent row decides,
// so LIKE wildcards in the term never widen the match. Terms under three
// characters have no trigram to look up: the list walks and checks.
func (s *Store) searchCond(ctx context.Context, term string, rows int, fleet, estLimit int64) (agentCond, error) {
	d := s.dialect.search
	c := agentCond{
		filterEstimate: filterEstimate{kind: bySearch, est: -1},
		probe:          func(arg func(any) string) string { return "(" + fmt.Sprintf(d.position, arg(term)) + ")" },
	}
	if utf8.RuneCountInString(term) < 3 || strings.ContainsRune(term, '\n') {
		return c, nil
	}
	sample, err := s.searchSample(ctx, fleet)
	if err != nil {
		return c, err
	}
	part := searchPart(term, sample, rows, fleet, estLimit)
	pattern := d.pattern(part)
	c.indexed = func(arg func(any) string) string {
		return "a.id IN (" + fmt.Sprintf(d.candidates, arg(pattern)) + ") AND " + c.probe(arg)
	}
	c.from, c.link, c.recheck = d.from, d.link, true
	c.join = func(arg func(any) string) string { return fmt.Sprintf(d.join, arg(pattern)) }
	err = s.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM (`+fmt.Sprintf(d.candidates, "$1")+` LIMIT `+
		strconv.FormatInt(estLimit+1, 10)+`) t`, s.dialect.planned([]any{pattern})...).Scan(&c.est)
	if err != nil {
		return c, fmt.Errorf("estimate agent search: %w", err)
	}
	c.exact = c.est <= estLimit
	return c, nil
}

// searchSampleSize is about how many agents' search terms searchSample reads.
const searchSampleSize = 1024

// searchSample returns the lower-cased search terms (id, hostname and IP)
// of about searchSampleSize agents spread over the fleet, or of all of
// them in a smaller fleet. Agents next to each other share IP prefixes and
// id digits, so the sample takes many short runs (sqliteSearchSample,
// postgresSearchSample).
func (s *Store) searchSample(ctx context.Context, fleet int64) ([]string, error) {
	q, args, err := s.dialect.search.sample(ctx, s.read, fleet)
	if err != nil {
		return nil, fmt.Errorf("sample agent search: %w", err)
	}
	rows, err := s.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("sample agent search: %w", err)
	}
	defer rows.Close()
	var sample []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			return nil, fmt.Errorf("sample agent search: %w", err)
		}
		sample = append(sample, strings.ToLower(t))
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sample agent search: %w", err)
	}
	return sample, nil
}

// sqliteSearchSample takes 16 runs of consecutive keys (more runs cost
// more to prepare than they improve the choice).
func sqliteSearchSample(ctx context.Context, db *sql.DB, fleet int64) (string, []any, error) {
	var top sql.NullInt64
	if err := db.QueryRowContext(ctx, `SELECT MAX(key) FROM agent_search_keys`).Scan(&top); err != nil {
		return "", nil, err
	}
	const runs = 16
	var parts []string
	var args []any
	for i := range runs {
		args = append(args, top.Int64*int64(i)/runs)
		parts = append(parts, `SELECT * FROM (SELECT terms FROM agent_search WHERE rowid > $`+strconv.Itoa(i+1)+
			` ORDER BY rowid LIMIT `+strconv.Itoa(searchSampleSize/runs)+`)`)
	}
	return strings.Join(parts, " UNION ALL "), args, nil
}

// postgresSearchSample takes every step-th row of the pages TABLESAMPLE
// picks (the same ones each time), step×searchSampleSize rows in all.
func postgresSearchSample(_ context.Context, _ *sql.DB, fleet int64) (string, []any, error) {
	step := max(1, min(16, fleet/searchSampleSize))
	q := `SELECT terms FROM (SELECT terms, row_number() OVER () AS n
			FROM agent_search TABLESAMPLE SYSTEM ($1) REPEATABLE (0)) t WHERE n % $2 = 0`
	return q, []any{min(100, 100*float64(step*searchSampleSize)/float64(max(fleet, 1))), step}, nil
}

// searchCandidateCost is what checking one candidate of the trigram index
// against its agent row costs, in index entries read.
const searchCandidateCost = 8

// searchPart picks the substring of term whose trigram lookup is cheapest,
// from how often each substring occurs in the sample. The index reads
// every entry of each trigram of the part (a trigram most agents share,
// such as the "age" of "agent-0054321", costs a read of the whole fleet),
// and each candidate it yields costs a check of the agent row. A longer
// part yields fewer candidates for more entries read. When the term is
// rare and the part's candidates too many for it to drive the list, the
// list walks its sort order for matches: that cost counts too.
func searchPart(term string, sample []string, rows int, fleet, estLimit int64) string {
	r := []rune(term)
	if len(r) > 40 {
		r = r[:40] // any part of the term finds all its matches
	}
	nt := len(r) - 2
	words := (len(sample) + 63) / 64
	holds := make([][]uint64, nt) // per trigram, the sample rows holding it
	for i := range nt {
		holds[i] = make([]uint64, words)
		t := string(r[i : i+3])
		for j, row := range sample {
			if strings.Contains(row, t) {
				holds[i][j/64] |= 1 << (j % 64)
			}
		}
	}
	n, m := float64(fleet), float64(len(sample))
	// agents estimates how many agents hold a substring found in hits
	// sample rows, never zero: an unseen one may still be there.
	agents := func(hits int) float64 { return (float64(hits) + 0.5) / (m + 1) * n }
	count := func(set []uint64, sub string) int {
		hits := 0
		for w, word := range set {
			for word != 0 {
				b := bits.TrailingZeros64(word)
				word &= word - 1
				if strings.Contains(sample[w*64+b], sub) {
					hits++
				}
			}
		}
		return hits
	}
	all := make([]uint64, words)
	for j := range sample {
		all[j/64] |= 1 << (j % 64)
	}
	matches := agents(count(all, term))
	best, bestCost := term, math.Inf(1)
	for i := range nt {
		set := slices.Clone(holds[i])
		read := 0.0
		for j := i; j < nt && j < i+12; j++ {
			for w := range set {
				set[w] &= holds[j][w]
			}
			read += agents(ones(holds[j]))
			part := string(r[i : j+3])
			cand := agents(count(set, part))
			cost := read + searchCandidateCost*cand
			if cand > float64(estLimit) && matches < float64(estLimit) {
				cost += searchCandidateCost * float64(rows) * n / matches
			}
			if cost < bestCost {
				best, bestCost = part, cost
			}
		}
	}
	return best
}

func ones(set []uint64) int {
	n := 0
	for _, w := range set {
		n += bits.OnesCount64(w)
	}
	return n
}
