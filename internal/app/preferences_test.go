package app_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/apptest"
)

// TestPreferencesAreEachPersonsOwn: GET and PUT /api/account/preferences
// act on the caller alone, answer the defaults until a choice, refuse
// what they cannot store with a 400 naming the field, and the agents page's
// form without JavaScript (POST /account/preferences) stores the same.
func TestPreferencesAreEachPersonsOwn(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db)
		alice := inst.MustSession(t, inst.MustUser(t, tc.RoleViewer))
		bob := inst.MustSession(t, inst.MustUser(t, tc.RoleManager))
		get := func(c *http.Client) map[string]any {
			t.Helper()
			return apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/account/preferences", Client: c}), 200).Map(t)
		}
		columns := func(m map[string]any) string {
			var out []string
			for _, c := range m["agentColumns"].([]any) {
				out = append(out, c.(string))
			}
			return strings.Join(out, ",")
		}
		if m := get(alice); columns(m) != strings.Join(tc.DefaultAgentColumns, ",") || m["compactRows"] != false {
			t.Errorf("before any choice: %v, want the defaults", m)
		}
		put := func(c *http.Client, body any, want int) map[string]any {
			t.Helper()
			return apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "PUT", Path: "/api/account/preferences", Client: c, Body: body}), want).Map(t)
		}
		// Answered in display order, whatever order they came in.
		if m := put(alice, map[string]any{"agentColumns": []string{"labels", "ip", "lastSeen"}, "compactRows": true}, 200); columns(m) != "lastSeen,ip,labels" || m["compactRows"] != true {
			t.Errorf("PUT answered %v", m)
		}
		if m := get(alice); columns(m) != "lastSeen,ip,labels" || m["compactRows"] != true {
			t.Errorf("alice reads %v after her choice", m)
		}
		if m := get(bob); columns(m) != strings.Join(tc.DefaultAgentColumns, ",") || m["compactRows"] != false {
			t.Errorf("bob reads %v: alice's choice is hers", m)
		}
		if m := put(alice, map[string]any{"agentColumns": []string{}}, 200); columns(m) != "" || m["compactRows"] != false {
			t.Errorf("no optional column: %v", m)
		}
		if m := put(alice, map[string]any{"agentColumns": nil}, 200); columns(m) != strings.Join(tc.DefaultAgentColumns, ",") {
			t.Errorf("null columns: %v, want the defaults", m)
		}
		for _, c := range []struct {
			body  any
			field string
			msg   string
		}{
			{map[string]any{"agentColumns": []string{"hostname", "secret"}}, "agentColumns", `unknown column "secret"`},
			{map[string]any{"agentColumns": []string{"ip", "ip"}}, "agentColumns", "twice"},
			{map[string]any{"agentColumns": "ip"}, "agentColumns", ""},
			{map[string]any{"compactRows": "yes"}, "compactRows", ""},
			{map[string]any{"theme": "dark"}, "", "theme"},
			{"[]", "", ""},
		} {
			m := put(alice, c.body, 400)
			if m["error"] != "invalid" || (c.field != "" && m["field"] != c.field) || !strings.Contains(m["message"].(string), c.msg) {
				t.Errorf("PUT %v: %v, want invalid naming %q, saying %q", c.body, m, c.field, c.msg)
			}
		}
		if m := get(alice); columns(m) != strings.Join(tc.DefaultAgentColumns, ",") {
			t.Errorf("after refused PUTs: %v, want the last stored choice", m)
		}

		// The form: its boxes, and the way back to the agents page.
		form := url.Values{"columns": {"version", "problem"}, "compactRows": {"on"}, "next": {"/agents?status=fail"}}
		req, _ := http.NewRequestWithContext(context.Background(), "POST", inst.URL+"/account/preferences", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		bob.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		resp, err := bob.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/agents?status=fail" {
			t.Errorf("form post: %d to %q, want 303 to /agents?status=fail", resp.StatusCode, resp.Header.Get("Location"))
		}
		bob.CheckRedirect = nil
		if m := get(bob); columns(m) != "problem,version" || m["compactRows"] != true {
			t.Errorf("after the form: %v", m)
		}
		page := apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/agents", Client: bob}), 200).Body
		for _, want := range []string{`value="problem" checked`, `value="version" checked`, `id="compact-rows" checked`} {
			if !strings.Contains(string(page), want) {
				t.Errorf("the agents page's chooser lacks %s", want)
			}
		}
		for _, want := range []string{`value="ip">`, `value="labels">`} {
			if !strings.Contains(string(page), want) {
				t.Errorf("the agents page's chooser ticks %s", want)
			}
		}
		if !slices.Contains(tc.AgentColumns, "ip") {
			t.Fatal("no ip column")
		}
	})
}
