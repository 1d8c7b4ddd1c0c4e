package api_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/apptest"
)

// mustConfigWithVersions creates a config whose TOML went through tomls
// (version i+1 holds tomls[i]), one minute apart on the instance's clock.
func mustConfigWithVersions(t testing.TB, inst *apptest.Instance, author *tc.User, tomls ...string) *tc.Config {
	t.Helper()
	ctx := context.Background()
	c := &tc.Config{Name: fmt.Sprintf("cfg-%d", time.Now().UnixNano()), TOML: tomls[0], CreatedBy: author.ID, LabelIDs: []string{}}
	if err := inst.Store.CreateConfig(ctx, c, "Initial version"); err != nil {
		t.Fatal(err)
	}
	for i, body := range tomls[1:] {
		inst.Clock.Advance(time.Minute)
		if _, err := inst.Store.UpdateConfig(ctx, c.ID, tc.ConfigUpdate{TOML: &body, ChangeNote: fmt.Sprintf("edit %d", i+2)}, author.ID); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

type versionList struct {
	Items []struct {
		Version    int       `json:"version"`
		Note       string    `json:"note"`
		AuthorID   string    `json:"authorId"`
		AuthorName string    `json:"authorName"`
		CreatedAt  time.Time `json:"createdAt"`
		Current    bool      `json:"current"`
		TOML       *string   `json:"toml"`
	} `json:"items"`
	Total          int `json:"total"`
	CurrentVersion int `json:"currentVersion"`
}

func versionNumbers(l versionList) string {
	var parts []string
	for _, v := range l.Items {
		s := fmt.Sprint(v.Version)
		if v.Current {
			s += "*"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " ")
}

func TestConfigVersions(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db)
		admin := inst.MustUser(t, tc.RoleAdministrator)
		token := inst.MustToken(t, admin)
		c := mustConfigWithVersions(t, inst, admin,
			"[[inputs.cpu]]\n  percpu = true\n",
			"[[inputs.cpu]]\n  percpu = false\n",
			"[[inputs.cpu]]\n  percpu = false\n[[inputs.mem]]\n",
		)
		base := "/api/configs/" + c.ID + "/versions"
		list := func() versionList {
			t.Helper()
			var l versionList
			apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: base, Token: token}), 200).JSON(t, &l)
			return l
		}

		// List: newest first, the current one marked, no TOML.
		l := list()
		if got := versionNumbers(l); got != "3* 2 1" || l.CurrentVersion != 3 || l.Total != 3 {
			t.Fatalf("versions = %q (current %d, total %d), want 3* 2 1", got, l.CurrentVersion, l.Total)
		}
		if v := l.Items[2]; v.Note != "Initial version" || v.AuthorID != admin.ID || v.AuthorName != admin.Username || v.TOML != nil {
			t.Errorf("version 1 = %+v", v)
		}
		if !l.Items[0].CreatedAt.After(l.Items[1].CreatedAt) {
			t.Errorf("version 3 at %v is not after version 2 at %v", l.Items[0].CreatedAt, l.Items[1].CreatedAt)
		}

		// One version carries its TOML.
		r := apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: base + "/2", Token: token}), 200)
		var v2 struct {
			Version int    `json:"version"`
			TOML    string `json:"toml"`
			Note    string `json:"note"`
			Current bool   `json:"current"`
		}
		r.JSON(t, &v2)
		if v2.Version != 2 || v2.TOML != "[[inputs.cpu]]\n  percpu = false\n" || v2.Note != "edit 2" || v2.Current {
			t.Errorf("version 2 = %+v", v2)
		}

		// The note of a version can be edited; nothing else changes.
		r = apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "PATCH", Path: base + "/2", Token: token, Body: map[string]string{"note": "percpu off"}}), 200)
		r.JSON(t, &v2)
		if v2.Note != "percpu off" || v2.TOML != "[[inputs.cpu]]\n  percpu = false\n" || v2.Version != 2 {
			t.Errorf("after note edit: %+v", v2)
		}
		if l := list(); l.Items[1].Note != "percpu off" || l.CurrentVersion != 3 {
			t.Errorf("after note edit: list %+v", l)
		}

		// Diff from 1 to 3.
		r = apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: base + "/diff?from=1&to=3", Token: token}), 200)
		var d struct {
			From, To  int
			Identical bool
			Diff      string
		}
		r.JSON(t, &d)
		wantDiff := "--- version 1\n+++ version 3\n@@ -1,2 +1,3 @@\n [[inputs.cpu]]\n-  percpu = true\n+  percpu = false\n+[[inputs.mem]]\n"
		if d.Diff != wantDiff || d.From != 1 || d.To != 3 || d.Identical {
			t.Errorf("diff 1→3 = %+v, want diff %q", d, wantDiff)
		}
		r = apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: base + "/diff?from=2&to=2", Token: token}), 200)
		r.JSON(t, &d)
		if !d.Identical || d.Diff != "" {
			t.Errorf("diff 2→2 = %+v, want identical", d)
		}

		// What agents are served before the rollback (the render cache fills).
		served := func() (string, string) {
			t.Helper()
			r := apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/configs/" + c.ID + "/toml", Token: token}), 200)
			return string(r.Body), r.Header.Get("Last-Modified")
		}
		_, lastModified := served()

		// Rollback to 1 records version 4 with version 1's TOML and a note
		// naming the source.
		r = apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: base + "/1/rollback", Token: token, Body: map[string]string{"note": "percpu was better"}}), 200)
		var cfg tc.Config
		r.JSON(t, &cfg)
		if cfg.CurrentVersion != 4 || cfg.TOML != "[[inputs.cpu]]\n  percpu = true\n" {
			t.Errorf("after rollback: version %d, toml %q", cfg.CurrentVersion, cfg.TOML)
		}
		l = list()
		if got := versionNumbers(l); got != "4* 3 2 1" || l.Items[0].Note != "Rollback to version 1: percpu was better" || l.Items[0].AuthorID != admin.ID {
			t.Errorf("after rollback: versions %q, newest %+v", got, l.Items[0])
		}
		// Agents are served the rolled-back TOML, with a new Last-Modified.
		if body, lm := served(); body != "[[inputs.cpu]]\n  percpu = true\n" || lm == lastModified || lm == "" {
			t.Errorf("served after rollback: %q with Last-Modified %q (before: %q)", body, lm, lastModified)
		}
		// Without a body the note is just the source.
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: base + "/2/rollback", Token: token}), 200)
		if l = list(); l.Items[0].Note != "Rollback to version 2" || l.Items[0].Version != 5 {
			t.Errorf("body-less rollback: newest = %+v", l.Items[0])
		}
		// Rolling back to the current version is a conflict.
		r = apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: base + "/5/rollback", Token: token}), 409)
		if m := r.Map(t); !strings.Contains(m["message"].(string), "already the current version") {
			t.Errorf("rollback to current: %s", r.Body)
		}

		// Delete: not the current one; others go.
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "DELETE", Path: base + "/5", Token: token}), 409)
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "DELETE", Path: base + "/3", Token: token}), 204)
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "DELETE", Path: base + "/3", Token: token}), 404)
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: base + "/3", Token: token}), 404)
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: base + "/diff?from=3&to=5", Token: token}), 404)
		if got := versionNumbers(list()); got != "5* 4 2 1" {
			t.Errorf("after deleting 3: %q", got)
		}

		// Prune by version keeps the current one even when it is below.
		r = apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: base + "/prune", Token: token, Body: map[string]int{"beforeVersion": 2}}), 200)
		if m := r.Map(t); m["deleted"] != float64(1) {
			t.Errorf("prune before 2: %s", r.Body)
		}
		if got := versionNumbers(list()); got != "5* 4 2" {
			t.Errorf("after prune before 2: %q", got)
		}
		// Prune by time: version 2 was recorded a minute before 4 and 5
		// (rollbacks ran at the clock's last value, the time of version 3).
		l = list()
		cut := l.Items[0].CreatedAt // versions 4 and 5 share it
		r = apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: base + "/prune", Token: token, Body: map[string]any{"beforeTime": cut.Format(time.RFC3339Nano)}}), 200)
		if m := r.Map(t); m["deleted"] != float64(1) {
			t.Errorf("prune before %v: %s", cut, r.Body)
		}
		if got := versionNumbers(list()); got != "5* 4" {
			t.Errorf("after prune by time: %q", got)
		}
		// Pruning everything leaves the current version.
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: base + "/prune", Token: token, Body: map[string]int{"beforeVersion": 1000}}), 200)
		if got := versionNumbers(list()); got != "5*" {
			t.Errorf("after prune all: %q", got)
		}
		// The last remaining version (also the current one) stays.
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "DELETE", Path: base + "/5", Token: token}), 409)
	})
}

