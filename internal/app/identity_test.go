package app_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/app"
	"github.com/telegrafcontroller/tc/internal/apptest"
	"github.com/telegrafcontroller/tc/internal/auth"
	"github.com/telegrafcontroller/tc/internal/store"
)

const goodPassword = "Correct-Horse-42"

var seq atomic.Int64

func uniq(prefix string) string { return fmt.Sprintf("%s%d", prefix, seq.Add(1)) }

// identityRows is the role × endpoint table of issue 3: every endpoint of
// auth, users, invites, password resets, account and settings.
func identityRows() []apptest.RoleRow {
	S := apptest.Statuses
	target := func(role tc.Role) func(tb testing.TB, inst *apptest.Instance, as *tc.User) (string, any) {
		return func(tb testing.TB, inst *apptest.Instance, as *tc.User) (string, any) {
			return "/api/users/" + inst.MustUser(tb, role).ID, nil
		}
	}
	withBody := func(f func(testing.TB, *apptest.Instance, *tc.User) (string, any), suffix string, body any) func(testing.TB, *apptest.Instance, *tc.User) (string, any) {
		return func(tb testing.TB, inst *apptest.Instance, as *tc.User) (string, any) {
			p, _ := f(tb, inst, as)
			return p + suffix, body
		}
	}
	owner := func(tb testing.TB, inst *apptest.Instance, as *tc.User) (string, any) {
		return "/api/users/" + inst.MustOwner(tb).ID, nil
	}
	self := func(tb testing.TB, inst *apptest.Instance, as *tc.User) (string, any) {
		if as == nil {
			return "/api/users/00000000-0000-4000-8000-00000000dead", nil
		}
		return "/api/users/" + as.ID, nil
	}
	return []apptest.RoleRow{
		{Method: "GET", Path: "/api/auth/status", Want: S(200, 200, 200, 200, 200)},
		{Method: "POST", Path: "/api/auth/setup", Body: map[string]string{"username": "late", "email": "late@example.test", "password": goodPassword}, Want: S(409, 409, 409, 409, 409)},
		{Method: "POST", Path: "/api/auth/login/local", Body: map[string]string{"username": "nobody-here", "password": "wrong password"}, Want: S(401, 401, 401, 401, 401)},
		{Method: "GET", Path: "/api/auth/me", Want: S(200, 200, 200, 200, 401)},
		{Method: "POST", Path: "/api/auth/logout", Want: S(204, 204, 204, 204, 401)},
		// Search: every role may ask; what it finds depends on what each may read.
		{Method: "GET", Path: "/api/search?q=a", Want: S(200, 200, 200, 200, 401)},
		{Method: "GET", Path: "/api/search?q=" + strings.Repeat("q", 101), Want: S(400, 400, 400, 400, 401)},
		// Single sign-on, both providers off here (sso_test.go turns them on).
		{Method: "POST", Path: "/api/auth/login/ldap", Body: map[string]string{"username": "nobody-here", "password": "wrong password"}, Want: S(403, 403, 403, 403, 403)},
		{Method: "GET", Path: "/api/auth/oidc/login", Want: S(403, 403, 403, 403, 403)},
		{Method: "GET", Path: "/api/auth/oidc/callback", Want: S(403, 403, 403, 403, 403)},
		{Method: "GET", Path: "/api/auth/settings", Want: S(200, 200, 403, 403, 401)},
		{Method: "PATCH", Path: "/api/auth/settings", Body: map[string]any{"ldap": tc.DefaultProvisioning}, Want: S(200, 403, 403, 403, 401)},

		{Method: "GET", Path: "/api/users", Want: S(200, 200, 403, 403, 401)},
		{Method: "GET", Path: "/api/users/{id}", Fresh: target(tc.RoleViewer), Want: S(200, 200, 403, 403, 401)},
		{Method: "GET", Path: "/api/users/{id} (unknown)", Fresh: func(testing.TB, *apptest.Instance, *tc.User) (string, any) {
			return "/api/users/00000000-0000-4000-8000-00000000beef", nil
		}, Want: S(404, 404, 403, 403, 401)},
		{Method: "PATCH", Path: "/api/users/{id}", Fresh: withBody(target(tc.RoleViewer), "", map[string]any{"role": "manager"}), Want: S(200, 200, 403, 403, 401)},
		{Method: "PATCH", Path: "/api/users/{id} (to administrator)", Fresh: withBody(target(tc.RoleManager), "", map[string]any{"role": "administrator"}), Want: S(200, 403, 403, 403, 401)},
		{Method: "PATCH", Path: "/api/users/{id} (disable administrator)", Fresh: withBody(target(tc.RoleAdministrator), "", map[string]any{"disabled": true}), Want: S(200, 403, 403, 403, 401)},
		{Method: "PATCH", Path: "/api/users/{id} (disable owner)", Fresh: withBody(owner, "", map[string]any{"disabled": true}), Want: S(403, 403, 403, 403, 401)},
		{Method: "PATCH", Path: "/api/users/{id} (disable self)", Fresh: withBody(self, "", map[string]any{"disabled": true}), Want: S(403, 403, 403, 403, 401)},
		{Method: "PATCH", Path: "/api/users/{id} (make owner)", Fresh: withBody(target(tc.RoleViewer), "", map[string]any{"role": "owner"}), Want: S(400, 400, 403, 403, 401)},
		{Method: "DELETE", Path: "/api/users/{id}", Fresh: target(tc.RoleViewer), Want: S(204, 204, 403, 403, 401)},
		{Method: "DELETE", Path: "/api/users/{id} (administrator)", Fresh: target(tc.RoleAdministrator), Want: S(204, 403, 403, 403, 401)},
		{Method: "DELETE", Path: "/api/users/{id} (owner)", Fresh: owner, Want: S(403, 403, 403, 403, 401)},
		{Method: "DELETE", Path: "/api/users/{id} (self)", Fresh: self, Want: S(403, 403, 403, 403, 401)},
		{Method: "POST", Path: "/api/users/{id}/password-reset", Fresh: withBody(target(tc.RoleManager), "/password-reset", map[string]any{"expiresInHours": 2}), Want: S(201, 201, 403, 403, 401)},
		{Method: "POST", Path: "/api/users/{id}/password-reset (administrator)", Fresh: withBody(target(tc.RoleAdministrator), "/password-reset", map[string]any{}), Want: S(201, 403, 403, 403, 401)},
		{Method: "POST", Path: "/api/users/{id}/password-reset (owner)", Fresh: withBody(owner, "/password-reset", map[string]any{}), Want: S(201, 403, 403, 403, 401)},
		{Method: "GET", Path: "/api/password-resets/{token}", Fresh: func(tb testing.TB, inst *apptest.Instance, _ *tc.User) (string, any) {
			return "/api/password-resets/" + inst.MustPasswordReset(tb, inst.MustUser(tb, tc.RoleViewer), time.Hour), nil
		}, Want: S(200, 200, 200, 200, 200)},
		{Method: "POST", Path: "/api/password-resets/{token}", Fresh: func(tb testing.TB, inst *apptest.Instance, _ *tc.User) (string, any) {
			return "/api/password-resets/" + inst.MustPasswordReset(tb, inst.MustUser(tb, tc.RoleViewer), time.Hour), map[string]string{"password": goodPassword}
		}, Want: S(204, 204, 204, 204, 204)},

		{Method: "GET", Path: "/api/invites", Want: S(200, 200, 403, 403, 401)},
		{Method: "POST", Path: "/api/invites", Fresh: func(testing.TB, *apptest.Instance, *tc.User) (string, any) {
			n := uniq("inv")
			return "/api/invites", map[string]any{"username": n, "email": n + "@example.test", "role": "manager"}
		}, Want: S(201, 201, 403, 403, 401)},
		{Method: "POST", Path: "/api/invites (administrator)", Fresh: func(testing.TB, *apptest.Instance, *tc.User) (string, any) {
			n := uniq("inva")
			return "/api/invites", map[string]any{"username": n, "email": n + "@example.test", "role": "administrator", "expiresInHours": 1}
		}, Want: S(201, 403, 403, 403, 401)},
		{Method: "DELETE", Path: "/api/invites/{invite}", Fresh: func(tb testing.TB, inst *apptest.Instance, _ *tc.User) (string, any) {
			inv, _ := inst.MustInvite(tb, tc.RoleViewer, time.Hour)
			return "/api/invites/" + inv.ID, nil
		}, Want: S(204, 204, 403, 403, 401)},
		{Method: "GET", Path: "/api/invites/{invite}", Fresh: func(tb testing.TB, inst *apptest.Instance, _ *tc.User) (string, any) {
			_, token := inst.MustInvite(tb, tc.RoleViewer, time.Hour)
			return "/api/invites/" + token, nil
		}, Want: S(200, 200, 200, 200, 200)},
		{Method: "POST", Path: "/api/invites/{token}/accept", Fresh: func(tb testing.TB, inst *apptest.Instance, _ *tc.User) (string, any) {
			_, token := inst.MustInvite(tb, tc.RoleViewer, time.Hour)
			return "/api/invites/" + token + "/accept", map[string]string{"password": goodPassword}
		}, Want: S(201, 201, 201, 201, 201)},

		{Method: "GET", Path: "/api/account", Want: S(200, 200, 200, 200, 401)},
		{Method: "PATCH", Path: "/api/account", Fresh: func(testing.TB, *apptest.Instance, *tc.User) (string, any) {
			return "/api/account", map[string]string{"email": uniq("me") + "@example.test"}
		}, Want: S(200, 200, 200, 200, 401)},
		{Method: "POST", Path: "/api/account/password", Body: map[string]string{"currentPassword": "not it", "newPassword": goodPassword}, Want: S(400, 400, 400, 400, 401)},
		{Method: "GET", Path: "/api/account/preferences", Want: S(200, 200, 200, 200, 401)},
		{Method: "PUT", Path: "/api/account/preferences", Body: map[string]any{"agentColumns": []string{"ip", "problem"}, "compactRows": true}, Want: S(200, 200, 200, 200, 401)},
		{Method: "PUT", Path: "/api/account/preferences (unknown column)", Fresh: func(testing.TB, *apptest.Instance, *tc.User) (string, any) {
			return "/api/account/preferences", map[string]any{"agentColumns": []string{"password"}}
		}, Want: S(400, 400, 400, 400, 401)},

		{Method: "GET", Path: "/api/settings", Want: S(200, 200, 403, 403, 401)},
		{Method: "PATCH", Path: "/api/settings", Body: map[string]any{"loginLockoutAttempts": 5}, Want: S(200, 200, 403, 403, 401)},

		{Method: "GET", Path: "/api/audit-logger", Want: S(200, 200, 403, 403, 401)},
		{Method: "GET", Path: "/api/audit-logger?outcome=Denied&from=2020-01-01T00:00:00Z&limit=5", Want: S(200, 200, 403, 403, 401)},
		{Method: "GET", Path: "/api/audit-logger?outcome=Maybe", Want: S(400, 400, 403, 403, 401)},
		{Method: "GET", Path: "/api/audit-logger/export?format=csv", Want: S(200, 200, 403, 403, 401)},
		{Method: "GET", Path: "/api/audit-logger/export?format=xml", Want: S(400, 400, 403, 403, 401)},
		{Method: "GET", Path: "/api/audit-logger/verify", Want: S(200, 200, 403, 403, 401)},

		// Last: a successful transfer changes who the owner is.
		{Method: "POST", Path: "/api/users/{id}/transfer-ownership", Fresh: withBody(target(tc.RoleAdministrator), "/transfer-ownership", nil), Want: S(204, 403, 403, 403, 401)},
	}
}

