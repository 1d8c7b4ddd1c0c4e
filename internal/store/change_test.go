package store_test

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/apptest"
	"github.com/telegrafcontroller/tc/internal/store"
)

// feedRecorder collects what a store's change feed delivers.
type feedRecorder struct {
	mu      sync.Mutex
	changes []tc.Change
}

func (r *feedRecorder) add(c tc.Change) { r.mu.Lock(); r.changes = append(r.changes, c); r.mu.Unlock() }

// take returns what was delivered since the last take.
func (r *feedRecorder) take() []tc.Change {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.changes
	r.changes = nil
	return out
}

// want is a change without its actor and time, which TestChangeFeed checks apart.
type want struct {
	entity tc.Entity
	op     tc.Op
	ids    []string
}

func TestChangeFeed(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		clock := apptest.NewClock(time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC))
		s := mustOpenClock(t, db, clock)
		rec := &feedRecorder{}
		s.Subscribe(rec.add)
		actor := &tc.User{ID: "actor-user"}
		ctx := tc.NewContextWithCaller(context.Background(), &tc.Caller{User: actor, Token: &tc.Token{ID: "actor-token"}})

		// expect checks what the last steps delivered, in order, each
		// made by the caller in ctx at the clock's time.
		expect := func(t *testing.T, step string, wants ...want) {
			t.Helper()
			got := rec.take()
			if len(got) != len(wants) {
				t.Fatalf("%s: delivered %+v, want %d changes %+v", step, got, len(wants), wants)
			}
			for i, w := range wants {
				c := got[i]
				if c.Entity != w.entity || c.Op != w.op || !reflect.DeepEqual(c.IDs, w.ids) {
					t.Errorf("%s: change %d = %s %s %v, want %s %s %v", step, i, c.Entity, c.Op, c.IDs, w.entity, w.op, w.ids)
				}
				if c.ActorUserID != actor.ID || c.ActorTokenID != "actor-token" {
					t.Errorf("%s: change %d actor = %q/%q, want %q/%q", step, i, c.ActorUserID, c.ActorTokenID, actor.ID, "actor-token")
				}
				if !c.At.Equal(clock.Now()) {
					t.Errorf("%s: change %d at %v, want %v", step, i, c.At, clock.Now())
				}
			}
		}
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}

		// Users, sessions, tokens.
		u := &tc.User{Username: "feeder", Email: "feeder@example.test", Role: tc.RoleAdministrator}
		must(s.CreateUser(ctx, u))
		expect(t, "create user", want{tc.EntityUser, tc.OpCreate, []string{u.ID}})
		_, err := s.CreateSession(ctx, u.ID, "hash-1", clock.Now().Add(time.Hour), "", "")
		must(err)
		expect(t, "create session", want{tc.EntitySession, tc.OpCreate, []string{u.ID}})
		secret := tc.NewTokenSecret()
		tok := &tc.Token{UserID: u.ID, Permissions: []tc.Permission{"configs:read"}, Hash: tc.HashSecret(secret), Last4: tc.TokenLast4(secret)}
		must(s.CreateToken(ctx, tok))
		expect(t, "create token", want{tc.EntityToken, tc.OpCreate, []string{tok.ID}})
		disabled := true
		_, _, err = s.UpdateUser(ctx, u.ID, store.UserPatch{Disabled: &disabled}, nil)
		must(err)
		expect(t, "disable user", want{tc.EntityUser, tc.OpUpdate, []string{u.ID}}, want{tc.EntitySession, tc.OpDelete, []string{u.ID}})
		viewer, enabled := tc.RoleViewer, false
		_, _, err = s.UpdateUser(ctx, u.ID, store.UserPatch{Role: &viewer, Disabled: &enabled}, nil)
		must(err)
		expect(t, "make viewer", want{tc.EntityToken, tc.OpRevoke, []string{tok.ID}}, want{tc.EntityUser, tc.OpUpdate, []string{u.ID}})
		_, _, err = s.UpdateUser(ctx, u.ID, store.UserPatch{Role: &viewer}, nil)
		must(err)
		expect(t, "no change")
		name := "feeder2"
		_, err = s.UpdateAccount(ctx, u.ID, &name, nil)
		must(err)
		expect(t, "update account", want{tc.EntityUser, tc.OpUpdate, []string{u.ID}})
		_, err = s.CreateSession(ctx, u.ID, "hash-2", clock.Now().Add(time.Hour), "", "")
		must(err)
		rec.take()
		must(s.SetPassword(ctx, u.ID, "new-hash", ""))
		expect(t, "set password", want{tc.EntityUser, tc.OpPassword, []string{u.ID}}, want{tc.EntitySession, tc.OpDelete, []string{u.ID}})
		_, err = s.CreateSession(ctx, u.ID, "hash-3", clock.Now().Add(time.Hour), "", "")
		must(err)
		rec.take()
		must(s.DeleteSession(ctx, "hash-3"))
		expect(t, "sign out", want{tc.EntitySession, tc.OpDelete, []string{u.ID}})
		must(s.DeleteSession(ctx, "hash-3"))
		expect(t, "sign out again")

		admin := &tc.User{Username: "boss", Email: "boss@example.test", Role: tc.RoleAdministrator}
		must(s.CreateUser(ctx, admin))
		rec.take()
		secret = tc.NewTokenSecret()
		tok = &tc.Token{UserID: admin.ID, Permissions: []tc.Permission{"configs:read"}, Hash: tc.HashSecret(secret), Last4: tc.TokenLast4(secret)}
		must(s.CreateToken(ctx, tok))
		rec.take()
		other := &tc.User{Username: "other", Email: "other@example.test", Role: tc.RoleManager}
		must(s.CreateUser(ctx, other))
		rec.take()
		_, err = s.ReassignToken(ctx, tok.ID, other.ID, nil)
		must(err)
		expect(t, "reassign token", want{tc.EntityToken, tc.OpReassign, []string{tok.ID}})
		_, err = s.RevokeToken(ctx, tok.ID, "")
		must(err)
		expect(t, "revoke token", want{tc.EntityToken, tc.OpRevoke, []string{tok.ID}})
		_, err = s.RevokeToken(ctx, tok.ID, "")
		if tc.ErrorCode(err) != tc.ECONFLICT {
			t.Fatalf("revoke twice: %v", err)
		}
		expect(t, "refused revoke")
		must(s.DeleteToken(ctx, tok.ID, ""))
		expect(t, "delete token", want{tc.EntityToken, tc.OpDelete, []string{tok.ID}})
		if err := s.DeleteUser(ctx, other.ID, func(*tc.User) error { return tc.Errorf(tc.EFORBIDDEN, "no") }); tc.ErrorCode(err) != tc.EFORBIDDEN {
			t.Fatalf("refused delete: %v", err)
		}
		expect(t, "refused delete")
		must(s.DeleteUser(ctx, other.ID, nil))
		expect(t, "delete user", want{tc.EntityUser, tc.OpDelete, []string{other.ID}})

		// Settings.
		_, err = s.UpdateSettings(ctx, func(v *tc.Settings) { v.LoginLockoutAttempts = 7 })
		must(err)
		expect(t, "settings", want{tc.EntitySettings, tc.OpUpdate, nil})

		// Configs, their versions, constants.
		c := &tc.Config{Name: "feed", TOML: `url = "::{feed_url}"`}
		must(s.CreateConfig(ctx, c, ""))
		expect(t, "create config", want{tc.EntityConfig, tc.OpCreate, []string{c.ID}})
		for i := range 3 {
			body := fmt.Sprintf("url = \"::{feed_url}\"\n# %d\n", i)
			_, err = s.UpdateConfig(ctx, c.ID, tc.ConfigUpdate{TOML: &body}, actor.ID)
			must(err)
		}
		expect(t, "edit config three times", want{tc.EntityConfig, tc.OpUpdate, []string{c.ID}},
			want{tc.EntityConfig, tc.OpUpdate, []string{c.ID}}, want{tc.EntityConfig, tc.OpUpdate, []string{c.ID}})
		_, err = s.RollbackConfig(ctx, c.ID, 1, "back", actor.ID)
		must(err)
		expect(t, "roll back config", want{tc.EntityConfig, tc.OpRollback, []string{c.ID}})
		_, err = s.SetConfigVersionNote(ctx, c.ID, 2, "noted")
		must(err)
		expect(t, "note version", want{tc.EntityConfigVersion, tc.OpUpdate, []string{c.ID + "/2"}})
		must(s.DeleteConfigVersion(ctx, c.ID, 2))
		expect(t, "delete version", want{tc.EntityConfigVersion, tc.OpDelete, []string{c.ID + "/2"}})
		n, err := s.PruneConfigVersions(ctx, c.ID, 5, time.Time{})
		must(err)
		if n != 3 {
			t.Errorf("pruned %d versions, want 3", n)
		}
		if got := rec.take(); len(got) != 1 || got[0].Entity != tc.EntityConfigVersion || got[0].Op != tc.OpDelete ||
			!sameStrings(got[0].IDs, []string{c.ID + "/1", c.ID + "/3", c.ID + "/4"}) {
			t.Errorf("prune versions: delivered %+v", got)
		}
		k := &tc.Constant{Name: "feed_url", Value: "a"}
		must(s.CreateConstant(ctx, k))
		expect(t, "create constant", want{tc.EntityConstant, tc.OpCreate, []string{"feed_url"}}, want{tc.EntityConfig, tc.OpRender, []string{c.ID}})
		v := "b"
		_, err = s.UpdateConstant(ctx, "feed_url", &v, nil)
		must(err)
		expect(t, "change constant", want{tc.EntityConstant, tc.OpUpdate, []string{"feed_url"}}, want{tc.EntityConfig, tc.OpRender, []string{c.ID}})
		d := "described"
		_, err = s.UpdateConstant(ctx, "feed_url", nil, &d)
		must(err)
		expect(t, "describe constant", want{tc.EntityConstant, tc.OpUpdate, []string{"feed_url"}})
		must(s.CreateConstant(ctx, &tc.Constant{Name: "unused", Value: "x"}))
		expect(t, "create unused constant", want{tc.EntityConstant, tc.OpCreate, []string{"unused"}})
		must(s.DeleteConstant(ctx, "unused"))
		expect(t, "delete constant", want{tc.EntityConstant, tc.OpDelete, []string{"unused"}})

		// Labels, reporting rules, agents.
		l := &tc.Label{Name: "feed", Color: "#123456"}
		must(s.CreateLabel(ctx, l))
		expect(t, "create label", want{tc.EntityLabel, tc.OpCreate, []string{l.ID}})
		lname := "feed2"
		_, err = s.UpdateLabel(ctx, l.ID, store.LabelUpdate{Name: &lname})
		must(err)
		expect(t, "update label", want{tc.EntityLabel, tc.OpUpdate, []string{l.ID}})
		r := &tc.ReportingRule{Name: "feed", NotReportingAfterSeconds: 60}
		must(s.CreateReportingRule(ctx, r))
		expect(t, "create rule", want{tc.EntityReportingRule, tc.OpCreate, []string{r.ID}})
		makeDefault := func(r *tc.ReportingRule) error { r.IsDefault = true; return nil }
		_, err = s.UpdateReportingRule(ctx, r.ID, makeDefault)
		must(err)
		expect(t, "make rule default", want{tc.EntityReportingRule, tc.OpUpdate, []string{tc.DefaultReportingRuleID}},
			want{tc.EntityReportingRule, tc.OpUpdate, []string{r.ID}})
		_, err = s.UpdateReportingRule(ctx, tc.DefaultReportingRuleID, makeDefault)
		must(err)
		rec.take()
		// A transaction that announced a change and then failed delivers
		// nothing: here the previous default was cleared before the name
		// turned out to be taken.
		if err := s.CreateReportingRule(ctx, &tc.ReportingRule{Name: "feed", NotReportingAfterSeconds: 60, IsDefault: true}); tc.ErrorCode(err) != tc.ECONFLICT {
			t.Fatalf("duplicate rule: %v", err)
		}
		expect(t, "rolled back")
		must(s.InsertAgents(ctx, []*tc.Agent{{ID: "a1"}, {ID: "a2"}, {ID: "a3"}}))
		expect(t, "insert agents (seeding, not a change)")
		_, err = s.BulkAgents(ctx, store.BulkAddLabel, []string{"a1", "nope", "a2"}, l.ID, "labelId")
		must(err)
		expect(t, "bulk label agents", want{tc.EntityAgent, tc.OpUpdate, []string{"a1", "a2"}})
		must(s.UpdateAgent(ctx, "a3", tc.AgentUpdate{ReportingRuleID: &r.ID}))
		expect(t, "update agent", want{tc.EntityAgent, tc.OpUpdate, []string{"a3"}})
		must(s.DeleteReportingRule(ctx, r.ID))
		expect(t, "delete rule", want{tc.EntityReportingRule, tc.OpDelete, []string{r.ID}})
		must(s.DeleteLabel(ctx, l.ID))
		expect(t, "delete label", want{tc.EntityLabel, tc.OpDelete, []string{l.ID}})
		must(s.DeleteAgent(ctx, "a3"))
		expect(t, "delete agent", want{tc.EntityAgent, tc.OpDelete, []string{"a3"}})
		_, err = s.BulkAgents(ctx, store.BulkDelete, []string{"a1", "a2"}, "", "")
		must(err)
		expect(t, "bulk delete agents", want{tc.EntityAgent, tc.OpDelete, []string{"a1", "a2"}})
		must(s.DeleteConfigs(ctx, []string{c.ID}))
		expect(t, "delete config", want{tc.EntityConfig, tc.OpDelete, []string{c.ID}})

		// Telemetry is not a change.
		must(s.TouchTokens(ctx, map[string]time.Time{tok.ID: clock.Now()}))
		must(s.TouchSession(ctx, "hash-2", clock.Now()))
		expect(t, "telemetry")

		// Without a caller (the server itself), a change has no actor.
		must(s.CreateLabel(context.Background(), &tc.Label{Name: "anonymous", Color: "#000000"}))
		if got := rec.take(); len(got) != 1 || got[0].ActorUserID != "" || got[0].ActorTokenID != "" {
			t.Errorf("change without a caller: %+v", got)
		}
	})
}

