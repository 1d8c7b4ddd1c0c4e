package app_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/apptest"
)

// The policy walk: every action that touches another principal, by every
// actor role, on every target role and on the actor themselves, both with a
// session and through the actor's own full-role token, plus the indirect
// paths (links that outlive their creator's authority, tokens whose owner
// is demoted). What is allowed is written here as data, independently of
// tc.CanManage, so that a change to the rules shows up as a failing row.

// policyManages is who stands above whom: the owner above everyone else,
// administrators above managers and viewers, nobody else above anybody.
var policyManages = map[tc.Role][]tc.Role{
	tc.RoleOwner:         {tc.RoleAdministrator, tc.RoleManager, tc.RoleViewer},
	tc.RoleAdministrator: {tc.RoleManager, tc.RoleViewer},
}

// policyGrants is the roles each role may hand out (invites, role changes).
var policyGrants = map[tc.Role][]tc.Role{
	tc.RoleOwner:         {tc.RoleAdministrator, tc.RoleManager, tc.RoleViewer},
	tc.RoleAdministrator: {tc.RoleManager, tc.RoleViewer},
}

func manages(actor, target tc.Role) bool { return contains(policyManages[actor], target) }
func grants(actor, role tc.Role) bool    { return contains(policyGrants[actor], role) }
func managesTokens(r tc.Role) bool       { return r == tc.RoleOwner || r == tc.RoleAdministrator }

func contains(rs []tc.Role, r tc.Role) bool {
	for _, x := range rs {
		if x == r {
			return true
		}
	}
	return false
}

// selfTarget stands for "the actor themselves" among the targets.
const selfTarget tc.Role = "self"

var policyTargets = []tc.Role{tc.RoleOwner, tc.RoleAdministrator, tc.RoleManager, tc.RoleViewer, selfTarget}

// policyActor is one way of acting: a role, with a session or its token;
// external makes the actor and its targets accounts provisioned by an
// external provider (OIDC), which the rules treat alike but for passwords.
type policyActor struct {
	role     tc.Role
	token    bool
	external bool
}

func (a policyActor) String() string {
	s := string(a.role) + " (session)"
	if a.token {
		s = string(a.role) + " (token)"
	}
	if a.external {
		s = "external " + s
	}
	return s
}

// externalize links u to an OIDC identity, as a first sign-in through the
// provider would have (the owner through OWNER_AUTH_PROVIDER).
func externalize(tb testing.TB, inst *apptest.Instance, u *tc.User) *tc.User {
	tb.Helper()
	if u.AuthProvider == tc.ProviderOIDC {
		return u
	}
	if u.Role == tc.RoleOwner {
		if err := inst.Store.LinkOwner(context.Background(), tc.ProviderOIDC, "sub-"+u.ID); err != nil {
			tb.Fatal(err)
		}
	} else if _, err := inst.Store.WithTxExec(context.Background(), `UPDATE users SET auth_provider = 'oidc', external_id = $2 WHERE id = $1`, u.ID, "sub-"+u.ID); err != nil {
		tb.Fatal(err)
	}
	u.AuthProvider, u.ExternalID = tc.ProviderOIDC, "sub-"+u.ID
	return u
}

var policyActors = func() []policyActor {
	var out []policyActor
	for _, r := range []tc.Role{tc.RoleOwner, tc.RoleAdministrator, tc.RoleManager, tc.RoleViewer} {
		out = append(out, policyActor{role: r}, policyActor{role: r, token: true})
	}
	return out
}()

// policyCase is an actor ready to send requests.
type policyCase struct {
	inst  *apptest.Instance
	user  *tc.User
	actor policyActor
	req   func(method, path string, body any) *apptest.Response
}

