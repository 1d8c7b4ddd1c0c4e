package api_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/apptest"
)

// mustConfig creates a config through the API and returns it.
func mustConfig(tb testing.TB, inst *apptest.Instance, token string, body map[string]any) tc.Config {
	tb.Helper()
	var c tc.Config
	apptest.MustStatus(tb, inst.Do(tb, apptest.Req{Method: "POST", Path: "/api/configs", Token: token, Body: body}), 201).JSON(tb, &c)
	return c
}

func errorMessage(tb testing.TB, r *apptest.Response) string {
	tb.Helper()
	m := r.Map(tb)
	if m["error"] == nil || m["message"] == nil {
		tb.Fatalf("error body %s lacks error or message", r.Body)
	}
	return m["message"].(string)
}

func TestConfigsCRUD(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db)
		mgr := inst.MustRoleToken(t, tc.RoleManager)
		viewer := inst.MustRoleToken(t, tc.RoleViewer)

		// Empty TOML gets the heartbeat template with this host and the heartbeat port.
		c := mustConfig(t, inst, mgr, map[string]any{"name": "Web servers", "description": "nginx fleet", "changeNote": "initial"})
		_, hbPort, _ := strings.Cut(strings.TrimPrefix(inst.HeartbeatURL, "http://"), ":")
		for _, want := range []string{
			"[[outputs.heartbeat]]",
			`url = "http://127.0.0.1:` + hbPort + `/agents/heartbeat"`,
			`instance_id = "&{agent_id}"`,
			`interval = "1m"`,
			`include = ["hostname", "statistics", "configs", "logs", "status"]`,
			`token = "${TELEGRAF_CONTROLLER_TOKEN}"`,
		} {
			if !strings.Contains(c.TOML, want) {
				t.Errorf("default TOML lacks %q:\n%s", want, c.TOML)
			}
		}
		// With the public heartbeat URL set, that URL is used.
		admin := inst.MustRoleToken(t, tc.RoleAdministrator)
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "PATCH", Path: "/api/settings", Token: admin, Body: map[string]any{"publicHeartbeatUrl": "https://hb.example.com"}}), 200)
		pub := mustConfig(t, inst, mgr, map[string]any{"name": "public", "toml": "  \n"})
		if !strings.Contains(pub.TOML, `url = "https://hb.example.com/agents/heartbeat"`) {
			t.Errorf("default TOML with the public heartbeat URL set:\n%s", pub.TOML)
		}
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "DELETE", Path: "/api/configs/" + pub.ID, Token: mgr}), 204)
		if c.CurrentVersion != 1 || c.CreatedBy == "" || c.CreatedBy != c.UpdatedBy {
			t.Errorf("created config: version %d, createdBy %q, updatedBy %q", c.CurrentVersion, c.CreatedBy, c.UpdatedBy)
		}

		// TOML is kept byte for byte.
		raw := "# comment kept\r\n[[inputs.cpu]]\n\tpercpu   = true # spaced\n\n"
		d := mustConfig(t, inst, mgr, map[string]any{"name": "db", "toml": raw})
		var got tc.Config
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/configs/" + d.ID, Token: viewer}), 200).JSON(t, &got)
		if got.TOML != raw {
			t.Errorf("stored TOML = %q, want %q", got.TOML, raw)
		}

		bad := []struct {
			name string
			body map[string]any
			code int
			want string
		}{
			{"no name", map[string]any{"toml": "a = 1"}, 400, "name is required"},
			{"blank name", map[string]any{"name": "  "}, 400, "name is required"},
			{"duplicate name, other case", map[string]any{"name": "WEB SERVERS"}, 409, "already exists"},
			{"syntax error", map[string]any{"name": "x", "toml": "[agent]\ninterval = \n"}, 400, "line 2, column"},
			{"unknown field", map[string]any{"name": "x", "tomll": ""}, 400, "unknown field"},
			{"long note", map[string]any{"name": "x", "changeNote": strings.Repeat("n", 1001)}, 400, "changeNote"},
			{"unknown label", map[string]any{"name": "x", "labelIds": []string{"nope"}}, 400, "label"},
		}
		for _, tt := range bad {
			r := apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/configs", Token: mgr, Body: tt.body}), tt.code)
			if msg := errorMessage(t, r); !strings.Contains(msg, tt.want) {
				t.Errorf("%s: message %q lacks %q", tt.name, msg, tt.want)
			}
		}
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/configs", Token: viewer, Body: map[string]any{"name": "v"}}), 403)
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/configs"}), 401)
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/configs/nope", Token: viewer}), 404)

		// Patch: name only leaves the version; TOML records one.
		var p tc.Config
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "PATCH", Path: "/api/configs/" + d.ID, Token: mgr, Body: map[string]any{"name": "Databases", "description": "pg"}}), 200).JSON(t, &p)
		if p.Name != "Databases" || p.Description != "pg" || p.CurrentVersion != 1 || p.TOML != raw {
			t.Errorf("after name patch: %+v", p)
		}
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "PATCH", Path: "/api/configs/" + d.ID, Token: mgr, Body: map[string]any{"toml": "[[inputs.mem]]\n", "changeNote": "mem"}}), 200).JSON(t, &p)
		if p.CurrentVersion != 2 || p.TOML != "[[inputs.mem]]\n" {
			t.Errorf("after TOML patch: version %d toml %q", p.CurrentVersion, p.TOML)
		}
		r := apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "PATCH", Path: "/api/configs/" + d.ID, Token: mgr, Body: map[string]any{"toml": "a = [1,"}}), 400)
		if msg := errorMessage(t, r); !strings.Contains(msg, "line 1") {
			t.Errorf("patch syntax error message %q lacks the line", msg)
		}
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "PATCH", Path: "/api/configs/" + d.ID, Token: mgr, Body: map[string]any{"name": "web servers"}}), 409)
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "PATCH", Path: "/api/configs/" + d.ID, Token: viewer, Body: map[string]any{"name": "z"}}), 403)

		// Labels on configs, list filters, sorting and paging.
		var lbl tc.Label
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/labels", Token: mgr, Body: map[string]any{"name": "prod", "color": "#AABBCC"}}), 201).JSON(t, &lbl)
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "PATCH", Path: "/api/configs/" + c.ID, Token: mgr, Body: map[string]any{"labelIds": []string{lbl.ID, lbl.ID}}}), 200).JSON(t, &p)
		if len(p.LabelIDs) != 1 || p.LabelIDs[0] != lbl.ID || p.CurrentVersion != 1 {
			t.Errorf("labels after patch = %v (version %d)", p.LabelIDs, p.CurrentVersion)
		}
		inst.Clock.Advance(time.Second)
		mustConfig(t, inst, mgr, map[string]any{"name": "Zeta", "description": "the NGINX edge"})
		list := func(query string) (names []string, total int) {
			var page struct {
				Items []tc.Config `json:"items"`
				Total int         `json:"total"`
			}
			apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/configs" + query, Token: viewer}), 200).JSON(t, &page)
			for _, it := range page.Items {
				names = append(names, it.Name)
			}
			return names, page.Total
		}
		for _, tt := range []struct {
			query string
			want  string
			total int
		}{
			{"", "Databases,Web servers,Zeta", 3},
			{"?sortOrder=desc", "Zeta,Web servers,Databases", 3},
			{"?search=nginx", "Web servers,Zeta", 2},
			{"?search=%25", "", 0},
			{"?labelId=" + lbl.ID, "Web servers", 1},
			{"?limit=2&page=2", "Zeta", 3},
			{"?sortBy=updatedAt&limit=1", "Zeta", 3},
		} {
			names, total := list(tt.query)
			if strings.Join(names, ",") != tt.want || total != tt.total {
				t.Errorf("list %q = %v (total %d), want %s (total %d)", tt.query, names, total, tt.want, tt.total)
			}
		}
		for _, q := range []string{"?sortBy=size", "?sortOrder=up", "?limit=0", "?page=x"} {
			apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/configs" + q, Token: viewer}), 400)
		}

		// Deleting a label detaches it.
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "DELETE", Path: "/api/labels/" + lbl.ID, Token: mgr}), 204)
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/configs/" + c.ID, Token: viewer}), 200).JSON(t, &p)
		if len(p.LabelIDs) != 0 {
			t.Errorf("labels after label delete = %v", p.LabelIDs)
		}

		// Delete: blocked while an actively reporting agent uses it.
		for _, q := range []string{
			`INSERT INTO agents (id, reporting_rule_id, first_seen, last_seen, status) VALUES ('a1', '` + tc.DefaultReportingRuleID + `', 0, 0, 'ok')`,
			`INSERT INTO agents (id, reporting_rule_id, first_seen, last_seen, status) VALUES ('a2', '` + tc.DefaultReportingRuleID + `', 0, 0, 'warn')`,
			`INSERT INTO agent_configs (agent_id, config_id) VALUES ('a1', '` + c.ID + `'), ('a2', '` + c.ID + `')`,
		} {
			if _, err := inst.Store.WithTxExec(context.Background(), q); err != nil {
				t.Fatal(err)
			}
		}
		r = apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "DELETE", Path: "/api/configs/" + c.ID, Token: mgr}), 409)
		if msg := errorMessage(t, r); !strings.Contains(msg, "2 actively reporting agents") {
			t.Errorf("in-use message = %q", msg)
		}
		r = apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/configs/bulk-delete", Token: mgr, Body: map[string]any{"ids": []string{d.ID, c.ID}}}), 409)
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/configs/" + d.ID, Token: viewer}), 200)
		if _, err := inst.Store.WithTxExec(context.Background(), `UPDATE agents SET status = 'not_reporting'`); err != nil {
			t.Fatal(err)
		}
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "DELETE", Path: "/api/configs/" + c.ID, Token: viewer}), 403)
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "DELETE", Path: "/api/configs/" + c.ID, Token: mgr}), 204)
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "DELETE", Path: "/api/configs/" + c.ID, Token: mgr}), 404)
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/configs/bulk-delete", Token: mgr, Body: map[string]any{"ids": []string{d.ID, "missing"}}}), 404)
		r = apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/configs/bulk-delete", Token: mgr, Body: map[string]any{"ids": []string{d.ID}}}), 200)
		if m := r.Map(t); m["deleted"] != float64(1) {
			t.Errorf("bulk delete body = %s", r.Body)
		}
		if _, total := list(""); total != 1 {
			t.Errorf("configs left = %d, want 1", total)
		}
	})
}

