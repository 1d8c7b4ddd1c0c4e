package ldap_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/apptest"
	"github.com/telegrafcontroller/tc/internal/ldap"
)

var (
	alice    = apptest.SlapdUsers[0]
	injector = apptest.SlapdUsers[3]
)

// config is a Config for s over plain LDAP, reading uid as the username.
func config(s *apptest.Slapd) ldap.Config {
	return ldap.Config{URL: s.URL, BindDN: s.BindDN, BindPassword: s.BindPassword, UserSearchBase: s.Base, AttrUsername: "uid"}
}

// mustDirectory builds a Directory whose logs go to the returned buffer,
// and closes it at cleanup; every test checks no password reached the logs.
func mustDirectory(tb testing.TB, cfg ldap.Config) (*ldap.Directory, *apptest.SafeBuffer) {
	tb.Helper()
	logs := &apptest.SafeBuffer{}
	d, err := ldap.New(cfg, slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	tb.Cleanup(func() {
		d.Close()
		for _, u := range apptest.SlapdUsers {
			if strings.Contains(logs.String(), u.Password) {
				tb.Errorf("logs hold %s's password:\n%s", u.UID, logs)
			}
		}
		if strings.Contains(logs.String(), cfg.BindPassword) {
			tb.Errorf("logs hold the bind password:\n%s", logs)
		}
	})
	return d, logs
}

// wantCode fails tb unless err is a *tc.Error with code and message.
func wantCode(tb testing.TB, err error, code, message string) {
	tb.Helper()
	e, ok := errors.AsType[*tc.Error](err)
	if !ok {
		tb.Fatalf("err = %v, want a %s *tc.Error", err, code)
	}
	if e.Code != code || e.Message != message {
		tb.Fatalf("err = %s %q, want %s %q", e.Code, e.Message, code, message)
	}
}

func TestAuthenticateTransports(t *testing.T) {
	s := apptest.StartSlapd(t)
	no := false
	for _, tt := range []struct {
		name string
		set  func(*ldap.Config)
		tls  string
	}{
		{"plain", func(*ldap.Config) {}, "none"},
		{"starttls with CA", func(c *ldap.Config) { c.StartTLS, c.CACertPath = true, s.CAFile }, "starttls"},
		{"ldaps with CA", func(c *ldap.Config) { c.URL, c.CACertPath = s.LDAPSURL, s.CAFile }, "ldaps"},
		{"ldaps ignores StartTLS", func(c *ldap.Config) { c.URL, c.CACertPath, c.StartTLS = s.LDAPSURL, s.CAFile, true }, "ldaps"},
		{"ldaps unverified", func(c *ldap.Config) { c.URL, c.RejectUnauthorized = s.LDAPSURL, &no }, "ldaps"},
		{"starttls unverified", func(c *ldap.Config) { c.StartTLS, c.RejectUnauthorized = true, &no }, "starttls"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := config(s)
			tt.set(&cfg)
			d, logs := mustDirectory(t, cfg)
			if got := d.Summary().TLS; got != tt.tls {
				t.Errorf("Summary().TLS = %q, want %q", got, tt.tls)
			}
			if cfg.RejectUnauthorized != nil && !*cfg.RejectUnauthorized && !strings.Contains(logs.String(), "not verified") {
				t.Errorf("no warning about unverified certificates in logs:\n%s", logs)
			}
			got, err := d.Authenticate(context.Background(), "alice", alice.Password)
			if err != nil {
				t.Fatalf("Authenticate: %v\nlogs:\n%s", err, logs)
			}
			slices.Sort(got.Groups)
			want := tc.ExternalIdentity{Provider: tc.ProviderLDAP, Subject: "alice", Username: "alice", Email: alice.Mail,
				EmailVerified: true, DisplayName: alice.DisplayName, Groups: []string{apptest.GroupDN("managers"), apptest.GroupDN("staff")}}
			if !identityEqual(got, want) {
				t.Errorf("identity = %+v, want %+v", got, want)
			}
			if err := d.Check(context.Background()); err != nil {
				t.Errorf("Check: %v", err)
			}
		})
	}
}

func identityEqual(a, b tc.ExternalIdentity) bool {
	return a.Provider == b.Provider && a.Subject == b.Subject && a.Username == b.Username && a.Email == b.Email &&
		a.EmailVerified == b.EmailVerified && a.DisplayName == b.DisplayName && slices.Equal(a.Groups, b.Groups)
}