func TestIdentityRoleWalk(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db)
		rows := identityRows()
		inst.RequireRowsCover(t, rows, "/api/auth/", "/api/users", "/api/invites", "/api/password-resets", "/api/account", "/api/settings", "/api/audit-logger", "/api/search")
		inst.WalkRoles(t, rows)
	})
}

func login(t *testing.T, inst *apptest.Instance, c *http.Client, username, password string) *apptest.Response {
	t.Helper()
	return inst.Do(t, apptest.Req{Method: "POST", Path: "/api/auth/login/local", Client: c, Body: map[string]string{"username": username, "password": password}})
}

func sessionCookie(t *testing.T, inst *apptest.Instance, c *http.Client) string {
	t.Helper()
	u, _ := url.Parse(inst.URL)
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == "tc_session" {
			return ck.Value
		}
	}
	return ""
}

func TestSetupLoginLogout(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db)
		r := apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/auth/status"}), 200)
		if m := r.Map(t); m["setupRequired"] != true || fmt.Sprint(m["providers"]) != "[local]" {
			t.Fatalf("status before setup = %s", r.Body)
		}
		// Bad input names the field.
		for _, c := range []struct {
			body  map[string]string
			field string
		}{
			{map[string]string{"username": "ab", "email": "a@example.test", "password": goodPassword}, "username"},
			{map[string]string{"username": "alice", "email": "not-an-email", "password": goodPassword}, "email"},
			{map[string]string{"username": "alice", "email": "a@example.test", "password": "short"}, "password"},
			{map[string]string{"username": "alice", "email": "a@example.test", "password": "password123"}, "password"}, // common
			{map[string]string{"username": "alice", "email": "a@example.test", "password": strings.Repeat("Aa1", 86)}, "password"},
		} {
			r := apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/auth/setup", Body: c.body}), 400)
			if got := r.Map(t)["field"]; got != c.field {
				t.Errorf("setup %v: field = %v, want %s", c.body, got, c.field)
			}
		}
		browser := apptest.NewSessionClient()
		r = apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/auth/setup", Client: browser,
			Body: map[string]string{"username": "alice", "email": "alice@example.test", "password": goodPassword}}), 201)
		var ck *http.Cookie
		for _, c := range r.Cookies() {
			if c.Name == "tc_session" {
				ck = c
			}
		}
		if ck == nil || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Secure || ck.Path != "/" || len(ck.Value) < 43 {
			t.Fatalf("session cookie = %+v, want HttpOnly, SameSite=Lax, not Secure without TLS, 256-bit value", ck)
		}
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/auth/setup",
			Body: map[string]string{"username": "mallory", "email": "m@example.test", "password": goodPassword}}), 409)
		if m := apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/auth/status"}), 200).Map(t); m["setupRequired"] != false {
			t.Fatalf("status after setup = %v", m)
		}
		me := apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/auth/me", Client: browser}), 200).Map(t)
		if me["role"] != "owner" || me["authMethod"] != "session" || len(me["permissions"].([]any)) != len(tc.AllPermissions) {
			t.Fatalf("me = %v", me)
		}
		if strings.Contains(string(r.Body), "argon2") || strings.Contains(string(r.Body), goodPassword) {
			t.Fatalf("setup answer leaks a hash: %s", r.Body)
		}

		// Sign in by username and by email (any case); the id rotates.
		c2 := apptest.NewSessionClient()
		apptest.MustStatus(t, login(t, inst, c2, "ALICE", goodPassword), 200)
		first := sessionCookie(t, inst, c2)
		apptest.MustStatus(t, login(t, inst, c2, "alice@example.test", goodPassword), 200)
		second := sessionCookie(t, inst, c2)
		if first == second || first == "" {
			t.Fatalf("session id not rotated at login: %q then %q", first, second)
		}
		old := &http.Client{Jar: mustJar(t, inst, first)}
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/auth/me", Client: old}), 401)
		apptest.MustStatus(t, login(t, inst, nil, "alice", "Wrong-Password-1"), 401)
		apptest.MustStatus(t, login(t, inst, nil, "", goodPassword), 400)

		// A token caller: /me shows the token's effective permissions.
		owner := inst.MustOwner(t)
		tok := inst.MustToken(t, owner, "configs:read", "users:read")
		me = apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/auth/me", Token: tok}), 200).Map(t)
		if me["authMethod"] != "token" || fmt.Sprint(me["permissions"]) != "[configs:read users:read]" {
			t.Fatalf("token me = %v", me)
		}

		// Logout ends only this session.
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/auth/logout", Client: c2}), 204)
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/auth/me", Client: c2}), 401)
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/auth/me", Client: browser}), 200)
	})
}

