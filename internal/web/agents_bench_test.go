package web_test

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/apptest"
)

// BenchmarkAgentsPage renders the agents page (summary, chart, one page of
// rows with their last problems, chips, filters) over a large fleet, next to
// the bare JSON list call the page makes, in the same run, on each database
// (TC_BENCH_DB=sqlite or postgres for one). TC_BENCH_AGENTS sets the fleet
// size (default 100,000; the figures in docs/ui.md use 1,000,000). Each
// case reports its 95th percentile as p95-ms; page-weight reports the bytes
// of the page's HTML (25 rows) and of the CSS and JavaScript it loads.
//
//	TC_BENCH_AGENTS=1000000 go test ./internal/web -run '^$' -bench AgentsPage -benchtime 50x
func BenchmarkAgentsPage(b *testing.B) {
	for _, db := range []string{"sqlite", "postgres"} {
		if only := os.Getenv("TC_BENCH_DB"); only != "" && only != db {
			continue
		}
		b.Run(db, func(b *testing.B) {
			if db == "postgres" {
				apptest.RequirePostgres(b)
			}
			benchmarkAgentsPage(b, apptest.DB{Name: db})
		})
	}
}

func benchmarkAgentsPage(b *testing.B, db apptest.DB) {
	n := 100_000
	if v, err := strconv.Atoi(os.Getenv("TC_BENCH_AGENTS")); err == nil && v > 0 {
		n = v
	}
	inst := apptest.MustStart(b, db)
	ctx := context.Background()
	statuses := []string{tc.AgentOK, tc.AgentOK, tc.AgentOK, tc.AgentWarn, tc.AgentFail, tc.AgentUndefined, tc.AgentNotReporting}
	start := time.Now()
	now := inst.Clock.Now()
	for i := 0; i < n; {
		batch := make([]*tc.Agent, 0, 10_000)
		for ; i < n && len(batch) < cap(batch); i++ {
			a := &tc.Agent{ID: fmt.Sprintf("agent-%07d", i), Hostname: fmt.Sprintf("host-%07d", i),
				IP: "10.0.0.1", Version: "Telegraf 1.39.3 (git: HEAD@eb37a442)", Status: statuses[i%len(statuses)],
				LastSeen: now.Add(-time.Duration(i%3600) * time.Second)}
			if a.Status == tc.AgentFail || a.Status == tc.AgentWarn {
				// The last problem column reads these logs.
				a.Logs = []tc.AgentLog{{Time: "2026-01-01T00:00:00Z", Level: "INFO", Message: "flushed"},
					{Time: "2026-01-01T00:00:00Z", Level: "ERROR", Source: "inputs.disk", Message: "disk full on /var/lib/telegraf"}}
			}
			batch = append(batch, a)
		}
		if err := inst.Store.InsertAgents(ctx, batch); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("seeded %d agents in %s", n, time.Since(start).Round(time.Millisecond))
	// What a running controller does by itself after such a burst: the
	// scheduler folds the status counters at every tick, and on PostgreSQL
	// autovacuum follows a million inserted rows (and analyzes them).
	start = time.Now()
	if err := inst.Store.CompactAgentCounts(ctx); err != nil {
		b.Fatal(err)
	}
	if db.Name == "postgres" {
		sqlDB, err := sql.Open("pgx", inst.DSN)
		if err != nil {
			b.Fatal(err)
		}
		_, err = sqlDB.ExecContext(ctx, "VACUUM ANALYZE")
		sqlDB.Close()
		if err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("compacted the counters (and vacuumed) in %s", time.Since(start).Round(time.Millisecond))
	client := inst.MustSession(b, inst.MustOwner(b))
	get := func(b *testing.B, path string) {
		resp, err := client.Get(inst.URL + path)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("GET %s: %d", path, resp.StatusCode)
		}
	}
	// Each page next to the API list call it makes (the floor it adds to).
	cases := []struct{ name, query string }{
		{"default-severity", "sortBy=severity&sortOrder=asc&page=1"},
		{"severity-page-100", "sortBy=severity&sortOrder=asc&page=100"},
		{"severity-status-fail", "status=fail&sortBy=severity&sortOrder=asc&page=1"},
		{"severity-500-rows", "sortBy=severity&sortOrder=asc&page=1&limit=500"},
		{"by-name", "sortBy=name&sortOrder=asc&page=1"},
		{"page-2000-by-lastSeen", "sortBy=lastSeen&sortOrder=desc&page=2000"},
		{"status-fail-by-hostname", "status=fail&sortBy=hostname&sortOrder=asc&page=1"},
		{"search", "search=host-00042&sortBy=name&sortOrder=asc&page=1"},
	}
	type run struct{ name, path string }
	var runs []run
	for _, c := range cases {
		api := "/api/agents?" + c.query
		if !strings.Contains(c.query, "limit=") {
			api += "&limit=25"
		}
		runs = append(runs, run{"api/" + c.name, api}, run{"page/" + c.name, "/agents?" + c.query})
	}
	runs = append(runs, run{"api/summary", "/api/agents/summary"})
	b.Run("page-weight", func(b *testing.B) {
		var html, css, js int
		for b.Loop() {
			html, css, js = pageWeight(b, client, inst.URL, "/agents")
		}
		b.ReportMetric(float64(html), "html-B")
		b.ReportMetric(float64(css), "css-B")
		b.ReportMetric(float64(js), "js-B")
		b.ReportMetric(float64(html+css+js), "total-B")
	})
	for _, bc := range runs {
		b.Run(bc.name, func(b *testing.B) {
			get(b, bc.path) // warm
			var took []time.Duration
			b.ResetTimer()
			for b.Loop() {
				start := time.Now()
				get(b, bc.path)
				took = append(took, time.Since(start))
			}
			slices.Sort(took)
			b.ReportMetric(float64(took[(len(took)*95+99)/100-1])/float64(time.Millisecond), "p95-ms")
		})
	}
}

// pageWeight fetches path and the style sheets and scripts it links to,
// and returns the bytes of each kind as sent (uncompressed: the server
// does not compress them).
func pageWeight(b *testing.B, client *http.Client, base, path string) (html, css, js int) {
	fetch := func(p string) []byte {
		resp, err := client.Get(base + p)
		if err != nil {
			b.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil || resp.StatusCode != http.StatusOK {
			b.Fatalf("GET %s: %d %v", p, resp.StatusCode, err)
		}
		return body
	}
	page := fetch(path)
	html = len(page)
	for _, m := range regexp.MustCompile(`<(?:link rel="stylesheet" href|script src)="(/static/[^"]+)"`).FindAllStringSubmatch(string(page), -1) {
		n := len(fetch(m[1]))
		if strings.HasSuffix(strings.SplitN(m[1], "?", 2)[0], ".css") {
			css += n
		} else {
			js += n
		}
	}
	return html, css, js
}