func newPolicyCase(tb testing.TB, inst *apptest.Instance, a policyActor) *policyCase {
	tb.Helper()
	var u *tc.User
	if a.role == tc.RoleOwner {
		u = inst.MustOwner(tb)
	} else {
		u = inst.MustUser(tb, a.role)
	}
	if a.external {
		u = externalize(tb, inst, u)
	}
	pc := &policyCase{inst: inst, user: u, actor: a}
	if a.token {
		secret := inst.MustToken(tb, u)
		pc.req = func(method, path string, body any) *apptest.Response {
			return inst.Do(tb, apptest.Req{Method: method, Path: path, Body: body, Token: secret})
		}
	} else {
		client := inst.MustSession(tb, u)
		pc.req = func(method, path string, body any) *apptest.Response {
			return inst.Do(tb, apptest.Req{Method: method, Path: path, Body: body, Client: client})
		}
	}
	return pc
}

// target returns the user a case acts on: the owner, a fresh user of the
// role, or the actor.
func (pc *policyCase) target(tb testing.TB, r tc.Role) *tc.User {
	tb.Helper()
	var u *tc.User
	switch r {
	case selfTarget:
		return pc.user
	case tc.RoleOwner:
		u = pc.inst.MustOwner(tb)
	default:
		u = pc.inst.MustUser(tb, r)
	}
	if pc.actor.external {
		u = externalize(tb, pc.inst, u)
	}
	return u
}

func roleOf(actor *tc.User, target tc.Role) tc.Role {
	if target == selfTarget {
		return actor.Role
	}
	return target
}

// isSelf reports whether target names the actor: "self", or the owner when
// the actor is the owner.
func isSelf(actor *tc.User, target tc.Role) bool {
	return target == selfTarget || (target == tc.RoleOwner && actor.Role == tc.RoleOwner)
}

// short cuts a body for messages.
func short(b []byte) string {
	if len(b) > 200 {
		return string(b[:200]) + "…"
	}
	return string(b)
}

// checkOutcome fails t unless resp is a success when allowed and a 4xx
// refusal (never 5xx) otherwise.
func checkOutcome(t *testing.T, what string, allowed bool, resp *apptest.Response) {
	t.Helper()
	ok := resp.StatusCode >= 200 && resp.StatusCode < 300
	switch {
	case allowed && !ok:
		t.Errorf("%s: status %d, want success; body: %s", what, resp.StatusCode, short(resp.Body))
	case !allowed && ok:
		t.Errorf("%s: status %d, want a refusal; body: %s", what, resp.StatusCode, short(resp.Body))
	case !allowed && resp.StatusCode >= 500:
		t.Errorf("%s: status %d, want 4xx; body: %s", what, resp.StatusCode, short(resp.Body))
	}
}