func TestLabels(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db)
		mgr := inst.MustRoleToken(t, tc.RoleManager)
		viewer := inst.MustRoleToken(t, tc.RoleViewer)
		var l tc.Label
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/labels", Token: mgr, Body: map[string]any{"name": " Prod ", "color": "#FF0000", "description": "production"}}), 201).JSON(t, &l)
		if l.Name != "Prod" || l.Color != "#ff0000" || l.Description != "production" {
			t.Errorf("created label = %+v", l)
		}
		for _, tt := range []struct {
			body map[string]any
			code int
		}{
			{map[string]any{"name": "prod", "color": "#000000"}, 409},
			{map[string]any{"name": "x", "color": "red"}, 400},
			{map[string]any{"name": "x", "color": "#12345"}, 400},
			{map[string]any{"name": "x"}, 400},
			{map[string]any{"color": "#123456"}, 400},
		} {
			apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/labels", Token: mgr, Body: tt.body}), tt.code)
		}
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/labels", Token: viewer, Body: map[string]any{"name": "v", "color": "#123456"}}), 403)
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "PATCH", Path: "/api/labels/" + l.ID, Token: mgr, Body: map[string]any{"color": "#00ff00"}}), 200).JSON(t, &l)
		if l.Color != "#00ff00" || l.Name != "Prod" {
			t.Errorf("patched label = %+v", l)
		}
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "PATCH", Path: "/api/labels/nope", Token: mgr, Body: map[string]any{"color": "#00ff00"}}), 404)
		r := apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/labels", Token: viewer}), 200)
		if m := r.Map(t); m["total"] != float64(1) {
			t.Errorf("labels list = %s", r.Body)
		}
		// Deleting detaches it from agents too.
		for _, q := range []string{
			`INSERT INTO agents (id, reporting_rule_id, first_seen, last_seen) VALUES ('a1', '` + tc.DefaultReportingRuleID + `', 0, 0)`,
			`INSERT INTO agent_labels (agent_id, label_id) VALUES ('a1', '` + l.ID + `')`,
		} {
			if _, err := inst.Store.WithTxExec(context.Background(), q); err != nil {
				t.Fatal(err)
			}
		}
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "DELETE", Path: "/api/labels/" + l.ID, Token: mgr}), 204)
		var n int
		inst.Store.ReadDB().QueryRow(`SELECT COUNT(*) FROM agent_labels`).Scan(&n)
		if n != 0 {
			t.Errorf("agent_labels left: %d", n)
		}
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "DELETE", Path: "/api/labels/" + l.ID, Token: mgr}), 404)
	})
}

