package store_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/apptest"
	"github.com/telegrafcontroller/tc/internal/store"
)

// groupRevision is the group's Last-Modified as served.
func groupRevision(tb testing.TB, s *store.Store, id string) time.Time {
	tb.Helper()
	g, err := s.GroupForServing(context.Background(), id)
	if err != nil {
		tb.Fatal(err)
	}
	return g.RevisionAt
}

// TestGroupRevisionsStrictlyIncrease changes everything that feeds a
// group's render within one second (the clock stands still): each change
// moves the group's revision by at least a second, and the feed announces
// the group each time.
func TestGroupRevisionsStrictlyIncrease(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		clock := apptest.NewClock(time.Date(2026, 1, 2, 3, 4, 5, 250e6, time.UTC))
		s, ctx := auditStore(t, db, clock)
		var announced []tc.Change
		s.Subscribe(func(c tc.Change) {
			if c.Entity == tc.EntityConfigGroup || c.Entity == tc.EntityAlias {
				announced = append(announced, c)
			}
		})
		if err := s.CreateConstant(ctx, &tc.Constant{Name: "dc", Value: "fra"}); err != nil {
			t.Fatal(err)
		}
		a := &tc.Config{Name: "a", TOML: "x = \"::{dc}\"\n"}
		b := &tc.Config{Name: "b", TOML: "y = 1\n"}
		other := &tc.Config{Name: "other", TOML: "z = 1\n"}
		for _, c := range []*tc.Config{a, b, other} {
			if err := s.CreateConfig(ctx, c, ""); err != nil {
				t.Fatal(err)
			}
		}
		g := &tc.ConfigGroup{Name: "g", Members: []tc.ConfigRef{{ID: a.ID}, {ID: b.ID}}}
		if err := s.CreateConfigGroup(ctx, g); err != nil {
			t.Fatal(err)
		}
		if want := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC); !g.RevisionAt.Equal(want) {
			t.Errorf("revision at create = %v, want %v", g.RevisionAt, want)
		}
		prev := g.RevisionAt
		step := func(what string, moves bool, change func() error) {
			t.Helper()
			announced = nil
			if err := change(); err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			got := groupRevision(t, s, g.ID)
			switch {
			case moves && !got.After(prev):
				t.Errorf("after %s: revision %v, not after %v", what, got, prev)
			case !moves && !got.Equal(prev):
				t.Errorf("after %s: revision %v, want %v unchanged", what, got, prev)
			}
			if moves && !slices.ContainsFunc(announced, func(c tc.Change) bool { return c.Entity == tc.EntityConfigGroup && slices.Contains(c.IDs, g.ID) }) {
				t.Errorf("after %s: group not announced (%v)", what, announced)
			}
			prev = got
		}
		toml := func(id, v string) func() error {
			return func() error { _, err := s.UpdateConfig(ctx, id, tc.ConfigUpdate{TOML: &v}, "u1"); return err }
		}
		step("a member's TOML", true, toml(b.ID, "y = 2\n"))
		step("the same member again, same second", true, toml(b.ID, "y = 3\n"))
		step("a constant a member uses", true, func() error { v := "ber"; _, err := s.UpdateConstant(ctx, "dc", &v, nil); return err })
		step("a member's rollback", true, func() error { _, err := s.SetConfigTOML(ctx, a.ID, "x = 0\n", "back", "u1"); return err })
		step("a member's name", true, func() error {
			n := "a2"
			_, err := s.UpdateConfig(ctx, a.ID, tc.ConfigUpdate{Name: &n}, "u1")
			return err
		})
		step("the order", true, func() error {
			ids := []string{b.ID, a.ID}
			_, err := s.UpdateConfigGroup(ctx, g.ID, tc.ConfigGroupUpdate{MemberIDs: &ids}, "u1")
			return err
		})
		step("a config outside the group", false, toml(other.ID, "z = 2\n"))
		step("the description", false, func() error {
			d := "new"
			_, err := s.UpdateConfigGroup(ctx, g.ID, tc.ConfigGroupUpdate{Description: &d}, "u1")
			return err
		})
		step("an alias transferred onto it", true, func() error {
			if _, err := s.CreateAlias(ctx, "web", tc.AliasConfig, other.ID, "u1"); err != nil {
				return err
			}
			_, err := s.TransferAlias(ctx, "web", tc.AliasGroup, g.ID)
			return err
		})
		step("a member deleted", true, func() error { return s.DeleteConfigs(ctx, []string{b.ID}) })
		got, err := s.ConfigGroupByID(ctx, g.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Members) != 1 || got.Members[0].ID != a.ID || got.Members[0].Name != "a2" {
			t.Errorf("members after delete: %+v", got.Members)
		}

		// The audit log has the group's and the alias's changes.
		var actions []string
		if err := s.EachAuditEntry(ctx, tc.AuditFilter{}, func(e tc.AuditEntry) error {
			if strings.HasPrefix(e.Action, "config-group.") || strings.HasPrefix(e.Action, "alias.") {
				actions = append(actions, e.Action)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"config-group.create", "config-group.render", "config-group.update", "alias.create", "alias.transfer"} {
			if !slices.Contains(actions, want) {
				t.Errorf("audit actions %v lack %s", actions, want)
			}
		}
		if v := mustVerify(t, s); !v.OK {
			t.Errorf("audit chain: %+v", v)
		}
	})
}

