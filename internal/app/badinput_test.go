package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/api"
	"github.com/telegrafcontroller/tc/internal/apptest"
)

// badMaxBody is the --max-body-bytes of the bad-input instance: small, so
// the oversized bodies stay cheap.
const badMaxBody = 64 << 10

// badPathValues stand in for every path wildcard: unknown, malformed, long
// and oddly spelled ids. Each is already escaped for the URL.
var badPathValues = []string{
	"00000000-0000-4000-8000-000000000000",
	"not-an-id",
	"0",
	"-1",
	"99999999999999999999",
	strings.Repeat("x", 2000),
	"%27%22%3B--%20DROP%20TABLE%20users",
	"%FF%FE",
	"%F0%9F%98%80",
	"a%2Fb",
	"%20",
	"..",
	"%25",
	"%0A%0D",
	"1e400",
}

// badQueries are appended to every route.
var badQueries = []string{
	"page=-1", "page=abc", "page=99999999999999999999",
	"limit=abc", "limit=-1", "limit=99999999999999999999",
	"sortBy=nope", "sortOrder=sideways",
	"search=%FF", "search=%27%22%5C%25_", "search=" + strings.Repeat("s", 3000),
	"status=bogus&labelId=%FF&reportingRuleId=nope&configId=-1&userId=%27&type=nope",
	"from=abc&to=xyz", "from=-1&to=99999999999999999999",
	"page=1&page=2&limit=1&limit=x", "%zz=1&=&&=",
	"q=%FF", "q=%00", "q=" + strings.Repeat("q", 3000),
	"host=%FF", "host=%22%0A%5B%5Boutputs.exec%5D%5D", "host=" + strings.Repeat("h", 3000), "host=a&host=%5C",
}

// badHeaders are broken credentials: every protected route answers 401.
var badHeaders = map[string]http.Header{
	"empty bearer":       {"Authorization": {"Bearer "}},
	"bearer junk":        {"Authorization": {"Bearer junk"}},
	"bearer lookalike":   {"Authorization": {"Bearer tc_" + strings.Repeat("A", 40)}},
	"bearer very long":   {"Authorization": {"Bearer " + strings.Repeat("t", 8000)}},
	"bearer odd":         {"Authorization": {"Bearer é'\"%00"}},
	"token scheme":       {"Authorization": {"Token nope"}},
	"basic not base64":   {"Authorization": {"Basic !!!"}},
	"basic no colon":     {"Authorization": {"Basic YQ=="}},
	"basic empty":        {"Authorization": {"Basic Og=="}},
	"unknown scheme":     {"Authorization": {"Digest x=y"}},
	"two authorizations": {"Authorization": {"Bearer a", "Bearer b"}},
	"session junk":       {"Cookie": {"tc_session=junk"}},
	"session odd":        {"Cookie": {"tc_session=%FF%00; tc_session=x"}},
	"session very long":  {"Cookie": {"tc_session=" + strings.Repeat("s", 6000)}},
	"x-api-key junk":     {"X-Api-Key": {"junk"}},
	"x-auth-token junk":  {"X-Auth-Token": {"junk"}},
}

var badHeaderNames = slices.Sorted(maps.Keys(badHeaders))

var otherMethods = []string{"PUT", "OPTIONS", "TRACE", "PROPFIND", "CONNECT", "POST", "DELETE", "PATCH"}

// conditionalHeaders are malformed cache and range headers.
var conditionalHeaders = map[string]http.Header{
	"conditional since garbage": {"If-Modified-Since": {"yesterday-ish"}},
	"conditional since future":  {"If-Modified-Since": {"Fri, 01 Jan 9999 00:00:00 GMT"}},
	"conditional since epoch":   {"If-Modified-Since": {"Thu, 01 Jan 1970 00:00:00 GMT"}},
	"conditional etag garbage":  {"If-None-Match": {"\"unterminated, W/"}},
	"conditional range garbage": {"Range": {"bytes=abc-"}},
	"conditional range huge":    {"Range": {"bytes=99999999999999999999-"}},
	"conditional accept":        {"Accept": {"application/xml"}, "Accept-Encoding": {"gzip;q=abc, br"}},
}

var conditionalNames = slices.Sorted(maps.Keys(conditionalHeaders))

