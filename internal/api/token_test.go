package api_test

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/apptest"
	"github.com/telegrafcontroller/tc/internal/store"
)

// tokenBody is a token as the API returns it.
type tokenBody struct {
	ID                   string          `json:"id"`
	Description          string          `json:"description"`
	UserID               string          `json:"userId"`
	Permissions          []tc.Permission `json:"permissions"`
	EffectivePermissions []tc.Permission `json:"effectivePermissions"`
	DeniedPermissions    []tc.Permission `json:"deniedPermissions"`
	Preset               string          `json:"preset"`
	Status               string          `json:"status"`
	Last4                string          `json:"last4"`
	Display              string          `json:"display"`
	Token                string          `json:"token"`
	Expired              bool            `json:"expired"`
	ExpiresAt            *time.Time      `json:"expiresAt"`
	RevokedAt            *time.Time      `json:"revokedAt"`
	LastUsedAt           *time.Time      `json:"lastUsedAt"`
	Owner                *tc.TokenOwner  `json:"owner"`
}

func mustCreateToken(t *testing.T, inst *apptest.Instance, as string, body any) tokenBody {
	t.Helper()
	var tok tokenBody
	apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/tokens", Token: as, Body: body}), 201).JSON(t, &tok)
	return tok
}

func listTokens(t *testing.T, inst *apptest.Instance, as, query string) []tokenBody {
	t.Helper()
	var out struct{ Items []tokenBody }
	apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/tokens" + query, Token: as}), 200).JSON(t, &out)
	return out.Items
}

func ids(ts []tokenBody) []string {
	var out []string
	for _, t := range ts {
		out = append(out, t.ID)
	}
	slices.Sort(out)
	return out
}

// wantAuthError checks a 401 with one of the shared messages.
func wantAuthError(t *testing.T, resp *apptest.Response, msg string) {
	t.Helper()
	apptest.MustStatus(t, resp, 401)
	if got := resp.Map(t)["message"]; got != msg {
		t.Fatalf("%s %s: message = %q, want %q", resp.Request.Method, resp.Request.URL.Path, got, msg)
	}
}

func TestTokenCreate(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db)
		manager := inst.MustRoleToken(t, tc.RoleManager)

		// A manager asking for users:write gets a token without it, and is told so.
		tok := mustCreateToken(t, inst, manager, map[string]any{
			"description": "  ci pipeline  ", "permissions": []string{"configs:read", "users:write", "configs:read"},
		})
		if !tc.ValidTokenFormat(tok.Token) {
			t.Fatalf("created token %q is not in the published format", tok.Token)
		}
		if got, want := tok.Permissions, []tc.Permission{"configs:read"}; !slices.Equal(got, want) {
			t.Errorf("permissions = %v, want %v", got, want)
		}
		if got, want := tok.DeniedPermissions, []tc.Permission{"users:write"}; !slices.Equal(got, want) {
			t.Errorf("deniedPermissions = %v, want %v", got, want)
		}
		if tok.Description != "ci pipeline" || tok.Status != "active" || tok.Last4 != tok.Token[len(tok.Token)-4:] ||
			tok.Display != "tc-apiv1_…"+tok.Last4 || tok.ExpiresAt != nil || tok.Owner == nil {
			t.Errorf("created token = %+v", tok)
		}
		// The new token works, within what it was granted.
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/tokens", Token: tok.Token}), 403)
		c, err := inst.Auth.AuthenticateToken(context.Background(), tok.Token)
		if err != nil || !c.Can("configs:read") || c.Can("users:write") {
			t.Fatalf("new token: caller = %+v, err = %v", c, err)
		}

		// Presets, and expiry in days.
		agent := mustCreateToken(t, inst, manager, map[string]any{"description": "agent", "preset": "telegraf-agent", "expiresInDays": 30})
		if got, want := agent.Permissions, []tc.Permission{"configs:read", "config-groups:read", "heartbeat:write"}; !slices.Equal(got, want) || agent.Preset != "telegraf-agent" {
			t.Errorf("telegraf-agent preset: permissions = %v preset = %q, want %v", got, agent.Preset, want)
		}
		if want := inst.Clock.Now().AddDate(0, 0, 30); agent.ExpiresAt == nil || !agent.ExpiresAt.Equal(want) {
			t.Errorf("expiresAt = %v, want %v", agent.ExpiresAt, want)
		}
		full := mustCreateToken(t, inst, manager, map[string]any{"description": "all", "preset": "full-access", "expiresAt": "2030-05-06T07:08:09Z"})
		if got, want := full.Permissions, tc.RolePermissions(tc.RoleManager); !slices.Equal(got, want) {
			t.Errorf("full-access for a manager = %v, want the manager's set %v", got, want)
		}
		if full.ExpiresAt == nil || !full.ExpiresAt.Equal(time.Date(2030, 5, 6, 7, 8, 9, 0, time.UTC)) {
			t.Errorf("expiresAt = %v", full.ExpiresAt)
		}

		for _, c := range []struct {
			name, field string
			body        any
		}{
			{"no description", "description", map[string]any{"permissions": []string{"configs:read"}}},
			{"blank description", "description", map[string]any{"description": "   ", "permissions": []string{"configs:read"}}},
			{"long description", "description", map[string]any{"description": strings.Repeat("é", 256), "permissions": []string{"configs:read"}}},
			{"no permissions", "permissions", map[string]any{"description": "x"}},
			{"empty permissions", "permissions", map[string]any{"description": "x", "permissions": []string{}}},
			{"unknown permission", "permissions", map[string]any{"description": "x", "permissions": []string{"configs:fly"}}},
			{"nothing within role", "permissions", map[string]any{"description": "x", "permissions": []string{"users:write"}}},
			{"both", "preset", map[string]any{"description": "x", "preset": "read-only", "permissions": []string{"configs:read"}}},
			{"unknown preset", "preset", map[string]any{"description": "x", "preset": "god-mode"}},
			{"past expiry", "expiresAt", map[string]any{"description": "x", "preset": "read-only", "expiresAt": "2020-01-01T00:00:00Z"}},
			{"bad expiry", "expiresAt", map[string]any{"description": "x", "preset": "read-only", "expiresAt": "tomorrow"}},
			{"two expiries", "expiresAt", map[string]any{"description": "x", "preset": "read-only", "expiresAt": "2030-01-01T00:00:00Z", "expiresInDays": 3}},
			{"zero days", "expiresInDays", map[string]any{"description": "x", "preset": "read-only", "expiresInDays": 0}},
			{"days not a number", "expiresInDays", map[string]any{"description": "x", "preset": "read-only", "expiresInDays": "3"}},
			{"unknown field", "userId", map[string]any{"description": "x", "preset": "read-only", "userId": "someone"}},
		} {
			r := apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/tokens", Token: manager, Body: c.body}), 400)
			if m := r.Map(t); m["error"] != "invalid" || m["field"] != c.field || m["message"] == "" {
				t.Errorf("%s: body = %s, want invalid on field %s", c.name, r.Body, c.field)
			}
		}
		if n := len(listTokens(t, inst, manager, "")); n != 4 { // the manager's own role token and the three above
			t.Errorf("tokens after rejected requests = %d, want 4 (no half-written rows)", n)
		}
	})
}

