package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/apptest"
)

// mustTokenID stores a token for user (the user's whole role when no
// permissions are given) and returns its id.
func mustTokenID(tb testing.TB, inst *apptest.Instance, user *tc.User, perms ...tc.Permission) string {
	tb.Helper()
	if len(perms) == 0 {
		perms = tc.RolePermissions(user.Role)
	}
	secret := tc.NewTokenSecret()
	t := &tc.Token{Description: "walk", UserID: user.ID, Permissions: perms, Hash: tc.HashSecret(secret), Last4: tc.TokenLast4(secret)}
	if err := inst.Store.CreateToken(context.Background(), t); err != nil {
		tb.Fatal(err)
	}
	return t.ID
}

// TestTokenRoleWalk: every token endpoint as every role (signed in with a
// session) and anonymously, on the caller's own token and on an
// administrator's.
func TestTokenRoleWalk(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db)
		// own is a token of the caller (of some manager for anonymous calls);
		// others is a token of a fresh administrator.
		own := func(tb testing.TB, inst *apptest.Instance, as *tc.User) string {
			if as == nil {
				as = inst.MustUser(tb, tc.RoleManager)
			}
			return mustTokenID(tb, inst, as)
		}
		others := func(tb testing.TB, inst *apptest.Instance) string {
			return mustTokenID(tb, inst, inst.MustUser(tb, tc.RoleAdministrator))
		}
		path := func(suffix string, id func(testing.TB, *apptest.Instance, *tc.User) string, body func(testing.TB, *apptest.Instance) any) func(testing.TB, *apptest.Instance, *tc.User) (string, any) {
			return func(tb testing.TB, inst *apptest.Instance, as *tc.User) (string, any) {
				var b any
				if body != nil {
					b = body(tb, inst)
				}
				return strings.Replace(suffix, "{id}", id(tb, inst, as), 1), b
			}
		}
		ofOthers := func(tb testing.TB, inst *apptest.Instance, _ *tc.User) string { return others(tb, inst) }
		reassignTo := func(tb testing.TB, inst *apptest.Instance) any {
			return map[string]string{"userId": inst.MustUser(tb, tc.RoleManager).ID}
		}
		bulk := func(action string, id func(testing.TB, *apptest.Instance, *tc.User) string) func(testing.TB, *apptest.Instance, *tc.User) (string, any) {
			return func(tb testing.TB, inst *apptest.Instance, as *tc.User) (string, any) {
				return "/api/tokens/bulk", map[string]any{"action": action, "ids": []string{id(tb, inst, as)}}
			}
		}
		S := apptest.Statuses
		rows := []apptest.RoleRow{
			{Method: "GET", Path: "/api/tokens", Want: S(200, 200, 200, 403, 401)},
			{Method: "GET", Path: "/api/tokens/presets", Want: S(200, 200, 200, 403, 401)},
			{Method: "POST", Path: "/api/tokens", Body: map[string]any{"description": "walk", "preset": "read-only"}, Want: S(201, 201, 201, 403, 401)},
			{Method: "GET", Path: "/api/tokens/{id}", Fresh: path("/api/tokens/{id}", own, nil), Want: S(200, 200, 200, 403, 401)},
			{Method: "GET", Path: "/api/tokens/{id}", Fresh: path("/api/tokens/{id}", ofOthers, nil), Want: S(200, 200, 404, 403, 401)},
			{Method: "POST", Path: "/api/tokens/{id}/revoke", Fresh: path("/api/tokens/{id}/revoke", own, nil), Want: S(200, 200, 200, 403, 401)},
			{Method: "POST", Path: "/api/tokens/{id}/revoke", Fresh: path("/api/tokens/{id}/revoke", ofOthers, nil), Want: S(200, 200, 404, 403, 401)},
			{Method: "POST", Path: "/api/tokens/{id}/reassign", Fresh: path("/api/tokens/{id}/reassign", own, reassignTo), Want: S(200, 200, 403, 403, 401)},
			// Only the owner takes a token from an administrator (tc.CanReassignToken).
			{Method: "POST", Path: "/api/tokens/{id}/reassign", Fresh: path("/api/tokens/{id}/reassign", ofOthers, reassignTo), Want: S(200, 403, 403, 403, 401)},
			{Method: "DELETE", Path: "/api/tokens/{id}", Fresh: path("/api/tokens/{id}", own, nil), Want: S(204, 204, 204, 403, 401)},
			{Method: "DELETE", Path: "/api/tokens/{id}", Fresh: path("/api/tokens/{id}", ofOthers, nil), Want: S(204, 204, 404, 403, 401)},
			{Method: "POST", Path: "/api/tokens/bulk", Fresh: bulk("revoke", own), Want: S(200, 200, 200, 403, 401)},
			{Method: "POST", Path: "/api/tokens/bulk", Fresh: bulk("delete", own), Want: S(200, 200, 200, 403, 401)},
			{Method: "POST", Path: "/api/tokens/bulk", Fresh: func(tb testing.TB, inst *apptest.Instance, as *tc.User) (string, any) {
				return "/api/tokens/bulk", map[string]any{"action": "reassign", "ids": []string{own(tb, inst, as)}, "userId": inst.MustUser(tb, tc.RoleManager).ID}
			}, Want: S(200, 200, 403, 403, 401)},
		}
		inst.RequireRowsCover(t, rows, "/api/tokens")
		inst.WalkRoles(t, rows)
	})
}