// badBodies are sent to every route as JSON.
var badBodies = map[string]string{
	"invalid JSON":    `{"name": `,
	"not JSON":        `name=x`,
	"array":           `[]`,
	"array of object": `[{"name": "x"}]`,
	"string":          `"x"`,
	"number":          `42`,
	"null":            `null`,
	"true":            `true`,
	"two values":      `{} {}`,
	"trailing":        `{}x`,
	"unknown field":   `{"definitelyNotAField": 1}`,
	"nested unknown":  `{"definitelyNotAField": {"a": [1, {"b": null}]}}`,
	"deep nesting":    strings.Repeat("[", 5000) + strings.Repeat("]", 5000),
	"BOM":             "\ufeff{}",
	"invalid UTF-8":   "{\"name\": \"\xff\xfe\"}",
}

// badFields are the request fields of the API; each is sent alone with
// values of the wrong type or out of any range.
var badFields = []string{
	"action", "autoDeleteAfterSeconds", "beforeTime", "beforeVersion", "changeNote", "color", "constants",
	"currentPassword", "description", "disabled", "email", "env", "expiresAt", "expiresInDays", "expiresInHours",
	"id", "ids", "isDefault", "labelId", "labelIds", "loginLockoutAttempts", "loginLockoutMinutes", "name",
	"newPassword", "notReportingAfterSeconds", "note", "parameters", "password", "passwordComplexity",
	"permissions", "preset", "publicApiUrl", "publicHeartbeatUrl", "publicUiUrl", "reportingRuleId", "role",
	"secrets", "status", "toml", "type", "userId", "username", "value", "version", "configIds", "configId",
	"from", "to",
}

// badFieldValues are wrong for every field; sent to the fixture's real
// objects, none may change them.
var badFieldValues = []string{`{"a": [1]}`, `1e400`, `"a\u0000b"`, `[null]`}

// oddFieldValues may be right for some fields (an empty description, a
// null meaning "unchanged"), so they are sent to unknown ids only.
var oddFieldValues = []string{`9223372036854775807`, `-1`, `""`, `null`}

// acceptedFields returns the badFields that method path does not refuse
// as unknown, probing each with a value no field accepts, as the caller in
// as (its Token or session Client).
func acceptedFields(t *testing.T, inst *apptest.Instance, as apptest.Req, method, path string) []string {
	t.Helper()
	var out []string
	for _, field := range badFields {
		resp := inst.Do(t, apptest.Req{Method: method, Path: path, Token: as.Token, Client: as.Client, Body: []byte(`{"` + field + `": {"a": [1]}}`)})
		checkBadAnswer(t, "probe "+field+": "+method+" "+path, resp)
		if !strings.Contains(string(resp.Body), "unknown field") {
			out = append(out, field)
		}
	}
	return out
}

// badInputFixture is what exists before the barrage and must be intact
// after it.
type badInputFixture struct {
	token     string // the owner's, every permission
	keepToken string // another token, must still authenticate
	ids       map[string]string
	snapshots map[string][]byte
}

// snapshotPaths are read before and after the barrage; their bodies must
// not change by a byte.
func (f *badInputFixture) snapshotPaths() []string {
	return []string{
		"/api/configs/" + f.ids["config"],
		"/api/configs/" + f.ids["config"] + "/toml",
		"/api/configs/" + f.ids["config"] + "/versions",
		"/api/labels",
		"/api/constants",
		"/api/reporting-rules/" + f.ids["rule"],
		"/api/agents/" + f.ids["agent"],
		"/api/users/" + f.ids["user"],
		"/api/settings",
	}
}

func newBadInputFixture(t *testing.T, inst *apptest.Instance) *badInputFixture {
	t.Helper()
	owner := inst.MustOwner(t)
	f := &badInputFixture{token: inst.MustToken(t, owner), ids: map[string]string{}, snapshots: map[string][]byte{}}
	create := func(path string, body any) map[string]any {
		return apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: path, Token: f.token, Body: body}), 201).Map(t)
	}
	f.ids["config"] = create("/api/configs", map[string]any{"name": "keep", "toml": "[agent]\n  interval = \"10s\" # keep me\n  hostname = \"&{host:h1}\"\n\n[[inputs.cpu]]\n"})["id"].(string)
	f.ids["label"] = create("/api/labels", map[string]any{"name": "keep", "color": "#123456"})["id"].(string)
	create("/api/constants", map[string]any{"name": "keep_me", "value": "v"})
	f.ids["constant"] = "keep_me"
	f.ids["rule"] = create("/api/reporting-rules", map[string]any{"name": "keep", "notReportingAfterSeconds": 120})["id"].(string)
	if err := inst.Store.InsertAgents(context.Background(), []*tc.Agent{{ID: "keep-agent", Hostname: "keep.example", Status: tc.AgentOK, LastSeen: inst.Clock.Now()}}); err != nil {
		t.Fatal(err)
	}
	f.ids["agent"] = "keep-agent"
	viewer := inst.MustUser(t, tc.RoleViewer)
	f.ids["user"] = viewer.ID
	tok := create("/api/tokens", map[string]any{"description": "keep", "preset": "read-only"})
	f.ids["token"], f.keepToken = tok["id"].(string), tok["token"].(string)
	for _, p := range f.snapshotPaths() {
		f.snapshots[p] = apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: p, Token: f.token}), 200).Body
	}
	return f
}