func TestTokenSecretNeverShownAgain(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db)
		admin := inst.MustRoleToken(t, tc.RoleAdministrator)
		tok := mustCreateToken(t, inst, admin, map[string]any{"description": "secret keeper", "preset": "read-only"})
		secret := tok.Token
		// Use it, so that it is cached, logged about (debug request logs), and its use recorded.
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/tokens/" + tok.ID, Token: secret}), 200)
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/tokens/" + tok.ID, Token: secret + "x"}), 401)
		if err := inst.Auth.FlushUsage(context.Background()); err != nil {
			t.Fatal(err)
		}
		for _, path := range []string{"/api/tokens", "/api/tokens/" + tok.ID, "/api/tokens?search=" + tok.Last4} {
			r := apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: path, Token: admin}), 200)
			if bytes.Contains(r.Body, []byte(secret)) || bytes.Contains(r.Body, []byte(secret[len(tc.TokenPrefix):len(secret)-4])) {
				t.Errorf("GET %s shows the secret: %s", path, r.Body)
			}
			if bytes.Contains(r.Body, []byte(`"token":`)) || bytes.Contains(r.Body, []byte(tc.HashSecret(secret))) {
				t.Errorf("GET %s shows a token field or the digest: %s", path, r.Body)
			}
		}
		r := apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/tokens/" + tok.ID + "/revoke", Token: admin}), 200)
		if bytes.Contains(r.Body, []byte(secret)) {
			t.Errorf("revoke response shows the secret")
		}
		if strings.Contains(inst.Logs.String(), secret[len(tc.TokenPrefix):]) {
			t.Errorf("logs contain the secret")
		}
		if !strings.Contains(inst.Logs.String(), "GET /api/tokens/{id}") {
			t.Errorf("debug request logs missing; the log check above proves nothing")
		}
		// The database holds the digest and never the value.
		var stored bytes.Buffer
		if db.Name == "sqlite" {
			for _, suffix := range []string{"", "-wal"} {
				b, _ := os.ReadFile(inst.Store.Path() + suffix)
				stored.Write(b)
			}
		} else {
			rows, err := inst.Store.ReadDB().Query(`SELECT t::text FROM tokens t`)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var s string
				rows.Scan(&s)
				stored.WriteString(s)
			}
			rows.Close()
		}
		if !bytes.Contains(stored.Bytes(), []byte(tc.HashSecret(secret))) {
			t.Fatalf("database does not hold the digest; the check below proves nothing")
		}
		if bytes.Contains(stored.Bytes(), []byte(secret[len(tc.TokenPrefix):len(secret)-4])) {
			t.Errorf("database holds the token value")
		}
	})
}

