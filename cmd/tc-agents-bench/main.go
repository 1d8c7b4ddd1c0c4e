// Command tc-agents-bench seeds a database with a synthetic fleet and
// measures the agents list and summary queries, p50 and p95 per query shape.
// It talks to the store directly (what GET /api/agents and
// /api/agents/summary run, without HTTP) and, in the same run, times a
// trivial query as the baseline of the machine.
//
//	go run ./cmd/tc-agents-bench -database /tmp/bench.db -agents 1000000
//	go run ./cmd/tc-agents-bench -database 'postgres://tc@127.0.0.1:55432/bench?sslmode=disable' -agents 1000000
//
// Seeding is one INSERT ... SELECT per batch, generated in SQL (a recursive
// CTE on SQLite, generate_series on PostgreSQL), so a million agents take
// seconds, not minutes. An existing fleet of the right size is reused
// (-reseed forces a new one).
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"runtime/pprof"
	"slices"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/store"
)

const (
	ruleID      = "bench-rule"
	labelCommon = "bench-label-common" // 10% of agents
	labelRare   = "bench-label-rare"   // 0.1%
	configHalf  = "bench-config-half"  // 50%
	configRare  = "bench-config-rare"  // 0.5%
)

func main() {
	dsn := flag.String("database", "", "SQLite file path or postgres:// URL (required)")
	n := flag.Int("agents", 100000, "fleet size")
	iters := flag.Int("iterations", 30, "runs per query shape")
	reseed := flag.Bool("reseed", false, "delete the fleet and seed it again")
	sweep := flag.Bool("sweep", false, "after the queries, time two status sweeps (this changes statuses: reseed afterwards)")
	flushes := flag.Int("flushes", 0, "instead of the queries, time this many heartbeat flushes of -flush-agents random known agents each")
	flushAgents := flag.Int("flush-agents", 16700, "agents per timed flush")
	flushOrder := flag.String("flush-order", "random", "which agents each flush writes: random (agents whose beats are spread over the fleet) or periodic (consecutive agents, a second pass over the agents of a first: beats of a fleet that keeps its phase)")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the timed part to this file")
	historyBucket := flag.Duration("history-bucket", 0, "with -flushes: the agents' reporting history's bucket width, as --agent-history-bucket (0: no history)")
	flag.Parse()
	if *dsn == "" {
		flag.Usage()
		os.Exit(2)
	}
	// A periodic pass takes consecutive agents, skipping 3 in 100 (the
	// not_reporting ones): the fleet must hold them all, or flushBeats
	// would look for agents forever.
	if *flushOrder == "periodic" && *flushes*(*flushAgents)*100/97+1 >= *n {
		log.Fatalf("-flush-order periodic: %d flushes of %d agents need more than the %d agents of -agents", *flushes, *flushAgents, *n)
	}
	ctx := context.Background()
	s, err := store.Open(ctx, *dsn, store.Options{AgentHistoryBucket: *historyBucket})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()

	sum, err := s.AgentSummary(ctx)
	if err != nil {
		log.Fatal(err)
	}
	if *reseed || sum.Total != int64(*n) {
		start := time.Now()
		if err := seed(ctx, s, *n); err != nil {
			log.Fatal(err)
		}
		fmt.Printf("seeded %d agents on %s in %v\n", *n, s.Dialect(), time.Since(start).Round(time.Millisecond))
	} else {
		fmt.Printf("reusing %d agents on %s\n", sum.Total, s.Dialect())
	}
	fmt.Printf("load average before: %s", loadavg())
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			log.Fatal(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			log.Fatal(err)
		}
		defer pprof.StopCPUProfile()
	}
	if *flushes > 0 {
		measureFlushes(ctx, s, *n, *flushes, *flushAgents, *flushOrder == "periodic")
		fmt.Printf("load average after: %s", loadavg())
		return
	}
	measure(ctx, s, *iters)
	if *sweep {
		// The first sweep finds most of the seeded fleet (seen up to an
		// hour ago) silent and marks it: the worst case, as after an outage.
		// The second finds nothing to change: the steady state.
		for _, name := range []string{"mass transition", "steady state"} {
			start := time.Now()
			sw, err := s.SweepAgentStatus(ctx, time.Now().Add(-24*time.Hour))
			if err != nil {
				log.Fatal(err)
			}
			fmt.Printf("sweep (%s): %v, %d marked not_reporting, %d restored\n", name, time.Since(start).Round(time.Millisecond), sw.NotReporting, sw.Restored)
		}
	}
	fmt.Printf("load average after: %s", loadavg())
}

// cpuTime is this process's CPU time so far: on SQLite, which runs in the
// process, the work a query costs whatever the machine's load; on
// PostgreSQL only the client's share.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// loadavg reports how busy the machine was: figures from a shared machine
// mean little without it.
func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown\n"
	}
	return string(b)
}