func mustJar(t *testing.T, inst *apptest.Instance, session string) http.CookieJar {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	u, _ := url.Parse(inst.URL)
	jar.SetCookies(u, []*http.Cookie{{Name: "tc_session", Value: session, Path: "/"}})
	return jar
}

func TestLockoutAndLimiter(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db, apptest.WithEnv(map[string]string{"LOGIN_LOCKOUT_ATTEMPTS": "3", "LOGIN_LOCKOUT_MINUTES": "10"}), apptest.WithArgs())
		u := inst.MustPasswordUser(t, tc.RoleManager, goodPassword)
		if s := inst.Store.Settings(); s.LoginLockoutAttempts != 3 || s.LoginLockoutMinutes != 10 {
			t.Fatalf("seeded settings = %+v", s)
		}
		answers := func(name string) []string {
			var out []string
			for i := 0; i < 3; i++ {
				r := apptest.MustStatus(t, login(t, inst, nil, name, "Wrong-Password-1"), 401)
				out = append(out, r.Map(t)["message"].(string))
			}
			return out
		}
		known, unknown := answers(u.Username), answers("nobody-at-all")
		if fmt.Sprint(known) != fmt.Sprint(unknown) {
			t.Fatalf("answers differ: known %q, unknown %q", known, unknown)
		}
		if !strings.Contains(known[2], "locked for 10 minutes") {
			t.Fatalf("third failure = %q, want a lock of 10 minutes", known[2])
		}
		// Locked: the right password is refused, with the same answer as an unknown name.
		r := apptest.MustStatus(t, login(t, inst, nil, u.Username, goodPassword), 401)
		r2 := apptest.MustStatus(t, login(t, inst, nil, "nobody-at-all", goodPassword), 401)
		if a, b := r.Map(t)["message"], r2.Map(t)["message"]; a != b || !strings.Contains(a.(string), "locked") {
			t.Fatalf("locked answers: known %q, unknown %q", a, b)
		}
		inst.Clock.Advance(9 * time.Minute)
		apptest.MustStatus(t, login(t, inst, nil, u.Username, goodPassword), 401)
		inst.Clock.Advance(time.Minute)
		apptest.MustStatus(t, login(t, inst, nil, u.Username, goodPassword), 200)

		// Per-address limit: 20 failures from one address, then 429 for everyone from it.
		inst.Clock.Advance(time.Hour)
		var last *apptest.Response
		for i := 0; i < 30; i++ {
			last = login(t, inst, nil, uniq("spray"), "Wrong-Password-1")
			if last.StatusCode == 429 {
				break
			}
		}
		if last.StatusCode != 429 || last.Header.Get("Retry-After") == "" {
			t.Fatalf("after many failures: status %d, Retry-After %q; want 429 with Retry-After", last.StatusCode, last.Header.Get("Retry-After"))
		}
		apptest.MustStatus(t, login(t, inst, nil, u.Username, goodPassword), 429)
		inst.Clock.Advance(time.Minute)
		apptest.MustStatus(t, login(t, inst, nil, u.Username, goodPassword), 200)
	})
}

// TestLimiterBehindProxy: behind a trusted reverse proxy the sign-in limiter
// counts each client (the right-most X-Forwarded-For hop that is not a
// trusted proxy) apart, so one client's failures do not lock out the others.
// A proxy that appends ($proxy_add_x_forwarded_for) keeps what the client
// sent on the left: a client cannot pick a fresh bucket by sending its own
// header, neither through the proxy nor from any other peer.
func TestLimiterBehindProxy(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		fail := func(inst *apptest.Instance, xff string) *apptest.Response {
			return inst.Do(t, apptest.Req{Method: "POST", Path: "/api/auth/login/local", Header: http.Header{"X-Forwarded-For": {xff}},
				Body: map[string]string{"username": uniq("spray"), "password": "Wrong-Password-1"}})
		}
		exhaust := func(inst *apptest.Instance, xff string) {
			t.Helper()
			for i := 0; i < 30; i++ {
				if fail(inst, xff).StatusCode == 429 {
					return
				}
			}
			t.Fatalf("no 429 after 30 failures from %s", xff)
		}
		for _, c := range []struct {
			proxies string
			client  string   // X-Forwarded-For as the proxies pass on the client's requests
			spoofed []string // the same client, with a header of its own in front
			other   string   // another client
			status  int      // the other client's next attempt
		}{
			// Loopback (the test client) is the one trusted proxy.
			{"127.0.0.1/32", "203.0.113.7", []string{"198.51.100.99, 203.0.113.7", "127.0.0.1, 203.0.113.7"}, "198.51.100.20", 401},
			// Two proxies: the client is the hop before the 10.0.0.0/8 one.
			{"127.0.0.1/32, 10.0.0.0/8", "203.0.113.7, 10.0.0.1", []string{"198.51.100.99, 203.0.113.7, 10.0.0.1", "10.0.0.5, 203.0.113.7, 10.0.0.1"},
				"203.0.113.7, 198.51.100.20, 10.0.0.1", 401},
			// The peer is not a proxy: the header is ignored, one bucket.
			{"10.9.0.0/16", "203.0.113.7", []string{"198.51.100.99"}, "198.51.100.20", 429},
		} {
			inst := apptest.MustStart(t, db, apptest.WithArgs("--trusted-proxies", c.proxies))
			exhaust(inst, c.client)
			for _, xff := range c.spoofed {
				apptest.MustStatus(t, fail(inst, xff), 429)
			}
			apptest.MustStatus(t, fail(inst, c.other), c.status)
		}
	})
}

func TestSessionExpiry(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db, apptest.WithArgs("--session-idle-timeout", "2h", "--session-lifetime", "5h"))
		u := inst.MustPasswordUser(t, tc.RoleViewer, goodPassword)
		c := apptest.NewSessionClient()
		apptest.MustStatus(t, login(t, inst, c, u.Username, goodPassword), 200)
		hash := tc.HashSecret(sessionCookie(t, inst, c))
		me := func(want int) {
			t.Helper()
			apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/auth/me", Client: c}), want)
		}
		seen := func() time.Time {
			t.Helper()
			s, err := inst.Store.SessionByHash(context.Background(), hash)
			if err != nil {
				t.Fatal(err)
			}
			return s.LastSeenAt
		}
		start := inst.Clock.Now()
		inst.Clock.Advance(30 * time.Second)
		me(200)
		if got := seen(); !got.Equal(start.Truncate(time.Millisecond)) {
			t.Fatalf("last seen moved within a minute: %v, want %v", got, start)
		}
		inst.Clock.Advance(31 * time.Second)
		me(200)
		if got := seen(); !got.After(start) {
			t.Fatalf("last seen not updated after a minute: %v", got)
		}
		// Active every 90 minutes: the idle timeout never hits, the lifetime does.
		for i := 0; i < 3; i++ {
			inst.Clock.Advance(90 * time.Minute)
			me(200)
		}
		inst.Clock.Advance(30 * time.Minute) // 5h01m after sign-in
		me(401)

		// Idle for the idle timeout: ended.
		apptest.MustStatus(t, login(t, inst, c, u.Username, goodPassword), 200)
		inst.Clock.Advance(2 * time.Hour)
		me(401)
	})
}