// realPath fills route's wildcards with the fixture's ids, or returns ""
// when the route has a wildcard the fixture does not fill.
func (f *badInputFixture) realPath(route string) string {
	resource := map[string]string{
		"/api/configs/": "config", "/api/labels/": "label", "/api/constants/": "constant", "/api/reporting-rules/": "rule",
		"/api/agents/": "agent", "/api/users/": "user", "/api/tokens/": "token",
	}
	out := route
	for prefix, key := range resource {
		if strings.HasPrefix(route, prefix) {
			out = strings.Replace(out, "{id}", f.ids[key], 1)
			out = strings.Replace(out, "{name}", f.ids[key], 1)
		}
	}
	out = strings.Replace(out, "{version}", "1", 1)
	out = strings.Replace(out, "{type}/{name}", "inputs/cpu", 1)
	if strings.Contains(out, "{") {
		return ""
	}
	return out
}

// fillPath substitutes v for every wildcard of route.
func fillPath(route, v string) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(route, '{')
		if i < 0 {
			b.WriteString(route)
			return b.String()
		}
		j := strings.IndexByte(route[i:], '}')
		b.WriteString(route[:i])
		b.WriteString(v)
		route = route[i+j+1:]
	}
}

// checkBadAnswer fails t unless resp is a 4xx (or a success) with the
// error shape and no Last-Modified on errors.
func checkBadAnswer(t *testing.T, what string, resp *apptest.Response) {
	t.Helper()
	if resp.StatusCode >= 500 {
		t.Errorf("%s: status = %d, want < 500; body: %.300s", what, resp.StatusCode, resp.Body)
		return
	}
	if resp.StatusCode < 400 {
		return
	}
	if lm := resp.Header.Get("Last-Modified"); lm != "" {
		t.Errorf("%s: error %d has Last-Modified %q", what, resp.StatusCode, lm)
	}
	if resp.Request.Method == http.MethodHead {
		return // no body to check
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("%s: error %d has Content-Type %q, want application/json; body: %.300s", what, resp.StatusCode, ct, resp.Body)
		return
	}
	var body map[string]any
	if err := json.Unmarshal(resp.Body, &body); err != nil {
		t.Errorf("%s: error %d body is not a JSON object: %v; body: %.300s", what, resp.StatusCode, err, resp.Body)
		return
	}
	code, _ := body["error"].(string)
	msg, _ := body["message"].(string)
	if code == "" || msg == "" {
		t.Errorf("%s: error %d body lacks error or message: %.300s", what, resp.StatusCode, resp.Body)
	}
	if code == tc.EINTERNAL || msg == "internal error" {
		t.Errorf("%s: error %d is an internal error: %.300s", what, resp.StatusCode, resp.Body)
	}
}

