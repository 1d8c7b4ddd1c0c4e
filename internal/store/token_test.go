package store_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/apptest"
	"github.com/telegrafcontroller/tc/internal/store"
)

func TestTokenStore(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		s := MustOpen(t, db)
		ctx := context.Background()
		admin := &tc.User{Username: "ada", Email: "ada@example.test", Role: tc.RoleAdministrator}
		viewer := &tc.User{Username: "vic", Email: "vic@example.test", Role: tc.RoleViewer}
		for _, u := range []*tc.User{admin, viewer} {
			if err := s.CreateUser(ctx, u); err != nil {
				t.Fatal(err)
			}
		}
		secret := tc.NewTokenSecret()
		tok := &tc.Token{Description: "50% off_sale", UserID: admin.ID, Permissions: []tc.Permission{"configs:read", "configs:write", "users:read"},
			Hash: tc.HashSecret(secret), Last4: tc.TokenLast4(secret)}
		if err := s.CreateToken(ctx, tok); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateToken(ctx, &tc.Token{Description: "dup", UserID: admin.ID, Hash: tok.Hash, Last4: "x"}); tc.ErrorCode(err) != tc.ECONFLICT {
			t.Fatalf("same digest twice: %v, want conflict", err)
		}

		// Scoped reads: another owner's token is not found.
		if _, err := s.TokenByID(ctx, tok.ID, viewer.ID); tc.ErrorCode(err) != tc.ENOTFOUND {
			t.Fatalf("scoped to another user: %v, want not_found", err)
		}
		got, err := s.TokenByID(ctx, tok.ID, admin.ID)
		if err != nil || got.Owner == nil || got.Owner.Username != "ada" || got.Hash != tok.Hash {
			t.Fatalf("TokenByID = %+v, %v", got, err)
		}
		// LIKE wildcards in a search are literal.
		for search, want := range map[string]int{"50%": 1, "0% off_": 1, "_": 1, "%%": 0, "ADA": 1, tok.Last4: 1, "zzz": 0} {
			list, err := s.Tokens(ctx, store.TokenFilter{Search: search})
			if err != nil || len(list) != want {
				t.Errorf("search %q: %d tokens, %v; want %d", search, len(list), err, want)
			}
		}

		// lastUsedAt never moves backwards.
		t0 := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
		for _, at := range []time.Time{t0, t0.Add(-time.Hour)} {
			if err := s.TouchTokens(ctx, map[string]time.Time{tok.ID: at, "unknown": at}); err != nil {
				t.Fatal(err)
			}
		}
		if got, _ := s.TokenByID(ctx, tok.ID, ""); got.LastUsedAt == nil || !got.LastUsedAt.Equal(t0) {
			t.Fatalf("lastUsedAt = %v, want %v", got.LastUsedAt, t0)
		}

		// Reassigning narrows to the new owner's role; a disabled user is refused.
		moved, err := s.ReassignToken(ctx, tok.ID, viewer.ID, nil)
		if err != nil || moved.UserID != viewer.ID || !slices.Equal(moved.Permissions, []tc.Permission{"configs:read"}) {
			t.Fatalf("reassign to viewer = %+v, %v", moved, err)
		}
		if _, err := s.WithTxExec(ctx, `UPDATE users SET disabled = TRUE WHERE id = $1`, admin.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.ReassignToken(ctx, tok.ID, admin.ID, nil); tc.ErrorCode(err) != tc.EINVALID {
			t.Fatalf("reassign to a disabled user: %v, want invalid", err)
		}

		// Revoke once; the second is a conflict; delete is scoped.
		if r, err := s.RevokeToken(ctx, tok.ID, ""); err != nil || r.Status != tc.TokenRevoked || r.RevokedAt == nil {
			t.Fatalf("revoke = %+v, %v", r, err)
		}
		if _, err := s.RevokeToken(ctx, tok.ID, ""); tc.ErrorCode(err) != tc.ECONFLICT {
			t.Fatalf("second revoke: %v, want conflict", err)
		}
		if err := s.DeleteToken(ctx, tok.ID, admin.ID); tc.ErrorCode(err) != tc.ENOTFOUND {
			t.Fatalf("delete scoped to a non-owner: %v, want not_found", err)
		}
		if err := s.DeleteToken(ctx, tok.ID, viewer.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.TokenByHash(ctx, tok.Hash); tc.ErrorCode(err) != tc.ENOTFOUND {
			t.Fatalf("after delete: %v, want not_found", err)
		}
	})
}