func TestConfigVersionsRejects(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db)
		admin := inst.MustUser(t, tc.RoleAdministrator)
		token := inst.MustToken(t, admin)
		c := mustConfigWithVersions(t, inst, admin, "[agent]\n", "[agent]\n  interval = \"5s\"\n")
		base := "/api/configs/" + c.ID + "/versions"
		// Last remaining but not current cannot happen (the current one
		// always exists), so the only-version rule is seen through a
		// single-version config.
		single := mustConfigWithVersions(t, inst, admin, "[agent]\n")
		r := apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "DELETE", Path: "/api/configs/" + single.ID + "/versions/1", Token: token}), 409)
		if m := r.Map(t); m["error"] != "conflict" {
			t.Errorf("delete only version: %s", r.Body)
		}

		tests := []struct {
			method, path string
			body         any
			status       int
			field        string
		}{
			{"GET", "/api/configs/no-such-config/versions", nil, 404, ""},
			{"GET", "/api/configs/no-such-config/versions/1", nil, 404, ""},
			{"GET", base + "/9", nil, 404, ""},
			{"GET", base + "/0", nil, 400, "version"},
			{"GET", base + "/x", nil, 400, "version"},
			{"GET", base + "/-1", nil, 400, "version"},
			{"GET", base + "/diff?from=1", nil, 400, "to"},
			{"GET", base + "/diff?from=a&to=2", nil, 400, "from"},
			{"GET", base + "/diff?from=1&to=9", nil, 404, ""},
			{"POST", base + "/9/rollback", nil, 404, ""},
			{"POST", base + "/1/rollback", map[string]any{"note": strings.Repeat("n", 1000)}, 400, "note"},
			{"POST", base + "/1/rollback", map[string]any{"nope": 1}, 400, "nope"},
			{"POST", "/api/configs/no-such-config/versions/1/rollback", nil, 404, ""},
			{"DELETE", base + "/9", nil, 404, ""},
			{"PATCH", base + "/9", map[string]any{"note": "x"}, 404, ""},
			{"PATCH", base + "/1", map[string]any{}, 400, "note"},
			{"PATCH", base + "/1", map[string]any{"note": strings.Repeat("é", 1001)}, 400, "note"},
			{"PATCH", "/api/configs/no-such-config/versions/1", map[string]any{"note": "x"}, 404, ""},
			{"DELETE", "/api/configs/no-such-config/versions/1", nil, 404, ""},
			{"POST", base + "/prune", map[string]any{}, 400, ""},
			{"POST", base + "/prune", map[string]any{"beforeVersion": 2, "beforeTime": "2026-01-01T00:00:00Z"}, 400, ""},
			{"POST", base + "/prune", map[string]any{"beforeVersion": 0}, 400, "beforeVersion"},
			{"POST", base + "/prune", map[string]any{"beforeTime": "yesterday"}, 400, ""},
			{"POST", "/api/configs/no-such-config/versions/prune", map[string]any{"beforeVersion": 2}, 404, ""},
		}
		for _, tt := range tests {
			r := inst.Do(t, apptest.Req{Method: tt.method, Path: tt.path, Body: tt.body, Token: token})
			if r.StatusCode != tt.status {
				t.Errorf("%s %s: status %d, want %d; body %s", tt.method, tt.path, r.StatusCode, tt.status, r.Body)
				continue
			}
			m := r.Map(t)
			if m["error"] == nil || m["message"] == "" {
				t.Errorf("%s %s: body %s lacks error and message", tt.method, tt.path, r.Body)
			}
			if tt.field != "" && m["field"] != tt.field {
				t.Errorf("%s %s: field = %v, want %s", tt.method, tt.path, m["field"], tt.field)
			}
		}
		// Nothing above changed the config.
		if cur, err := inst.Store.ConfigCurrentVersion(context.Background(), c.ID); err != nil || cur != 2 {
			t.Errorf("current version = %d, %v; want 2", cur, err)
		}
	})
}