// TestAliasStore: one namespace across kinds, transfer moves Last-Modified
// past the old target's, deleting a config or a group deletes its aliases
// (announced), and agents are counted by the refs their heartbeats name.
func TestAliasStore(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		clock := apptest.NewClock(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
		s, ctx := auditStore(t, db, clock)
		var deleted []string
		s.Subscribe(func(c tc.Change) {
			if c.Entity == tc.EntityAlias && c.Op == tc.OpDelete {
				deleted = append(deleted, c.IDs...)
			}
		})
		cfg := &tc.Config{Name: "c", TOML: "a = 1\n"}
		if err := s.CreateConfig(ctx, cfg, ""); err != nil {
			t.Fatal(err)
		}
		g := &tc.ConfigGroup{Name: "g"}
		if err := s.CreateConfigGroup(ctx, g); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateAlias(ctx, "one", tc.AliasConfig, cfg.ID, "u1"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateAlias(ctx, "one", tc.AliasGroup, g.ID, "u1"); tc.ErrorCode(err) != tc.ECONFLICT {
			t.Errorf("same alias on a group: %v, want conflict", err)
		}
		if _, err := s.CreateAlias(ctx, "two", tc.AliasGroup, "missing", "u1"); tc.ErrorCode(err) != tc.ENOTFOUND {
			t.Errorf("alias of a missing group: %v, want not found", err)
		}
		// The config's revision is ahead of the group's (edited twice in a
		// second): the transfer must still move the alias's Last-Modified on.
		for _, v := range []string{"a = 2\n", "a = 3\n", "a = 4\n"} {
			if _, err := s.UpdateConfig(ctx, cfg.ID, tc.ConfigUpdate{TOML: &v}, "u1"); err != nil {
				t.Fatal(err)
			}
		}
		c, _ := s.ConfigForServing(ctx, cfg.ID)
		from, err := s.TransferAlias(ctx, "one", tc.AliasGroup, g.ID)
		if err != nil {
			t.Fatal(err)
		}
		if from.Kind != tc.AliasConfig || from.TargetID != cfg.ID {
			t.Errorf("transfer from = %+v", from)
		}
		if got := groupRevision(t, s, g.ID); !got.After(c.RevisionAt) {
			t.Errorf("group revision after transfer %v, not after the config's %v", got, c.RevisionAt)
		}
		a, err := s.AliasByName(ctx, "one")
		if err != nil || a.Kind != tc.AliasGroup || a.TargetID != g.ID {
			t.Fatalf("alias after transfer: %+v, %v", a, err)
		}
		// Between two configs: one column changes (PostgreSQL refused
		// assigning it twice in one UPDATE).
		cfg2 := &tc.Config{Name: "c2", TOML: "a = 1\n"}
		if err := s.CreateConfig(ctx, cfg2, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateAlias(ctx, "same-kind", tc.AliasConfig, cfg.ID, "u1"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.TransferAlias(ctx, "same-kind", tc.AliasConfig, cfg2.ID); err != nil {
			t.Fatalf("transfer between configs: %v", err)
		}
		if a, err := s.AliasByName(ctx, "same-kind"); err != nil || a.TargetID != cfg2.ID {
			t.Fatalf("alias after a transfer between configs: %+v, %v", a, err)
		}
		if _, err := s.TransferAlias(ctx, "same-kind", tc.AliasConfig, cfg.ID); err != nil {
			t.Fatalf("transfer back: %v", err)
		}

		// Agents naming the alias or the group's id in their config URLs.
		err = s.WriteHeartbeats(ctx, []store.HeartbeatWrite{
			{AgentBeat: &tc.AgentBeat{ID: "a1", Version: "Telegraf 1.39.3", Status: tc.AgentUndefined, LastSeen: clock.Now(), FirstSeen: clock.Now(), HasConfigs: true,
				Configs: []string{"http://tc/c/one?x=1"}}, WriteLinks: true},
			{AgentBeat: &tc.AgentBeat{ID: "a2", Version: "Telegraf 1.39.3", Status: tc.AgentUndefined, LastSeen: clock.Now(), FirstSeen: clock.Now(), HasConfigs: true,
				Configs: []string{"http://tc/api/config-groups/" + g.ID + "/toml"}}, WriteLinks: true},
		})
		if err != nil {
			t.Fatal(err)
		}
		if n, ids, err := s.AgentsUsingRefs(ctx, []string{"one"}, 10); n != 1 || len(ids) != 1 || ids[0] != "a1" || err != nil {
			t.Errorf("agents using alias one: %d %v %v", n, ids, err)
		}
		if n, _, err := s.AgentsUsingRefs(ctx, []string{g.ID, "one"}, 10); n != 2 || err != nil {
			t.Errorf("agents using the group: %d %v", n, err)
		}
		// An agent that stops naming it stops counting.
		err = s.WriteHeartbeats(ctx, []store.HeartbeatWrite{
			{AgentBeat: &tc.AgentBeat{ID: "a1", Version: "Telegraf 1.39.3", Status: tc.AgentUndefined, LastSeen: clock.Now().Add(time.Second), FirstSeen: clock.Now(), HasConfigs: true,
				Configs: []string{"/etc/telegraf/telegraf.conf"}}, WriteLinks: true},
		})
		if err != nil {
			t.Fatal(err)
		}
		if n, _, _ := s.AgentsUsingRefs(ctx, []string{"one"}, 10); n != 0 {
			t.Errorf("agents using alias one after a1 moved: %d", n)
		}

		// Deleting the group deletes its alias; deleting the config its own.
		if _, err := s.CreateAlias(ctx, "two", tc.AliasConfig, cfg.ID, "u1"); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteConfigGroup(ctx, g.ID); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteConfigs(ctx, []string{cfg.ID}); err != nil {
			t.Fatal(err)
		}
		if slices.Sort(deleted); strings.Join(deleted, ",") != "one,same-kind,two" {
			t.Errorf("aliases announced deleted = %v", deleted)
		}
		if m, err := s.AliasTargets(ctx); err != nil || len(m) != 0 {
			t.Errorf("aliases left: %v %v", m, err)
		}
	})
}
