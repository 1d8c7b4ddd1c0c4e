package app_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/app"
	"github.com/telegrafcontroller/tc/internal/apptest"
	"github.com/telegrafcontroller/tc/internal/auth"
	"github.com/telegrafcontroller/tc/internal/store"
)

const faultPassword = "Fault-Injection-7-Horse"

// mustUnavailable checks a 503 {"error":"unavailable"} whose message says
// what failed.
func mustUnavailable(t *testing.T, r *apptest.Response, message string) {
	t.Helper()
	apptest.MustStatus(t, r, http.StatusServiceUnavailable)
	if message == "" || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		return // a UI page: its status is what a browser and a proxy see
	}
	body := r.Map(t)
	if body["error"] != tc.EUNAVAILABLE || !strings.Contains(body["message"].(string), message) {
		t.Fatalf("%s %s: body = %s, want unavailable / %q", r.Request.Method, r.Request.URL.Path, r.Body, message)
	}
}

// TestPostgresOutage stops a PostgreSQL cluster of the test's own under a
// running controller: every database-backed call, sign-in included, answers
// 503 "database unavailable" (never 500, and within the client's timeout),
// readiness is 503, heartbeats are still acknowledged; once PostgreSQL is
// back the same process serves again and writes the beats it acknowledged.
func TestPostgresOutage(t *testing.T) {
	pg := apptest.StartPostgresServer(t)
	inst := apptest.MustStartOn(t, apptest.DB{Name: "postgres"}, pg.NewDSN(t), apptest.NewClock(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)))
	inst.Client.Timeout = 30 * time.Second // a request that hangs fails the test
	owner := inst.MustPasswordUser(t, tc.RoleOwner, faultPassword)
	token := inst.MustRoleToken(t, tc.RoleAdministrator)
	hbToken := inst.MustToken(t, inst.MustUser(t, tc.RoleManager), tc.Perm(tc.ResHeartbeat, tc.ActionWrite))
	session := inst.MustSession(t, owner)
	signIn := func() *apptest.Response {
		return inst.Do(t, apptest.Req{Method: "POST", Path: "/api/auth/login/local", Client: apptest.NewSessionClient(),
			Body: map[string]string{"username": owner.Username, "password": faultPassword}})
	}
	beat := func(id string) *apptest.Response {
		return inst.Do(t, apptest.Req{Method: "POST", Path: inst.HeartbeatURL + "/agents/heartbeat", Token: hbToken,
			Body: `{"id":"` + id + `","version":"Telegraf 1.39.3","statistics":{"errors":0,"warnings":0,"metrics":1}}`})
	}
	calls := []apptest.Req{
		{Method: "GET", Path: "/api/agents", Token: token},
		{Method: "GET", Path: "/api/configs", Token: token},
		{Method: "POST", Path: "/api/labels", Token: token, Body: map[string]string{"name": "outage", "color": "#112233"}},
		{Method: "GET", Path: "/agents", Client: session},
	}
	apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/health/ready"}), 200)
	apptest.MustStatus(t, signIn(), 200)
	apptest.MustStatus(t, beat("before-outage"), http.StatusNoContent) // the agent's token is now cached
	for _, c := range calls {
		if r := inst.Do(t, c); r.StatusCode >= 300 {
			t.Fatalf("before the outage: %s %s = %d %s", c.Method, c.Path, r.StatusCode, r.Body)
		}
	}

	pg.Stop(t)
	mustUnavailable(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/health/ready"}), "")
	mustUnavailable(t, signIn(), "database unavailable")
	for _, c := range calls {
		if c.Method == "POST" {
			c.Body = map[string]string{"name": "outage-2", "color": "#112233"}
		}
		mustUnavailable(t, inst.Do(t, c), "database unavailable")
	}
	// The sign-in page and form of the UI.
	mustUnavailable(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/login"}), "")
	form, err := inst.Client.PostForm(inst.URL+"/login", url.Values{"username": {owner.Username}, "password": {faultPassword}})
	if err != nil {
		t.Fatal(err)
	}
	form.Body.Close()
	if form.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("POST /login (the UI's sign-in form): status = %d, want 503", form.StatusCode)
	}
	// A known agent's heartbeats are acknowledged from memory while the
	// database is away.
	apptest.MustStatus(t, beat("during-outage"), http.StatusNoContent)
	if strings.Contains(inst.Logs.String(), "status=500") {
		t.Errorf("a request answered 500 during the outage:\n%s", inst.Logs.String())
	}

	pg.Start(t)
	apptest.Eventually(t, 60*time.Second, "readiness after PostgreSQL is back", func() bool {
		return inst.Do(t, apptest.Req{Method: "GET", Path: "/health/ready"}).StatusCode == 200
	})
	apptest.MustStatus(t, signIn(), 200)
	for _, c := range calls {
		if c.Method == "POST" {
			c.Body = map[string]string{"name": "after-outage", "color": "#112233"}
		}
		if r := inst.Do(t, c); r.StatusCode >= 300 {
			t.Fatalf("after the outage: %s %s = %d %s", c.Method, c.Path, r.StatusCode, r.Body)
		}
	}
	if err := inst.HB.Ingest.Flush(context.Background()); err != nil {
		t.Fatalf("flush after the outage: %v", err)
	}
	apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/agents/during-outage", Token: token}), 200)
}