func TestInvites(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db)
		owner := inst.MustSession(t, inst.MustOwner(t))
		create := func(body map[string]any, want int) map[string]any {
			t.Helper()
			return apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/invites", Client: owner, Body: body}), want).Map(t)
		}
		inv := create(map[string]any{"username": "bob", "email": "bob@example.test", "role": "manager"}, 201)
		link, _ := inv["link"].(string)
		wantPrefix := inst.URL + "/invite/"
		if !strings.HasPrefix(link, wantPrefix) {
			t.Fatalf("link = %q, want prefix %q", link, wantPrefix)
		}
		if exp := inv["expiresAt"].(string); exp != inst.Clock.Now().Add(72*time.Hour).UTC().Format(time.RFC3339) {
			t.Errorf("expiresAt = %s, want 72 h from now", exp)
		}
		token := strings.TrimPrefix(link, wantPrefix)
		for _, c := range []struct {
			body  map[string]any
			want  int
			field string
		}{
			{map[string]any{"username": "bob", "email": "other@example.test", "role": "viewer"}, 409, ""},
			{map[string]any{"username": "x", "email": "x@example.test", "role": "viewer"}, 400, "username"},
			{map[string]any{"username": "xavier", "email": "x@", "role": "viewer"}, 400, "email"},
			{map[string]any{"username": "xavier", "email": "x@example.test", "role": "owner"}, 400, "role"},
			{map[string]any{"username": "xavier", "email": "x@example.test", "role": "viewer", "expiresInHours": 721}, 400, "expiresInHours"},
			{map[string]any{"username": "xavier", "email": "x@example.test", "role": "viewer", "expiresInHours": 0}, 400, "expiresInHours"},
		} {
			m := create(c.body, c.want)
			if c.field != "" && m["field"] != c.field {
				t.Errorf("%v: field = %v, want %s", c.body, m["field"], c.field)
			}
		}
		list := apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/invites", Client: owner}), 200)
		if strings.Contains(string(list.Body), token) || !strings.Contains(string(list.Body), `"bob"`) {
			t.Fatalf("invite list = %s", list.Body)
		}
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/invites/" + token}), 200)
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/invites/not-a-token"}), 404)
		// Weak password: 400, the invite stays usable.
		r := apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/invites/" + token + "/accept", Body: map[string]string{"password": "weak"}}), 400)
		if r.Map(t)["field"] != "password" {
			t.Errorf("weak password answer = %s", r.Body)
		}
		bob := apptest.NewSessionClient()
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/invites/" + token + "/accept", Client: bob, Body: map[string]string{"password": goodPassword}}), 201)
		if me := apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/auth/me", Client: bob}), 200).Map(t); me["role"] != "manager" {
			t.Fatalf("invited user me = %v", me)
		}
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/invites/" + token + "/accept", Body: map[string]string{"password": goodPassword}}), 410)

		// Expired and withdrawn links: 410.
		_, expiring := inst.MustInvite(t, tc.RoleViewer, time.Hour)
		inst.Clock.Advance(time.Hour)
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/invites/" + expiring}), 410)
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/invites/" + expiring + "/accept", Body: map[string]string{"password": goodPassword}}), 410)
		withdrawn, wtoken := inst.MustInvite(t, tc.RoleViewer, time.Hour)
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "DELETE", Path: "/api/invites/" + withdrawn.ID, Client: owner}), 204)
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "DELETE", Path: "/api/invites/" + withdrawn.ID, Client: owner}), 404)
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/invites/" + wtoken + "/accept", Body: map[string]string{"password": goodPassword}}), 410)

		// With a public UI URL the link uses it.
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "PATCH", Path: "/api/settings", Client: owner, Body: map[string]string{"publicUiUrl": "https://tc.example.com/base"}}), 200)
		inv = create(map[string]any{"username": "carol", "email": "carol@example.test", "role": "viewer"}, 201)
		if link := inv["link"].(string); !strings.HasPrefix(link, "https://tc.example.com/base/invite/") {
			t.Fatalf("link with publicUiUrl = %s", link)
		}
	})
}

func TestPasswordResets(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db)
		admin := inst.MustSession(t, inst.MustUser(t, tc.RoleAdministrator))
		u := inst.MustPasswordUser(t, tc.RoleManager, goodPassword)
		// Locked, and signed in elsewhere.
		elsewhere := apptest.NewSessionClient()
		apptest.MustStatus(t, login(t, inst, elsewhere, u.Username, goodPassword), 200)
		for i := 0; i < 5; i++ {
			login(t, inst, nil, u.Username, "Wrong-Password-1")
		}
		r := apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/users/" + u.ID + "/password-reset", Client: admin}), 201)
		m := r.Map(t)
		link := m["link"].(string)
		if exp := m["expiresAt"].(string); exp != inst.Clock.Now().Add(24*time.Hour).UTC().Format(time.RFC3339) {
			t.Errorf("expiresAt = %s, want 24 h from now", exp)
		}
		token := link[strings.LastIndex(link, "/")+1:]
		if !strings.HasPrefix(link, inst.URL+"/reset-password/") {
			t.Fatalf("link = %s", link)
		}
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/password-resets/" + token}), 200)
		const newPassword = "Brand-New-Pass-7"
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/password-resets/" + token, Body: map[string]string{"password": "weak"}}), 400)
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/password-resets/" + token, Body: map[string]string{"password": newPassword}}), 204)
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/auth/me", Client: elsewhere}), 401)
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/password-resets/" + token, Body: map[string]string{"password": newPassword}}), 410)
		apptest.MustStatus(t, login(t, inst, nil, u.Username, goodPassword), 401)
		apptest.MustStatus(t, login(t, inst, nil, u.Username, newPassword), 200) // lockout cleared

		// A newer link replaces an older one; links expire.
		older := inst.MustPasswordReset(t, u, time.Hour)
		newer := inst.MustPasswordReset(t, u, time.Hour)
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/password-resets/" + older}), 410)
		inst.Clock.Advance(time.Hour)
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/password-resets/" + newer, Body: map[string]string{"password": newPassword}}), 410)
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/password-resets/nonsense"}), 404)
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/users/" + u.ID + "/password-reset", Client: admin, Body: map[string]int{"expiresInHours": 721}}), 400)
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/users/00000000-0000-4000-8000-000000000bad/password-reset", Client: admin}), 404)
	})
}