// TestAuthenticateUntrustedCertificate: without the CA, certificate
// verification fails and the directory counts as unreachable.
func TestAuthenticateUntrustedCertificate(t *testing.T) {
	s := apptest.StartSlapd(t)
	for _, tt := range []struct {
		name string
		set  func(*ldap.Config)
	}{
		{"ldaps", func(c *ldap.Config) { c.URL = s.LDAPSURL }},
		{"starttls", func(c *ldap.Config) { c.StartTLS = true }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := config(s)
			tt.set(&cfg)
			d, logs := mustDirectory(t, cfg)
			_, err := d.Authenticate(context.Background(), "alice", alice.Password)
			wantCode(t, err, tc.EUNAVAILABLE, ldap.MsgUnavailable)
			if !strings.Contains(logs.String(), "certificate") {
				t.Errorf("the certificate failure is not logged:\n%s", logs)
			}
			if err := d.Check(context.Background()); tc.ErrorCode(err) != tc.EUNAVAILABLE {
				t.Errorf("Check = %v, want %s", err, tc.EUNAVAILABLE)
			}
		})
	}
}

// TestAuthenticateRefused: every refusal looks the same, whatever its
// cause, and no username reaches the filter unescaped.
func TestAuthenticateRefused(t *testing.T) {
	s := apptest.StartSlapd(t)
	d, _ := mustDirectory(t, config(s))
	for _, tt := range []struct{ name, username, password string }{
		{"wrong password", "alice", "bob-secret"},
		{"unknown user", "mallory", alice.Password},
		{"empty password", "alice", ""},
		{"empty username", "", alice.Password},
		{"wildcard username", "*", alice.Password},
		{"prefix wildcard", "ali*", alice.Password},
		{"filter injection", injector.UID, alice.Password},
		{"injection closing the filter", "alice)(|(uid=*", alice.Password},
		{"very long username", strings.Repeat("a", 300), alice.Password},
		{"service account's password", "alice", s.BindPassword},
	} {
		t.Run(tt.name, func(t *testing.T) {
			id, err := d.Authenticate(context.Background(), tt.username, tt.password)
			wantCode(t, err, tc.EUNAUTHORIZED, ldap.MsgInvalidCredentials)
			if id.Subject != "" {
				t.Errorf("refused sign-in returned identity %+v", id)
			}
		})
	}

	t.Run("filter matching several entries", func(t *testing.T) {
		cfg := config(s)
		cfg.UserSearchFilter = "(|(uid={{username}})(objectClass=inetOrgPerson))"
		d, logs := mustDirectory(t, cfg)
		_, err := d.Authenticate(context.Background(), "alice", alice.Password)
		wantCode(t, err, tc.EUNAUTHORIZED, ldap.MsgInvalidCredentials)
		if !strings.Contains(logs.String(), "several entries") {
			t.Errorf("the ambiguous filter is not logged:\n%s", logs)
		}
	})
}

// TestAuthenticateOddUsername: the user whose uid looks like a filter
// injection signs in as itself, and only as itself.
func TestAuthenticateOddUsername(t *testing.T) {
	s := apptest.StartSlapd(t)
	d, _ := mustDirectory(t, config(s))
	got, err := d.Authenticate(context.Background(), injector.UID, injector.Password)
	if err != nil {
		t.Fatalf("Authenticate: %v", err)
	}
	if got.Subject != injector.UID || got.Email != injector.Mail || len(got.Groups) != 0 {
		t.Errorf("identity = %+v, want subject %q, email %q, no groups", got, injector.UID, injector.Mail)
	}
}

// TestAuthenticateUsernameAttribute: the subject is the directory's name,
// lower-cased, and the typed one (lower-cased) when the attribute is absent.
func TestAuthenticateUsernameAttribute(t *testing.T) {
	s := apptest.StartSlapd(t)
	withUID, _ := mustDirectory(t, config(s))
	got, err := withUID.Authenticate(context.Background(), "ALICE", alice.Password)
	if err != nil {
		t.Fatalf("Authenticate: %v", err)
	}
	if got.Subject != "alice" || got.Username != "alice" {
		t.Errorf("with uid: subject, username = %q, %q, want alice, alice", got.Subject, got.Username)
	}

	cfg := config(s)
	cfg.AttrUsername = "" // the default, sAMAccountName, which OpenLDAP lacks
	withDefault, _ := mustDirectory(t, cfg)
	got, err = withDefault.Authenticate(context.Background(), "ALICE", alice.Password)
	if err != nil {
		t.Fatalf("Authenticate: %v", err)
	}
	if got.Subject != "alice" || got.Username != "ALICE" {
		t.Errorf("without the attribute: subject, username = %q, %q, want alice, ALICE", got.Subject, got.Username)
	}
}

