// Package apptest starts real controllers for tests: Main on port 0 over a
// throwaway SQLite file or a throwaway PostgreSQL database, with a fake clock
// and helpers for authenticated requests. Every later test reuses it.
package apptest

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/app"
	"github.com/telegrafcontroller/tc/internal/auth"
)

// PostgresURLEnv names the variable holding an admin URL of a test
// PostgreSQL cluster (scripts/test exports it). Each instance gets its own
// database created through it.
const PostgresURLEnv = "TC_TEST_POSTGRES_URL"

// DB is one database backend to run tests on.
type DB struct {
	Name string // "sqlite" or "postgres"
}

// ForEachDB runs fn as a subtest on SQLite and on PostgreSQL. Without
// PostgreSQL the postgres subtest skips loudly, or fails when CI is set.
func ForEachDB(t *testing.T, fn func(t *testing.T, db DB)) {
	t.Helper()
	for _, db := range []DB{{"sqlite"}, {"postgres"}} {
		t.Run(db.Name, func(t *testing.T) {
			if db.Name == "postgres" {
				RequirePostgres(t)
			}
			fn(t, db)
		})
	}
}

var skipNotice sync.Once

// RequirePostgres skips t (fails it under CI) when no test cluster is set.
func RequirePostgres(tb testing.TB) {
	tb.Helper()
	if os.Getenv(PostgresURLEnv) != "" {
		return
	}
	msg := "PostgreSQL tests need " + PostgresURLEnv + " (run ./scripts/test, which starts a cluster)"
	missing(tb, &skipNotice, "POSTGRESQL TESTS", msg)
}

// Clock is a settable clock shared by an instance's components.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock starts a clock at t.
func NewClock(t time.Time) *Clock { return &Clock{now: t} }

// Now reads the clock.
func (c *Clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) { c.mu.Lock(); c.now = t; c.mu.Unlock() }

// Instance is a running controller.
type Instance struct {
	*app.Main
	DB           DB
	DSN          string
	URL          string // http://127.0.0.1:port of the main listener
	HeartbeatURL string // http://127.0.0.1:port of the heartbeat listener
	Clock        *Clock
	Logs         *SafeBuffer // every log line, for "no secret in logs" checks
	Client       *http.Client

	stopOnce sync.Once
	stopErr  error
}

// SafeBuffer is a goroutine-safe bytes.Buffer.
type SafeBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SafeBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns everything written so far.
func (s *SafeBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// Option adjusts an instance before it starts.
type Option func(*app.Main)

// WithEnv makes the instance's Getenv return env values (and nothing else).
func WithEnv(env map[string]string) Option {
	return func(m *app.Main) {
		m.Getenv = func(k string) string { return env[k] }
	}
}

// WithArgs parses args as command-line flags (over the test defaults).
func WithArgs(args ...string) Option {
	return func(m *app.Main) {
		cfg, err := app.ParseConfig(append([]string{"--port", "0", "--heartbeat-port", "0", "--bind", "127.0.0.1", "--drain-period", "0"}, args...),
			m.Getenv, nil, io.Discard)
		if err != nil {
			panic(err)
		}
		cfg.Database = m.Config.Database
		if cfg.SecretKey == "" {
			cfg.SecretKey = m.Config.SecretKey
		}
		m.Config = cfg
	}
}

// TestSecretKey is the --secret-key of the controllers tests start (one
// for every node of a cluster, as operators must).
const TestSecretKey = "test-secret-key-for-notification-channel-secrets"

// MustStart starts a controller on db and registers its shutdown.
func MustStart(tb testing.TB, db DB, opts ...Option) *Instance {
	tb.Helper()
	return MustStartOn(tb, db, NewDSN(tb, db), NewClock(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)), opts...)
}

// MustStartOn starts a controller on an existing database dsn of db, with
// clock, and registers its shutdown: several instances on one dsn are the
// nodes of a cluster (MustStartCluster).
func MustStartOn(tb testing.TB, db DB, dsn string, clock *Clock, opts ...Option) *Instance {
	tb.Helper()
	inst := &Instance{DB: db, Clock: clock, Logs: &SafeBuffer{}}
	inst.DSN = dsn
	m := app.NewMain()
	m.Getenv = func(string) string { return "" }
	m.Now = inst.Clock.Now
	m.LogOutput = inst.Logs
	m.Argon2 = auth.TestArgon2 // cheap hashing; TestProductionArgon2 asserts the real default
	cfg, err := app.ParseConfig([]string{"--port", "0", "--heartbeat-port", "0", "--bind", "127.0.0.1", "--drain-period", "0", "--log-level", "debug"},
		m.Getenv, nil, io.Discard)
	if err != nil {
		tb.Fatal(err)
	}
	m.Config = cfg
	m.Config.Database = inst.DSN
	m.Config.SecretKey = TestSecretKey
	for _, o := range opts {
		o(m)
	}
	m.Config.Database = inst.DSN
	if err := m.Run(context.Background()); err != nil {
		m.Close()
		tb.Fatalf("start controller: %v", err)
	}
	tb.Cleanup(func() {
		if err := inst.Stop(); err != nil {
			tb.Errorf("close controller: %v", err)
		}
	})
	inst.Main = m
	scheme := "http"
	if m.API.TLS {
		scheme = "https"
	}
	inst.URL = scheme + "://" + m.MainAddr()
	inst.HeartbeatURL = scheme + "://" + m.HeartbeatAddr()
	inst.Client = &http.Client{Timeout: 30 * time.Second}
	return inst
}

// Stop closes the controller once (a test may stop a node before its
// cleanup runs).
func (i *Instance) Stop() error {
	i.stopOnce.Do(func() { i.stopErr = i.Main.Close() })
	return i.stopErr
}