// TestPolicyWalk walks the user actions: role change (down and up to
// administrator), disable, delete, password reset link, ownership transfer
// and invites; then again with every actor and target an account an
// external provider provisioned, which no one may give a password here.
func TestPolicyWalk(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db)
		ctx := context.Background()
		actors := policyActors
		for _, a := range policyActors {
			a.external = true
			actors = append(actors, a)
		}
		for _, a := range actors {
			holdsUsers := managesTokens(a.role) // users:*, invites:*, password-resets:* come with the role
			for _, tr := range policyTargets {
				pc := newPolicyCase(t, inst, a)
				name := func(action string) string { return fmt.Sprintf("%s %s on %s", a, action, tr) }
				isSelf := isSelf(pc.user, tr)
				targetRole := roleOf(pc.user, tr)
				managed := !isSelf && manages(a.role, targetRole)

				// Role change to a role the actor may grant (viewer, or
				// manager for a viewer), and up to administrator.
				target := pc.target(t, tr)
				newRole := tc.RoleViewer
				if target.Role == tc.RoleViewer {
					newRole = tc.RoleManager
				}
				resp := pc.req("PATCH", "/api/users/"+target.ID, map[string]string{"role": string(newRole)})
				checkOutcome(t, name("role change to "+string(newRole)), holdsUsers && managed && grants(a.role, newRole), resp)
				if resp.StatusCode >= 300 {
					mustRole(t, inst, target.ID, target.Role, name("role change"))
				}
				target = pc.target(t, tr)
				if target.Role != tc.RoleAdministrator {
					resp = pc.req("PATCH", "/api/users/"+target.ID, map[string]string{"role": string(tc.RoleAdministrator)})
					checkOutcome(t, name("promotion to administrator"), holdsUsers && managed && grants(a.role, tc.RoleAdministrator), resp)
					if resp.StatusCode >= 300 {
						mustRole(t, inst, target.ID, target.Role, name("promotion"))
					}
				}

				// Disable (and enable again when it worked).
				target = pc.target(t, tr)
				resp = pc.req("PATCH", "/api/users/"+target.ID, map[string]bool{"disabled": true})
				checkOutcome(t, name("disable"), holdsUsers && managed, resp)
				if u, err := inst.Store.UserByID(ctx, target.ID); err == nil && u.Disabled && resp.StatusCode >= 300 {
					t.Errorf("%s: refused but the user is disabled", name("disable"))
				}

				// Password reset link (the actor's own is allowed).
				target = pc.target(t, tr)
				resp = pc.req("POST", "/api/users/"+target.ID+"/password-reset", nil)
				hasPassword := !a.external || target.Role == tc.RoleOwner // tc.CanHaveLocalPassword
				checkOutcome(t, name("password reset link"), holdsUsers && (isSelf || managed) && hasPassword, resp)

				// Ownership transfer: only the owner, with a session, to an
				// administrator; then handed back so the walk goes on.
				target = pc.target(t, tr)
				resp = pc.req("POST", "/api/users/"+target.ID+"/transfer-ownership", nil)
				transferOK := a.role == tc.RoleOwner && !a.token && target.Role == tc.RoleAdministrator
				checkOutcome(t, name("ownership transfer"), transferOK, resp)
				if resp.StatusCode < 300 {
					back := inst.Do(t, apptest.Req{Method: "POST", Path: "/api/users/" + pc.user.ID + "/transfer-ownership", Client: inst.MustSession(t, target)})
					apptest.MustStatus(t, back, http.StatusNoContent)
					pc = newPolicyCase(t, inst, a) // the transfer ended the actor's session
				}

				// Delete, last: it removes the target.
				target = pc.target(t, tr)
				resp = pc.req("DELETE", "/api/users/"+target.ID, nil)
				checkOutcome(t, name("delete"), holdsUsers && managed, resp)
				if resp.StatusCode >= 300 {
					if _, err := inst.Store.UserByID(ctx, target.ID); err != nil {
						t.Errorf("%s: refused but the user is gone: %v", name("delete"), err)
					}
				}
			}
			// Invites, one per role.
			for _, role := range []tc.Role{tc.RoleOwner, tc.RoleAdministrator, tc.RoleManager, tc.RoleViewer} {
				pc := newPolicyCase(t, inst, a)
				n := uniq("inv")
				resp := pc.req("POST", "/api/invites", map[string]string{"username": n, "email": n + "@example.test", "role": string(role)})
				checkOutcome(t, fmt.Sprintf("%s invite of a new %s", a, role), holdsUsers && grants(a.role, role), resp)
			}
		}
	})
}