func TestConfigVersionPermissions(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db)
		admin := inst.MustUser(t, tc.RoleAdministrator)
		c := mustConfigWithVersions(t, inst, admin, "[agent]\n", "[agent]\n  interval = \"5s\"\n", "[agent]\n  interval = \"6s\"\n")
		base := "/api/configs/" + c.ID + "/versions"
		read := inst.MustToken(t, admin, "configs:read")
		write := inst.MustToken(t, admin, "configs:read", "configs:write")
		del := inst.MustToken(t, admin, "configs:read", "configs:delete")
		tests := []struct {
			method, path string
			body         any
			token        string
			status       int
		}{
			{"GET", base, nil, "", 401},
			{"GET", base, nil, read, 200},
			{"GET", base + "/1", nil, read, 200},
			{"GET", base + "/diff?from=1&to=2", nil, read, 200},
			{"POST", base + "/1/rollback", nil, read, 403},
			{"POST", base + "/1/rollback", nil, del, 403},
			{"DELETE", base + "/1", nil, read, 403},
			{"DELETE", base + "/1", nil, write, 403},
			{"POST", base + "/prune", map[string]int{"beforeVersion": 2}, write, 403},
			{"POST", base + "/1/rollback", nil, write, 200},
			{"DELETE", base + "/2", nil, del, 204},
			{"POST", base + "/prune", map[string]int{"beforeVersion": 2}, del, 200},
		}
		for _, tt := range tests {
			r := inst.Do(t, apptest.Req{Method: tt.method, Path: tt.path, Body: tt.body, Token: tt.token})
			if r.StatusCode != tt.status {
				t.Errorf("%s %s (token %v): status %d, want %d; body %s", tt.method, tt.path, tt.token != "", r.StatusCode, tt.status, r.Body)
			}
		}
	})
}

