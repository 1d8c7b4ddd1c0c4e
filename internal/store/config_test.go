package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/apptest"
	"github.com/telegrafcontroller/tc/internal/store"
)

func mustOpenClock(tb testing.TB, db apptest.DB, clock *apptest.Clock) *store.Store {
	tb.Helper()
	s, err := store.Open(context.Background(), apptest.NewDSN(tb, db), store.Options{Now: clock.Now})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

func versionCount(tb testing.TB, s *store.Store, id string) int {
	tb.Helper()
	var n int
	if err := s.ReadDB().QueryRow(`SELECT COUNT(*) FROM config_versions WHERE config_id = $1`, id).Scan(&n); err != nil {
		tb.Fatal(err)
	}
	return n
}

func TestConfigVersionsAndRevisions(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		clock := apptest.NewClock(time.Date(2026, 1, 2, 3, 4, 5, 250e6, time.UTC))
		s := mustOpenClock(t, db, clock)
		ctx := context.Background()
		var notified []string
		s.Subscribe(func(c tc.Change) {
			if c.Entity == tc.EntityConfig {
				notified = append(notified, c.IDs...)
			}
		})

		c := &tc.Config{Name: "Base", TOML: "a = 1\n", CreatedBy: "u1"}
		if err := s.CreateConfig(ctx, c, "first"); err != nil {
			t.Fatal(err)
		}
		if got, want := c.RevisionAt, time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC); !got.Equal(want) {
			t.Errorf("revision = %v, want %v (whole second)", got, want)
		}
		if got := versionCount(t, s, c.ID); got != 1 {
			t.Errorf("versions after create = %d, want 1", got)
		}
		if err := s.CreateConfig(ctx, &tc.Config{Name: "BASE", TOML: "x"}, ""); tc.ErrorCode(err) != tc.ECONFLICT {
			t.Errorf("duplicate name (other case): err = %v, want conflict", err)
		}

		// Name-only edit: no version, no revision move.
		name := "Renamed"
		got, err := s.UpdateConfig(ctx, c.ID, tc.ConfigUpdate{Name: &name}, "u2")
		if err != nil {
			t.Fatal(err)
		}
		if !got.RevisionAt.Equal(c.RevisionAt) || got.CurrentVersion != 1 || versionCount(t, s, c.ID) != 1 {
			t.Errorf("name edit moved revision %v→%v or version %d", c.RevisionAt, got.RevisionAt, got.CurrentVersion)
		}
		// Two TOML changes in the same second: two versions, two revisions a second apart.
		revs := []time.Time{c.RevisionAt}
		for i, body := range []string{"a = 2\n", "a = 3\n"} {
			got, err = s.UpdateConfig(ctx, c.ID, tc.ConfigUpdate{TOML: &body, ChangeNote: "edit"}, "u2")
			if err != nil {
				t.Fatal(err)
			}
			if got.CurrentVersion != i+2 || got.TOML != body || got.UpdatedBy != "u2" {
				t.Errorf("after edit %d: version %d toml %q by %q", i, got.CurrentVersion, got.TOML, got.UpdatedBy)
			}
			revs = append(revs, got.RevisionAt)
		}
		for i := 1; i < len(revs); i++ {
			if d := revs[i].Sub(revs[i-1]); d != time.Second {
				t.Errorf("revision step %d = %v, want 1s", i, d)
			}
		}
		// The same TOML again is no change.
		same := "a = 3\n"
		if got, _ = s.UpdateConfig(ctx, c.ID, tc.ConfigUpdate{TOML: &same}, "u2"); got.CurrentVersion != 3 {
			t.Errorf("identical TOML recorded version %d", got.CurrentVersion)
		}
		// Later in time the revision follows the clock again.
		clock.Advance(time.Minute)
		got, err = s.SetConfigTOML(ctx, c.ID, "a = 4\n", "rollback", "u3")
		if err != nil {
			t.Fatal(err)
		}
		if want := clock.Now().Truncate(time.Second); !got.RevisionAt.Equal(want) || got.CurrentVersion != 4 {
			t.Errorf("after a minute: revision %v version %d, want %v and 4", got.RevisionAt, got.CurrentVersion, want)
		}
		// A clock set back never moves the revision backwards.
		clock.Advance(-time.Hour)
		back, err := s.SetConfigTOML(ctx, c.ID, "a = 5\n", "", "u3")
		if err != nil {
			t.Fatal(err)
		}
		if d := back.RevisionAt.Sub(got.RevisionAt); d != time.Second {
			t.Errorf("revision after the clock went back moved by %v, want 1s", d)
		}
		clock.Advance(time.Hour)
		var note, author string
		if err := s.ReadDB().QueryRow(`SELECT note, author_id FROM config_versions WHERE config_id = $1 AND version = 4`, c.ID).Scan(&note, &author); err != nil || note != "rollback" || author != "u3" {
			t.Errorf("version 4 note %q author %q err %v", note, author, err)
		}
		if len(notified) != 6 {
			t.Errorf("change notifications = %v, want 6 (create, rename, two edits, two sets)", notified)
		}
	})
}

