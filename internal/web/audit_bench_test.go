package web_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/apptest"
)

// BenchmarkAuditPages renders the Audit pages over a large log, next to the
// API list call the list page makes, in the same run. TC_BENCH_AUDIT sets
// the number of entries (default 100,000).
//
//	TC_BENCH_AUDIT=1000000 go test ./internal/web -run '^$' -bench AuditPages -benchtime 20x
func BenchmarkAuditPages(b *testing.B) {
	n := 100_000
	if v, err := strconv.Atoi(os.Getenv("TC_BENCH_AUDIT")); err == nil && v > 0 {
		n = v
	}
	inst := apptest.MustStart(b, apptest.DB{Name: "sqlite"})
	ctx := context.Background()
	owner := inst.MustOwner(b)
	start := time.Now()
	actions := []string{"config.update", "agent.update", "token.create", "user.login", "label.create"}
	for i := 0; i < n; {
		batch := make([]tc.AuditEntry, 0, 5_000)
		for ; i < n && len(batch) < cap(batch); i++ {
			batch = append(batch, tc.AuditEntry{Action: actions[i%len(actions)], ActorType: tc.ActorUser, ActorID: owner.ID,
				Outcome: tc.OutcomeSuccess, TargetType: "agent", TargetID: fmt.Sprintf("agent-%07d", i%50_000),
				IPAddress: "10.0.0.1", UserAgent: "bench", Details: []byte(`{"field":["old","new"]}`)})
		}
		if err := inst.Store.AppendAudit(ctx, batch...); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("seeded %d audit entries in %s", n, time.Since(start).Round(time.Millisecond))
	client := inst.MustSession(b, owner)
	tok := inst.MustToken(b, owner, tc.AllPermissions...)
	get := func(b *testing.B, path string) {
		req, _ := http.NewRequest("GET", inst.URL+path, nil)
		c := client
		if path[:5] == "/api/" {
			req.Header.Set("Authorization", "Bearer "+tok)
			c = inst.Client
		}
		resp, err := c.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("GET %s: %d", path, resp.StatusCode)
		}
	}
	runs := []struct{ name, path string }{
		{"api/first-page", "/api/audit-logger?limit=50"},
		{"page/first-page", "/audit"},
		{"api/by-target", "/api/audit-logger?limit=50&targetId=agent-0004242"},
		{"page/by-target", "/audit?targetId=agent-0004242"},
		{"api/text-search", "/api/audit-logger?limit=50&q=agent-000424"},
		{"page/text-search", "/audit?q=agent-000424"},
		{"page/last-page", fmt.Sprintf("/audit?page=%d", (n+49)/50)},
		{"page/newest-entry", fmt.Sprintf("/audit/%d", n)},
		{"page/oldest-entry", "/audit/2"},
		{"page/verify", "/audit/verify"},
	}
	for _, bc := range runs {
		b.Run(bc.name, func(b *testing.B) {
			get(b, bc.path) // warm
			b.ResetTimer()
			for b.Loop() {
				get(b, bc.path)
			}
		})
	}
}
