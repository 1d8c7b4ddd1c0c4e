package api_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/apptest"
)

// TestConfigGroupsAliasesRoles walks config groups, their TOML, the aliases
// of configs and groups and the short URL as every role, signed in with a
// session: viewers read, managers and above write and delete, nobody gets
// in without credentials.
func TestConfigGroupsAliasesRoles(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db)
		ctx := context.Background()
		var seq atomic.Int64
		name := func(prefix string) string { return fmt.Sprintf("%s%d", prefix, seq.Add(1)) }
		newConfig := func(tb testing.TB) *tc.Config {
			c := &tc.Config{Name: name("walk-"), TOML: "[[inputs.cpu]]\n"}
			if err := inst.Store.CreateConfig(ctx, c, ""); err != nil {
				tb.Fatal(err)
			}
			return c
		}
		newGroup := func(tb testing.TB) *tc.ConfigGroup {
			g := &tc.ConfigGroup{Name: name("group-")}
			if err := inst.Store.CreateConfigGroup(ctx, g); err != nil {
				tb.Fatal(err)
			}
			return g
		}
		newAlias := func(tb testing.TB, kind, id string) string {
			a := name("alias-")
			if _, err := inst.Store.CreateAlias(ctx, a, kind, id, ""); err != nil {
				tb.Fatal(err)
			}
			return a
		}
		c := newConfig(t)
		g := newGroup(t)
		if _, err := inst.Store.UpdateConfigGroup(ctx, g.ID, tc.ConfigGroupUpdate{MemberIDs: &[]string{c.ID}}, ""); err != nil {
			t.Fatal(err)
		}
		groupAlias, configAlias := newAlias(t, tc.AliasGroup, g.ID), newAlias(t, tc.AliasConfig, c.ID)
		read := apptest.Statuses(200, 200, 200, 200, 401)
		write := apptest.Statuses(200, 200, 200, 403, 401)
		created := apptest.Statuses(201, 201, 201, 403, 401)
		deleted := apptest.Statuses(204, 204, 204, 403, 401)
		fresh := func(f func(tb testing.TB) (string, any)) func(testing.TB, *apptest.Instance, *tc.User) (string, any) {
			return func(tb testing.TB, _ *apptest.Instance, _ *tc.User) (string, any) { return f(tb) }
		}
		rows := []apptest.RoleRow{
			{Method: "GET", Path: "/api/config-groups", Want: read},
			{Method: "POST", Path: "/api/config-groups", Want: created, Fresh: fresh(func(testing.TB) (string, any) {
				return "/api/config-groups", map[string]any{"name": name("new-"), "memberIds": []string{c.ID}}
			})},
			{Method: "POST", Path: "/api/config-groups/merge", Body: map[string]any{"memberIds": []string{c.ID}}, Want: read},
			{Method: "GET", Path: "/api/config-groups/" + g.ID, Want: read},
			{Method: "GET", Path: "/api/config-groups/" + groupAlias + "?via=alias", Want: read},
			{Method: "PATCH", Path: "/api/config-groups/" + g.ID, Want: write, Fresh: fresh(func(testing.TB) (string, any) {
				return "/api/config-groups/" + g.ID, map[string]string{"description": name("d-")}
			})},
			{Method: "DELETE", Path: "/api/config-groups/{id}", Want: deleted, Fresh: fresh(func(tb testing.TB) (string, any) {
				return "/api/config-groups/" + newGroup(tb).ID, nil
			})},
			{Method: "GET", Path: "/api/config-groups/" + g.ID + "/toml", Want: read},
			{Method: "HEAD", Path: "/api/config-groups/" + g.ID + "/toml", Want: read},
			{Method: "GET", Path: "/api/config-groups/" + g.ID + "/aliases", Want: read},
			{Method: "POST", Path: "/api/config-groups/{id}/aliases", Want: created, Fresh: fresh(func(testing.TB) (string, any) {
				return "/api/config-groups/" + g.ID + "/aliases", map[string]string{"alias": name("new-alias-")}
			})},
			{Method: "DELETE", Path: "/api/config-groups/{id}/aliases/{alias}", Want: deleted, Fresh: fresh(func(tb testing.TB) (string, any) {
				return "/api/config-groups/" + g.ID + "/aliases/" + newAlias(tb, tc.AliasGroup, g.ID), nil
			})},
			{Method: "GET", Path: "/api/configs/" + c.ID + "/aliases", Want: read},
			{Method: "POST", Path: "/api/configs/{id}/aliases", Want: created, Fresh: fresh(func(testing.TB) (string, any) {
				return "/api/configs/" + c.ID + "/aliases", map[string]string{"alias": name("new-alias-")}
			})},
			{Method: "DELETE", Path: "/api/configs/{id}/aliases/{alias}", Want: deleted, Fresh: fresh(func(tb testing.TB) (string, any) {
				return "/api/configs/" + c.ID + "/aliases/" + newAlias(tb, tc.AliasConfig, c.ID), nil
			})},
			{Method: "GET", Path: "/c/" + groupAlias, Want: read},
			{Method: "HEAD", Path: "/c/" + configAlias, Want: read},
		}
		inst.RequireRowsCover(t, rows, "/api/config-groups", "/c/")
		inst.WalkRoles(t, rows)
	})
}