func TestConstants(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db)
		mgr := inst.MustRoleToken(t, tc.RoleManager)
		viewer := inst.MustRoleToken(t, tc.RoleViewer)
		for _, tt := range []struct {
			body map[string]any
			code int
		}{
			{map[string]any{"name": "influx_url", "value": "http://influx:8086", "description": "main"}, 201},
			{map[string]any{"name": "influx_url", "value": "x"}, 409},
			{map[string]any{"name": "Influx", "value": "x"}, 400},
			{map[string]any{"name": strings.Repeat("a", 65), "value": "x"}, 400},
			{map[string]any{"name": "", "value": "x"}, 400},
			{map[string]any{"name": "novalue"}, 400},
		} {
			apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/constants", Token: mgr, Body: tt.body}), tt.code)
		}
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/constants", Token: viewer, Body: map[string]any{"name": "v", "value": "x"}}), 403)
		c := mustConfig(t, inst, mgr, map[string]any{"name": "Uses it", "toml": "[global_tags]\n  url = \"::{influx_url}\"\n"})
		var k tc.Constant
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "PATCH", Path: "/api/constants/influx_url", Token: mgr, Body: map[string]any{"value": "http://other:8086"}}), 200).JSON(t, &k)
		if k.Value != "http://other:8086" || k.Description != "main" || len(k.Configs) != 1 || k.Configs[0].ID != c.ID {
			t.Errorf("patched constant = %+v", k)
		}
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "PATCH", Path: "/api/constants/influx_url", Token: mgr, Body: map[string]any{"name": "renamed"}}), 400)
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "PATCH", Path: "/api/constants/nope", Token: mgr, Body: map[string]any{"value": "x"}}), 404)
		r := apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "DELETE", Path: "/api/constants/influx_url", Token: mgr}), 409)
		if msg := errorMessage(t, r); !strings.Contains(msg, `"Uses it"`) {
			t.Errorf("delete-in-use message %q does not name the config", msg)
		}
		r = apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/constants", Token: viewer}), 200)
		if !bytes.Contains(r.Body, []byte(`"configs":[{"id":"`+c.ID+`","name":"Uses it"}]`)) {
			t.Errorf("constants list = %s", r.Body)
		}
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "PATCH", Path: "/api/configs/" + c.ID, Token: mgr, Body: map[string]any{"toml": "[global_tags]\n  a = \"1\"\n"}}), 200)
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "DELETE", Path: "/api/constants/influx_url", Token: viewer}), 403)
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "DELETE", Path: "/api/constants/influx_url", Token: mgr}), 204)
	})
}