// TestConfigAuthoringRoles walks validation, plugins and versions as every
// role: reads for all, rollback for writers, delete and prune for deleters.
func TestConfigAuthoringRoles(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db)
		admin := inst.MustUser(t, tc.RoleAdministrator)
		c := mustConfigWithVersions(t, inst, admin, "[agent]\n", "[agent]\n  interval = \"5s\"\n")
		base := "/api/configs/" + c.ID + "/versions"
		fresh := func(suffix string, body any) func(testing.TB, *apptest.Instance, *tc.User) (string, any) {
			return func(tb testing.TB, inst *apptest.Instance, _ *tc.User) (string, any) {
				c := mustConfigWithVersions(tb, inst, admin, "[agent]\n", "[agent]\n  interval = \"5s\"\n", "[agent]\n  interval = \"6s\"\n")
				return "/api/configs/" + c.ID + "/versions" + suffix, body
			}
		}
		read := apptest.Statuses(200, 200, 200, 200, 401)
		rows := []apptest.RoleRow{
			{Method: "POST", Path: "/api/configs/validate", Body: map[string]string{"toml": "[agent]\n"}, Want: read},
			{Method: "GET", Path: "/api/plugins?type=inputs", Want: read},
			{Method: "GET", Path: "/api/plugins/inputs/cpu", Want: read},
			{Method: "GET", Path: base, Want: read},
			{Method: "GET", Path: base + "/1", Want: read},
			{Method: "GET", Path: base + "/diff?from=1&to=2", Want: read},
			{Method: "PATCH", Path: base + "/1", Body: map[string]string{"note": "n"}, Want: apptest.Statuses(200, 200, 200, 403, 401)},
			{Method: "POST", Path: base + "/1/rollback", Fresh: fresh("/1/rollback", nil), Want: apptest.Statuses(200, 200, 200, 403, 401)},
			{Method: "DELETE", Path: base + "/1", Fresh: fresh("/1", nil), Want: apptest.Statuses(204, 204, 204, 403, 401)},
			{Method: "POST", Path: base + "/prune", Fresh: fresh("/prune", map[string]int{"beforeVersion": 3}), Want: apptest.Statuses(200, 200, 200, 403, 401)},
		}
		inst.RequireRowsCover(t, rows, "/api/configs/validate", "/api/plugins", "/api/configs/{id}/versions")
		inst.WalkRoles(t, rows)
	})
}
