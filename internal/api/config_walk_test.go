package api_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/apptest"
)

// TestConfigsLabelsConstantsRoles walks configs, their TOML, labels and
// constants as every role, signed in with a session: viewers read, managers
// and above write and delete, nobody gets in without credentials.
func TestConfigsLabelsConstantsRoles(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db)
		ctx := context.Background()
		var seq atomic.Int64
		name := func(prefix string) string { return fmt.Sprintf("%s%d", prefix, seq.Add(1)) }
		newConfig := func(tb testing.TB) *tc.Config {
			c := &tc.Config{Name: name("walk-"), TOML: "[agent]\n"}
			if err := inst.Store.CreateConfig(ctx, c, ""); err != nil {
				tb.Fatal(err)
			}
			return c
		}
		newLabel := func(tb testing.TB) *tc.Label {
			l := &tc.Label{Name: name("label-"), Color: "#123456"}
			if err := inst.Store.CreateLabel(ctx, l); err != nil {
				tb.Fatal(err)
			}
			return l
		}
		newConstant := func(tb testing.TB) *tc.Constant {
			k := &tc.Constant{Name: name("k_"), Value: "v"}
			if err := inst.Store.CreateConstant(ctx, k); err != nil {
				tb.Fatal(err)
			}
			return k
		}
		c, l, k := newConfig(t), newLabel(t), newConstant(t)
		read := apptest.Statuses(200, 200, 200, 200, 401)
		write := apptest.Statuses(200, 200, 200, 403, 401)
		created := apptest.Statuses(201, 201, 201, 403, 401)
		deleted := apptest.Statuses(204, 204, 204, 403, 401)
		fresh := func(f func(tb testing.TB) (string, any)) func(testing.TB, *apptest.Instance, *tc.User) (string, any) {
			return func(tb testing.TB, _ *apptest.Instance, _ *tc.User) (string, any) { return f(tb) }
		}
		rows := []apptest.RoleRow{
			{Method: "GET", Path: "/api/configs", Want: read},
			{Method: "POST", Path: "/api/configs", Want: created, Fresh: fresh(func(testing.TB) (string, any) {
				return "/api/configs", map[string]string{"name": name("new-")}
			})},
			{Method: "POST", Path: "/api/configs/bulk-delete", Want: write, Fresh: fresh(func(tb testing.TB) (string, any) {
				return "/api/configs/bulk-delete", map[string][]string{"ids": {newConfig(tb).ID}}
			})},
			{Method: "GET", Path: "/api/configs/" + c.ID, Want: read},
			// A new description each time: an update that changes nothing
			// writes no audit entry, and the walk checks that one is written.
			{Method: "PATCH", Path: "/api/configs/" + c.ID, Want: write, Fresh: fresh(func(testing.TB) (string, any) {
				return "/api/configs/" + c.ID, map[string]string{"description": name("d-")}
			})},
			{Method: "DELETE", Path: "/api/configs/{id}", Want: deleted, Fresh: fresh(func(tb testing.TB) (string, any) {
				return "/api/configs/" + newConfig(tb).ID, nil
			})},
			{Method: "GET", Path: "/api/configs/" + c.ID + "/toml", Want: read},
			// Agents per version of a config: an agents:read route.
			{Method: "GET", Path: "/api/configs/" + c.ID + "/agent-versions", Want: read},
			{Method: "GET", Path: "/api/labels", Want: read},
			{Method: "POST", Path: "/api/labels", Want: created, Fresh: fresh(func(testing.TB) (string, any) {
				return "/api/labels", map[string]string{"name": name("l-"), "color": "#abcdef"}
			})},
			{Method: "PATCH", Path: "/api/labels/" + l.ID, Body: map[string]string{"description": "d"}, Want: write},
			{Method: "DELETE", Path: "/api/labels/{id}", Want: deleted, Fresh: fresh(func(tb testing.TB) (string, any) {
				return "/api/labels/" + newLabel(tb).ID, nil
			})},
			{Method: "GET", Path: "/api/constants", Want: read},
			{Method: "POST", Path: "/api/constants", Want: created, Fresh: fresh(func(testing.TB) (string, any) {
				return "/api/constants", map[string]string{"name": name("c_"), "value": "x"}
			})},
			{Method: "PATCH", Path: "/api/constants/" + k.Name, Body: map[string]string{"value": "w"}, Want: write},
			{Method: "DELETE", Path: "/api/constants/{name}", Want: deleted, Fresh: fresh(func(tb testing.TB) (string, any) {
				return "/api/constants/" + newConstant(tb).Name, nil
			})},
		}
		// Config routes share their prefix with configs-author's (validation,
		// versions), walked in config_version_test.go.
		inst.RequireRowsCover(t, rows, "/api/labels", "/api/constants")
		inst.WalkRoles(t, rows)
	})
}