// NewDSN returns a fresh, empty database on db: a SQLite file in a temporary
// directory, or a new PostgreSQL database dropped at cleanup.
func NewDSN(tb testing.TB, db DB) string {
	tb.Helper()
	if db.Name == "postgres" {
		RequirePostgres(tb)
		return newPostgresDatabase(tb)
	}
	return tb.TempDir() + "/sqlite.db"
}

func newPostgresDatabase(tb testing.TB) string {
	tb.Helper()
	admin := os.Getenv(PostgresURLEnv)
	db, err := sql.Open("pgx", admin)
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	name := fmt.Sprintf("tc_test_%d_%d", os.Getpid(), time.Now().UnixNano())
	if _, err := db.Exec("CREATE DATABASE " + name); err != nil {
		tb.Fatalf("create test database: %v", err)
	}
	tb.Cleanup(func() {
		db, err := sql.Open("pgx", admin)
		if err != nil {
			return
		}
		defer db.Close()
		db.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
	})
	u, err := url.Parse(admin)
	if err != nil {
		tb.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

// Response is a finished request with its body read.
type Response struct {
	*http.Response
	Body []byte
}

// JSON decodes the body into v, failing tb on error.
func (r *Response) JSON(tb testing.TB, v any) {
	tb.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		tb.Fatalf("decode %s body %q: %v", r.Request.URL.Path, r.Body, err)
	}
}

// Map decodes the body as a JSON object.
func (r *Response) Map(tb testing.TB) map[string]any {
	tb.Helper()
	var m map[string]any
	r.JSON(tb, &m)
	return m
}

// Req describes a request for Do.
type Req struct {
	Method string
	Path   string // relative to the main listener, or an absolute URL
	Body   any    // marshalled as JSON unless []byte or string
	Token  string // sent as Authorization: Bearer
	Header http.Header
	Client *http.Client // e.g. a session client from a cookie jar
}

// Do performs req against the instance.
func (i *Instance) Do(tb testing.TB, req Req) *Response {
	tb.Helper()
	var body io.Reader
	switch b := req.Body.(type) {
	case nil:
	case []byte:
		body = bytes.NewReader(b)
	case string:
		body = strings.NewReader(b)
	default:
		buf, err := json.Marshal(b)
		if err != nil {
			tb.Fatal(err)
		}
		body = bytes.NewReader(buf)
	}
	u := req.Path
	if !strings.HasPrefix(u, "http") {
		u = i.URL + u
	}
	r, err := http.NewRequest(req.Method, u, body)
	if err != nil {
		tb.Fatal(err)
	}
	if req.Body != nil {
		r.Header.Set("Content-Type", "application/json")
	}
	for k, vs := range req.Header {
		for _, v := range vs {
			r.Header.Add(k, v)
		}
	}
	if req.Token != "" {
		r.Header.Set("Authorization", "Bearer "+req.Token)
	}
	c := req.Client
	if c == nil {
		c = i.Client
	}
	resp, err := c.Do(r)
	if err != nil {
		tb.Fatalf("%s %s: %v", req.Method, req.Path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	return &Response{Response: resp, Body: b}
}

// MustStatus fails tb unless resp has status want, showing the body.
func MustStatus(tb testing.TB, resp *Response, want int) *Response {
	tb.Helper()
	if resp.StatusCode != want {
		tb.Fatalf("%s %s: status = %d, want %d; body: %s", resp.Request.Method, resp.Request.URL.Path, resp.StatusCode, want, resp.Body)
	}
	return resp
}

// NewSessionClient returns a client with its own cookie jar (for sessions).
func NewSessionClient() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: 30 * time.Second}
}

var userSeq struct {
	sync.Mutex
	n int
}

// MustUser creates a user with role directly in the store (no password).
func (i *Instance) MustUser(tb testing.TB, role tc.Role) *tc.User {
	tb.Helper()
	userSeq.Lock()
	userSeq.n++
	n := userSeq.n
	userSeq.Unlock()
	u := &tc.User{Username: fmt.Sprintf("%s%d", role, n), Email: fmt.Sprintf("%s%d@example.test", role, n), Role: role}
	if err := i.Store.CreateUser(context.Background(), u); err != nil {
		tb.Fatalf("create %s user: %v", role, err)
	}
	return u
}

// MustToken creates an active token for user with perms (all of the
// user's role permissions when none are given) and returns its secret.
func (i *Instance) MustToken(tb testing.TB, user *tc.User, perms ...tc.Permission) string {
	tb.Helper()
	if len(perms) == 0 {
		perms = tc.RolePermissions(user.Role)
	}
	secret := tc.NewTokenSecret()
	t := &tc.Token{Description: "test token", UserID: user.ID, Permissions: perms, Hash: tc.HashSecret(secret), Last4: secret[len(secret)-4:]}
	if err := i.Store.CreateToken(context.Background(), t); err != nil {
		tb.Fatalf("create token: %v", err)
	}
	return secret
}

// MustRoleToken creates a user of role and a token with all its permissions.
func (i *Instance) MustRoleToken(tb testing.TB, role tc.Role) string {
	tb.Helper()
	return i.MustToken(tb, i.MustUser(tb, role))
}

// missing reports a real part a test needs but this machine lacks: the test
// fails when CI is set, and otherwise is skipped, with what banner names
// printed loudly once per test binary.
func missing(tb testing.TB, notice *sync.Once, what, msg string) {
	tb.Helper()
	if os.Getenv("CI") != "" {
		tb.Fatal(msg + "; CI is set, so this is a failure")
	}
	notice.Do(func() { fmt.Fprintln(os.Stderr, "!!! SKIPPING "+what+": "+msg) })
	tb.Skip("SKIPPED: " + msg)
}
