package app_test

import (
	"context"
	"strings"
	"testing"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/apptest"
	"github.com/telegrafcontroller/tc/internal/store"
)

// TestCachesFollowChangeFeed checks that the token and render caches drop
// what a write changed because the store announced it, not because a handler
// remembered to: writes made on the store directly, past every handler and
// service, take effect on the very next request. (The API's own paths are
// covered by TestTokenRevokeDeleteReassign and
// TestUserChangesEndSessionsAndTokens.)
func TestCachesFollowChangeFeed(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db)
		ctx := context.Background()
		me := func(token string, want int) *apptest.Response {
			t.Helper()
			return apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/auth/me", Token: token}), want)
		}

		// A token, cached by its first use, is refused once revoked.
		secret := inst.MustToken(t, inst.MustUser(t, tc.RoleManager), "configs:read")
		me(secret, 200)
		tok, err := inst.Store.TokenByHash(ctx, tc.HashSecret(secret))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := inst.Store.RevokeToken(ctx, tok.ID, ""); err != nil {
			t.Fatal(err)
		}
		me(secret, 401)

		// A disabled user's cached token is refused, and works again once
		// the user is enabled.
		u := inst.MustUser(t, tc.RoleManager)
		secret = inst.MustToken(t, u, "configs:read")
		me(secret, 200)
		for _, disabled := range []bool{true, false} {
			if _, _, err := inst.Store.UpdateUser(ctx, u.ID, store.UserPatch{Disabled: &disabled}, nil); err != nil {
				t.Fatal(err)
			}
			me(secret, map[bool]int{true: 401, false: 200}[disabled])
		}

		// A user renaming themselves through the API: their token's cached
		// caller carries the new name (no handler tells the cache any more).
		p := inst.MustPasswordUser(t, tc.RoleManager, goodPassword)
		secret = inst.MustToken(t, p, "configs:read")
		me(secret, 200)
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "PATCH", Path: "/api/account", Client: inst.MustSession(t, p),
			Body: map[string]string{"username": "renamed-by-feed"}}), 200)
		var body struct{ User tc.User }
		me(secret, 200).JSON(t, &body)
		if body.User.Username != "renamed-by-feed" {
			t.Errorf("token caller's username after rename = %q, want renamed-by-feed", body.User.Username)
		}

		// A constant's new value reaches the served TOML of the configs
		// that use it (the render cache dropped them).
		reader := inst.MustToken(t, inst.MustUser(t, tc.RoleManager), "configs:read")
		c := &tc.Config{Name: "fed", TOML: "url = \"::{feed_url}\"\n"}
		if err := inst.Store.CreateConfig(ctx, c, ""); err != nil {
			t.Fatal(err)
		}
		if err := inst.Store.CreateConstant(ctx, &tc.Constant{Name: "feed_url", Value: "http://one"}); err != nil {
			t.Fatal(err)
		}
		for _, v := range []string{"http://one", "http://two"} {
			if v != "http://one" {
				if _, err := inst.Store.UpdateConstant(ctx, "feed_url", &v, nil); err != nil {
					t.Fatal(err)
				}
			}
			r := apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/configs/" + c.ID + "/toml", Token: reader}), 200)
			if !strings.Contains(string(r.Body), v) {
				t.Errorf("served TOML = %q, want it to hold %s", r.Body, v)
			}
		}
	})
}