func TestUserChangesEndSessionsAndTokens(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db)
		owner := inst.MustSession(t, inst.MustOwner(t))
		patch := func(id string, body any, want int) {
			t.Helper()
			apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "PATCH", Path: "/api/users/" + id, Client: owner, Body: body}), want)
		}
		me := func(c *http.Client, token string, want int) {
			t.Helper()
			apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/auth/me", Client: c, Token: token}), want)
		}

		// Role change to viewer: sessions end, active tokens are revoked.
		m := inst.MustPasswordUser(t, tc.RoleManager, goodPassword)
		sess := inst.MustSession(t, m)
		tok := inst.MustToken(t, m, "configs:read")
		me(sess, "", 200)
		me(nil, tok, 200)
		patch(m.ID, map[string]string{"role": "viewer"}, 200)
		me(sess, "", 401)
		me(nil, tok, 401)
		got, err := inst.Store.TokenByHash(context.Background(), tc.HashSecret(tok))
		if err != nil || got.Status != tc.TokenRevoked || got.RevokedAt == nil {
			t.Fatalf("token after role change to viewer = %+v, %v; want revoked", got, err)
		}
		// Other role changes end sessions but keep tokens.
		v2 := inst.MustUser(t, tc.RoleManager)
		tok2 := inst.MustToken(t, v2, "configs:read")
		sess2 := inst.MustSession(t, v2)
		patch(v2.ID, map[string]string{"role": "administrator"}, 200)
		me(sess2, "", 401)
		me(nil, tok2, 200)
		// Same role again: a no-op that ends nothing.
		sess2 = inst.MustSession(t, v2)
		patch(v2.ID, map[string]string{"role": "administrator"}, 200)
		me(sess2, "", 200)

		// Disable: sessions end, tokens stop working, sign-in refused; enable restores tokens.
		d := inst.MustPasswordUser(t, tc.RoleManager, goodPassword)
		dsess, dtok := inst.MustSession(t, d), inst.MustToken(t, d, "configs:read")
		patch(d.ID, map[string]bool{"disabled": true}, 200)
		me(dsess, "", 401)
		me(nil, dtok, 401)
		if r := apptest.MustStatus(t, login(t, inst, nil, d.Username, goodPassword), 401); r.Map(t)["message"] != "Invalid username or password" {
			t.Errorf("disabled sign-in = %s, want the answer to a wrong password", r.Body)
		}
		apptest.MustStatus(t, login(t, inst, nil, d.Username, "Wrong-Password-1"), 401)
		patch(d.ID, map[string]bool{"disabled": false}, 200)
		me(nil, dtok, 200)

		// Delete: sessions and tokens go with the user.
		x := inst.MustUser(t, tc.RoleManager)
		xsess, xtok := inst.MustSession(t, x), inst.MustToken(t, x)
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "DELETE", Path: "/api/users/" + x.ID, Client: owner}), 204)
		me(xsess, "", 401)
		me(nil, xtok, 401)
		if _, err := inst.Store.TokenByHash(context.Background(), tc.HashSecret(xtok)); tc.ErrorCode(err) != tc.ENOTFOUND {
			t.Fatalf("token of a deleted user: err = %v, want not found", err)
		}
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "DELETE", Path: "/api/users/" + x.ID, Client: owner}), 404)
		patch(x.ID, map[string]bool{"disabled": true}, 404)

		// Bad input names the field.
		r := apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "PATCH", Path: "/api/users/" + d.ID, Client: owner, Body: map[string]string{"role": "emperor"}}), 400)
		if r.Map(t)["field"] != "role" {
			t.Errorf("unknown role answer = %s", r.Body)
		}
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "PATCH", Path: "/api/users/" + d.ID, Client: owner, Body: map[string]any{"disabled": "yes"}}), 400)
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "PATCH", Path: "/api/users/" + d.ID, Client: owner, Body: map[string]any{"nickname": "x"}}), 400)
	})
}

func TestTransferOwnership(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db)
		o := inst.MustOwner(t)
		osess := inst.MustSession(t, o)
		transfer := func(id string, want int) {
			t.Helper()
			apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/users/" + id + "/transfer-ownership", Client: osess}), want)
		}
		transfer(inst.MustUser(t, tc.RoleManager).ID, 400)
		transfer(o.ID, 400)
		transfer("00000000-0000-4000-8000-000000000bad", 404)
		disabled := inst.MustUser(t, tc.RoleAdministrator)
		if _, _, err := inst.Store.UpdateUser(context.Background(), disabled.ID, store.UserPatch{Disabled: ptr(true)}, nil); err != nil {
			t.Fatal(err)
		}
		transfer(disabled.ID, 400)

		a := inst.MustUser(t, tc.RoleAdministrator)
		asess := inst.MustSession(t, a)
		transfer(a.ID, 204)
		for _, c := range []*http.Client{osess, asess} {
			apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/auth/me", Client: c}), 401)
		}
		newOwner, err := inst.Store.Owner(context.Background())
		if err != nil || newOwner.ID != a.ID {
			t.Fatalf("owner after transfer = %v, %v; want %s", newOwner, err, a.ID)
		}
		old, _ := inst.Store.UserByID(context.Background(), o.ID)
		if old.Role != tc.RoleAdministrator {
			t.Fatalf("former owner's role = %s, want administrator", old.Role)
		}
		// The former owner, now an administrator, cannot transfer it back.
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/users/" + a.ID + "/transfer-ownership", Client: inst.MustSession(t, old)}), 403)
	})
}

func TestAccount(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db)
		u := inst.MustPasswordUser(t, tc.RoleViewer, goodPassword)
		other := inst.MustUser(t, tc.RoleViewer)
		here, there := apptest.NewSessionClient(), apptest.NewSessionClient()
		apptest.MustStatus(t, login(t, inst, here, u.Username, goodPassword), 200)
		apptest.MustStatus(t, login(t, inst, there, u.Username, goodPassword), 200)
		do := func(method, path string, body any, want int) map[string]any {
			t.Helper()
			r := apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: method, Path: path, Client: here, Body: body}), want)
			if want == http.StatusNoContent {
				return nil
			}
			return r.Map(t)
		}
		if m := do("GET", "/api/account", nil, 200); m["id"] != u.ID || m["username"] != u.Username {
			t.Fatalf("account = %v", m)
		}
		do("PATCH", "/api/account", map[string]string{"username": strings.ToUpper(other.Username)}, 409)
		do("PATCH", "/api/account", map[string]string{"email": other.Email}, 409)
		if m := do("PATCH", "/api/account", map[string]string{"email": "bad"}, 400); m["field"] != "email" {
			t.Errorf("bad email answer = %v", m)
		}
		if m := do("PATCH", "/api/account", map[string]string{"username": "renamed", "email": "renamed@example.test"}, 200); m["username"] != "renamed" || m["email"] != "renamed@example.test" {
			t.Fatalf("patched account = %v", m)
		}
		if m := do("POST", "/api/account/password", map[string]string{"currentPassword": "Wrong-Password-1", "newPassword": "Another-Pass-99"}, 400); m["field"] != "currentPassword" {
			t.Errorf("wrong current password answer = %v", m)
		}
		if m := do("POST", "/api/account/password", map[string]string{"currentPassword": goodPassword, "newPassword": "weak"}, 400); m["field"] != "newPassword" {
			t.Errorf("weak new password answer = %v", m)
		}
		do("POST", "/api/account/password", map[string]string{"currentPassword": goodPassword, "newPassword": "Another-Pass-99"}, 204)
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/account", Client: here}), 200)
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/account", Client: there}), 401)
		apptest.MustStatus(t, login(t, inst, nil, "renamed", "Another-Pass-99"), 200)
	})
}

func TestSettings(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db, apptest.WithEnv(map[string]string{"PASSWORD_COMPLEXITY": "high", "AGENT_HISTORY_RETENTION": "72"}), apptest.WithArgs())
		admin := inst.MustSession(t, inst.MustUser(t, tc.RoleAdministrator))
		got := apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/settings", Client: admin}), 200).Map(t)
		want := map[string]any{"publicUiUrl": "", "publicApiUrl": "", "publicHeartbeatUrl": "", "loginLockoutAttempts": 5.0, "loginLockoutMinutes": 15.0, "passwordComplexity": "high",
			"auditLogRetentionHours": 2160.0, "agentHistoryRetentionHours": 72.0}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("settings = %v, want %v", got, want)
		}
		for _, c := range []struct {
			body  map[string]any
			field string
		}{
			{map[string]any{"publicUiUrl": "https://tc.example.com/"}, "publicUiUrl"},
			{map[string]any{"publicApiUrl": "ftp://tc.example.com"}, "publicApiUrl"},
			{map[string]any{"publicHeartbeatUrl": "tc.example.com:8000"}, "publicHeartbeatUrl"},
			{map[string]any{"publicHeartbeatUrl": "https://tc.example.com/" + strings.Repeat("a", 2048)}, "publicHeartbeatUrl"},
			{map[string]any{"loginLockoutAttempts": 0}, "loginLockoutAttempts"},
			{map[string]any{"loginLockoutMinutes": 0}, "loginLockoutMinutes"},
			{map[string]any{"passwordComplexity": "extreme"}, "passwordComplexity"},
			{map[string]any{"loginLockoutAttempts": "five"}, "loginLockoutAttempts"},
			{map[string]any{"agentHistoryRetentionHours": 0}, "agentHistoryRetentionHours"},
			{map[string]any{"agentHistoryRetentionHours": 8761}, "agentHistoryRetentionHours"},
		} {
			r := apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "PATCH", Path: "/api/settings", Client: admin, Body: c.body}), 400)
			if f := r.Map(t)["field"]; f != c.field {
				t.Errorf("PATCH %v: field = %v, want %s", c.body, f, c.field)
			}
		}
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "PATCH", Path: "/api/settings", Client: admin,
			Body: map[string]any{"publicHeartbeatUrl": "http://hb.example.com:8000", "passwordComplexity": "low", "agentHistoryRetentionHours": 24}}), 200)
		s := inst.Store.Settings()
		if s.PublicHeartbeatURL != "http://hb.example.com:8000" || s.PasswordComplexity != tc.ComplexityLow || s.LoginLockoutAttempts != 5 || s.AgentHistoryRetentionHours != 24 {
			t.Fatalf("cached settings after PATCH = %+v", s)
		}
		// The new rule applies at once.
		_, token := inst.MustInvite(t, tc.RoleViewer, time.Hour)
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/invites/" + token + "/accept", Body: map[string]string{"password": "lowlowlow"}}), 201)
	})
}