// TestAuthenticateGroupsChange: groups are read at each sign-in, so a
// change in the directory shows at the next one.
func TestAuthenticateGroupsChange(t *testing.T) {
	s := apptest.StartSlapd(t)
	d, _ := mustDirectory(t, config(s))
	s.SetGroups(t, "alice", "staff")
	got, err := d.Authenticate(context.Background(), "alice", alice.Password)
	if err != nil {
		t.Fatalf("Authenticate: %v", err)
	}
	if want := []string{apptest.GroupDN("staff")}; !slices.Equal(got.Groups, want) {
		t.Errorf("groups = %q, want %q", got.Groups, want)
	}
	got, err = d.Authenticate(context.Background(), "carol", "carol-secret")
	if err != nil {
		t.Fatalf("Authenticate carol: %v", err)
	}
	if got.Groups == nil || len(got.Groups) != 0 {
		t.Errorf("carol's groups = %#v, want an empty list", got.Groups)
	}
}

// TestDirectoryDown: a stopped directory is unavailable, not a refusal, and
// the pool recovers when it returns.
func TestDirectoryDown(t *testing.T) {
	s := apptest.StartSlapd(t)
	d, logs := mustDirectory(t, config(s))
	for range 3 {
		if _, err := d.Authenticate(context.Background(), "alice", alice.Password); err != nil {
			t.Fatalf("Authenticate before the stop: %v", err)
		}
	}
	if n := ldap.IdleConns(d); n != 1 {
		t.Errorf("idle connections after sequential sign-ins = %d, want 1 (reused)", n)
	}
	s.Stop()
	_, err := d.Authenticate(context.Background(), "alice", alice.Password)
	wantCode(t, err, tc.EUNAVAILABLE, ldap.MsgUnavailable)
	if !strings.Contains(logs.String(), "LDAP user search failed") {
		t.Errorf("the failure is not logged:\n%s", logs)
	}
	if n := ldap.IdleConns(d); n != 0 {
		t.Errorf("idle connections after the failure = %d, want 0 (dropped)", n)
	}
	if err := d.Check(context.Background()); tc.ErrorCode(err) != tc.EUNAVAILABLE {
		t.Errorf("Check while stopped = %v, want %s", err, tc.EUNAVAILABLE)
	}

	s.Start(t)
	if err := d.Check(context.Background()); err != nil {
		t.Errorf("Check after restart: %v", err)
	}
	// The pooled connection died with the old process; the sign-in must
	// not fail because of it.
	if _, err := d.Authenticate(context.Background(), "alice", alice.Password); err != nil {
		t.Errorf("Authenticate after restart: %v", err)
	}
	// A restart between two sign-ins leaves a dead connection in the pool,
	// which the next sign-in replaces rather than fail on.
	s.Stop()
	s.Start(t)
	if _, err := d.Authenticate(context.Background(), "alice", alice.Password); err != nil {
		t.Errorf("Authenticate after a restart between sign-ins: %v", err)
	}
}

// TestServiceBindRefused: a wrong service password is the operator's
// problem, reported as unavailable rather than as the user's.
func TestServiceBindRefused(t *testing.T) {
	s := apptest.StartSlapd(t)
	cfg := config(s)
	cfg.BindPassword = "not-the-service-password"
	d, logs := mustDirectory(t, cfg)
	_, err := d.Authenticate(context.Background(), "alice", alice.Password)
	wantCode(t, err, tc.EUNAVAILABLE, ldap.MsgUnavailable)
	if !strings.Contains(logs.String(), "Invalid Credentials") {
		t.Errorf("the service bind failure is not logged:\n%s", logs)
	}
	err = d.Check(context.Background())
	if tc.ErrorCode(err) != tc.EUNAVAILABLE || !strings.Contains(tc.ErrorMessage(err), "Invalid Credentials") {
		t.Errorf("Check = %v, want %s naming the refused bind", err, tc.EUNAVAILABLE)
	}
}

