package cluster_test

import (
	"strings"
	"testing"
	"time"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/apptest"
)

// TestGroupAndAliasServedByEveryNode: node B caches a group's render and
// what its alias names; a member edited on node A, and then the alias
// moved to a config on node A, reach B's caches through the change feed,
// and both nodes serve the same TOML with the same Last-Modified.
func TestGroupAndAliasServedByEveryNode(t *testing.T) {
	nodes := apptest.MustStartCluster(t, 2, notifyOnly)
	a, b := nodes[0], nodes[1]
	tok := a.MustToken(t, a.MustOwner(t), tc.AllPermissions...)
	create := func(path string, body map[string]any) string {
		return apptest.MustStatus(t, a.Do(t, apptest.Req{Method: "POST", Path: path, Token: tok, Body: body}), 201).Map(t)["id"].(string)
	}
	member := create("/api/configs", map[string]any{"name": "member", "toml": "[[inputs.cpu]]\n"})
	single := create("/api/configs", map[string]any{"name": "single", "toml": "[[inputs.disk]]\n"})
	group := create("/api/config-groups", map[string]any{"name": "g", "memberIds": []string{member}})
	apptest.MustStatus(t, a.Do(t, apptest.Req{Method: "POST", Path: "/api/config-groups/" + group + "/aliases", Token: tok,
		Body: map[string]any{"alias": "fleet"}}), 201)

	const path = "/c/fleet"
	same := func(what, want string) {
		t.Helper()
		var onB *apptest.Response
		waitFor(t, propagationBound, "node B serves "+what, func() bool {
			onB = b.Do(t, apptest.Req{Method: "GET", Path: path, Token: tok})
			return strings.Contains(string(onB.Body), want)
		})
		onA := apptest.MustStatus(t, a.Do(t, apptest.Req{Method: "GET", Path: path, Token: tok}), 200)
		if string(onA.Body) != string(onB.Body) || onA.Header.Get("Last-Modified") != onB.Header.Get("Last-Modified") {
			t.Errorf("%s: A %q %s, B %q %s", what, onA.Header.Get("Last-Modified"), onA.Body, onB.Header.Get("Last-Modified"), onB.Body)
		}
	}
	same("the group", "inputs.cpu")
	a.Clock.Advance(3 * time.Second)
	apptest.MustStatus(t, a.Do(t, apptest.Req{Method: "PATCH", Path: "/api/configs/" + member, Token: tok,
		Body: map[string]any{"toml": "[[inputs.mem]]\n"}}), 200)
	same("the edited member", "inputs.mem")
	apptest.MustStatus(t, a.Do(t, apptest.Req{Method: "POST", Path: "/api/configs/" + single + "/aliases", Token: tok,
		Body: map[string]any{"alias": "fleet", "transfer": true}}), 200)
	same("the alias's new target", "inputs.disk")
}
