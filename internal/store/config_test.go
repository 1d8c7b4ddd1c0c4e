package store_test

import (
	"context"
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
		s.OnConfigChange(func(ids []string) { notified = append(notified, ids...) })

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
