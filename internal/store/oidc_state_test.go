package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/apptest"
	"github.com/telegrafcontroller/tc/internal/store"
)

func TestOIDCState(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		ctx := context.Background()
		clock := apptest.NewClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
		s, err := store.Open(ctx, apptest.NewDSN(t, db), store.Options{Now: clock.Now})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		t0 := clock.Now()
		want := tc.OIDCState{StateHash: "s1", Nonce: "n1", Verifier: "v1", BindingHash: "b1", ExpiresAt: t0.Add(10 * time.Minute)}
		if err := s.SaveOIDCState(ctx, want); err != nil {
			t.Fatal(err)
		}
		if err := s.SaveOIDCState(ctx, want); tc.ErrorCode(err) != tc.ECONFLICT {
			t.Fatalf("same state twice: %v, want conflict", err)
		}

		got, err := s.TakeOIDCState(ctx, "s1")
		want.CreatedAt = t0
		if err != nil || got != want {
			t.Fatalf("take = %+v, %v; want %+v", got, err, want)
		}
		// Single use: a replayed state finds nothing.
		if _, err := s.TakeOIDCState(ctx, "s1"); tc.ErrorCode(err) != tc.ENOTFOUND {
			t.Fatalf("second take: %v, want not_found", err)
		}
		if _, err := s.TakeOIDCState(ctx, "never"); tc.ErrorCode(err) != tc.ENOTFOUND {
			t.Fatalf("unknown state: %v, want not_found", err)
		}

		// An expired state is refused, and gone afterwards.
		if err := s.SaveOIDCState(ctx, tc.OIDCState{StateHash: "s2", Nonce: "n", Verifier: "v", BindingHash: "b", ExpiresAt: t0.Add(time.Minute)}); err != nil {
			t.Fatal(err)
		}
		clock.Advance(time.Minute)
		if _, err := s.TakeOIDCState(ctx, "s2"); tc.ErrorCode(err) != tc.ENOTFOUND {
			t.Fatalf("expired state: %v, want not_found", err)
		}
		if n := countOIDCStates(t, s); n != 0 {
			t.Fatalf("%d states left after taking an expired one, want 0", n)
		}

		// Saving prunes the expired states and keeps the live ones.
		for _, st := range []tc.OIDCState{
			{StateHash: "old", Nonce: "n", Verifier: "v", BindingHash: "b", ExpiresAt: clock.Now().Add(time.Minute)},
			{StateHash: "live", Nonce: "n", Verifier: "v", BindingHash: "b", ExpiresAt: clock.Now().Add(time.Hour)},
		} {
			if err := s.SaveOIDCState(ctx, st); err != nil {
				t.Fatal(err)
			}
		}
		clock.Advance(2 * time.Minute)
		if err := s.SaveOIDCState(ctx, tc.OIDCState{StateHash: "new", Nonce: "n", Verifier: "v", BindingHash: "b", ExpiresAt: clock.Now().Add(time.Minute)}); err != nil {
			t.Fatal(err)
		}
		if n := countOIDCStates(t, s); n != 2 {
			t.Fatalf("%d states after pruning, want 2 (live, new)", n)
		}
		if _, err := s.TakeOIDCState(ctx, "live"); err != nil {
			t.Fatalf("live state after pruning: %v", err)
		}
	})
}

func countOIDCStates(tb testing.TB, s *store.Store) int {
	tb.Helper()
	var n int
	if err := s.ReadDB().QueryRow(`SELECT count(*) FROM oidc_states`).Scan(&n); err != nil {
		tb.Fatal(err)
	}
	return n
}