func TestTokenVisibility(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db)
		adminUser := inst.MustUser(t, tc.RoleAdministrator)
		admin := inst.MustToken(t, adminUser)
		ownerTok := inst.MustRoleToken(t, tc.RoleOwner)
		m1User, m2User := inst.MustUser(t, tc.RoleManager), inst.MustUser(t, tc.RoleManager)
		m1, m2 := inst.MustToken(t, m1User), inst.MustToken(t, m2User)
		viewer := inst.MustRoleToken(t, tc.RoleViewer)

		adminTok := mustCreateToken(t, inst, admin, map[string]any{"description": "admin's deploy key", "preset": "full-access"})
		m1Tok := mustCreateToken(t, inst, m1, map[string]any{"description": "m1 agent", "preset": "telegraf-agent"})
		m2Tok := mustCreateToken(t, inst, m2, map[string]any{"description": "m2 agent", "preset": "telegraf-agent"})

		// Owner and administrator see everyone's tokens with their owners.
		for name, as := range map[string]string{"owner": ownerTok, "administrator": admin} {
			all := listTokens(t, inst, as, "")
			if len(all) != 8 { // one per user from MustToken, and the three above
				t.Errorf("%s sees %d tokens, want all 8", name, len(all))
			}
			for _, tok := range all {
				if tok.Owner == nil || tok.Owner.ID != tok.UserID || tok.Owner.Username == "" {
					t.Errorf("%s: token %s lacks its owner: %+v", name, tok.ID, tok.Owner)
				}
			}
			if got := listTokens(t, inst, as, "?userId="+m1User.ID); len(got) != 2 {
				t.Errorf("%s filtering by m1: %d tokens, want 2", name, len(got))
			}
			apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/tokens/" + m2Tok.ID, Token: as}), 200)
		}
		// A manager sees only their own, even when asking for someone else's.
		mine := listTokens(t, inst, m1, "")
		if got := ids(mine); len(got) != 2 || !slices.Contains(got, m1Tok.ID) {
			t.Errorf("m1 sees %v, want their 2 tokens", got)
		}
		if got := listTokens(t, inst, m1, "?userId="+adminUser.ID); len(got) != 0 {
			t.Errorf("m1 asking for the admin's tokens got %d", len(got))
		}
		// Someone else's token is 404 for a manager, exactly like a missing one.
		for _, req := range []apptest.Req{
			{Method: "GET", Path: "/api/tokens/" + adminTok.ID},
			{Method: "GET", Path: "/api/tokens/" + m2Tok.ID},
			{Method: "POST", Path: "/api/tokens/" + adminTok.ID + "/revoke"},
			{Method: "DELETE", Path: "/api/tokens/" + adminTok.ID},
			{Method: "GET", Path: "/api/tokens/00000000-0000-0000-0000-000000000000"},
		} {
			req.Token = m1
			r := apptest.MustStatus(t, inst.Do(t, req), 404)
			if m := r.Map(t); m["error"] != "not_found" || m["message"] != "token not found" {
				t.Errorf("%s %s: body %s", req.Method, req.Path, r.Body)
			}
		}
		// Only the owner and administrators reassign.
		r := apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/tokens/" + m1Tok.ID + "/reassign", Token: m1, Body: map[string]string{"userId": m2User.ID}}), 403)
		if m := r.Map(t); !strings.HasPrefix(m["message"].(string), "Insufficient permissions") {
			t.Errorf("manager reassign: %s", r.Body)
		}
		// A viewer cannot list, create or manage tokens.
		for _, req := range []apptest.Req{
			{Method: "GET", Path: "/api/tokens"},
			{Method: "GET", Path: "/api/tokens/presets"},
			{Method: "POST", Path: "/api/tokens", Body: map[string]any{"description": "x", "preset": "read-only"}},
			{Method: "GET", Path: "/api/tokens/" + m1Tok.ID},
			{Method: "POST", Path: "/api/tokens/" + m1Tok.ID + "/revoke"},
			{Method: "DELETE", Path: "/api/tokens/" + m1Tok.ID},
			{Method: "POST", Path: "/api/tokens/bulk", Body: map[string]any{"action": "revoke", "ids": []string{m1Tok.ID}}},
		} {
			req.Token = viewer
			r := apptest.MustStatus(t, inst.Do(t, req), 403)
			if m := r.Map(t); !strings.HasPrefix(m["message"].(string), "Insufficient permissions: tokens:") {
				t.Errorf("viewer %s %s: %s", req.Method, req.Path, r.Body)
			}
		}
		// Filters.
		if got := listTokens(t, inst, admin, "?search=DEPLOY"); len(got) != 1 || got[0].ID != adminTok.ID {
			t.Errorf("search DEPLOY = %v", ids(got))
		}
		if got := listTokens(t, inst, admin, "?search="+m2User.Username); len(got) != 2 {
			t.Errorf("search by owner name = %d tokens, want 2", len(got))
		}
		if got := listTokens(t, inst, admin, "?search=%25"); len(got) != 0 {
			t.Errorf("search %% matched %d tokens; wildcards must be literal", len(got))
		}
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/tokens/" + m2Tok.ID + "/revoke", Token: admin}), 200)
		if got := listTokens(t, inst, admin, "?status=revoked"); len(got) != 1 || got[0].ID != m2Tok.ID || got[0].RevokedAt == nil {
			t.Errorf("status=revoked = %+v", got)
		}
		if got := listTokens(t, inst, admin, "?status=active"); len(got) != 7 {
			t.Errorf("status=active = %d, want 7", len(got))
		}
		r = apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/tokens?status=gone", Token: admin}), 400)
		if r.Map(t)["field"] != "status" {
			t.Errorf("bad status filter: %s", r.Body)
		}
	})
}