// tomlReq performs a request on a config's TOML URL.
func tomlReq(tb testing.TB, inst *apptest.Instance, method, id, query, token string, header http.Header) *apptest.Response {
	tb.Helper()
	return inst.Do(tb, apptest.Req{Method: method, Path: "/api/configs/" + id + "/toml" + query, Token: token, Header: header})
}

func TestServeTOML(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db)
		mgr := inst.MustRoleToken(t, tc.RoleManager)
		reader := inst.MustToken(t, inst.MustUser(t, tc.RoleViewer), "configs:read")
		noRead := inst.MustToken(t, inst.MustUser(t, tc.RoleViewer), "agents:read")
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/constants", Token: mgr, Body: map[string]any{"name": "region", "value": "eu-west"}}), 201)
		src := "[global_tags]\n  dc = \"::{region}\"\n  id = \"&{agent_id}\"\n  db = \"&{db:https://localhost:8181}\"\n  urls = [\"&{targets}\"]\n  env = \"${HOME}\"\n  s = \"@{vault:key}\"\n"
		c := mustConfig(t, inst, mgr, map[string]any{"name": "Edge \"west\"", "toml": src})

		query := "?agent_id=web-1&targets=a&targets=b&unknown=1"
		want := "[global_tags]\n  dc = \"eu-west\"\n  id = \"web-1\"\n  db = \"https://localhost:8181\"\n  urls = [\"a\", \"b\"]\n  env = \"${HOME}\"\n  s = \"@{vault:key}\"\n"
		// Accept-Encoding: identity keeps Go's transport from asking for gzip.
		r := apptest.MustStatus(t, tomlReq(t, inst, "GET", c.ID, query, reader, http.Header{"Accept": {"application/toml"}, "Accept-Encoding": {"identity"}}), 200)
		if string(r.Body) != want {
			t.Errorf("rendered:\n%s\nwant:\n%s", r.Body, want)
		}
		lm, etag := r.Header.Get("Last-Modified"), r.Header.Get("ETag")
		if _, err := http.ParseTime(lm); err != nil || !strings.HasPrefix(etag, `"`) {
			t.Fatalf("Last-Modified %q (%v), ETag %q", lm, err, etag)
		}
		if got := r.Header.Get("Content-Type"); got != "text/x-toml; charset=utf-8" {
			t.Errorf("Content-Type = %q", got)
		}

		// Content negotiation.
		for _, tt := range []struct{ accept, ctype string }{
			{"", "text/x-toml; charset=utf-8"},
			{"*/*", "text/x-toml; charset=utf-8"},
			{"text/x-toml", "text/x-toml; charset=utf-8"},
			{"text/html,application/xhtml+xml,*/*;q=0.8", "text/x-toml; charset=utf-8"},
			{"application/octet-stream", "application/octet-stream"},
			{"application/toml;q=0.5, application/octet-stream", "application/octet-stream"},
		} {
			h := http.Header{"Accept-Encoding": {"identity"}}
			if tt.accept != "" {
				h.Set("Accept", tt.accept)
			}
			r := apptest.MustStatus(t, tomlReq(t, inst, "GET", c.ID, query, reader, h), 200)
			if got := r.Header.Get("Content-Type"); got != tt.ctype {
				t.Errorf("Accept %q: Content-Type %q, want %q", tt.accept, got, tt.ctype)
			}
			if tt.ctype == "application/octet-stream" {
				if got := r.Header.Get("Content-Disposition"); got != `attachment; filename="Edge _west_.toml"` {
					t.Errorf("Content-Disposition = %q", got)
				}
			}
			if string(r.Body) != want || r.Header.Get("Last-Modified") != lm {
				t.Errorf("Accept %q: body or Last-Modified differs", tt.accept)
			}
		}

		// A rename changes the download's name, not Last-Modified.
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "PATCH", Path: "/api/configs/" + c.ID, Token: mgr, Body: map[string]any{"name": "Edge-2"}}), 200)
		r = apptest.MustStatus(t, tomlReq(t, inst, "HEAD", c.ID, query, reader, http.Header{"Accept": {"application/octet-stream"}}), 200)
		if got := r.Header.Get("Content-Disposition"); got != `attachment; filename="Edge-2.toml"` || r.Header.Get("Last-Modified") != lm {
			t.Errorf("after rename: Content-Disposition %q, Last-Modified %q (want %q)", got, r.Header.Get("Last-Modified"), lm)
		}

		// gzip when accepted (the transport then leaves decoding to us).
		req, _ := http.NewRequest("GET", inst.URL+"/api/configs/"+c.ID+"/toml"+query, nil)
		req.Header.Set("Authorization", "Token "+reader)
		req.Header.Set("Accept-Encoding", "gzip")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		zr, err := gzip.NewReader(resp.Body)
		if err != nil {
			t.Fatalf("gzip body: %v (Content-Encoding %q)", err, resp.Header.Get("Content-Encoding"))
		}
		plain, _ := io.ReadAll(zr)
		resp.Body.Close()
		if string(plain) != want || resp.Header.Get("Last-Modified") != lm || resp.Header.Get("ETag") == etag {
			t.Errorf("gzip: body %q, Last-Modified %q, ETag %q (identity ETag %q)", plain, resp.Header.Get("Last-Modified"), resp.Header.Get("ETag"), etag)
		}

		// Basic with the token as password (a URL with userinfo) works too.
		basic := http.Header{"Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte("agent:"+reader))}}
		r = apptest.MustStatus(t, tomlReq(t, inst, "HEAD", c.ID, query, "", basic), 200)
		if r.Header.Get("Last-Modified") != lm {
			t.Errorf("Basic: Last-Modified %q, want %q", r.Header.Get("Last-Modified"), lm)
		}

		// ETag and If-None-Match.
		r = apptest.MustStatus(t, tomlReq(t, inst, "GET", c.ID, query, reader, http.Header{"If-None-Match": {`"other", ` + etag}, "Accept-Encoding": {"identity"}}), 304)
		if len(r.Body) != 0 || r.Header.Get("ETag") != etag {
			t.Errorf("304: body %q ETag %q", r.Body, r.Header.Get("ETag"))
		}
		apptest.MustStatus(t, tomlReq(t, inst, "GET", c.ID, query, reader, http.Header{"If-None-Match": {`"other"`}}), 200)

		// HEAD: the same headers, no body, and stable.
		for i := 0; i < 3; i++ {
			r = apptest.MustStatus(t, tomlReq(t, inst, "HEAD", c.ID, query, reader, nil), 200)
			if r.Header.Get("Last-Modified") != lm || r.Header.Get("ETag") != etag || len(r.Body) != 0 || r.ContentLength != int64(len(want)) {
				t.Errorf("HEAD %d: Last-Modified %q ETag %q length %d", i, r.Header.Get("Last-Modified"), r.Header.Get("ETag"), r.ContentLength)
			}
		}

		// Errors never carry Last-Modified or ETag.
		for _, tt := range []struct {
			name, id, query, token string
			code                   int
			want                   string
		}{
			{"no token", c.ID, query, "", 401, ""},
			{"bad token", c.ID, query, "tc-apiv1_" + strings.Repeat("A", 36), 401, ""},
			{"no permission", c.ID, query, noRead, 403, "configs:read"},
			{"unknown config", "00000000-0000-4000-8000-00000000dead", query, reader, 404, ""},
			{"all missing listed", c.ID, "", reader, 400, "missing required parameters: agent_id, targets"},
			{"quote", c.ID, "?agent_id=a%22b&targets=x", reader, 400, "agent_id"},
			{"backslash", c.ID, "?agent_id=a&targets=x%5C", reader, 400, "targets"},
			{"newline", c.ID, "?agent_id=a%0Ab&targets=x", reader, 400, "newline"},
			{"bad escape", c.ID, "?agent_id=%zz&targets=x", reader, 400, "query string"},
		} {
			for _, method := range []string{"GET", "HEAD"} {
				r := tomlReq(t, inst, method, c.ID, tt.query, tt.token, nil)
				if tt.id != c.ID {
					r = tomlReq(t, inst, method, tt.id, tt.query, tt.token, nil)
				}
				if r.StatusCode != tt.code {
					t.Errorf("%s %s: status %d, want %d", method, tt.name, r.StatusCode, tt.code)
				}
				if r.Header.Get("Last-Modified") != "" || r.Header.Get("ETag") != "" {
					t.Errorf("%s %s: error carries Last-Modified %q / ETag %q", method, tt.name, r.Header.Get("Last-Modified"), r.Header.Get("ETag"))
				}
				if method == "GET" && tt.want != "" {
					if msg := errorMessage(t, r); !strings.Contains(msg, tt.want) {
						t.Errorf("%s: message %q lacks %q", tt.name, msg, tt.want)
					}
				}
			}
		}

		// An undefined constant lists the names.
		u := mustConfig(t, inst, mgr, map[string]any{"name": "undef", "toml": "[global_tags]\n  a = \"::{nope}::{region}::{gone}\"\n"})
		r = apptest.MustStatus(t, tomlReq(t, inst, "GET", u.ID, "", reader, nil), 400)
		if msg := errorMessage(t, r); !strings.Contains(msg, "undefined constants: nope, gone") || r.Header.Get("Last-Modified") != "" {
			t.Errorf("undefined constants: message %q, Last-Modified %q", msg, r.Header.Get("Last-Modified"))
		}
	})
}

