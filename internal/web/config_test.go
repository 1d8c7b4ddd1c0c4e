package web_test

import (
	"strings"
	"testing"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/apptest"
)

// TestConfigPagesLabelsAreOptional checks that the config pages show a
// config to a caller who may read configs but not labels (a token scoped to
// configs:read), without its labels, and with them to one who may read both;
// and that bad version numbers are refused as the API refuses them.
func TestConfigPagesLabelsAreOptional(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db)
		owner := inst.MustOwner(t)
		all := inst.MustToken(t, owner, tc.AllPermissions...)
		l := apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/labels", Token: all,
			Body: map[string]any{"name": "label-zebra", "color": "#3B82F6"}}), 201)
		r := apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/configs", Token: all,
			Body: map[string]any{"name": "config-okapi", "toml": "[[inputs.cpu]]\n", "labelIds": []string{l.Map(t)["id"].(string)}}}), 201)
		id := r.Map(t)["id"].(string)

		configsOnly := inst.MustToken(t, owner, tc.Perm(tc.ResConfigs, tc.ActionRead))
		withLabels := inst.MustToken(t, owner, tc.Perm(tc.ResConfigs, tc.ActionRead), tc.Perm(tc.ResLabels, tc.ActionRead))
		for _, path := range []string{"/configs", "/configs/" + id} {
			page := string(apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: path, Token: configsOnly}), 200).Body)
			if !strings.Contains(page, "config-okapi") || strings.Contains(page, "label-zebra") {
				t.Errorf("GET %s with configs:read: want the config without its label", path)
			}
			page = string(apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: path, Token: withLabels}), 200).Body)
			if !strings.Contains(page, "config-okapi") || !strings.Contains(page, "label-zebra") {
				t.Errorf("GET %s with configs:read and labels:read: want the config with its label", path)
			}
		}
		for _, path := range []string{"/configs/" + id + "/versions/x", "/configs/" + id + "/compare?from=0&to=1", "/configs?sortBy=id"} {
			apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: path, Token: all}), 400)
		}
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/configs/" + id + "/versions/9", Token: all}), 404)
	})
}