func TestTokenRevokeDeleteReassign(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db)
		admin := inst.MustRoleToken(t, tc.RoleAdministrator)
		manager := inst.MustUser(t, tc.RoleManager)
		tok := mustCreateToken(t, inst, admin, map[string]any{"description": "to revoke", "preset": "full-access"})

		// Used once (now cached), revoked, refused on the very next request.
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/tokens", Token: tok.Token}), 200)
		var revoked tokenBody
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/tokens/" + tok.ID + "/revoke", Token: admin}), 200).JSON(t, &revoked)
		if revoked.Status != "revoked" || revoked.RevokedAt == nil || !revoked.RevokedAt.Equal(inst.Clock.Now()) || len(revoked.EffectivePermissions) != 0 {
			t.Errorf("revoked = %+v", revoked)
		}
		wantAuthError(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/tokens", Token: tok.Token}), "Invalid token")
		r := apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/tokens/" + tok.ID + "/revoke", Token: admin}), 409)
		if r.Map(t)["message"] != "token is already revoked" {
			t.Errorf("second revoke: %s", r.Body)
		}
		// The record stays for audit.
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/tokens/" + tok.ID, Token: admin}), 200)

		// Delete removes the record and the credential at once.
		del := mustCreateToken(t, inst, admin, map[string]any{"description": "to delete", "preset": "read-only"})
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/tokens", Token: del.Token}), 200)
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "DELETE", Path: "/api/tokens/" + del.ID, Token: admin}), 204)
		wantAuthError(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/tokens", Token: del.Token}), "Invalid token")
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/tokens/" + del.ID, Token: admin}), 404)
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "DELETE", Path: "/api/tokens/" + del.ID, Token: admin}), 404)

		// Reassign: the token follows the new owner's role at once.
		re := mustCreateToken(t, inst, admin, map[string]any{"description": "to reassign", "permissions": []string{"users:read", "configs:read", "tokens:read"}})
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/tokens", Token: re.Token}), 200)
		var moved tokenBody
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/tokens/" + re.ID + "/reassign", Token: admin, Body: map[string]string{"userId": manager.ID}}), 200).JSON(t, &moved)
		if moved.UserID != manager.ID || moved.Owner.ID != manager.ID || !slices.Equal(moved.Permissions, []tc.Permission{"configs:read", "tokens:read"}) {
			t.Errorf("reassigned = %+v", moved)
		}
		c, err := inst.Auth.AuthenticateToken(context.Background(), re.Token)
		if err != nil || c.User.ID != manager.ID || c.Can("users:read") || !c.Can("configs:read") {
			t.Fatalf("after reassign: caller = %+v, err = %v", c, err)
		}
		// The token now lists only the manager's tokens.
		if got := listTokens(t, inst, re.Token, ""); len(got) != 1 || got[0].ID != re.ID {
			t.Errorf("reassigned token sees %v", ids(got))
		}

		disabled := inst.MustUser(t, tc.RoleManager)
		if _, err := inst.Store.WithTxExec(context.Background(), `UPDATE users SET disabled = TRUE WHERE id = $1`, disabled.ID); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct{ name, userID string }{{"unknown user", "nobody"}, {"disabled user", disabled.ID}, {"missing", ""}} {
			r := apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/tokens/" + re.ID + "/reassign", Token: admin, Body: map[string]string{"userId": c.userID}}), 400)
			if r.Map(t)["field"] != "userId" {
				t.Errorf("%s: %s", c.name, r.Body)
			}
		}
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/tokens/nope/reassign", Token: admin, Body: map[string]string{"userId": manager.ID}}), 404)
	})
}