// TestLastModified covers the rules Telegraf's URL watcher depends on.
func TestLastModified(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db)
		mgr := inst.MustRoleToken(t, tc.RoleManager)
		reader := inst.MustToken(t, inst.MustUser(t, tc.RoleViewer), "configs:read")
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/constants", Token: mgr, Body: map[string]any{"name": "out", "value": "a"}}), 201)
		c := mustConfig(t, inst, mgr, map[string]any{"name": "watched", "toml": "[global_tags]\n  x = \"::{out}&{p:1}\"\n"})
		head := func() string {
			tb := t
			tb.Helper()
			r := apptest.MustStatus(t, tomlReq(t, inst, "HEAD", c.ID, "?p=2", reader, nil), 200)
			return r.Header.Get("Last-Modified")
		}
		var last time.Time
		step := func(what string) {
			t.Helper()
			lm := head()
			at, err := http.ParseTime(lm)
			if err != nil {
				t.Fatalf("after %s: Last-Modified %q: %v", what, lm, err)
			}
			if !at.After(last) {
				t.Errorf("after %s Last-Modified %q did not move forward from %s", what, lm, last.Format(http.TimeFormat))
			}
			last = at
		}
		step("create")
		first := head()
		inst.Clock.Advance(10 * time.Minute)
		for i := 0; i < 3; i++ {
			if got := head(); got != first {
				t.Fatalf("HEAD %d later: Last-Modified %q, want the stable %q (never the request time)", i, got, first)
			}
		}
		// A rename, a label or a description does not change the render.
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "PATCH", Path: "/api/configs/" + c.ID, Token: mgr, Body: map[string]any{"name": "renamed", "description": "d"}}), 200)
		if got := head(); got != first {
			t.Errorf("rename moved Last-Modified %q → %q", first, got)
		}
		// Two TOML changes within the same second: two values.
		for i := 0; i < 2; i++ {
			apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "PATCH", Path: "/api/configs/" + c.ID, Token: mgr, Body: map[string]any{"toml": fmt.Sprintf("[global_tags]\n  x = \"::{out}&{p:1}\" # %d\n", i)}}), 200)
			step(fmt.Sprintf("edit %d in the same second", i))
		}
		// A change of a constant it uses, twice in the same second.
		for _, v := range []string{"b", "c"} {
			apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "PATCH", Path: "/api/constants/out", Token: mgr, Body: map[string]any{"value": v}}), 200)
			step("constant value " + v)
			r := apptest.MustStatus(t, tomlReq(t, inst, "GET", c.ID, "?p=2", reader, nil), 200)
			if want := "[global_tags]\n  x = \"" + v + "2\" # 1\n"; string(r.Body) != want {
				t.Errorf("after constant change body %q, want %q", r.Body, want)
			}
		}
		// A constant's description is not a change.
		before := head()
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "PATCH", Path: "/api/constants/out", Token: mgr, Body: map[string]any{"description": "d"}}), 200)
		if got := head(); got != before {
			t.Errorf("constant description moved Last-Modified %q → %q", before, got)
		}
	})
}