// TestPolicyWalkTokens walks the token actions on another principal:
// reassignment (single and bulk) from every target to every target, and
// revoke and delete of a target's token.
func TestPolicyWalkTokens(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db)
		ctx := context.Background()
		for _, a := range policyActors {
			pc := newPolicyCase(t, inst, a)
			for _, from := range policyTargets {
				fromOK := isSelf(pc.user, from) || manages(a.role, roleOf(pc.user, from))
				for _, to := range policyTargets {
					toOK := isSelf(pc.user, to) || manages(a.role, roleOf(pc.user, to))
					allowed := managesTokens(a.role) && fromOK && toOK
					for _, bulk := range []bool{false, true} {
						fromUser, toUser := pc.target(t, from), pc.target(t, to)
						id := mustTokenOf(t, inst, fromUser)
						what := fmt.Sprintf("%s reassigns a token of %s to %s", a, from, to)
						var ok bool
						if bulk {
							what += " (bulk)"
							resp := pc.req("POST", "/api/tokens/bulk", map[string]any{"action": "reassign", "ids": []string{id}, "userId": toUser.ID})
							var out struct{ Succeeded int }
							if resp.StatusCode == 200 {
								resp.JSON(t, &out)
							} else if resp.StatusCode >= 500 {
								t.Errorf("%s: status %d", what, resp.StatusCode)
							}
							ok = out.Succeeded == 1
						} else {
							resp := pc.req("POST", "/api/tokens/"+id+"/reassign", map[string]string{"userId": toUser.ID})
							checkOutcome(t, what, allowed, resp)
							ok = resp.StatusCode < 300
						}
						if ok != allowed {
							t.Errorf("%s: done = %v, want %v", what, ok, allowed)
						}
						tok, err := inst.Store.TokenByID(ctx, id, "")
						if err != nil {
							t.Fatalf("%s: %v", what, err)
						}
						if want := map[bool]string{true: toUser.ID, false: fromUser.ID}[allowed]; tok.UserID != want {
							t.Errorf("%s: token belongs to %s, want %s", what, tok.UserID, want)
						}
					}
				}
				// Revoke and delete: the emergency brakes. The owner and
				// administrators may stop anyone's token; others only their own.
				stopOK := a.role != tc.RoleViewer && (isSelf(pc.user, from) || managesTokens(a.role))
				target := pc.target(t, from)
				resp := pc.req("POST", "/api/tokens/"+mustTokenOf(t, inst, target)+"/revoke", nil)
				checkOutcome(t, fmt.Sprintf("%s revokes a token of %s", a, from), stopOK, resp)
				resp = pc.req("DELETE", "/api/tokens/"+mustTokenOf(t, inst, target), nil)
				checkOutcome(t, fmt.Sprintf("%s deletes a token of %s", a, from), stopOK, resp)
			}
		}
	})
}

// TestPolicyIndirect covers the ways around the direct rules.
func TestPolicyIndirect(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db)
		owner := inst.MustOwner(t)
		ownerClient := inst.MustSession(t, owner)
		setRole := func(u *tc.User, patch map[string]any) {
			t.Helper()
			apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "PATCH", Path: "/api/users/" + u.ID, Body: patch, Client: ownerClient}), 200)
		}
		resetLink := func(as *tc.User, target *tc.User) string {
			t.Helper()
			var out struct{ Link string }
			apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/users/" + target.ID + "/password-reset", Client: inst.MustSession(t, as)}), 201).JSON(t, &out)
			return out.Link[len(out.Link)-43:]
		}
		useReset := func(token string) *apptest.Response {
			return inst.Do(t, apptest.Req{Method: "POST", Path: "/api/password-resets/" + token, Body: map[string]string{"password": "Fresh-Passw0rd-Long"}})
		}

		// The exploit of the review: an administrator's secret handed to the
		// owner, then used as the owner.
		admin := inst.MustUser(t, tc.RoleAdministrator)
		adminClient := inst.MustSession(t, admin)
		var created struct {
			ID    string
			Token string
		}
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/tokens", Client: adminClient,
			Body: map[string]any{"description": "mine", "preset": "full-access"}}), 201).JSON(t, &created)
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/tokens/" + created.ID + "/reassign", Client: adminClient,
			Body: map[string]string{"userId": owner.ID}}), 403)
		if r := inst.Do(t, apptest.Req{Method: "POST", Path: "/api/users/" + owner.ID + "/password-reset", Token: created.Token}); r.StatusCode != 403 {
			t.Errorf("administrator's token resets the owner's password: %d %s", r.StatusCode, r.Body)
		}
		if r := inst.Do(t, apptest.Req{Method: "POST", Path: "/api/users/" + admin.ID + "/transfer-ownership", Token: created.Token}); r.StatusCode < 400 {
			t.Errorf("administrator's token transfers ownership: %d %s", r.StatusCode, r.Body)
		}

		// A narrow token of an administrator cannot hand a manager's
		// full-role token to anyone: it would hold more than the actor.
		narrow := inst.MustToken(t, admin, tc.Perm(tc.ResTokens, tc.ActionWrite))
		mgr := inst.MustUser(t, tc.RoleManager)
		if r := inst.Do(t, apptest.Req{Method: "POST", Path: "/api/tokens/" + mustTokenOf(t, inst, mgr) + "/reassign", Token: narrow,
			Body: map[string]string{"userId": admin.ID}}); r.StatusCode != 403 {
			t.Errorf("tokens:write-only token reassigns a full token: %d %s", r.StatusCode, r.Body)
		}

		// A reset link made for a manager dies when the manager becomes an
		// administrator: its creator may no longer reset that password.
		promoted := inst.MustUser(t, tc.RoleManager)
		link := resetLink(admin, promoted)
		setRole(promoted, map[string]any{"role": "administrator"})
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/password-resets/" + link}), 410)
		apptest.MustStatus(t, useReset(link), 410)

		// ... and when its creator is demoted, disabled or deleted.
		for _, change := range []string{"demoted", "disabled", "deleted"} {
			creator := inst.MustUser(t, tc.RoleAdministrator)
			victim := inst.MustUser(t, tc.RoleManager)
			link := resetLink(creator, victim)
			inv := inviteBy(t, inst, creator, tc.RoleManager)
			switch change {
			case "demoted":
				setRole(creator, map[string]any{"role": "viewer"})
			case "disabled":
				setRole(creator, map[string]any{"disabled": true})
			case "deleted":
				apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "DELETE", Path: "/api/users/" + creator.ID, Client: ownerClient}), 204)
			}
			if r := useReset(link); r.StatusCode != 410 {
				t.Errorf("reset link of a %s administrator: %d %s", change, r.StatusCode, r.Body)
			}
			if r := inst.Do(t, apptest.Req{Method: "POST", Path: "/api/invites/" + inv + "/accept", Body: map[string]string{"password": "Fresh-Passw0rd-Long"}}); r.StatusCode != 410 {
				t.Errorf("invite of a %s administrator: %d %s", change, r.StatusCode, r.Body)
			}
		}
		// A link whose creator still may act works.
		apptest.MustStatus(t, useReset(resetLink(admin, inst.MustUser(t, tc.RoleViewer))), 204)

		// An administrator's token narrows at once when they are demoted.
		demoted := inst.MustUser(t, tc.RoleAdministrator)
		tok := inst.MustToken(t, demoted)
		setRole(demoted, map[string]any{"role": "manager"})
		if r := inst.Do(t, apptest.Req{Method: "PATCH", Path: "/api/users/" + inst.MustUser(t, tc.RoleViewer).ID, Token: tok,
			Body: map[string]string{"role": "manager"}}); r.StatusCode != 403 {
			t.Errorf("demoted administrator's token changes a role: %d %s", r.StatusCode, r.Body)
		}
	})
}