func TestTokenOwnerAndExpiry(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db)
		ctx := context.Background()
		user := inst.MustUser(t, tc.RoleAdministrator)
		secret := inst.MustToken(t, user, "users:read", "tokens:read")
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/tokens", Token: secret}), 200)

		// A role change narrows the token at once (the identity code calls UserChanged).
		if _, err := inst.Store.WithTxExec(ctx, `UPDATE users SET role = 'manager' WHERE id = $1`, user.ID); err != nil {
			t.Fatal(err)
		}
		inst.Auth.UserChanged(user.ID)
		c, err := inst.Auth.AuthenticateToken(ctx, secret)
		if err != nil || c.Can("users:read") || !c.Can("tokens:read") {
			t.Fatalf("after demotion to manager: caller = %+v, err = %v", c, err)
		}
		var shown tokenBody
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/tokens", Token: secret}), 200)
		list := listTokens(t, inst, secret, "")
		shown = list[0]
		if !slices.Equal(shown.EffectivePermissions, []tc.Permission{"tokens:read"}) || !slices.Equal(shown.Permissions, []tc.Permission{"users:read", "tokens:read"}) {
			t.Errorf("after demotion: permissions = %v effective = %v", shown.Permissions, shown.EffectivePermissions)
		}

		// A disabled owner's tokens are refused until the owner is enabled again.
		if _, err := inst.Store.WithTxExec(ctx, `UPDATE users SET disabled = TRUE WHERE id = $1`, user.ID); err != nil {
			t.Fatal(err)
		}
		inst.Auth.UserChanged(user.ID)
		wantAuthError(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/tokens", Token: secret}), "Invalid token")
		if _, err := inst.Store.WithTxExec(ctx, `UPDATE users SET disabled = FALSE WHERE id = $1`, user.ID); err != nil {
			t.Fatal(err)
		}
		inst.Auth.UserChanged(user.ID)
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/tokens", Token: secret}), 200)

		// Deleting the owner deletes the tokens.
		if _, err := inst.Store.WithTxExec(ctx, `DELETE FROM users WHERE id = $1`, user.ID); err != nil {
			t.Fatal(err)
		}
		inst.Auth.UserChanged(user.ID)
		wantAuthError(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/tokens", Token: secret}), "Invalid token")

		// Expiry, by the injected clock.
		admin := inst.MustRoleToken(t, tc.RoleAdministrator)
		tok := mustCreateToken(t, inst, admin, map[string]any{"description": "a day", "preset": "read-only", "expiresInDays": 1})
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/tokens", Token: tok.Token}), 200)
		inst.Clock.Advance(24*time.Hour - time.Millisecond)
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/tokens", Token: tok.Token}), 200)
		inst.Clock.Advance(time.Millisecond)
		wantAuthError(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/tokens", Token: tok.Token}), "Token expired")
		var got tokenBody
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/tokens/" + tok.ID, Token: admin}), 200).JSON(t, &got)
		if !got.Expired || got.Status != "active" || len(got.EffectivePermissions) != 0 {
			t.Errorf("expired token shows expired=%v status=%s effective=%v", got.Expired, got.Status, got.EffectivePermissions)
		}
	})
}

// tokenLookups reads tc_token_lookups_total from /metrics.
func tokenLookups(t *testing.T, inst *apptest.Instance) map[string]float64 {
	t.Helper()
	r := apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/metrics"}), 200)
	out := map[string]float64{}
	sc := bufio.NewScanner(bytes.NewReader(r.Body))
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), `tc_token_lookups_total{result="`)
		if !ok {
			continue
		}
		result, value, _ := strings.Cut(rest, `"} `)
		out[result], _ = strconv.ParseFloat(value, 64)
	}
	return out
}

func dbLookups(m map[string]float64) float64 {
	return m["db_found"] + m["db_not_found"] + m["db_error"]
}

func TestTamperedTokenRefusedWithoutDatabaseQuery(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db)
		secret := inst.MustRoleToken(t, tc.RoleManager)
		b := []byte(secret)
		if b[len(b)-1] == 'x' {
			b[len(b)-1] = 'y'
		} else {
			b[len(b)-1] = 'x'
		}
		before := tokenLookups(t, inst)
		for _, scheme := range []string{"Bearer ", "Token "} {
			wantAuthError(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/tokens", Header: map[string][]string{"Authorization": {scheme + string(b)}}}), "Invalid token format")
		}
		after := tokenLookups(t, inst)
		if dbLookups(after) != dbLookups(before) {
			t.Errorf("tampered checksum: store lookups %v → %v, want unchanged", before, after)
		}
		if after["bad_format"]-before["bad_format"] != 2 {
			t.Errorf("bad_format %v → %v, want +2", before["bad_format"], after["bad_format"])
		}
		// The genuine token: one store lookup, then cache hits only.
		for range 3 {
			apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/tokens/presets", Token: secret}), 200)
		}
		final := tokenLookups(t, inst)
		if got := final["db_found"] - after["db_found"]; got != 1 {
			t.Errorf("three requests made %v store lookups, want 1", got)
		}
		if got := final["cache_hit"] - after["cache_hit"]; got != 2 {
			t.Errorf("cache hits = %v, want 2", got)
		}
	})
}

