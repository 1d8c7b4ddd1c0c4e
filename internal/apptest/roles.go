package apptest

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/auth"
)

// Anonymous is the Want key for a request without credentials.
const Anonymous tc.Role = ""

// Callers are who every RoleRow is tried as: each role signed in with a
// session, and no credentials at all.
var Callers = []tc.Role{tc.RoleOwner, tc.RoleAdministrator, tc.RoleManager, tc.RoleViewer, Anonymous}

// RoleRow is one endpoint in a role × endpoint walk: the request and the
// status each caller must get. Want must name every caller in Callers
// (Anonymous included), so a row cannot silently skip a caller.
type RoleRow struct {
	Method string
	Path   string
	Body   any
	Want   map[tc.Role]int
	// Fresh, when set, is called before each caller's request and returns
	// the path and body to use: for requests that consume or destroy their
	// target (deletes, one-time links), or need a unique body. as is the
	// signed-in caller, nil for Anonymous.
	Fresh func(tb testing.TB, inst *Instance, as *tc.User) (path string, body any)
}

// Statuses is a helper for Want: owner, administrator, manager, viewer,
// anonymous, in that order.
func Statuses(owner, admin, manager, viewer, anonymous int) map[tc.Role]int {
	return map[tc.Role]int{tc.RoleOwner: owner, tc.RoleAdministrator: admin, tc.RoleManager: manager, tc.RoleViewer: viewer, Anonymous: anonymous}
}

// WalkRoles runs every row as every caller in Callers, each time as a
// freshly created user of that role (the one owner gets a fresh session),
// signed in with a session cookie, and checks the status. Rows are
// independent: what one row's request changes about its caller does not
// carry over to the next.
func (i *Instance) WalkRoles(t *testing.T, rows []RoleRow) {
	t.Helper()
	for _, row := range rows {
		for _, role := range Callers {
			want, ok := row.Want[role]
			if !ok {
				t.Errorf("%s %s: Want has no status for %s", row.Method, row.Path, roleName(role))
				continue
			}
			var as *tc.User
			var client *http.Client
			if role != Anonymous {
				as = i.userOfRole(t, role)
				client = i.MustSession(t, as)
			} else {
				client = &http.Client{Timeout: i.Client.Timeout, Transport: i.Client.Transport}
			}
			path, body := row.Path, row.Body
			if row.Fresh != nil {
				path, body = row.Fresh(t, i, as)
			}
			before := i.auditHead(t)
			resp := i.Do(t, Req{Method: row.Method, Path: path, Body: body, Client: client})
			if resp.StatusCode != want {
				t.Errorf("%s %s as %s: status = %d, want %d; body: %s", row.Method, path, roleName(role), resp.StatusCode, want, strings.TrimSpace(string(resp.Body)))
			}
			i.checkAudited(t, row.Method, path, roleName(role), as, resp.StatusCode, before)
		}
	}
}

// RequireRowsCover fails t when a registered route whose path starts with
// one of prefixes has no row (matched by method and route pattern; a row's
// Path is matched against the pattern with each {wildcard} as one segment).
func (i *Instance) RequireRowsCover(t *testing.T, rows []RoleRow, prefixes ...string) {
	t.Helper()
	for _, rt := range i.API.Routes() {
		if rt.Method == http.MethodHead || !slices.ContainsFunc(prefixes, func(p string) bool { return strings.HasPrefix(rt.Path, p) }) {
			continue
		}
		if !slices.ContainsFunc(rows, func(r RoleRow) bool { return r.Method == rt.Method && patternMatches(rt.Path, r.Path) }) {
			t.Errorf("route %s %s has no row in the role walk", rt.Method, rt.Path)
		}
	}
}

func patternMatches(pattern, path string) bool {
	path, _, _ = strings.Cut(path, "?")
	ps, qs := strings.Split(pattern, "/"), strings.Split(path, "/")
	if len(ps) != len(qs) {
		return false
	}
	for k := range ps {
		if strings.HasPrefix(ps[k], "{") || ps[k] == qs[k] {
			continue
		}
		return false
	}
	return true
}

func roleName(r tc.Role) string {
	if r == Anonymous {
		return "anonymous"
	}
	return string(r)
}

// userOfRole returns a new user of role, or the owner (created if none).
func (i *Instance) userOfRole(tb testing.TB, role tc.Role) *tc.User {
	tb.Helper()
	if role == tc.RoleOwner {
		if u, err := i.Store.Owner(context.Background()); err == nil {
			return u
		}
	}
	return i.MustUser(tb, role)
}

// MustOwner returns the owner, creating one (without a password) if none.
func (i *Instance) MustOwner(tb testing.TB) *tc.User {
	tb.Helper()
	return i.userOfRole(tb, tc.RoleOwner)
}