// TestBadInput sends every route of the main listener malformed paths,
// queries and bodies as the owner: every answer is a success or a 4xx with
// the error shape, never a 5xx or a panic, and what existed before is
// unchanged after.
func TestBadInput(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db, apptest.WithArgs("--max-body-bytes", fmt.Sprint(badMaxBody)))
		f := newBadInputFixture(t, inst)
		// Routes for a signed-in person only take the owner's session.
		session := inst.MustSession(t, inst.MustOwner(t))
		asFor := func(rt api.Route) apptest.Req {
			if rt.Permission == api.SessionOnly {
				return apptest.Req{Client: session}
			}
			return apptest.Req{Token: f.token}
		}
		sendAs := func(t *testing.T, as apptest.Req, what, method, path string, body []byte, header http.Header) {
			t.Helper()
			h := http.Header{}
			if as.Token != "" {
				h.Set("Authorization", "Bearer "+as.Token)
			}
			if body != nil {
				h.Set("Content-Type", "application/json")
			}
			for k, v := range header {
				h[k] = v
			}
			var b any
			if body != nil {
				b = body
			}
			resp := inst.Do(t, apptest.Req{Method: method, Path: path, Body: b, Header: h, Client: as.Client})
			checkBadAnswer(t, what+": "+method+" "+path, resp)
		}
		oversized := []byte(`{"name": "` + strings.Repeat("x", badMaxBody) + `"}`)
		// Each route in its own parallel subtest; the checks after wait for all.
		t.Run("routes", func(t *testing.T) {
			for _, rt := range inst.API.Routes() {
				if rt.Method == http.MethodHead {
					continue
				}
				t.Run(rt.Method+" "+rt.Path, func(t *testing.T) {
					t.Parallel()
					as := asFor(rt)
					send := func(t *testing.T, what, method, path string, body []byte, header http.Header) {
						t.Helper()
						sendAs(t, as, what, method, path, body, header)
					}
					m := rt.Method
					unknown := fillPath(rt.Path, badPathValues[0])
					// Malformed wildcards, with and without a broken body.
					if strings.Contains(rt.Path, "{") {
						for _, v := range badPathValues {
							p := fillPath(rt.Path, v)
							send(t, "bad id", m, p, nil, nil)
							if m != http.MethodGet {
								send(t, "bad id, invalid JSON", m, p, []byte(`{"`), nil)
							}
						}
					}
					// Destructive routes only ever see unknown ids; reads and patches
					// also see the real objects, which must survive.
					targets := []string{unknown}
					if real := f.realPath(rt.Path); real != "" && (m == http.MethodGet || m == http.MethodPatch) && real != unknown {
						targets = append(targets, real)
					}
					var fields []string // the route's request fields, probed once
					for _, p := range targets {
						for name, body := range badBodies {
							if m != http.MethodGet || name == "invalid JSON" { // reads ignore bodies
								send(t, name, m, p, []byte(body), nil)
							}
						}
						if m != http.MethodGet && m != http.MethodDelete {
							values := badFieldValues
							if p == unknown && strings.Contains(rt.Path, "{") {
								values = append(slices.Clip(values), oddFieldValues...)
							}
							if fields == nil {
								fields = acceptedFields(t, inst, as, m, p)
							}
							for _, field := range fields {
								for _, v := range values {
									send(t, "field "+field+"="+v, m, p, []byte(`{"`+field+`": `+v+`}`), nil)
								}
							}
						}
						send(t, "oversized", m, p, oversized, nil)
						send(t, "text/plain", m, p, []byte(`{}`), http.Header{"Content-Type": {"text/plain"}})
						send(t, "form", m, p, []byte(`name=x`), http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})
						send(t, "no body with Content-Type", m, p, nil, http.Header{"Content-Type": {"application/json"}})
						if m == http.MethodGet {
							for _, q := range badQueries {
								send(t, "query", m, p+"?"+q, nil, nil)
							}
						}
					}
				})
			}
		})
		// Every path with methods no route has, and every route with broken
		// credentials, conditional headers, or a cross-site browser write.
		i := 0
		for _, rt := range inst.API.Routes() {
			p := fillPath(rt.Path, badPathValues[0])
			if real := f.realPath(rt.Path); real != "" && rt.Method == http.MethodGet {
				p = real
			}
			// Each route gets the next of each kind, so every kind meets
			// several routes without multiplying the requests.
			k := i
			i++
			m := otherMethods[k%len(otherMethods)]
			checkBadAnswer(t, "method: "+m+" "+p, inst.Do(t, apptest.Req{Method: m, Path: p}))
			name := badHeaderNames[k%len(badHeaderNames)]
			resp := inst.Do(t, apptest.Req{Method: rt.Method, Path: p, Header: badHeaders[name].Clone()})
			checkBadAnswer(t, name+": "+rt.Method+" "+p, resp)
			if rt.Permission != api.Public && resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("%s: %s %s: status = %d, want 401", name, rt.Method, p, resp.StatusCode)
			}
			if rt.Method != http.MethodGet && rt.Method != http.MethodHead {
				resp := inst.Do(t, apptest.Req{Method: rt.Method, Path: p, Client: session, Body: map[string]any{},
					Header: http.Header{"Sec-Fetch-Site": {"cross-site"}}})
				checkBadAnswer(t, "cross-site: "+rt.Method+" "+p, resp)
				if resp.StatusCode != http.StatusForbidden {
					t.Errorf("cross-site %s %s: status = %d, want 403", rt.Method, p, resp.StatusCode)
				}
			}
			name = conditionalNames[k%len(conditionalNames)]
			h := conditionalHeaders[name].Clone()
			h.Set("Authorization", "Bearer "+f.token)
			checkBadAnswer(t, name+": "+rt.Method+" "+p, inst.Do(t, apptest.Req{Method: rt.Method, Path: p, Header: h}))
		}
		if logs := inst.Logs.String(); strings.Contains(logs, "panic serving request") || strings.Contains(logs, "request failed") {
			t.Errorf("server logged failures during the barrage:\n%s", grepLines(logs, "panic serving request", "request failed"))
		}
		// Loses nothing: every object reads back byte for byte, and the
		// other token still works.
		for _, p := range f.snapshotPaths() {
			got := apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: p, Token: f.token}), 200).Body
			if string(got) != string(f.snapshots[p]) {
				t.Errorf("GET %s changed during the barrage:\n got %s\nwant %s", p, got, f.snapshots[p])
			}
		}
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/auth/me", Token: f.keepToken}), 200)
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/auth/me", Token: f.token}), 200)
	})
}