func TestConstantChangeMovesRevision(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		clock := apptest.NewClock(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
		s := mustOpenClock(t, db, clock)
		ctx := context.Background()
		user := &tc.Config{Name: "user", TOML: `url = "::{db_url}"`}
		other := &tc.Config{Name: "other", TOML: `url = "::{dbxurl}"`}
		for _, c := range []*tc.Config{user, other} {
			if err := s.CreateConfig(ctx, c, ""); err != nil {
				t.Fatal(err)
			}
		}
		k := &tc.Constant{Name: "db_url", Value: "a"}
		if err := s.CreateConstant(ctx, k); err != nil {
			t.Fatal(err)
		}
		if len(k.Configs) != 1 || k.Configs[0].ID != user.ID {
			t.Errorf("users of db_url = %v, want only %s ('_' must not act as a wildcard)", k.Configs, user.ID)
		}
		v := "b"
		if _, err := s.UpdateConstant(ctx, "db_url", &v, nil); err != nil {
			t.Fatal(err)
		}
		u, _ := s.ConfigByID(ctx, user.ID)
		o, _ := s.ConfigByID(ctx, other.ID)
		if d := u.RevisionAt.Sub(user.RevisionAt); d != 2*time.Second {
			t.Errorf("user revision moved by %v, want 2s (create and update of the constant)", d)
		}
		if !o.RevisionAt.Equal(other.RevisionAt) {
			t.Errorf("unrelated config's revision moved")
		}
		if err := s.DeleteConstant(ctx, "db_url"); tc.ErrorCode(err) != tc.ECONFLICT {
			t.Errorf("delete used constant: err = %v, want conflict", err)
		}
	})
}

func TestDeleteConfigInUse(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		s := MustOpen(t, db)
		ctx := context.Background()
		c := &tc.Config{Name: "used", TOML: "x = 1"}
		if err := s.CreateConfig(ctx, c, ""); err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{
			`INSERT INTO agents (id, reporting_rule_id, first_seen, last_seen, status) VALUES ('a1', '` + tc.DefaultReportingRuleID + `', 0, 0, 'ok')`,
			`INSERT INTO agent_configs (agent_id, config_id) VALUES ('a1', '` + c.ID + `')`,
		} {
			if _, err := s.WithTxExec(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.DeleteConfigs(ctx, []string{c.ID}); tc.ErrorCode(err) != tc.ECONFLICT {
			t.Fatalf("delete used config: err = %v, want conflict", err)
		}
		if _, err := s.WithTxExec(ctx, `UPDATE agents SET status = 'not_reporting'`); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteConfigs(ctx, []string{c.ID}); err != nil {
			t.Fatalf("delete config used only by a silent agent: %v", err)
		}
		var links int
		s.ReadDB().QueryRow(`SELECT COUNT(*) FROM agent_configs`).Scan(&links)
		if links != 0 {
			t.Errorf("agent_configs links left: %d", links)
		}
	})
}

