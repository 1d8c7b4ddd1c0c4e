package web_test

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/apptest"
	"github.com/telegrafcontroller/tc/internal/auth"
)

// BenchmarkPages renders the main pages as the owner with a session, on
// SQLite, over a fleet of 10,000 agents with the objects an installation of
// that size has (configs, labels, constants, rules, users, invites, tokens,
// a day of fleet health samples). The controller is started and seeded once
// per test binary, so -count repeats only the measurements.
//
// For each page, in the same run:
//
//   - page/NAME: GET of the page through HTTP over loopback, what a browser
//     waits for (client and server allocations both count in B/op);
//   - floor: GET /health/live through the same client, what HTTP over
//     loopback costs before any page work.
//
// Besides ns/op, B/op and allocs/op each reports cpu-ms/op, the process's
// CPU time per op, which a busy machine disturbs less than wall time.
//
// Until issue 12 the pages read through the JSON API in-process, and api/NAME
// sub-benchmarks timed those reads; the pages now call the services, and
// docs/performance.md keeps the before and after figures.
//
//	go test ./internal/web -run '^$' -bench 'BenchmarkPages$' -benchmem -benchtime 200x -count 3
func BenchmarkPages(b *testing.B) {
	f := mustPagesFixture(b)
	get := func(b *testing.B, path string) {
		resp, err := f.client.Get(f.inst.URL + path)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("GET %s: %d", path, resp.StatusCode)
		}
	}
	b.Run("floor", func(b *testing.B) {
		get(b, "/health/live")
		b.ReportAllocs()
		defer reportCPU(b)()
		for b.Loop() {
			get(b, "/health/live")
		}
	})
	for _, p := range f.pages {
		b.Run("page/"+p.name, func(b *testing.B) {
			get(b, p.path) // warm
			b.ReportAllocs()
			defer reportCPU(b)()
			for b.Loop() {
				get(b, p.path)
			}
		})
	}
}