// TestBadHeartbeats sends the heartbeat listener malformed, oversized and
// wrongly typed bodies: each is a 4xx with the error shape.
func TestBadHeartbeats(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db, apptest.WithArgs("--heartbeat-max-body-bytes", fmt.Sprint(badMaxBody)))
		token := inst.MustToken(t, inst.MustOwner(t))
		bodies := map[string]string{"oversized": `{"id": "` + strings.Repeat("x", badMaxBody) + `"}`}
		for name, b := range badBodies {
			bodies[name] = b
		}
		for _, field := range []string{"id", "version", "schema", "last", "hostname", "configurations", "statistics", "logs", "status", "metrics"} {
			for _, v := range badFieldValues {
				bodies["field "+field+"="+v] = `{"id": "hb-agent", "schema": 1, "` + field + `": ` + v + `}`
			}
		}
		bodies["statistics wrong"] = `{"id": "hb-agent", "statistics": {"errors": -1, "warnings": "x", "metrics": 1e400}}`
		bodies["logs wrong"] = `{"id": "hb-agent", "logs": {"errors": "x", "entries": [1, "a", null]}}`
		bodies["long id"] = `{"id": "` + strings.Repeat("i", 5000) + `"}`
		bodies["odd id"] = `{"id": "\u0000\u202e';--"}`
		for _, path := range []string{"/agents/heartbeat", "/heartbeat", "/agents/heartbeat?x=%FF", "/nope"} {
			for name, b := range bodies {
				for _, ct := range []string{"application/json", "text/plain", ""} {
					h := http.Header{"Authorization": {"Bearer " + token}}
					if ct != "" {
						h.Set("Content-Type", ct)
					}
					resp := inst.Do(t, apptest.Req{Method: "POST", Path: inst.HeartbeatURL + path, Body: []byte(b), Header: h})
					checkBadAnswer(t, "heartbeat "+name+" as "+ct+": POST "+path, resp)
				}
			}
			for _, m := range []string{"GET", "PUT", "DELETE", "PATCH"} {
				resp := inst.Do(t, apptest.Req{Method: m, Path: inst.HeartbeatURL + path, Header: http.Header{"Authorization": {"Bearer " + token}}})
				checkBadAnswer(t, "heartbeat "+m+" "+path, resp)
			}
		}
		// One beat listing more config sources than a batch statement can
		// link is refused, not accepted to fail the batch it is written in.
		many := `{"id":"many","version":"v","configurations":[` + strings.Repeat(`"http://a/api/configs/c/toml",`, tc.MaxAgentConfigs) + `"x"]}`
		resp := inst.Do(t, apptest.Req{Method: "POST", Path: inst.HeartbeatURL + "/agents/heartbeat", Body: []byte(many), Header: http.Header{"Authorization": {"Bearer " + token}}})
		checkBadAnswer(t, "heartbeat with too many configurations", resp)
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("heartbeat with %d configurations: status = %d, want 400", tc.MaxAgentConfigs+1, resp.StatusCode)
		}
		resp = inst.Do(t, apptest.Req{Method: "POST", Path: inst.HeartbeatURL + "/agents/heartbeat", Body: []byte(`{"id":"x"}`)})
		checkBadAnswer(t, "heartbeat without token", resp)
		if logs := inst.Logs.String(); strings.Contains(logs, "panic serving request") || strings.Contains(logs, "request failed") {
			t.Errorf("heartbeat listener logged failures:\n%s", grepLines(logs, "panic serving request", "request failed"))
		}
	})
}

func grepLines(s string, subs ...string) string {
	var out []string
	for _, line := range strings.Split(s, "\n") {
		for _, sub := range subs {
			if strings.Contains(line, sub) {
				out = append(out, line)
				break
			}
		}
	}
	return strings.Join(out, "\n")
}