// TestSQLiteFull: a write that needs space answers 503 "storage full" and
// readiness turns 503; once a write succeeds again, readiness is 200.
func TestSQLiteFull(t *testing.T) {
	inst := apptest.MustStart(t, apptest.DB{Name: "sqlite"})
	token := inst.MustRoleToken(t, tc.RoleAdministrator)
	apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/health/ready"}), 200)
	unfill := apptest.FillSQLite(t, inst.Store)
	big := "[[inputs.cpu]]\n" + strings.Repeat("# a comment that takes room\n", 4000)
	create := apptest.Req{Method: "POST", Path: "/api/configs", Token: token, Body: map[string]string{"name": "big", "toml": big}}
	mustUnavailable(t, inst.Do(t, create), "storage full")
	mustUnavailable(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/health/ready"}), "")
	// Reads still work.
	apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/configs", Token: token}), 200)

	unfill()
	apptest.MustStatus(t, inst.Do(t, create), 201)
	apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/health/ready"}), 200)
}

// TestDrainPeriod: Close first reports not ready on both listeners for the
// drain period, while still serving, then shuts down.
func TestDrainPeriod(t *testing.T) {
	inst := apptest.MustStart(t, apptest.DB{Name: "sqlite"}, apptest.WithArgs("--drain-period", "3s"))
	token := inst.MustRoleToken(t, tc.RoleAdministrator)
	apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/health/ready"}), 200)
	apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: inst.HeartbeatURL + "/health"}), 200)
	closed := make(chan error, 1)
	go func() { closed <- inst.Close() }()
	apptest.Eventually(t, 2*time.Second, "readiness to turn 503 when Close begins", func() bool {
		return inst.Draining()
	})
	apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/health/ready"}), 503)
	apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: inst.HeartbeatURL + "/health"}), 503)
	// Still serving while draining.
	apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/agents", Token: token}), 200)
	if err := <-closed; err != nil {
		t.Fatalf("close: %v", err)
	}
	if _, err := http.Get(inst.URL + "/health/live"); err == nil {
		t.Fatal("the main listener still answers after Close")
	}
}