func ptr[T any](v T) *T { return &v }

// startOn runs a controller on dsn with env and returns it (closed at cleanup).
func startOn(t *testing.T, dsn string, env map[string]string, logs io.Writer) (*app.Main, error) {
	t.Helper()
	m := app.NewMain()
	m.Getenv = func(k string) string { return env[k] }
	m.LogOutput = logs
	m.Argon2 = auth.TestArgon2
	cfg, err := app.ParseConfig([]string{"--port", "0", "--heartbeat-port", "0", "--bind", "127.0.0.1", "--drain-period", "0"}, m.Getenv, nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Database = dsn
	m.Config = cfg
	err = m.Run(context.Background())
	t.Cleanup(func() { m.Close() })
	return m, err
}

func TestOwnerBootstrap(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		ctx := context.Background()
		dsn := apptest.NewDSN(t, db)
		env := map[string]string{"OWNER_USERNAME": "root", "OWNER_EMAIL": "root@example.test", "OWNER_PASSWORD": goodPassword}
		check := func(m *app.Main, password string, want bool) {
			t.Helper()
			o, err := m.Store.Owner(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if ok, _ := m.Passwords.Verify(o.PasswordHash, password); ok != want {
				t.Fatalf("owner password %q matches = %v, want %v", password, ok, want)
			}
		}

		// Partial values and weak passwords fail start-up with one clear line.
		for _, bad := range []map[string]string{
			{"OWNER_USERNAME": "root", "OWNER_EMAIL": "root@example.test"},
			{"OWNER_USERNAME": "root", "OWNER_EMAIL": "root@example.test", "OWNER_PASSWORD": "weak"},
			{"OWNER_USERNAME": "root", "OWNER_EMAIL": "nope", "OWNER_PASSWORD": goodPassword},
		} {
			m, err := startOn(t, dsn, bad, io.Discard)
			if err == nil || strings.Contains(err.Error(), "\n") || strings.Contains(err.Error(), "weak\"") {
				t.Fatalf("env %v: err = %v, want one line", bad, err)
			}
			m.Close()
		}

		logs := &apptest.SafeBuffer{}
		m, err := startOn(t, dsn, env, logs)
		if err != nil {
			t.Fatal(err)
		}
		check(m, goodPassword, true)
		m.Close()

		// Later starts ignore the values; RESET_OWNER_PASSWORD resets it.
		m, err = startOn(t, dsn, map[string]string{"OWNER_USERNAME": "other", "OWNER_EMAIL": "o@example.test", "OWNER_PASSWORD": "Other-Password-1"}, logs)
		if err != nil {
			t.Fatal(err)
		}
		check(m, goodPassword, true)
		m.Close()
		m, err = startOn(t, dsn, map[string]string{"OWNER_PASSWORD": "Reset-Password-1", "RESET_OWNER_PASSWORD": "true"}, logs)
		if err != nil {
			t.Fatal(err)
		}
		check(m, "Reset-Password-1", true)
		m.Close()
		if _, err := startOn(t, dsn, map[string]string{"RESET_OWNER_PASSWORD": "true"}, io.Discard); err == nil {
			t.Fatal("RESET_OWNER_PASSWORD without OWNER_PASSWORD started")
		}
		for _, secret := range []string{goodPassword, "Other-Password-1", "Reset-Password-1"} {
			if strings.Contains(logs.String(), secret) {
				t.Fatalf("logs contain the password %q", secret)
			}
		}

		// An administrator named in OWNER_USERNAME is promoted when no owner exists.
		dsn2 := apptest.NewDSN(t, db)
		s, err := store.Open(ctx, dsn2, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		admin := &tc.User{Username: "boss", Email: "boss@example.test", Role: tc.RoleAdministrator}
		if err := s.CreateUser(ctx, admin); err != nil {
			t.Fatal(err)
		}
		s.Close()
		m, err = startOn(t, dsn2, map[string]string{"OWNER_USERNAME": "boss", "OWNER_EMAIL": "boss@example.test", "OWNER_PASSWORD": goodPassword}, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		if o, err := m.Store.Owner(ctx); err != nil || o.ID != admin.ID {
			t.Fatalf("owner = %v, %v; want the promoted administrator %s", o, err, admin.ID)
		}
		check(m, goodPassword, true)
	})
}

// TestNoSecretsAtRest drives every flow that handles a password, a session
// id or a link token, then searches the SQLite files (database, WAL, shared
// memory) and the captured logs for each of them.
func TestNoSecretsAtRest(t *testing.T) {
	inst := apptest.MustStart(t, apptest.DB{Name: "sqlite"})
	var secrets []string
	keep := func(c *http.Client) { secrets = append(secrets, sessionCookie(t, inst, c)) }
	linkToken := func(r *apptest.Response) string {
		link := r.Map(t)["link"].(string)
		tok := link[strings.LastIndex(link, "/")+1:]
		secrets = append(secrets, tok)
		return tok
	}
	pw := func(p string) string { secrets = append(secrets, p); return p }

	owner := apptest.NewSessionClient()
	apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/auth/setup", Client: owner,
		Body: map[string]string{"username": "root", "email": "root@example.test", "password": pw("Setup-Secret-111")}}), 201)
	keep(owner)
	apptest.MustStatus(t, login(t, inst, owner, "root", "Setup-Secret-111"), 200)
	keep(owner)
	apptest.MustStatus(t, login(t, inst, nil, "root", pw("Wrong-Secret-222")), 401)
	apptest.MustStatus(t, login(t, inst, nil, "ghost", pw("Ghost-Secret-333")), 401)

	tok := linkToken(apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/invites", Client: owner,
		Body: map[string]string{"username": "bob", "email": "bob@example.test", "role": "manager"}}), 201))
	bob := apptest.NewSessionClient()
	r := apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/invites/" + tok + "/accept", Client: bob, Body: map[string]string{"password": pw("Invite-Secret-444")}}), 201)
	keep(bob)
	bobID := r.Map(t)["user"].(map[string]any)["id"].(string)
	tok = linkToken(apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/users/" + bobID + "/password-reset", Client: owner}), 201))
	apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/password-resets/" + tok, Body: map[string]string{"password": pw("Reset-Secret-555")}}), 204)
	apptest.MustStatus(t, login(t, inst, bob, "bob", "Reset-Secret-555"), 200)
	keep(bob)
	apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/account/password", Client: bob,
		Body: map[string]string{"currentPassword": "Reset-Secret-555", "newPassword": pw("Changed-Secret-666")}}), 204)
	apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/auth/logout", Client: bob}), 204)

	var files []string
	for _, suffix := range []string{"", "-wal", "-shm"} {
		b, err := os.ReadFile(inst.Store.Path() + suffix)
		if err == nil {
			files = append(files, string(b))
		}
	}
	if len(files) < 2 {
		t.Fatalf("read %d SQLite files, want the database and its WAL", len(files))
	}
	logs := inst.Logs.String()
	if !strings.Contains(logs, "invite accepted") {
		t.Fatalf("logs were not captured: %q", logs)
	}
	for _, s := range secrets {
		if len(s) < 8 {
			t.Fatalf("secret %q too short to search for", s)
		}
		for i, f := range files {
			if strings.Contains(f, s) {
				t.Errorf("SQLite file %d holds the secret %q in clear", i, s)
			}
		}
		if strings.Contains(logs, s) {
			t.Errorf("logs hold the secret %q", s)
		}
	}
}

