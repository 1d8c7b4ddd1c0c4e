package app_test

import (
	"context"
	"net/url"
	"slices"
	"testing"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/apptest"
)

// TestSearchScope checks that GET /api/search lists only the kinds its
// caller may read, and other users' tokens only to those who manage them.
func TestSearchScope(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db)
		ownerTok := inst.MustToken(t, inst.MustOwner(t), tc.AllPermissions...)
		create := func(path string, body map[string]any) {
			apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: path, Token: ownerTok, Body: body}), 201)
		}
		create("/api/configs", map[string]any{"name": "zeta config", "toml": "[[inputs.cpu]]\n"})
		create("/api/labels", map[string]any{"name": "zeta label", "color": "#123456"})
		create("/api/tokens", map[string]any{"description": "zeta owner token", "preset": "telegraf-agent"})
		if err := inst.Store.InsertAgents(context.Background(), []*tc.Agent{{ID: "zeta-agent", Hostname: "h"}}); err != nil {
			t.Fatal(err)
		}
		manager := inst.MustUser(t, tc.RoleManager)

		find := func(token, q string) []string {
			t.Helper()
			var body struct {
				Results []struct{ Kind, ID, Name string } `json:"results"`
			}
			apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/search?q=" + url.QueryEscape(q), Token: token}), 200).JSON(t, &body)
			var out []string
			for _, r := range body.Results {
				out = append(out, r.Kind+":"+r.Name)
			}
			return out
		}
		for _, c := range []struct {
			name  string
			token string
			want  []string
		}{
			{"owner", ownerTok, []string{"agent:zeta-agent", "config:zeta config", "label:zeta label", "token:zeta owner token"}},
			{"configs only", inst.MustToken(t, manager, "configs:read"), []string{"config:zeta config"}},
			{"agents and labels", inst.MustToken(t, manager, "agents:read", "labels:read"), []string{"agent:zeta-agent", "label:zeta label"}},
			{"a manager's tokens", inst.MustToken(t, manager, "tokens:read"), nil},
		} {
			if got := find(c.token, "ZETA"); !slices.Equal(got, c.want) {
				t.Errorf("%s: results = %q, want %q", c.name, got, c.want)
			}
		}
		if got := find(ownerTok, "  "); len(got) != 0 {
			t.Errorf("blank q: results = %q, want none", got)
		}
		if got := find(ownerTok, manager.Username); !slices.Equal(got, []string{"user:" + manager.Username}) {
			t.Errorf("by username: results = %q", got)
		}
	})
}