// TestListConfigsReadsTOMLOnlyWhenAsked checks that a listing leaves the
// TOML out unless the filter asks for it, and that on SQLite the TOML is the
// last column of a config's row, so that a listing does not walk the
// overflow pages of a large TOML to reach the columns after it.
func TestListConfigsReadsTOMLOnlyWhenAsked(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		s := MustOpen(t, db)
		ctx := context.Background()
		big := strings.Repeat("[[inputs.cpu]]\n  percpu = true\n", 20_000) // ~600 KB
		c := &tc.Config{Name: "big", Description: "d", TOML: big, CreatedBy: "u1"}
		if err := s.CreateConfig(ctx, c, ""); err != nil {
			t.Fatal(err)
		}
		f := tc.ConfigFilter{SortBy: "name", SortOrder: "asc", Page: 1, Limit: 10}
		list, total, err := s.ListConfigs(ctx, f)
		if err != nil || total != 1 || len(list) != 1 {
			t.Fatalf("ListConfigs = %d configs, total %d, %v", len(list), total, err)
		}
		got := list[0]
		if got.TOML != "" {
			t.Errorf("ListConfigs without WithTOML read %d bytes of TOML", len(got.TOML))
		}
		if got.ID != c.ID || got.Name != "big" || got.Description != "d" || got.CreatedBy != "u1" || got.CurrentVersion != 1 ||
			got.CreatedAt.UnixMilli() != c.CreatedAt.UnixMilli() || !got.RevisionAt.Equal(c.RevisionAt) {
			t.Errorf("listed config: id %s name %q description %q createdBy %q version %d createdAt %s revisionAt %s; want those of the created one",
				got.ID, got.Name, got.Description, got.CreatedBy, got.CurrentVersion, got.CreatedAt, got.RevisionAt)
		}
		f.WithTOML = true
		if list, _, err = s.ListConfigs(ctx, f); err != nil || len(list) != 1 || list[0].TOML != big {
			t.Errorf("ListConfigs with WithTOML: %d configs, TOML of %d bytes, %v; want %d bytes", len(list), len(list[0].TOML), err, len(big))
		}
		if db.Name == "sqlite" {
			if last := lastColumn(t, s, "configs"); last != "toml" {
				t.Errorf("last column of configs = %q, want toml", last)
			}
		}
	})
}

func lastColumn(tb testing.TB, s *store.Store, table string) string {
	tb.Helper()
	var name string
	if err := s.ReadDB().QueryRow(`SELECT name FROM pragma_table_info($1) ORDER BY cid DESC LIMIT 1`, table).Scan(&name); err != nil {
		tb.Fatal(err)
	}
	return name
}

// TestMigrationMovesTOMLLast opens a SQLite database created by the
// migrations before 0063 holding a config, and checks that the config reads
// back whole with its TOML moved to the end of the row.
func TestMigrationMovesTOMLLast(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	raw, err := sql.Open("sqlite", "file:"+path+"?_pragma=foreign_keys(1)")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := raw.ExecContext(ctx, q, args...); err != nil {
			t.Fatalf("%.60s: %v", q, err)
		}
	}
	exec(`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`)
	files, err := filepath.Glob("migrations/sqlite/*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("migrations: %v, %v", files, err)
	}
	for _, f := range files {
		name := filepath.Base(f)
		v, err := strconv.Atoi(name[:4])
		if err != nil {
			t.Fatal(err)
		}
		if v >= 63 {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		exec(string(b))
		exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, 0)`, v, name)
	}
	toml := "# as written\r\n[[inputs.cpu]]\n" + strings.Repeat("  percpu = true\n", 5000)
	exec(`INSERT INTO configs (id, name, description, toml, created_at, updated_at, created_by, updated_by, revision_at, current_version)
		VALUES ('c1', 'old', 'kept', $1, 1000, 2000, 'u1', 'u2', 3000, 4)`, toml)
	exec(`INSERT INTO config_versions (config_id, version, toml, note, author_id, created_at) VALUES ('c1', 4, $1, 'n', 'u2', 2000)`, toml)
	raw.Close()

	s, err := store.Open(ctx, path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c, err := s.ConfigByID(ctx, "c1")
	if err != nil {
		t.Fatal(err)
	}
	if c.TOML != toml || c.Name != "old" || c.Description != "kept" || c.CreatedBy != "u1" || c.UpdatedBy != "u2" ||
		c.CurrentVersion != 4 || c.CreatedAt.UnixMilli() != 1000 || c.UpdatedAt.UnixMilli() != 2000 || c.RevisionAt.UnixMilli() != 3000 {
		c.TOML = fmt.Sprintf("<%d bytes, same as before: %t>", len(c.TOML), c.TOML == toml)
		t.Errorf("migrated config = %+v", c)
	}
	if last := lastColumn(t, s, "configs"); last != "toml" {
		t.Errorf("last column of configs = %q, want toml", last)
	}
	if n := versionCount(t, s, "c1"); n != 1 {
		t.Errorf("versions after migration = %d, want 1", n)
	}
	// The name is still unique, case-insensitively.
	err = s.CreateConfig(ctx, &tc.Config{Name: "OLD", TOML: "a = 1\n"}, "")
	if tc.ErrorCode(err) != tc.ECONFLICT {
		t.Errorf("create of a taken name after migration: %v, want conflict", err)
	}
}