func TestTokenBulk(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db)
		admin := inst.MustRoleToken(t, tc.RoleAdministrator)
		mUser := inst.MustUser(t, tc.RoleManager)
		manager := inst.MustToken(t, mUser)
		other := inst.MustUser(t, tc.RoleManager)
		mk := func(as string) tokenBody {
			return mustCreateToken(t, inst, as, map[string]any{"description": "bulk", "preset": "telegraf-agent"})
		}
		a1, a2, m1, m2 := mk(admin), mk(admin), mk(manager), mk(manager)

		type result struct {
			ID, Error, Message string
			OK                 bool
		}
		type bulkBody struct {
			Action            string
			Results           []result
			Succeeded, Failed int
		}
		bulk := func(as string, body any, status int) bulkBody {
			t.Helper()
			var out bulkBody
			r := apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/tokens/bulk", Token: as, Body: body}), status)
			if status == 200 {
				r.JSON(t, &out)
			}
			return out
		}
		// A manager's revoke reports other users' tokens as not found.
		got := bulk(manager, map[string]any{"action": "revoke", "ids": []string{m1.ID, a1.ID, m1.ID, "nope"}}, 200)
		want := []result{{ID: m1.ID, OK: true}, {ID: a1.ID, Error: "not_found", Message: "token not found"}, {ID: "nope", Error: "not_found", Message: "token not found"}}
		if !slices.Equal(got.Results, want) || got.Succeeded != 1 || got.Failed != 2 || got.Action != "revoke" {
			t.Errorf("manager bulk revoke = %+v, want %+v", got, want)
		}
		// (An agent token lacks tokens:read: 403 means it still authenticates, 401 that it does not.)
		wantAuthError(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/tokens/presets", Token: m1.Token}), "Invalid token")
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/tokens/presets", Token: a1.Token}), 403)

		// Revoking again is a conflict, per id.
		got = bulk(admin, map[string]any{"action": "revoke", "ids": []string{m1.ID, m2.ID}}, 200)
		if got.Results[0].Error != "conflict" || !got.Results[1].OK {
			t.Errorf("admin bulk revoke = %+v", got)
		}
		// Reassign by the administrator, to an active user.
		got = bulk(admin, map[string]any{"action": "reassign", "ids": []string{a1.ID, a2.ID}, "userId": other.ID}, 200)
		if got.Succeeded != 2 {
			t.Errorf("bulk reassign = %+v", got)
		}
		if c, err := inst.Auth.AuthenticateToken(context.Background(), a2.Token); err != nil || c.User.ID != other.ID {
			t.Errorf("after bulk reassign: caller = %+v, err = %v", c, err)
		}
		// Delete.
		got = bulk(admin, map[string]any{"action": "delete", "ids": []string{a1.ID, m1.ID}}, 200)
		if got.Succeeded != 2 {
			t.Errorf("bulk delete = %+v", got)
		}
		wantAuthError(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/tokens/presets", Token: a1.Token}), "Invalid token")

		// Whole-request refusals.
		bulk(manager, map[string]any{"action": "reassign", "ids": []string{m2.ID}, "userId": other.ID}, 403)
		limited := inst.MustToken(t, mUser, "tokens:read", "tokens:write")
		bulk(limited, map[string]any{"action": "delete", "ids": []string{m2.ID}}, 403)
		for _, c := range []struct {
			name, field string
			body        any
		}{
			{"no action", "action", map[string]any{"ids": []string{m2.ID}}},
			{"bad action", "action", map[string]any{"action": "burn", "ids": []string{m2.ID}}},
			{"no ids", "ids", map[string]any{"action": "revoke", "ids": []string{}}},
			{"empty id", "ids", map[string]any{"action": "revoke", "ids": []string{""}}},
			{"too many", "ids", map[string]any{"action": "revoke", "ids": slices.Repeat([]string{"x"}, 501)}},
			{"userId on revoke", "userId", map[string]any{"action": "revoke", "ids": []string{m2.ID}, "userId": other.ID}},
			{"reassign without user", "userId", map[string]any{"action": "reassign", "ids": []string{m2.ID}}},
			{"reassign to nobody", "userId", map[string]any{"action": "reassign", "ids": []string{m2.ID}, "userId": "nobody"}},
		} {
			r := apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/tokens/bulk", Token: admin, Body: c.body}), 400)
			if r.Map(t)["field"] != c.field {
				t.Errorf("%s: %s, want field %s", c.name, r.Body, c.field)
			}
		}
	})
}

func TestTokenPresetsPerRole(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db)
		for _, role := range []tc.Role{tc.RoleOwner, tc.RoleAdministrator, tc.RoleManager} {
			var out struct{ Items []tc.TokenPreset }
			apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/tokens/presets", Token: inst.MustRoleToken(t, role)}), 200).JSON(t, &out)
			byName := map[string][]tc.Permission{}
			for _, p := range out.Items {
				byName[p.Name] = p.Permissions
			}
			if got, want := byName["telegraf-agent"], []tc.Permission{"configs:read", "config-groups:read", "heartbeat:write"}; !slices.Equal(got, want) {
				t.Errorf("%s telegraf-agent = %v, want %v", role, got, want)
			}
			if got, want := byName["full-access"], tc.RolePermissions(role); !slices.Equal(got, want) {
				t.Errorf("%s full-access = %v, want %v", role, got, want)
			}
			for _, p := range byName["read-only"] {
				if p.Action() != "read" || !tc.RoleHas(role, p) {
					t.Errorf("%s read-only holds %s", role, p)
				}
			}
			if n := len(byName["read-only"]); n == 0 || slices.Contains(byName["read-only"], "users:read") != (role != tc.RoleManager) {
				t.Errorf("%s read-only = %v", role, byName["read-only"])
			}
		}
	})
}