func TestSessionSweepRehashAndTransport(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db)
		ctx := context.Background()
		// A hash made at a lower cost is replaced at the next sign-in.
		u := inst.MustUser(t, tc.RoleViewer)
		weak := auth.NewHasher(auth.Argon2Params{MemoryKiB: 32, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16})
		h, _ := weak.Hash(goodPassword)
		if err := inst.Store.SetPassword(ctx, u.ID, h, ""); err != nil {
			t.Fatal(err)
		}
		c := apptest.NewSessionClient()
		apptest.MustStatus(t, login(t, inst, c, u.Username, goodPassword), 200)
		got, _ := inst.Store.UserByID(ctx, u.ID)
		if !strings.Contains(got.PasswordHash, fmt.Sprintf("m=%d,", auth.TestArgon2.MemoryKiB)) {
			t.Fatalf("hash after sign-in = %q, want it rehashed at m=%d", got.PasswordHash, auth.TestArgon2.MemoryKiB)
		}
		apptest.MustStatus(t, login(t, inst, nil, u.Username, goodPassword), 200)

		// Cookie-authenticated writes from another site are refused.
		r := inst.Do(t, apptest.Req{Method: "POST", Path: "/api/auth/logout", Client: c, Header: http.Header{"Sec-Fetch-Site": {"cross-site"}}})
		apptest.MustStatus(t, r, 403)
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/auth/me", Client: c}), 200)

		// The sweep deletes ended sessions only.
		hash := tc.HashSecret(sessionCookie(t, inst, c))
		inst.Clock.Advance(23 * time.Hour)
		inst.SweepSessions(ctx)
		if _, err := inst.Store.SessionByHash(ctx, hash); err != nil {
			t.Fatalf("live session swept: %v", err)
		}
		inst.Clock.Advance(2 * time.Hour)
		inst.SweepSessions(ctx)
		if _, err := inst.Store.SessionByHash(ctx, hash); tc.ErrorCode(err) != tc.ENOTFOUND {
			t.Fatalf("idle session after sweep: err = %v, want not found", err)
		}
	})
}

func TestSessionCookieSecureUnderTLS(t *testing.T) {
	certFile, keyFile := writeSelfSigned(t, t.TempDir())
	inst := apptest.MustStart(t, apptest.DB{Name: "sqlite"}, apptest.WithArgs("--ssl-cert", certFile, "--ssl-key", keyFile))
	inst.Client.Transport = &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}
	u := inst.MustPasswordUser(t, tc.RoleViewer, goodPassword)
	r := apptest.MustStatus(t, login(t, inst, inst.Client, u.Username, goodPassword), 200)
	for _, ck := range r.Cookies() {
		if ck.Name == "tc_session" && ck.Secure && ck.HttpOnly {
			return
		}
	}
	t.Fatalf("no Secure HttpOnly session cookie under TLS: %v", r.Header.Values("Set-Cookie"))
}

// TestOneTimeUnderConcurrency: racing requests for a one-time action
// succeed exactly once.
func TestOneTimeUnderConcurrency(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db)
		const n = 6
		race := func(req func(i int) apptest.Req) map[int]int {
			statuses := make(chan int, n)
			var wg sync.WaitGroup
			for i := 0; i < n; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					statuses <- inst.Do(t, req(i)).StatusCode
				}()
			}
			wg.Wait()
			close(statuses)
			count := map[int]int{}
			for s := range statuses {
				count[s]++
			}
			return count
		}
		got := race(func(i int) apptest.Req {
			return apptest.Req{Method: "POST", Path: "/api/auth/setup", Body: map[string]string{"username": fmt.Sprintf("own%d", i), "email": fmt.Sprintf("own%d@example.test", i), "password": goodPassword}}
		})
		if got[201] != 1 || got[409] != n-1 {
			t.Errorf("concurrent setups: statuses %v, want one 201 and %d 409", got, n-1)
		}
		_, token := inst.MustInvite(t, tc.RoleViewer, time.Hour)
		got = race(func(int) apptest.Req {
			return apptest.Req{Method: "POST", Path: "/api/invites/" + token + "/accept", Body: map[string]string{"password": goodPassword}}
		})
		if got[201] != 1 || got[201]+got[410]+got[409] != n {
			t.Errorf("concurrent acceptances: statuses %v, want one 201, the rest 410 or 409", got)
		}
		reset := inst.MustPasswordReset(t, inst.MustUser(t, tc.RoleViewer), time.Hour)
		got = race(func(int) apptest.Req {
			return apptest.Req{Method: "POST", Path: "/api/password-resets/" + reset, Body: map[string]string{"password": goodPassword}}
		})
		if got[204] != 1 || got[410] != n-1 {
			t.Errorf("concurrent resets: statuses %v, want one 204 and %d 410", got, n-1)
		}
	})
}

// TestDisabledAccountAnswersAsWrongPassword (issue 11, 13a): a disabled
// user who types the right password gets the answer of a wrong password,
// on the API and on the sign-in page, and the attempt counts toward the
// lockout the same way, so neither the answer nor when the lock comes tells
// that the password was right.
func TestDisabledAccountAnswersAsWrongPassword(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db, apptest.WithEnv(map[string]string{"LOGIN_LOCKOUT_ATTEMPTS": "3", "LOGIN_LOCKOUT_MINUTES": "10"}), apptest.WithArgs())
		ctx := context.Background()
		disabled := inst.MustPasswordUser(t, tc.RoleManager, goodPassword)
		yes := true
		if _, _, err := inst.Store.UpdateUser(ctx, disabled.ID, store.UserPatch{Disabled: &yes}, nil); err != nil {
			t.Fatal(err)
		}
		enabled := inst.MustPasswordUser(t, tc.RoleManager, goodPassword)
		answers := func(name, password string) []string {
			t.Helper()
			var out []string
			for i := 0; i < 4; i++ {
				r := login(t, inst, nil, name, password)
				out = append(out, fmt.Sprintf("%d %s", r.StatusCode, r.Map(t)["message"]))
			}
			return out
		}
		right, wrong := answers(disabled.Username, goodPassword), answers(enabled.Username, "Wrong-Password-1")
		if fmt.Sprint(right) != fmt.Sprint(wrong) {
			t.Fatalf("disabled account, right password: %q\nenabled account, wrong password: %q", right, wrong)
		}
		if !strings.HasPrefix(right[0], "401 Invalid username or password") || !strings.Contains(right[2], "locked for 10 minutes") {
			t.Fatalf("answers = %q, want wrong-password answers, then locked at the third", right)
		}

		// The sign-in page shows what the API said.
		inst.Clock.Advance(time.Hour)
		page := func(name, password string) string {
			t.Helper()
			resp, err := inst.Client.PostForm(inst.URL+"/login", url.Values{"username": {name}, "password": {password}})
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("sign-in page as %s: status = %d, want 401", name, resp.StatusCode)
			}
			return string(b)
		}
		if body := page(disabled.Username, goodPassword); !strings.Contains(body, "Invalid username or password") || strings.Contains(body, "disabled") {
			t.Errorf("sign-in page for a disabled account with the right password says:\n%s", body)
		}
	})
}