// TestStalledServer: a server that accepts and never answers does not
// hold a sign-in: the Timeout or ctx ends it.
func TestStalledServer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	defer func() {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	}()
	addr := ln.Addr().String()
	for _, tt := range []struct {
		name    string
		cfg     ldap.Config
		ctxWait time.Duration
	}{
		{"ldap timeout", ldap.Config{URL: "ldap://" + addr, Timeout: 200 * time.Millisecond}, time.Minute},
		{"starttls timeout", ldap.Config{URL: "ldap://" + addr, StartTLS: true, Timeout: 200 * time.Millisecond}, time.Minute},
		{"ldaps timeout", ldap.Config{URL: "ldaps://" + addr, Timeout: 200 * time.Millisecond}, time.Minute},
		{"ldap ctx deadline", ldap.Config{URL: "ldap://" + addr, Timeout: time.Minute}, 200 * time.Millisecond},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.cfg
			cfg.BindDN, cfg.BindPassword, cfg.UserSearchBase = "cn=svc,dc=example,dc=org", "svc-secret", "dc=example,dc=org"
			d, _ := mustDirectory(t, cfg)
			ctx, cancel := context.WithTimeout(context.Background(), tt.ctxWait)
			defer cancel()
			_, err := d.Authenticate(ctx, "alice", "alice-secret")
			wantCode(t, err, tc.EUNAVAILABLE, ldap.MsgUnavailable)
		})
	}
}

