package store_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/apptest"
	"github.com/telegrafcontroller/tc/internal/store"
)

// MustOpen opens a throwaway store on db.
func MustOpen(tb testing.TB, db apptest.DB) *store.Store {
	tb.Helper()
	dsn := apptest.NewDSN(tb, db)
	s, err := store.Open(context.Background(), dsn, store.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

func TestMigrateIdempotentAndRefusesNewerSchema(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		ctx := context.Background()
		dsn := apptest.NewDSN(t, db)
		s, err := store.Open(ctx, dsn, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		s.Close()
		// A second open applies nothing and succeeds.
		s, err = store.Open(ctx, dsn, store.Options{})
		if err != nil {
			t.Fatalf("reopen: %v", err)
		}
		latest := store.LatestSchemaVersion(s.Dialect())
		if _, err := s.WithTxExec(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, 'future.sql', 0)`, latest+1); err != nil {
			t.Fatal(err)
		}
		s.Close()
		_, err = store.Open(ctx, dsn, store.Options{})
		if err == nil || !strings.Contains(err.Error(), "newer") {
			t.Fatalf("open of a newer schema: err = %v, want a refusal naming a newer binary", err)
		}
	})
}

func TestUniqueViolationIsConflict(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		s := MustOpen(t, db)
		ctx := context.Background()
		if err := s.CreateUser(ctx, &tc.User{Username: "alice", Email: "a@example.test", Role: tc.RoleViewer}); err != nil {
			t.Fatal(err)
		}
		err := s.CreateUser(ctx, &tc.User{Username: "ALICE", Email: "other@example.test", Role: tc.RoleViewer})
		if got := tc.ErrorCode(err); got != tc.ECONFLICT {
			t.Fatalf("duplicate username (case-insensitive): code = %q (%v), want conflict", got, err)
		}
		if err := s.CreateUser(ctx, &tc.User{Username: "own1", Email: "o1@example.test", Role: tc.RoleOwner}); err != nil {
			t.Fatal(err)
		}
		err = s.CreateUser(ctx, &tc.User{Username: "own2", Email: "o2@example.test", Role: tc.RoleOwner})
		if got := tc.ErrorCode(err); got != tc.ECONFLICT {
			t.Fatalf("second owner: code = %q, want conflict", got)
		}
		if _, err := s.UserByID(ctx, "nope"); tc.ErrorCode(err) != tc.ENOTFOUND {
			t.Fatalf("unknown id: %v, want not_found", err)
		}
	})
}

func TestOpenRejectsNonSQLiteFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "junk.db")
	if err := os.WriteFile(path, []byte(strings.Repeat("this is not a database\n", 200)), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := store.Open(context.Background(), path, store.Options{})
	if err == nil || !strings.Contains(err.Error(), "is not a SQLite database") {
		t.Fatalf("err = %v, want a clear not-SQLite message", err)
	}
}