// inviteBy creates an invite as user and returns its link token.
func inviteBy(tb testing.TB, inst *apptest.Instance, as *tc.User, role tc.Role) string {
	tb.Helper()
	n := uniq("invitee")
	var out struct{ Link string }
	apptest.MustStatus(tb, inst.Do(tb, apptest.Req{Method: "POST", Path: "/api/invites", Client: inst.MustSession(tb, as),
		Body: map[string]string{"username": n, "email": n + "@example.test", "role": string(role)}}), 201).JSON(tb, &out)
	return out.Link[len(out.Link)-43:]
}

// mustTokenOf stores a full-role token for user and returns its id.
func mustTokenOf(tb testing.TB, inst *apptest.Instance, user *tc.User) string {
	tb.Helper()
	secret := tc.NewTokenSecret()
	perms := tc.RolePermissions(user.Role)
	if len(perms) == 0 {
		perms = []tc.Permission{tc.Perm(tc.ResConfigs, tc.ActionRead)}
	}
	tok := &tc.Token{Description: "policy walk", UserID: user.ID, Permissions: perms, Hash: tc.HashSecret(secret), Last4: tc.TokenLast4(secret)}
	if err := inst.Store.CreateToken(context.Background(), tok); err != nil {
		tb.Fatal(err)
	}
	return tok.ID
}

func mustRole(tb testing.TB, inst *apptest.Instance, id string, want tc.Role, what string) {
	tb.Helper()
	if u, err := inst.Store.UserByID(context.Background(), id); err == nil && u.Role != want {
		tb.Errorf("%s: refused but the role is now %s, want %s", what, u.Role, want)
	}
}