// TestHeadFromCache shows HEAD and GET answer without the database once
// rendered: with the database closed, the cached answers still come back.
func TestHeadFromCache(t *testing.T) {
	inst := apptest.MustStart(t, apptest.DB{Name: "sqlite"}, apptest.WithArgs("--disable-auth-endpoints", "configs"))
	c := mustConfig(t, inst, "", map[string]any{"name": "cached", "toml": "[global_tags]\n  a = \"&{x}\"\n"})
	r := apptest.MustStatus(t, tomlReq(t, inst, "GET", c.ID, "?x=1", "", nil), 200)
	lm := r.Header.Get("Last-Modified")
	inst.Store.Close()
	for _, method := range []string{"HEAD", "GET", "HEAD"} {
		r := apptest.MustStatus(t, tomlReq(t, inst, method, c.ID, "?x=1", "", nil), 200)
		if r.Header.Get("Last-Modified") != lm {
			t.Errorf("%s from cache: Last-Modified %q, want %q", method, r.Header.Get("Last-Modified"), lm)
		}
	}
	// A new query of a cached config renders from the kept template.
	if r := tomlReq(t, inst, "GET", c.ID, "?x=2", "", nil); r.StatusCode != 200 || string(r.Body) != "[global_tags]\n  a = \"2\"\n" {
		t.Errorf("new query of a cached config: %d %q", r.StatusCode, r.Body)
	}
	if r := tomlReq(t, inst, "HEAD", "00000000-0000-4000-8000-000000000000", "?x=1", "", nil); r.StatusCode == 200 {
		t.Errorf("an uncached config answered 200 with the database closed")
	}
	r = apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/metrics"}), 200)
	for _, want := range []string{
		`tc_config_toml_renders_total{result="cache_hit"} 3`,
		`tc_config_toml_renders_total{result="render"} 1`,
		`tc_config_toml_renders_total{result="load"} 2`,
	} {
		if !bytes.Contains(r.Body, []byte(want)) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

// TestTOMLNeverStale changes a config while other clients keep reading it:
// once a change is answered, every later read shows it, however the reads
// that began before it raced with the change.
func TestTOMLNeverStale(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db, apptest.WithArgs("--log-level", "warn"))
		mgr := inst.MustRoleToken(t, tc.RoleManager)
		reader := inst.MustToken(t, inst.MustUser(t, tc.RoleViewer), "configs:read")
		body := func(i int) string { return fmt.Sprintf("[global_tags]\n  n = \"%d-&{x}\"\n", i) }
		c := mustConfig(t, inst, mgr, map[string]any{"name": "raced", "toml": body(0)})
		stop := make(chan struct{})
		done := make(chan struct{})
		for w := 0; w < 4; w++ {
			go func() {
				defer func() { done <- struct{}{} }()
				for {
					select {
					case <-stop:
						return
					default:
					}
					req, _ := http.NewRequest("GET", inst.URL+"/api/configs/"+c.ID+"/toml?x=1", nil)
					req.Header.Set("Authorization", "Bearer "+reader)
					if resp, err := inst.Client.Do(req); err == nil {
						io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
					}
				}
			}()
		}
		prevLM := ""
		for i := 1; i <= 15; i++ {
			apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "PATCH", Path: "/api/configs/" + c.ID, Token: mgr, Body: map[string]any{"toml": body(i)}}), 200)
			for _, method := range []string{"GET", "HEAD"} {
				r := apptest.MustStatus(t, tomlReq(t, inst, method, c.ID, "?x=1", reader, nil), 200)
				if want := fmt.Sprintf("[global_tags]\n  n = \"%d-1\"\n", i); method == "GET" && string(r.Body) != want {
					t.Fatalf("after change %d: body %q, want %q", i, r.Body, want)
				}
				if lm := r.Header.Get("Last-Modified"); lm == prevLM {
					t.Fatalf("after change %d: %s Last-Modified %q did not move", i, method, lm)
				}
			}
			prevLM = tomlReq(t, inst, "HEAD", c.ID, "?x=1", reader, nil).Header.Get("Last-Modified")
		}
		close(stop)
		for w := 0; w < 4; w++ {
			<-done
		}
	})
}