// reportCPU starts counting the process's CPU time (user and system, every
// goroutine: client, server, GC); the function it returns reports it per
// op as cpu-ms/op. On a shared machine it moves much less than ns/op, which
// also counts the time spent waiting for a core.
func reportCPU(b *testing.B) func() {
	start := cpuTime()
	return func() {
		if b.N > 0 {
			b.ReportMetric(float64(cpuTime()-start)/float64(b.N)/1e6, "cpu-ms/op")
		}
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// pagesFixture is the seeded controller BenchmarkPages reads.
type pagesFixture struct {
	inst   *apptest.Instance
	tb     *binaryTB
	client *http.Client
	cookie string
	pages  []benchPage
}

// benchPage is one page.
type benchPage struct{ name, path string }

var pagesFix struct {
	f      *pagesFixture
	failed bool
}

// TestMain closes BenchmarkPages' controller after every test and
// benchmark of the binary has run.
func TestMain(m *testing.M) {
	code := m.Run()
	if f := pagesFix.f; f != nil {
		f.tb.close()
	}
	os.Exit(code)
}

func mustPagesFixture(b *testing.B) *pagesFixture {
	b.Helper()
	if pagesFix.f != nil {
		return pagesFix.f
	}
	if pagesFix.failed {
		b.Fatal("seeding failed in an earlier run")
	}
	pagesFix.failed = true
	tb := &binaryTB{TB: b}
	start := time.Now()
	f := seedPages(tb, 10_000)
	f.tb = tb
	b.Logf("seeded %d agents and the rest in %s", 10_000, time.Since(start).Round(time.Millisecond))
	pagesFix.f, pagesFix.failed = f, false
	return f
}

// seedPages starts a controller on SQLite and fills it.
func seedPages(tb testing.TB, agents int) *pagesFixture {
	inst := apptest.MustStart(tb, apptest.DB{Name: "sqlite"})
	ctx := context.Background()
	owner := inst.MustOwner(tb)
	client := inst.MustSession(tb, owner)
	f := &pagesFixture{inst: inst, client: client}
	u, _ := url.Parse(inst.URL)
	for _, c := range client.Jar.Cookies(u) {
		if c.Name == auth.SessionCookie {
			f.cookie = c.Name + "=" + c.Value
		}
	}
	create := func(path string, body any) map[string]any {
		tb.Helper()
		return apptest.MustStatus(tb, inst.Do(tb, apptest.Req{Method: "POST", Path: path, Client: client, Body: body}), http.StatusCreated).Map(tb)
	}

	// 12 labels, 8 constants, 4 reporting rules besides the default.
	var labels []string
	for i := range 12 {
		labels = append(labels, create("/api/labels", map[string]any{"name": fmt.Sprintf("label-%02d", i),
			"color": fmt.Sprintf("#%02x%02x%02x", 40+i*15, 90, 200-i*10), "description": "team or site " + fmt.Sprint(i)})["id"].(string))
	}
	for i := range 8 {
		create("/api/constants", map[string]any{"name": fmt.Sprintf("influx_url_%d", i),
			"value": fmt.Sprintf("https://influx-%d.example.test:8086", i), "description": "write endpoint of region " + fmt.Sprint(i)})
	}
	rules := []string{tc.DefaultReportingRuleID}
	for i := range 4 {
		rules = append(rules, create("/api/reporting-rules", map[string]any{"name": fmt.Sprintf("rule-%d", i),
			"notReportingAfterSeconds": 120 * (i + 1)})["id"].(string))
	}

	// 60 configs of about 1.5 kB with parameters and a constant, each with
	// two labels.
	var configs []string
	var toml string
	for i := range 60 {
		toml = pagesTOML(i % 8)
		configs = append(configs, create("/api/configs", map[string]any{"name": fmt.Sprintf("config-%03d", i),
			"description": "servers of site " + fmt.Sprint(i%12), "toml": toml,
			"labelIds": []string{labels[i%12], labels[(i+5)%12]}})["id"].(string))
	}

	// 30 users of every role below owner, 5 pending invites, 40 tokens.
	for i := range 30 {
		inst.MustUser(tb, []tc.Role{tc.RoleAdministrator, tc.RoleManager, tc.RoleViewer}[i%3])
	}
	for i := range 5 {
		create("/api/invites", map[string]any{"username": fmt.Sprintf("invited%d", i), "email": fmt.Sprintf("invited%d@example.test", i), "role": "viewer"})
	}
	for i := range 40 {
		create("/api/tokens", map[string]any{"description": fmt.Sprintf("token %d", i), "preset": []string{"telegraf-agent", "read-only", "full-access"}[i%3]})
	}

	// The fleet: statuses mixed, a fifth on other rules, a tenth labelled,
	// half on a managed config; the first agent with logs.
	statuses := []string{tc.AgentOK, tc.AgentOK, tc.AgentOK, tc.AgentOK, tc.AgentOK, tc.AgentOK, tc.AgentWarn, tc.AgentFail, tc.AgentUndefined, tc.AgentNotReporting}
	now := inst.Clock.Now()
	batch := make([]*tc.Agent, 0, agents)
	for i := range agents {
		a := &tc.Agent{ID: fmt.Sprintf("agent-%05d", i), Hostname: fmt.Sprintf("host-%05d.example.test", i),
			IP: fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255), Version: "1.39.3", Status: statuses[i%len(statuses)],
			LastSeen:  now.Add(-time.Duration(i%600) * time.Second),
			Stats:     tc.AgentStats{LastMetrics: 120, TotalMetrics: int64(120 * (i + 1))},
			LabelIDs:  []string{},
			ConfigIDs: []string{},
		}
		if i%5 == 0 {
			a.ReportingRuleID = rules[1+i/5%4]
		}
		if i%10 == 0 {
			a.LabelIDs = []string{labels[i/10%12]}
		}
		if i%2 == 0 {
			a.ConfigIDs = []string{configs[i/2%60]}
		}
		if i == 0 {
			for j := range 20 {
				a.Logs = append(a.Logs, tc.AgentLog{Time: now.Add(-time.Duration(j) * time.Minute).Format(time.RFC3339),
					Level: "ERROR", Source: "inputs.http_response", Message: fmt.Sprintf("error %d: connection refused", j)})
			}
		}
		batch = append(batch, a)
	}
	if err := inst.Store.InsertAgents(ctx, batch); err != nil {
		tb.Fatal(err)
	}

	// A day of fleet health samples, one a minute as the scheduler takes
	// them, for the agents page's chart.
	db, err := sql.Open("sqlite", "file:"+filepath.ToSlash(inst.DSN)+"?_pragma=busy_timeout(10000)")
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		tb.Fatal(err)
	}
	for m := range 1440 {
		at := now.Add(-time.Duration(m) * time.Minute).UnixMilli()
		d := int64(m % 37)
		if _, err := tx.ExecContext(ctx, `INSERT INTO fleet_health (at, total, ok, warn, fail, undefined, not_reporting)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, at, agents, 6000-d, 1000+d, 1000, 1000, 1000); err != nil {
			tb.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		tb.Fatal(err)
	}
	// Write the seeding out of the WAL now, not during the first measured
	// requests.
	if _, err := db.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		tb.Fatal(err)
	}

	agent, config := "agent-00000", configs[len(configs)-1]
	f.pages = []benchPage{
		{"agents", "/agents"}, {"agent", "/agents/" + agent}, {"configs", "/configs"}, {"config", "/configs/" + config},
		{"constants", "/constants"}, {"reporting-rules", "/reporting-rules"}, {"labels", "/labels"},
		{"tokens", "/tokens"}, {"users", "/users"}, {"settings", "/settings"}, {"account", "/account"},
	}
	return f
}

// pagesTOML is a config of about 1.5 kB in the shape of a real one: agent
// settings with parameters, an output on a constant, a dozen inputs.
func pagesTOML(region int) string {
	return fmt.Sprintf(`[agent]
  interval = "10s"
  round_interval = true
  metric_batch_size = 1000
  metric_buffer_limit = 10000
  flush_interval = "10s"
  hostname = "&{host}"
  omit_hostname = false

[global_tags]
  dc = "&{dc:dc1}"
  region = "region-%d"

[[outputs.influxdb_v2]]
  urls = ["::{influx_url_%d}"]
  token = "${INFLUX_TOKEN}"
  organization = "ops"
  bucket = "telegraf"

[[outputs.heartbeat]]
  url = "http://controller:8000/agents/heartbeat"
  instance_id = "&{agent_id}"
  interval = "1m"
  include = ["hostname", "statistics", "configs", "logs", "status"]
  token = "${TELEGRAF_CONTROLLER_TOKEN}"

[[inputs.cpu]]
  percpu = true
  totalcpu = true
  collect_cpu_time = false
  report_active = false

[[inputs.mem]]

[[inputs.swap]]

[[inputs.system]]

[[inputs.disk]]
  ignore_fs = ["tmpfs", "devtmpfs", "devfs", "iso9660", "overlay", "aufs", "squashfs"]

[[inputs.diskio]]

[[inputs.net]]
  ignore_protocol_stats = true

[[inputs.processes]]

[[inputs.kernel]]

[[inputs.http_response]]
  urls = ["https://&{host}/health"]
  response_timeout = "5s"
  method = "GET"
`, region, region)
}

// binaryTB lends BenchmarkPages' first *testing.B to apptest for the
// fixture's life, the whole test binary: cleanups and temporary
// directories wait for TestMain, and once that b is over, errors go to
// standard error.
type binaryTB struct {
	testing.TB
	cleanups []func()
	closing  bool
}

func (t *binaryTB) Cleanup(f func()) { t.cleanups = append(t.cleanups, f) }

func (t *binaryTB) TempDir() string {
	dir, err := os.MkdirTemp("", "tc-bench-pages-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

func (t *binaryTB) Errorf(format string, args ...any) {
	if t.closing {
		fmt.Fprintf(os.Stderr, "BenchmarkPages fixture: "+format+"\n", args...)
		return
	}
	t.TB.Errorf(format, args...)
}

func (t *binaryTB) close() {
	t.closing = true
	for i := len(t.cleanups) - 1; i >= 0; i-- {
		t.cleanups[i]()
	}
}