// MustSession signs user in with a fresh session (made directly in the
// store) and returns a client that carries its cookie.
func (i *Instance) MustSession(tb testing.TB, user *tc.User) *http.Client {
	tb.Helper()
	id, hash := auth.NewSessionID()
	expires := i.Sessions.Expiry(i.Clock.Now())
	if _, err := i.Store.CreateSession(context.Background(), user.ID, hash, expires, "", ""); err != nil {
		tb.Fatalf("create session for %s: %v", user.Username, err)
	}
	c := NewSessionClient()
	c.Transport = i.Client.Transport
	u, _ := url.Parse(i.URL)
	c.Jar.SetCookies(u, []*http.Cookie{{Name: auth.SessionCookie, Value: id, Path: "/"}})
	return c
}

// MustPasswordUser creates a user of role whose password is password
// (hashed at the instance's cost).
func (i *Instance) MustPasswordUser(tb testing.TB, role tc.Role, password string) *tc.User {
	tb.Helper()
	u := i.MustUser(tb, role)
	hash, err := i.Passwords.Hash(password)
	if err != nil {
		tb.Fatal(err)
	}
	if err := i.Store.SetPassword(context.Background(), u.ID, hash, ""); err != nil {
		tb.Fatal(err)
	}
	u.PasswordHash = hash
	return u
}

// MustInvite creates a pending invite, made by the owner (created if none),
// for a new user of role, valid for ttl, and returns it with its link token.
func (i *Instance) MustInvite(tb testing.TB, role tc.Role, ttl time.Duration) (*tc.Invite, string) {
	tb.Helper()
	userSeq.Lock()
	userSeq.n++
	n := userSeq.n
	userSeq.Unlock()
	token := tc.NewSecret(32)
	inv := &tc.Invite{Username: fmt.Sprintf("invited%d", n), Email: fmt.Sprintf("invited%d@example.test", n), Role: role,
		CreatedBy: i.MustOwner(tb).ID, ExpiresAt: i.Clock.Now().Add(ttl), TokenHash: tc.HashSecret(token)}
	if err := i.Store.CreateInvite(context.Background(), inv); err != nil {
		tb.Fatalf("create invite: %v", err)
	}
	return inv, token
}

// MustPasswordReset creates a reset link for user, made by the owner
// (created if none), valid for ttl, and returns its token.
func (i *Instance) MustPasswordReset(tb testing.TB, user *tc.User, ttl time.Duration) string {
	tb.Helper()
	token := tc.NewSecret(32)
	pr := &tc.PasswordReset{UserID: user.ID, CreatedBy: i.MustOwner(tb).ID, ExpiresAt: i.Clock.Now().Add(ttl), TokenHash: tc.HashSecret(token)}
	if err := i.Store.CreatePasswordReset(context.Background(), pr, nil); err != nil {
		tb.Fatalf("create password reset: %v", err)
	}
	return token
}

// readOnlyRoutes are the POST routes that change nothing, so write no
// audit entry.
var readOnlyRoutes = []string{"POST /api/configs/validate", "POST /api/config-groups/merge"}

// auditHead is the newest audit entry's seq (0 for none).
func (i *Instance) auditHead(tb testing.TB) int64 {
	tb.Helper()
	e, _, err := i.Store.AuditEntries(context.Background(), tc.AuditFilter{Limit: 1})
	if err != nil {
		tb.Fatal(err)
	}
	if len(e) == 0 {
		return 0
	}
	return e[0].Seq
}

// checkAudited fails tb unless a successful change wrote a Success entry
// and a 403 a Denied entry naming the caller (as; nil for anonymous), after
// seq before. With the audit log off it checks nothing.
func (i *Instance) checkAudited(tb testing.TB, method, path, who string, as *tc.User, status int, before int64) {
	tb.Helper()
	if !i.Store.Auditing() {
		return
	}
	readOnly := method == http.MethodGet || method == http.MethodHead ||
		slices.ContainsFunc(readOnlyRoutes, func(r string) bool {
			m, p, _ := strings.Cut(r, " ")
			return m == method && patternMatches(p, path)
		})
	var want func(tc.AuditEntry) bool
	var what string
	switch {
	case status == http.StatusForbidden:
		what = "Denied entry naming the caller"
		want = func(e tc.AuditEntry) bool {
			return e.Outcome == tc.OutcomeDenied && (as == nil || e.ActorID == as.ID)
		}
	case status/100 == 2 && !readOnly:
		what = "Success entry"
		want = func(e tc.AuditEntry) bool { return e.Outcome == tc.OutcomeSuccess }
	default:
		return
	}
	// A refusal is recorded once its answer is written, in a batch: flush
	// and look again for a moment.
	for deadline := time.Now().Add(2 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		i.Main.FlushAudit(context.Background())
		entries, _, err := i.Store.AuditEntries(context.Background(), tc.AuditFilter{Limit: 200})
		if err != nil {
			tb.Fatal(err)
		}
		for _, e := range entries {
			if e.Seq > before && want(e) {
				return
			}
		}
		if time.Now().After(deadline) {
			break
		}
	}
	tb.Errorf("%s %s as %s answered %d but wrote no %s to the audit log", method, path, who, status, what)
}