// TestConcurrentSignIns: more sign-ins than pooled connections all succeed
// (run with -race).
func TestConcurrentSignIns(t *testing.T) {
	s := apptest.StartSlapd(t)
	cfg := config(s)
	cfg.PoolSize = 2
	d, _ := mustDirectory(t, cfg)
	var wg sync.WaitGroup
	errs := make(chan error, 24)
	for i := range 24 {
		u := apptest.SlapdUsers[i%len(apptest.SlapdUsers)]
		wg.Go(func() {
			id, err := d.Authenticate(context.Background(), u.UID, u.Password)
			if err == nil && id.Email != u.Mail {
				err = errors.New(u.UID + " got " + id.Email)
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if n := ldap.IdleConns(d); n < 1 || n > cfg.PoolSize {
		t.Errorf("idle connections = %d, want 1 to %d", n, cfg.PoolSize)
	}
	d.Close()
	if n := ldap.IdleConns(d); n != 0 {
		t.Errorf("idle connections after Close = %d, want 0", n)
	}
	_, err := d.Authenticate(context.Background(), "alice", alice.Password)
	wantCode(t, err, tc.EUNAVAILABLE, ldap.MsgUnavailable)
}

func TestNewRejects(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "not.pem")
	if err := os.WriteFile(notPEM, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	ok := ldap.Config{URL: "ldap://127.0.0.1:1", BindDN: "cn=svc,dc=example,dc=org", BindPassword: "x", UserSearchBase: "dc=example,dc=org"}
	for _, tt := range []struct {
		name, field string
		set         func(*ldap.Config)
	}{
		{"no URL", "AUTH_LDAP_URL", func(c *ldap.Config) { c.URL = "" }},
		{"http URL", "AUTH_LDAP_URL", func(c *ldap.Config) { c.URL = "http://ldap.example.org" }},
		{"URL without host", "AUTH_LDAP_URL", func(c *ldap.Config) { c.URL = "ldaps://" }},
		{"no bind DN", "AUTH_LDAP_BIND_DN", func(c *ldap.Config) { c.BindDN = "" }},
		{"bad bind DN", "AUTH_LDAP_BIND_DN", func(c *ldap.Config) { c.BindDN = "svc" }},
		{"no bind password", "AUTH_LDAP_BIND_PASSWORD", func(c *ldap.Config) { c.BindPassword = "" }},
		{"no search base", "AUTH_LDAP_USER_SEARCH_BASE", func(c *ldap.Config) { c.UserSearchBase = "" }},
		{"filter without placeholder", "AUTH_LDAP_USER_SEARCH_FILTER", func(c *ldap.Config) { c.UserSearchFilter = "(uid=alice)" }},
		{"broken filter", "AUTH_LDAP_USER_SEARCH_FILTER", func(c *ldap.Config) { c.UserSearchFilter = "(uid={{username}}" }},
		{"missing CA file", "AUTH_LDAP_CA_CERT_PATH", func(c *ldap.Config) { c.CACertPath = filepath.Join(dir, "absent.pem") }},
		{"CA file not PEM", "AUTH_LDAP_CA_CERT_PATH", func(c *ldap.Config) { c.CACertPath = notPEM }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := ok
			tt.set(&cfg)
			_, err := ldap.New(cfg, nil)
			e, isTC := errors.AsType[*tc.Error](err)
			if !isTC || e.Code != tc.EINVALID || e.Field != tt.field || !strings.Contains(e.Message, tt.field) {
				t.Errorf("New = %v, want %s naming %s", err, tc.EINVALID, tt.field)
			}
		})
	}
	if _, err := ldap.New(ok, nil); err != nil {
		t.Errorf("New with a good config: %v", err)
	}
}

func TestDefaultsAndSummary(t *testing.T) {
	var cfg ldap.Config
	cfg.SetDefaults()
	if cfg.UserSearchFilter != "(uid={{username}})" || cfg.AttrUsername != "sAMAccountName" || cfg.AttrEmail != "mail" ||
		cfg.AttrDisplayName != "displayName" || cfg.AttrGroups != "memberOf" || cfg.Timeout != 5*time.Second ||
		cfg.PoolSize != 4 || cfg.RejectUnauthorized == nil || !*cfg.RejectUnauthorized {
		t.Errorf("defaults = %+v", cfg)
	}

	d, _ := mustDirectory(t, ldap.Config{URL: "ldaps://ldap.example.org", BindDN: "cn=svc,dc=example,dc=org",
		BindPassword: "hunter2-service", UserSearchBase: "ou=people,dc=example,dc=org"})
	sum := d.Summary()
	want := ldap.Summary{URL: "ldaps://ldap.example.org", BindDN: "cn=svc,dc=example,dc=org", UserSearchBase: "ou=people,dc=example,dc=org",
		UserSearchFilter: "(uid={{username}})", TLS: "ldaps", VerifyCertificates: true, AttrUsername: "sAMAccountName",
		AttrEmail: "mail", AttrDisplayName: "displayName", AttrGroups: "memberOf"}
	if sum != want {
		t.Errorf("Summary = %+v, want %+v", sum, want)
	}
	b, err := json.Marshal(sum)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "hunter2") {
		t.Errorf("Summary shows the bind password: %s", b)
	}
}

// TestPooledConnectionSilentlyDropped: a firewall that forgets an idle
// connection leaves it looking open while nothing gets through; the sign-in
// that meets it times out on it and goes on over a new one.
func TestPooledConnectionSilentlyDropped(t *testing.T) {
	s := apptest.StartSlapd(t)
	p := startBlackholeProxy(t, strings.TrimPrefix(s.URL, "ldap://"))
	cfg := config(s)
	cfg.URL, cfg.Timeout = "ldap://"+p.addr, 300*time.Millisecond
	d, logs := mustDirectory(t, cfg)
	if _, err := d.Authenticate(context.Background(), "alice", alice.Password); err != nil {
		t.Fatalf("Authenticate: %v", err)
	}
	p.dropExisting()
	if _, err := d.Authenticate(context.Background(), "alice", alice.Password); err != nil {
		t.Fatalf("Authenticate over a dropped pooled connection: %v\n%s", err, logs)
	}
	if !strings.Contains(logs.String(), "retrying on a new one") {
		t.Errorf("the retry is not logged:\n%s", logs)
	}
}

// blackholeProxy forwards TCP to a target; dropExisting makes the
// connections open so far swallow everything without closing.
type blackholeProxy struct {
	addr    string
	mu      sync.Mutex
	dropped []*bool
}

func startBlackholeProxy(tb testing.TB, target string) *blackholeProxy {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	p := &blackholeProxy{addr: ln.Addr().String()}
	var conns []net.Conn
	var connsMu sync.Mutex
	tb.Cleanup(func() {
		ln.Close()
		connsMu.Lock()
		defer connsMu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	go func() {
		for {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			out, err := net.Dial("tcp", target)
			if err != nil {
				in.Close()
				continue
			}
			connsMu.Lock()
			conns = append(conns, in, out)
			connsMu.Unlock()
			dropped := new(bool)
			p.mu.Lock()
			p.dropped = append(p.dropped, dropped)
			p.mu.Unlock()
			pipe := func(dst, src net.Conn) {
				buf := make([]byte, 32<<10)
				for {
					n, err := src.Read(buf)
					if err != nil {
						return
					}
					p.mu.Lock()
					drop := *dropped
					p.mu.Unlock()
					if !drop {
						dst.Write(buf[:n])
					}
				}
			}
			go pipe(out, in)
			go pipe(in, out)
		}
	}()
	return p
}

func (p *blackholeProxy) dropExisting() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, d := range p.dropped {
		*d = true
	}
}