// seed replaces the fleet with n agents in batches. Statuses: 90% ok, 4%
// warn, 2% fail, 1% undefined, 3% not_reporting; 20% on a second rule;
// hostnames and last-seen times shuffled against the ids.
func seed(ctx context.Context, s *store.Store, n int) error {
	for _, q := range []string{
		`DELETE FROM agents`,
		`DELETE FROM labels WHERE id LIKE 'bench-%'`,
		`DELETE FROM reporting_rules WHERE id = 'bench-rule'`,
		`INSERT INTO reporting_rules (id, name, description, not_reporting_after_seconds, is_default, created_at, updated_at)
			VALUES ('bench-rule', 'Bench', '', 600, FALSE, 0, 0)`,
		`INSERT INTO labels (id, name, color, created_at, updated_at) VALUES ('bench-label-common', 'bench common', '#000000', 0, 0)`,
		`INSERT INTO labels (id, name, color, created_at, updated_at) VALUES ('bench-label-rare', 'bench rare', '#000000', 0, 0)`,
	} {
		if _, err := s.WithTxExec(ctx, q); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	now := time.Now().UnixMilli()
	const batch = 100000
	for lo := 0; lo < n; lo += batch {
		hi := min(lo+batch, n) - 1
		err := s.WithTx(ctx, func(tx *store.Tx) error {
			for i, q := range seedSQL(s.Dialect()) {
				if _, err := tx.ExecContext(ctx, q, lo, hi, now, n); err != nil {
					return fmt.Errorf("seed: %w", err)
				}
				// Fresh statistics before the links: PostgreSQL's foreign-key
				// checks otherwise plan for an empty agents table and scan it
				// once per link.
				if i == 0 && s.Dialect() == store.Postgres {
					if _, err := tx.ExecContext(ctx, `ANALYZE agents`); err != nil {
						return fmt.Errorf("seed: %w", err)
					}
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	if err := s.CompactAgentCounts(ctx); err != nil {
		return err
	}
	if s.Dialect() == store.Postgres {
		for _, t := range []string{"agents", "agent_labels", "agent_configs", "agent_counts", "agent_search"} {
			if _, err := s.ReadDB().ExecContext(ctx, `VACUUM ANALYZE `+t); err != nil {
				return err
			}
		}
		return nil
	}
	_, err := s.WithTxExec(ctx, `ANALYZE`)
	return err
}

// seedSQL returns the statements that insert agents $1..$2 (and their
// links) at time $3 in a fleet of $4.
func seedSQL(d store.Dialect) []string {
	seq := `WITH RECURSIVE seq(i) AS (SELECT CAST($1 AS INTEGER) UNION ALL SELECT i + 1 FROM seq WHERE i < $2) `
	from := ` FROM seq`
	id := `printf('agent-%07d', i)`
	host := `printf('host-%07d', (i * 7919) % $4)`
	ip := `printf('10.%d.%d.%d', (i / 65536) % 256, (i / 256) % 256, i % 256)`
	if d == store.Postgres {
		seq = ``
		from = ` FROM generate_series(CAST($1 AS BIGINT), CAST($2 AS BIGINT)) AS i`
		id = `'agent-' || lpad(i::text, 7, '0')`
		host = `'host-' || lpad(((i * 7919) % CAST($4 AS BIGINT))::text, 7, '0')`
		ip = `'10.' || ((i / 65536) % 256) || '.' || ((i / 256) % 256) || '.' || (i % 256)`
	}
	status := `CASE WHEN i % 100 < 90 THEN 'ok' WHEN i % 100 < 94 THEN 'warn' WHEN i % 100 < 96 THEN 'fail' WHEN i % 100 < 97 THEN 'undefined' ELSE 'not_reporting' END`
	reported := `CASE WHEN i % 100 < 90 THEN 'ok' WHEN i % 100 < 94 THEN 'warn' WHEN i % 100 < 96 THEN 'fail' WHEN i % 100 < 97 THEN 'undefined' ELSE 'ok' END`
	rule := `CASE WHEN i % 5 = 0 THEN 'bench-rule' ELSE '` + tc.DefaultReportingRuleID + `' END`
	lastSeen := `CAST($3 AS BIGINT) - ((i * 37) % 3600) * 1000`
	insertAgents := seq + `INSERT INTO agents (id, hostname, ip, version, reported_status, status, reporting_rule_id, first_seen, last_seen,
		last_metrics, total_metrics, external_configs, status_since)
		SELECT ` + id + `, ` + host + `, ` + ip + `, 'Telegraf 1.39.3', ` + reported + `, ` + status + `, ` + rule + `,
		CAST($3 AS BIGINT) - 86400000, ` + lastSeen + `, 120, 120000, '[]', ` + lastSeen + from + ` WHERE CAST($4 AS BIGINT) > 0`
	link := func(table, col, val, cond string) string {
		return seq + `INSERT INTO ` + table + ` (agent_id, ` + col + `) SELECT ` + id + `, '` + val + `'` + from +
			` WHERE ` + cond + ` AND CAST($3 AS BIGINT) > 0 AND CAST($4 AS BIGINT) > 0`
	}
	return []string{
		insertAgents,
		link("agent_labels", "label_id", labelCommon, "i % 10 = 3"),
		link("agent_labels", "label_id", labelRare, "i % 1000 = 7"),
		link("agent_configs", "config_id", configHalf, "i % 2 = 1"),
		link("agent_configs", "config_id", configRare, "i % 200 = 11"),
	}
}

type shape struct {
	name string
	f    tc.AgentFilter
}

func measure(ctx context.Context, s *store.Store, iters int) {
	page := func(f tc.AgentFilter) tc.AgentFilter { f.Limit = 25; return f }
	shapes := []shape{
		{"sort name", page(tc.AgentFilter{})},
		{"sort name desc", page(tc.AgentFilter{Desc: true})},
		{"sort lastSeen desc", page(tc.AgentFilter{SortBy: tc.AgentSortLastSeen, Desc: true})},
		{"sort hostname", page(tc.AgentFilter{SortBy: tc.AgentSortHostname})},
		{"sort status", page(tc.AgentFilter{SortBy: tc.AgentSortStatus})},
		{"sort status desc", page(tc.AgentFilter{SortBy: tc.AgentSortStatus, Desc: true})},
		{"page 401 (offset 10000)", tc.AgentFilter{Limit: 25, Offset: 10000}},
		{"page 401 sort lastSeen", tc.AgentFilter{Limit: 25, Offset: 10000, SortBy: tc.AgentSortLastSeen}},
		{"status=ok sort lastSeen desc", page(tc.AgentFilter{Status: "ok", SortBy: tc.AgentSortLastSeen, Desc: true})},
		{"status=fail (2%)", page(tc.AgentFilter{Status: "fail"})},
		{"status=fail sort lastSeen desc", page(tc.AgentFilter{Status: "fail", SortBy: tc.AgentSortLastSeen, Desc: true})},
		{"status=fail sort hostname", page(tc.AgentFilter{Status: "fail", SortBy: tc.AgentSortHostname})},
		{"status=not_reporting sort lastSeen", page(tc.AgentFilter{Status: "not_reporting", SortBy: tc.AgentSortLastSeen})},
		{"rule (20%)", page(tc.AgentFilter{ReportingRuleID: ruleID})},
		{"rule sort lastSeen desc", page(tc.AgentFilter{ReportingRuleID: ruleID, SortBy: tc.AgentSortLastSeen, Desc: true})},
		{"rule+status=fail sort hostname", page(tc.AgentFilter{ReportingRuleID: ruleID, Status: "fail", SortBy: tc.AgentSortHostname})},
		{"label common (10%)", page(tc.AgentFilter{LabelID: labelCommon})},
		{"label common sort lastSeen", page(tc.AgentFilter{LabelID: labelCommon, SortBy: tc.AgentSortLastSeen, Desc: true})},
		{"label rare (0.1%) sort hostname", page(tc.AgentFilter{LabelID: labelRare, SortBy: tc.AgentSortHostname})},
		{"config half (50%) sort status", page(tc.AgentFilter{ConfigID: configHalf, SortBy: tc.AgentSortStatus})},
		{"config rare (0.5%) sort lastSeen", page(tc.AgentFilter{ConfigID: configRare, SortBy: tc.AgentSortLastSeen, Desc: true})},
		{"config half + status=fail", page(tc.AgentFilter{ConfigID: configHalf, Status: "fail"})},
		{"search common 'host-00'", page(tc.AgentFilter{Search: "host-00"})},
		{"search one agent 'agent-0054321'", page(tc.AgentFilter{Search: "agent-0054321"})},
		{"search ip '10.0.3.'", page(tc.AgentFilter{Search: "10.0.3."})},
		{"search no match 'nomatch'", page(tc.AgentFilter{Search: "nomatch"})},
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "query shape\tp50 ms\tp95 ms\tcpu ms\ttotal\texact\t")
	row := func(name string, fn func() (int64, bool, error)) {
		var times []time.Duration
		var total int64
		var exact bool
		cpu := cpuTime()
		for range iters {
			start := time.Now()
			t, e, err := fn()
			if err != nil {
				log.Fatalf("%s: %v", name, err)
			}
			times = append(times, time.Since(start))
			total, exact = t, e
		}
		cpuPer := float64((cpuTime() - cpu).Microseconds()) / 1000 / float64(iters)
		slices.Sort(times)
		p := func(q float64) string {
			return fmt.Sprintf("%.2f", float64(times[int(q*float64(len(times)-1))].Microseconds())/1000)
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%.2f\t%d\t%v\t\n", name, p(0.5), p(0.95), cpuPer, total, exact)
	}
	row("baseline: SELECT 1", func() (int64, bool, error) { return 0, true, s.Ping(ctx) })
	row("summary", func() (int64, bool, error) {
		sum, err := s.AgentSummary(ctx)
		return sum.Total, true, err
	})
	for _, sh := range shapes {
		row(sh.name, func() (int64, bool, error) {
			l, err := s.ListAgents(ctx, sh.f)
			if err != nil {
				return 0, false, err
			}
			return l.Total, l.TotalExact, nil
		})
	}
	w.Flush()
}

// measureFlushes times what the heartbeat flusher does every second in a
// steady fleet: one WriteHeartbeats of `per` known agents, chosen at random,
// whose metadata did not change (the narrow liveness update). Random agents
// are the worst case: every row and index entry on its own page. A periodic
// fleet (each agent beating once a minute at its own phase) writes the same
// agents together every minute: a first pass over consecutive agents, then
// a second a minute later over the same agents, each timed on its own. The
// first pass after seeding moves every agent's indexed last heard time
// (agents.last_seen and its index entries); the second moves none.
func measureFlushes(ctx context.Context, s *store.Store, fleet, flushes, per int, periodic bool) {
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 2))
	now := time.Now()
	var times []time.Duration
	passes := 1
	if periodic {
		passes = 2
	}
	for pass := range passes {
		times = times[:0]
		cpu := cpuTime()
		for f := range flushes {
			beats := flushBeats(rng, fleet, per, f, periodic, now.Add(time.Duration(pass*60+f)*time.Second))
			start := time.Now()
			if err := s.WriteHeartbeats(ctx, beats); err != nil {
				log.Fatal(err)
			}
			times = append(times, time.Since(start))
		}
		used := cpuTime() - cpu
		slices.Sort(times)
		var sum time.Duration
		for _, t := range times {
			sum += t
		}
		n := flushes * per
		label := ""
		if periodic {
			label = []string{"first pass: ", "second pass: "}[pass]
		}
		fmt.Printf("%s%d flushes of %d agents: mean %v, p50 %v, max %v; %.1f µs wall and %.1f µs CPU per agent; %.0f agents/s\n",
			label, flushes, per, (sum / time.Duration(flushes)).Round(time.Millisecond), times[len(times)/2].Round(time.Millisecond),
			times[len(times)-1].Round(time.Millisecond), float64(sum.Microseconds())/float64(n), float64(used.Microseconds())/float64(n),
			float64(n)/sum.Seconds())
	}
}

// flushBeats returns the f-th flush's beats, sorted by id as the ingester
// sorts them.
func flushBeats(rng *rand.Rand, fleet, per, f int, periodic bool, at time.Time) []store.HeartbeatWrite {
	seen := make(map[int]bool, per)
	beats := make([]store.HeartbeatWrite, 0, per)
	next := f*per*100/97 + 1
	for len(beats) < per {
		i := next
		if periodic {
			next++
		} else {
			i = rng.IntN(fleet) + 1
		}
		if seen[i] || i%100 >= 97 || i >= fleet { // agents are 0..fleet-1; not_reporting ones take the full path
			continue
		}
		seen[i] = true
		// What the seed stored: the liveness update checks it is unchanged.
		status := tc.AgentOK
		switch {
		case i%100 >= 96:
			status = tc.AgentUndefined
		case i%100 >= 94:
			status = tc.AgentFail
		case i%100 >= 90:
			status = tc.AgentWarn
		}
		beats = append(beats, store.HeartbeatWrite{LivenessOnly: true, AgentBeat: &tc.AgentBeat{
			ID: fmt.Sprintf("agent-%07d", i), FirstSeen: at, LastSeen: at, Status: status,
			Hostname: fmt.Sprintf("host-%07d", (i*7919)%fleet), IP: fmt.Sprintf("10.%d.%d.%d", (i/65536)%256, (i/256)%256, i%256),
			Version: "Telegraf 1.39.3",
			Last:    tc.HeartbeatStats{Metrics: 120}, Sum: tc.HeartbeatStats{Metrics: 120},
		}})
	}
	slices.SortFunc(beats, func(a, b store.HeartbeatWrite) int { return strings.Compare(a.ID, b.ID) })
	return beats
}