// TestConfigListLeavesOutTOML checks that GET /api/configs answers configs
// without their TOML (a config can be megabytes, and lists are read for
// names) unless include=toml asks for it.
func TestConfigListLeavesOutTOML(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db)
		mgr := inst.MustRoleToken(t, tc.RoleManager)
		viewer := inst.MustRoleToken(t, tc.RoleViewer)
		raw := "# kept\n[[inputs.cpu]]\n  percpu = true\n"
		c := mustConfig(t, inst, mgr, map[string]any{"name": "web", "description": "edge", "toml": raw})
		item := func(query string) map[string]any {
			t.Helper()
			var page struct {
				Items []map[string]any `json:"items"`
				Total int              `json:"total"`
			}
			apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/configs" + query, Token: viewer}), 200).JSON(t, &page)
			if len(page.Items) != 1 || page.Total != 1 {
				t.Fatalf("GET /api/configs%s: %d items, total %d, want 1", query, len(page.Items), page.Total)
			}
			return page.Items[0]
		}
		for _, q := range []string{"", "?include=", "?sortBy=updatedAt&limit=500", "?search=web"} {
			it := item(q)
			if v, ok := it["toml"]; ok {
				t.Errorf("GET /api/configs%s carries the TOML (%q)", q, v)
			}
			for k, want := range map[string]any{"id": c.ID, "name": "web", "description": "edge", "currentVersion": 1.0} {
				if it[k] != want {
					t.Errorf("GET /api/configs%s: %s = %v, want %v", q, k, it[k], want)
				}
			}
			for _, k := range []string{"labelIds", "createdAt", "updatedAt", "revisionAt", "createdBy"} {
				if _, ok := it[k]; !ok {
					t.Errorf("GET /api/configs%s lacks %s", q, k)
				}
			}
		}
		for _, q := range []string{"?include=toml", "?include=toml,toml", "?include=toml&include=toml", "?include=%20toml%20", "?include=,toml"} {
			if got := item(q)["toml"]; got != raw {
				t.Errorf("GET /api/configs%s: toml = %q, want %q", q, got, raw)
			}
		}
		for _, q := range []string{"?include=labels", "?include=toml,name", "?include=TOML", "?include=toml&include=x"} {
			r := apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/configs" + q, Token: viewer}), 400)
			if m := r.Map(t); m["error"] != "invalid" || m["field"] != "include" {
				t.Errorf("GET /api/configs%s: answer %s, want invalid naming include", q, r.Body)
			}
		}
		// One config still has its TOML.
		var got tc.Config
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/configs/" + c.ID, Token: viewer}), 200).JSON(t, &got)
		if got.TOML != raw {
			t.Errorf("GET /api/configs/{id}: toml = %q, want %q", got.TOML, raw)
		}
	})
}