// TestAccountRoutesAreSessionOnly (issue 11, finding 2): a token, however
// narrow or wide, cannot read or change its owner's account, nor try their
// password; a session can. GET /api/auth/me and logout still take a token.
func TestAccountRoutesAreSessionOnly(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db)
		owner := inst.MustOwner(t)
		hash, err := inst.Passwords.Hash(goodPassword)
		if err != nil {
			t.Fatal(err)
		}
		if err := inst.Store.SetPassword(context.Background(), owner.ID, hash, ""); err != nil {
			t.Fatal(err)
		}
		tokens := map[string]string{
			"heartbeat:write":  inst.MustToken(t, owner, "heartbeat:write"),
			"every permission": inst.MustToken(t, owner),
		}
		requests := []struct {
			method, path string
			body         any
		}{
			{"GET", "/api/account", nil},
			{"PATCH", "/api/account", map[string]string{"username": "pwned", "email": "pwned@example.test"}},
			{"POST", "/api/account/password", map[string]string{"currentPassword": goodPassword, "newPassword": "Another-Pass-99"}},
			{"POST", "/api/account/password", map[string]string{"currentPassword": "Wrong-Password-1", "newPassword": "Another-Pass-99"}},
			{"GET", "/api/account/preferences", nil},
			{"PUT", "/api/account/preferences", map[string]any{"compactRows": true}},
		}
		for name, tok := range tokens {
			for _, rq := range requests {
				r := apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: rq.method, Path: rq.path, Body: rq.body, Token: tok}), 403)
				if m := r.Map(t); m["error"] != "forbidden" || !strings.Contains(m["message"].(string), "API tokens cannot") {
					t.Errorf("%s %s with a %s token: %s", rq.method, rq.path, name, r.Body)
				}
			}
		}
		got, err := inst.Store.UserByID(context.Background(), owner.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Username != owner.Username || got.Email != owner.Email || got.PasswordHash != hash || got.FailedLogins != 0 {
			t.Fatalf("tokens changed the account: %+v", got)
		}
		for _, tok := range tokens {
			apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/auth/me", Token: tok}), 200)
			apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/auth/logout", Token: tok}), 204)
		}
		sess := inst.MustSession(t, owner)
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/account", Client: sess}), 200)
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/account/password", Client: sess, Body: requests[2].body}), 204)
	})
}

// TestPasswordChangeCountsTowardLockout (issue 11, finding 2): a wrong
// current password on POST /api/account/password is a failed sign-in: it
// counts toward the same lockout as sign-in failures, a locked account can
// neither change its password nor sign in, and the per-address limiter
// applies.
func TestPasswordChangeCountsTowardLockout(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db, apptest.WithEnv(map[string]string{"LOGIN_LOCKOUT_ATTEMPTS": "3", "LOGIN_LOCKOUT_MINUTES": "10"}), apptest.WithArgs())
		u := inst.MustPasswordUser(t, tc.RoleManager, goodPassword)
		sess := inst.MustSession(t, u)
		change := func(current string) *apptest.Response {
			return inst.Do(t, apptest.Req{Method: "POST", Path: "/api/account/password", Client: sess,
				Body: map[string]string{"currentPassword": current, "newPassword": "Another-Pass-99"}})
		}
		// One failed sign-in and one failed change...
		apptest.MustStatus(t, login(t, inst, nil, u.Username, "Wrong-Password-1"), 401)
		if m := apptest.MustStatus(t, change("Wrong-Password-1"), 400).Map(t); m["field"] != "currentPassword" {
			t.Fatalf("wrong current password: %v", m)
		}
		// ...and the third failure, a change, locks the account.
		r := apptest.MustStatus(t, change("Wrong-Password-2"), 429)
		if msg := r.Map(t)["message"].(string); !strings.Contains(msg, "locked for 10 minutes") || r.Header.Get("Retry-After") != "600" {
			t.Fatalf("third failure: %s (Retry-After %q), want the account locked for 10 minutes", r.Body, r.Header.Get("Retry-After"))
		}
		// Locked: the right password changes nothing and signs no one in.
		apptest.MustStatus(t, change(goodPassword), 429)
		if r := apptest.MustStatus(t, login(t, inst, nil, u.Username, goodPassword), 401); !strings.Contains(r.Map(t)["message"].(string), "locked") {
			t.Fatalf("sign-in while locked: %s", r.Body)
		}
		// The session itself stays valid.
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/account", Client: sess}), 200)
		inst.Clock.Advance(10 * time.Minute)
		apptest.MustStatus(t, change(goodPassword), 204)
		apptest.MustStatus(t, login(t, inst, nil, u.Username, "Another-Pass-99"), 200)

		// The per-address limiter counts failed changes too (those refused
		// as locked included): 20 failures, then 429 for the address.
		inst.Clock.Advance(time.Hour)
		vsess := inst.MustSession(t, inst.MustPasswordUser(t, tc.RoleViewer, goodPassword))
		limited := false
		for i := 0; i < 30 && !limited; i++ {
			r := inst.Do(t, apptest.Req{Method: "POST", Path: "/api/account/password", Client: vsess,
				Body: map[string]string{"currentPassword": "Wrong-Password-1", "newPassword": "Another-Pass-99"}})
			limited = r.StatusCode == 429 && strings.Contains(r.Map(t)["message"].(string), "your address")
		}
		if !limited {
			t.Fatalf("30 failed password changes from one address were never limited")
		}
	})
}

// TestLookAlikeUsernamesRefused (issue 11, finding 11): wherever a username
// is chosen (setup, invite, rename), one whose letters mix scripts is
// refused (400), and one that looks like an existing user's or a pending
// invite's (UTS #39 skeleton, whatever the case) is a conflict (409).
func TestLookAlikeUsernamesRefused(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db)
		ctx := context.Background()
		// Setup, before any owner: "r00t" looks like the administrator "root".
		if err := inst.Store.CreateUser(ctx, &tc.User{Username: "root", Email: "root@example.test", Role: tc.RoleAdministrator}); err != nil {
			t.Fatal(err)
		}
		want := func(r *apptest.Response, status int) {
			t.Helper()
			apptest.MustStatus(t, r, status)
			if m := r.Map(t); m["field"] != "username" {
				t.Errorf("%s %s: %s, want an error on the username", r.Request.Method, r.Request.URL.Path, r.Body)
			}
		}
		setup := func(name string) *apptest.Response {
			return inst.Do(t, apptest.Req{Method: "POST", Path: "/api/auth/setup", Body: map[string]string{"username": name, "email": "o@example.test", "password": goodPassword}})
		}
		want(setup("r00t"), 409)
		want(setup("r\u043eot"), 400) // Cyrillic о among Latin letters
		apptest.MustStatus(t, setup("alice"), 201)

		for _, name := range []string{"admin", "scope", "bob"} {
			if err := inst.Store.CreateUser(ctx, &tc.User{Username: name, Email: name + "@example.test", Role: tc.RoleViewer}); err != nil {
				t.Fatal(err)
			}
		}
		owner := inst.MustSession(t, inst.MustOwner(t))
		invite := func(name string) *apptest.Response {
			return inst.Do(t, apptest.Req{Method: "POST", Path: "/api/invites", Client: owner, Body: map[string]string{"username": name, "email": uniq("inv") + "@example.test", "role": "viewer"}})
		}
		want(invite("\u0430dmin"), 400)                     // Cyrillic а, then Latin: mixed
		want(invite("\u0455\u0441\u043e\u0440\u0435"), 409) // "ѕсоре", all Cyrillic: looks like "scope"
		want(invite("adrnin"), 409)                         // rn for m
		want(invite("Adrnin"), 409)                         // case does not hide it
		want(invite("ADMIN"), 409)
		want(invite("B0B"), 409)
		apptest.MustStatus(t, invite("carol"), 201)
		want(invite("caro1"), 409) // looks like the pending invite

		// Renames.
		dave := inst.MustSession(t, inst.MustUser(t, tc.RoleManager))
		rename := func(name string) *apptest.Response {
			return inst.Do(t, apptest.Req{Method: "PATCH", Path: "/api/account", Client: dave, Body: map[string]string{"username": name}})
		}
		want(rename("b0b"), 409)
		want(rename("c\u0430rol"), 400)
		want(rename("CAROL"), 409)
		apptest.MustStatus(t, rename("dave"), 200)
		apptest.MustStatus(t, rename("Dave"), 200) // one's own look-alike
	})
}