func sameStrings(a, b []string) bool {
	a, b = slices.Sorted(slices.Values(a)), slices.Sorted(slices.Values(b))
	return slices.Equal(a, b)
}

// TestChangeFeedOrder has writers race to change one config: the database
// orders their commits (each records the next version), and each delivery
// must come after its own commit and before the next one, so the version a
// subscriber reads when told counts up by one at every change.
func TestChangeFeedOrder(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		s := MustOpen(t, db)
		ctx := context.Background()
		c := &tc.Config{Name: "raced", TOML: "x = 0"}
		if err := s.CreateConfig(ctx, c, ""); err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		var seen []int
		s.Subscribe(func(ch tc.Change) {
			if ch.Entity != tc.EntityConfig {
				return
			}
			v, err := s.ConfigCurrentVersion(ctx, c.ID)
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			seen = append(seen, v)
			mu.Unlock()
		})
		const writers, each = 6, 5
		var wg sync.WaitGroup
		for w := range writers {
			wg.Go(func() {
				for i := range each {
					body := fmt.Sprintf("x = %d", w*each+i+1)
					if _, err := s.UpdateConfig(ctx, c.ID, tc.ConfigUpdate{TOML: &body}, ""); err != nil {
						t.Error(err)
					}
				}
			})
		}
		wg.Wait()
		if len(seen) != writers*each {
			t.Fatalf("delivered %d changes, want %d", len(seen), writers*each)
		}
		for i, v := range seen {
			if v != i+2 {
				t.Fatalf("delivery %d saw version %d, want %d (deliveries out of commit order): %v", i, v, i+2, seen)
			}
		}
	})
}

// TestDropSettings checks the settings cache's subscription: a change the
// store did not make itself (another node's) is read at the next use once
// the cache is dropped, and not before.
func TestDropSettings(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		s := MustOpen(t, db)
		ctx := context.Background()
		if err := s.InitSettings(ctx, tc.DefaultSettings); err != nil {
			t.Fatal(err)
		}
		before := s.Settings().LoginLockoutAttempts
		if _, err := s.WithTxExec(ctx, `UPDATE settings SET value = $1 WHERE key = 'loginLockoutAttempts'`, fmt.Sprint(before+4)); err != nil {
			t.Fatal(err)
		}
		if got := s.Settings().LoginLockoutAttempts; got != before {
			t.Fatalf("settings read the database without being dropped: %d", got)
		}
		s.DropSettings()
		if got := s.Settings().LoginLockoutAttempts; got != before+4 {
			t.Errorf("after DropSettings: attempts = %d, want %d", got, before+4)
		}
	})
}
