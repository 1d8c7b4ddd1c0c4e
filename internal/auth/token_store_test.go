package auth

import (
	"context"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/store"
)

// BenchmarkAuthenticateMiss measures the cache miss against a real SQLite
// store (a token query and a user query), the cost of a token's first
// request after start or after a change, beside a hit in the same run.
func BenchmarkAuthenticateMiss(b *testing.B) {
	ctx := context.Background()
	s, err := store.Open(ctx, filepath.Join(b.TempDir(), "sqlite.db"), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	u := &tc.User{Username: "bench", Email: "bench@example.test", Role: tc.RoleManager}
	if err := s.CreateUser(ctx, u); err != nil {
		b.Fatal(err)
	}
	secret := tc.NewTokenSecret()
	tok := &tc.Token{Description: "bench", UserID: u.ID, Permissions: []tc.Permission{"heartbeat:write"}, Hash: tc.HashSecret(secret), Last4: tc.TokenLast4(secret)}
	if err := s.CreateToken(ctx, tok); err != nil {
		b.Fatal(err)
	}
	a := &Authenticator{Tokens: s}
	req, _ := http.NewRequest("POST", "/agents/heartbeat", nil)
	req.Header.Set("Authorization", "Bearer "+secret)

	b.Run("sqlite_cache_hit", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := a.Authenticate(req); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("sqlite_cache_miss", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			a.TokenChanged(tok.ID)
			if _, err := a.Authenticate(req); err != nil {
				b.Fatal(err)
			}
		}
	})
}