// TestOneProcessPerSQLiteFile: a second controller on the same SQLite file
// refuses to start, naming the reason; once the first stopped, it starts.
func TestOneProcessPerSQLiteFile(t *testing.T) {
	first := apptest.MustStart(t, apptest.DB{Name: "sqlite"})
	start := func() (*app.Main, error) {
		m := app.NewMain()
		m.Getenv = func(string) string { return "" }
		m.LogOutput = io.Discard
		m.Argon2 = auth.TestArgon2
		cfg, err := app.ParseConfig([]string{"--port", "0", "--heartbeat-port", "0", "--bind", "127.0.0.1", "--drain-period", "0"}, m.Getenv, nil, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		m.Config = cfg
		m.Config.Database = first.DSN
		err = m.Run(context.Background())
		if err != nil {
			m.Close()
		}
		return m, err
	}
	_, err := start()
	if err == nil || !strings.Contains(err.Error(), "in use by another telegraf-controller process") {
		t.Fatalf("second controller on %s: err = %v, want a refusal", first.DSN, err)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	m, err := start()
	if err != nil {
		t.Fatalf("start after the first stopped: %v", err)
	}
	if err := m.Close(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		t.Fatal(err)
	}
}

// TestShutdownDuringPostgresOutage: SIGTERM (Close) while PostgreSQL is
// down retries the final heartbeat flush. When PostgreSQL comes back within
// the shutdown budget every acknowledged beat is written; when it does not,
// Close says exactly how many acknowledged beats were lost.
func TestShutdownDuringPostgresOutage(t *testing.T) {
	pg := apptest.StartPostgresServer(t)
	clock := func() *apptest.Clock { return apptest.NewClock(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)) }
	beatAll := func(inst *apptest.Instance, token string, ids ...string) {
		for _, id := range ids {
			apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: inst.HeartbeatURL + "/agents/heartbeat", Token: token,
				Body: `{"id":"` + id + `","version":"Telegraf 1.39.3","statistics":{"errors":0,"warnings":0,"metrics":1}}`}), http.StatusNoContent)
		}
	}
	setUp := func(timeout string) (*apptest.Instance, string) {
		inst := apptest.MustStartOn(t, apptest.DB{Name: "postgres"}, pg.NewDSN(t), clock(), apptest.WithArgs("--shutdown-timeout", timeout))
		token := inst.MustToken(t, inst.MustUser(t, tc.RoleManager), tc.Perm(tc.ResHeartbeat, tc.ActionWrite))
		beatAll(inst, token, "warm") // caches the token
		if err := inst.HB.Ingest.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
		if err := inst.Auth.FlushUsage(context.Background()); err != nil {
			t.Fatal(err)
		}
		return inst, token
	}

	// PostgreSQL comes back during the shutdown: nothing is lost.
	inst, token := setUp("2m")
	pg.Stop(t)
	beatAll(inst, token, "x", "y", "z", "x")
	closed := make(chan error, 1)
	go func() { closed <- inst.Close() }()
	apptest.Eventually(t, time.Minute, "a failed flush at shutdown", func() bool {
		return strings.Contains(inst.Logs.String(), "flush heartbeats at shutdown failed; trying again")
	})
	pg.Start(t)
	if err := <-closed; err != nil {
		t.Fatalf("close once PostgreSQL is back: %v", err)
	}
	if !strings.Contains(inst.Logs.String(), `flushed pending heartbeats at shutdown" agents=3 beats=4`) {
		t.Fatalf("logs lack the final flush of 4 beats of 3 agents:\n%s", inst.Logs.String())
	}
	s, err := store.Open(context.Background(), inst.DSN, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, id := range []string{"x", "y", "z"} {
		if _, err := s.Agent(context.Background(), id); err != nil {
			t.Errorf("agent %s acknowledged before shutdown: %v", id, err)
		}
	}

	// PostgreSQL stays down for the whole budget: the loss is counted.
	inst, token = setUp("1s")
	pg.Stop(t)
	beatAll(inst, token, "p", "q", "p", "r", "p")
	err = inst.Close()
	if err == nil || !strings.Contains(err.Error(), "5 acknowledged heartbeats of 3 agents not written") {
		t.Fatalf("close with PostgreSQL down: err = %v, want the count of lost beats", err)
	}
	if !strings.Contains(inst.Logs.String(), "beats=5 agents=3") {
		t.Fatalf("logs lack the count of lost beats:\n%s", inst.Logs.String())
	}
	pg.Start(t) // the cleanup's second Close writes what it still can
}
