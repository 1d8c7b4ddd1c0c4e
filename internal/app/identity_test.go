package app_test

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/apptest"
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
		{Method: "DELETE", Path: "/api/invites/{id}", Fresh: func(tb testing.TB, inst *apptest.Instance, _ *tc.User) (string, any) {
			inv, _ := inst.MustInvite(tb, tc.RoleViewer, time.Hour)
			return "/api/invites/" + inv.ID, nil
		}, Want: S(204, 204, 403, 403, 401)},
		{Method: "GET", Path: "/api/invites/{token}", Fresh: func(tb testing.TB, inst *apptest.Instance, _ *tc.User) (string, any) {
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

		{Method: "GET", Path: "/api/settings", Want: S(200, 200, 403, 403, 401)},
		{Method: "PATCH", Path: "/api/settings", Body: map[string]any{"loginLockoutAttempts": 5}, Want: S(200, 200, 403, 403, 401)},

		// Last: a successful transfer changes who the owner is.
		{Method: "POST", Path: "/api/users/{id}/transfer-ownership", Fresh: withBody(target(tc.RoleAdministrator), "/transfer-ownership", nil), Want: S(204, 403, 403, 403, 401)},
	}
}

func TestIdentityRoleWalk(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db)
		rows := identityRows()
		inst.RequireRowsCover(t, rows, "/api/auth/", "/api/users", "/api/invites", "/api/password-resets", "/api/account", "/api/settings")
		inst.WalkRoles(t, rows)
	})
}