func TestTokenLastUsedAt(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db)
		ctx := context.Background()
		admin := inst.MustRoleToken(t, tc.RoleAdministrator)
		tok := mustCreateToken(t, inst, admin, map[string]any{"description": "used", "preset": "read-only"})
		lastUsed := func() *time.Time {
			t.Helper()
			if err := inst.Auth.FlushUsage(ctx); err != nil {
				t.Fatal(err)
			}
			var got tokenBody
			apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/tokens/" + tok.ID, Token: admin}), 200).JSON(t, &got)
			return got.LastUsedAt
		}
		if got := lastUsed(); got != nil {
			t.Fatalf("unused token has lastUsedAt %v", got)
		}
		first := inst.Clock.Now()
		use := func() {
			apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/tokens/presets", Token: tok.Token}), 200)
		}
		use()
		inst.Clock.Advance(59 * time.Second)
		use()
		if got := lastUsed(); got == nil || !got.Equal(first) {
			t.Fatalf("lastUsedAt = %v, want the first use %v (at most once a minute)", got, first)
		}
		inst.Clock.Advance(time.Second)
		use()
		if got, want := lastUsed(), first.Add(time.Minute); got == nil || !got.Equal(want) {
			t.Fatalf("lastUsedAt = %v, want %v", got, want)
		}
	})
}

// TestTokenUsageFlushedAtShutdown shows a pending lastUsedAt reaches the
// database when the controller closes.
func TestTokenUsageFlushedAtShutdown(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db)
		user := inst.MustUser(t, tc.RoleManager)
		secret := inst.MustToken(t, user)
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/tokens", Token: secret}), 200)
		dsn := inst.DSN
		if err := inst.Main.Close(); err != nil {
			t.Fatal(err)
		}
		s, err := openStore(dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		tok, err := s.TokenByHash(context.Background(), tc.HashSecret(secret))
		if err != nil || tok.LastUsedAt == nil || !tok.LastUsedAt.Equal(inst.Clock.Now()) {
			t.Fatalf("after shutdown: lastUsedAt = %v, err = %v; want %v", tok.LastUsedAt, err, inst.Clock.Now())
		}
	})
}

func openStore(dsn string) (*store.Store, error) {
	return store.Open(context.Background(), dsn, store.Options{})
}

// TestTokenFollowsUserChanges drives the users API: every change to a
// token's owner is seen by the token's very next request.
func TestTokenFollowsUserChanges(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db)
		owner := inst.MustToken(t, inst.MustOwner(t))
		patch := func(id string, body any) {
			t.Helper()
			apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "PATCH", Path: "/api/users/" + id, Token: owner, Body: body}), 200)
		}
		get := func(secret, path string) *apptest.Response {
			return inst.Do(t, apptest.Req{Method: "GET", Path: path, Token: secret})
		}

		// Demotion narrows at once.
		admin := inst.MustUser(t, tc.RoleAdministrator)
		adminTok := inst.MustToken(t, admin, "users:read", "tokens:read")
		apptest.MustStatus(t, get(adminTok, "/api/users"), 200)
		patch(admin.ID, map[string]any{"role": "manager"})
		r := apptest.MustStatus(t, get(adminTok, "/api/users"), 403)
		if got := r.Map(t)["message"]; got != "Insufficient permissions: users:read required" {
			t.Errorf("after demotion: %v", got)
		}
		apptest.MustStatus(t, get(adminTok, "/api/tokens"), 200)

		// Demotion to viewer revokes every active token of the user.
		mgr := inst.MustUser(t, tc.RoleManager)
		mgrTok := inst.MustToken(t, mgr)
		apptest.MustStatus(t, get(mgrTok, "/api/tokens"), 200)
		patch(mgr.ID, map[string]any{"role": "viewer"})
		wantAuthError(t, get(mgrTok, "/api/tokens"), "Invalid token")
		var list []tokenBody
		list = listTokens(t, inst, owner, "?userId="+mgr.ID)
		if len(list) != 1 || list[0].Status != "revoked" || list[0].RevokedAt == nil {
			t.Errorf("after demotion to viewer: %+v", list)
		}
		// Promoting again does not bring a revoked token back.
		patch(mgr.ID, map[string]any{"role": "manager"})
		wantAuthError(t, get(mgrTok, "/api/tokens"), "Invalid token")

		// Disabled owner: refused until enabled again.
		m2 := inst.MustUser(t, tc.RoleManager)
		m2Tok := inst.MustToken(t, m2)
		apptest.MustStatus(t, get(m2Tok, "/api/tokens"), 200)
		patch(m2.ID, map[string]any{"disabled": true})
		wantAuthError(t, get(m2Tok, "/api/tokens"), "Invalid token")
		patch(m2.ID, map[string]any{"disabled": false})
		apptest.MustStatus(t, get(m2Tok, "/api/tokens"), 200)

		// A profile change shows through a cached token caller.
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "PATCH", Path: "/api/account", Client: inst.MustSession(t, m2), Body: map[string]any{"username": "renamed"}}), 200)
		var me struct{ User tc.User }
		apptest.MustStatus(t, get(m2Tok, "/api/auth/me"), 200).JSON(t, &me)
		if me.User.Username != "renamed" {
			t.Errorf("after rename, the token's caller is %q", me.User.Username)
		}

		// Deleting the user deletes their tokens.
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "DELETE", Path: "/api/users/" + m2.ID, Token: owner}), 204)
		wantAuthError(t, get(m2Tok, "/api/tokens"), "Invalid token")
		if got := listTokens(t, inst, owner, "?userId="+m2.ID); len(got) != 0 {
			t.Errorf("deleted user's tokens remain: %v", ids(got))
		}
	})
}