// TestTokenScopeWalk calls every token endpoint with tokens that each hold a
// single permission: only the endpoint's own permission gets through, and
// every other one is 403, whatever the owner's role allows.
func TestTokenScopeWalk(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db)
		owner := inst.MustOwner(t)
		target := inst.MustUser(t, tc.RoleManager)
		requests := map[string]func() (string, any){
			"GET /api/tokens":         func() (string, any) { return "/api/tokens", nil },
			"GET /api/tokens/presets": func() (string, any) { return "/api/tokens/presets", nil },
			"POST /api/tokens": func() (string, any) {
				return "/api/tokens", map[string]any{"description": "scoped", "preset": "full-access"}
			},
			"POST /api/tokens/bulk": func() (string, any) {
				return "/api/tokens/bulk", map[string]any{"action": "revoke", "ids": []string{mustTokenID(t, inst, owner)}}
			},
			"GET /api/tokens/{id}": func() (string, any) { return "/api/tokens/" + mustTokenID(t, inst, owner), nil },
			"POST /api/tokens/{id}/revoke": func() (string, any) {
				return "/api/tokens/" + mustTokenID(t, inst, owner) + "/revoke", nil
			},
			// A token may hand over only what it holds itself: tokens:write.
			"POST /api/tokens/{id}/reassign": func() (string, any) {
				return "/api/tokens/" + mustTokenID(t, inst, owner, tc.Perm(tc.ResTokens, tc.ActionWrite)) + "/reassign", map[string]string{"userId": target.ID}
			},
			"DELETE /api/tokens/{id}": func() (string, any) { return "/api/tokens/" + mustTokenID(t, inst, owner), nil },
		}
		secrets := map[tc.Permission]string{}
		for _, p := range tc.AllPermissions {
			secrets[p] = inst.MustToken(t, owner, p)
		}
		for _, rt := range inst.API.Routes() {
			if rt.Method == http.MethodHead || !strings.HasPrefix(rt.Path, "/api/tokens") {
				continue
			}
			req, ok := requests[rt.Method+" "+rt.Path]
			if !ok {
				t.Errorf("route %s %s has no request in the scope walk", rt.Method, rt.Path)
				continue
			}
			for _, p := range tc.AllPermissions {
				path, body := req()
				r := inst.Do(t, apptest.Req{Method: rt.Method, Path: path, Body: body, Token: secrets[p]})
				switch {
				case p == rt.Permission && r.StatusCode >= 300:
					t.Errorf("%s %s with only %s: status = %d, want success; body: %s", rt.Method, rt.Path, p, r.StatusCode, r.Body)
				case p != rt.Permission && r.StatusCode != http.StatusForbidden:
					t.Errorf("%s %s with only %s: status = %d, want 403", rt.Method, rt.Path, p, r.StatusCode)
				}
			}
		}
	})
}