// TestRevokedTokenFailsOnEveryListener revokes an agent's token and checks
// the very next config fetch and heartbeat are refused.
func TestRevokedTokenFailsOnEveryListener(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db)
		mgr := inst.MustRoleToken(t, tc.RoleManager)
		cfg := mustConfig(t, inst, mgr, map[string]any{"name": "agents", "toml": "[agent]\ninterval = \"10s\"\n"})
		agent := mustCreateToken(t, inst, mgr, map[string]any{"description": "agent", "preset": "telegraf-agent"})
		hb := `{"id":"agent-1","version":"Telegraf 1.39.3","schema":1,"hostname":"h1","statistics":{"errors":0,"warnings":0,"metrics":1}}`
		toml := func(scheme string) *apptest.Response {
			return inst.Do(t, apptest.Req{Method: "GET", Path: "/api/configs/" + cfg.ID + "/toml", Header: map[string][]string{"Authorization": {scheme + " " + agent.Token}}})
		}
		beat := func(scheme string) *apptest.Response {
			return inst.Do(t, apptest.Req{Method: "POST", Path: inst.HeartbeatURL + "/agents/heartbeat", Body: hb,
				Header: map[string][]string{"Authorization": {scheme + " " + agent.Token}}})
		}
		for _, scheme := range []string{"Bearer", "Token"} {
			apptest.MustStatus(t, toml(scheme), 200)
			apptest.MustStatus(t, beat(scheme), 204)
		}
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/tokens/" + agent.ID + "/revoke", Token: mgr}), 200)
		for _, scheme := range []string{"Bearer", "Token"} {
			wantAuthError(t, toml(scheme), "Invalid token")
			wantAuthError(t, beat(scheme), "Invalid token")
		}
		wantAuthError(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/tokens/presets", Token: agent.Token}), "Invalid token")
	})
}

// TestExemptGroupsIgnoreTokens: --disable-auth-endpoints lifts
// authentication for the named groups (a revoked token is ignored there),
// never for tokens.
func TestExemptGroupsIgnoreTokens(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db, apptest.WithArgs("--disable-auth-endpoints", "*"))
		mgr := inst.MustRoleToken(t, tc.RoleManager)
		cfg := mustConfig(t, inst, mgr, map[string]any{"name": "open", "toml": "[agent]\ninterval = \"10s\"\n"})
		agent := mustCreateToken(t, inst, mgr, map[string]any{"description": "agent", "preset": "telegraf-agent"})
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/tokens/" + agent.ID + "/revoke", Token: mgr}), 200)
		for _, secret := range []string{"", agent.Token, "tc-apiv1_tampered"} {
			apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/configs/" + cfg.ID + "/toml", Token: secret}), 200)
			apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: inst.HeartbeatURL + "/agents/heartbeat", Token: secret,
				Body: `{"id":"agent-1","version":"Telegraf 1.39.3","schema":1,"hostname":"h1","statistics":{"errors":0,"warnings":0,"metrics":1}}`}), 204)
		}
		wantAuthError(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/tokens"}), "Missing or invalid Authorization header")
		wantAuthError(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/tokens", Token: agent.Token}), "Invalid token")
	})
}

// TestTokenOddInput: NUL bytes, invalid UTF-8 and control characters get a
// precise 4xx on both databases (PostgreSQL refuses NUL in text).
func TestTokenOddInput(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db)
		admin := inst.MustRoleToken(t, tc.RoleAdministrator)
		for _, c := range []struct {
			method, path string
			body         any
			status       int
		}{
			{"GET", "/api/tokens/%00", nil, 404},
			{"GET", "/api/tokens/%FF", nil, 404},
			{"POST", "/api/tokens/%00/revoke", nil, 404},
			{"DELETE", "/api/tokens/%00", nil, 404},
			{"POST", "/api/tokens/%00/reassign", map[string]string{"userId": "x"}, 404},
			{"GET", "/api/tokens?search=%00", nil, 400},
			{"GET", "/api/tokens?search=%FF", nil, 400},
			{"GET", "/api/tokens?userId=%00", nil, 400},
			{"GET", "/api/configs/%00", nil, 404},
			{"POST", "/api/tokens", `{"description":"a\u0000b","preset":"read-only"}`, 400},
			{"POST", "/api/tokens", `{"description":"two\nlines","preset":"read-only"}`, 400},
			{"POST", "/api/tokens/bulk", `{"action":"reassign","ids":["x"],"userId":"\u0000"}`, 400},
		} {
			r := inst.Do(t, apptest.Req{Method: c.method, Path: c.path, Body: c.body, Token: admin})
			if r.StatusCode != c.status {
				t.Errorf("%s %s: status = %d, want %d; body: %s", c.method, c.path, r.StatusCode, c.status, r.Body)
			}
		}
		// A NUL anywhere in a JSON body refuses the whole request.
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/tokens/bulk", Token: admin,
			Body: `{"action":"revoke","ids":["\u0000"]}`}), 400)
	})
}
