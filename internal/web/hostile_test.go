package web_test

import (
	"context"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/apptest"
)

// urlAttr finds the URL-bearing attributes of a page, template actions
// already rendered.
var urlAttr = regexp.MustCompile(`\s(href|action|src|data-api|data-then)="([^"]*)"`)

// TestHostileAgentIDs renders the agent list and each agent's page for
// agent ids that hold URL syntax (agents choose their own ids), follows the
// links as a browser would, and presses Delete on the agent whose id climbs
// to a token's API path: it must delete that agent and leave the token.
func TestHostileAgentIDs(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db)
		owner := inst.MustOwner(t)
		apiTok := inst.MustToken(t, owner, tc.AllPermissions...)
		var toks struct {
			Items []struct{ ID string } `json:"items"`
		}
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/tokens", Token: apiTok}), 200).JSON(t, &toks)
		if len(toks.Items) != 1 {
			t.Fatalf("want one token, got %d", len(toks.Items))
		}
		tokenID := toks.Items[0].ID
		cfg := apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/configs", Token: apiTok,
			Body: map[string]any{"name": "base", "toml": "[[inputs.cpu]]\n"}}), 201).Map(t)["id"].(string)

		attack := "x/../../tokens/" + tokenID
		ids := []string{
			attack,
			"a/b",
			"..x",
			"x/..",
			"q?x=1",
			"h#frag",
			"p%2Fq",
			"100%",
			`quo"te`,
			"apo'st",
			"sp ace",
			"ünïcödé/名前",
			"<b>tag</b>",
			`back\slash`,
			"semi;colon&amp=1",
		}
		agents := make([]*tc.Agent, len(ids))
		for i, id := range ids {
			agents[i] = &tc.Agent{ID: id, Hostname: "host", LastSeen: inst.Clock.Now(), ConfigIDs: []string{cfg}}
		}
		if err := inst.Store.InsertAgents(context.Background(), agents); err != nil {
			t.Fatal(err)
		}
		c := inst.MustSession(t, owner)
		get := func(u *url.URL) string {
			t.Helper()
			resp, err := c.Get(u.String())
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != 200 {
				t.Fatalf("GET %s = %d: %.300s", u, resp.StatusCode, b)
			}
			return string(b)
		}
		base, _ := url.Parse(inst.URL)

		list, _ := url.Parse(inst.URL + "/agents?limit=100")
		page := get(list)
		for _, id := range ids {
			want := "/agents/" + url.PathEscape(id)
			if !strings.Contains(page, `href="`+html.EscapeString(want)+`"`) {
				t.Errorf("agent list: no link %q for agent %q", want, id)
			}
		}
		for _, id := range ids {
			// Follow the link the list shows, resolved as a browser does.
			link, _ := url.Parse("/agents/" + url.PathEscape(id))
			u := base.ResolveReference(link)
			page := get(u)
			wantAPI := "/api/agents/" + url.PathEscape(id)
			for _, m := range urlAttr.FindAllStringSubmatch(page, -1) {
				v := html.UnescapeString(m[2])
				if m[1] == "data-api" && strings.HasPrefix(v, "/api/agents/") && v != wantAPI {
					t.Errorf("agent %q: %s=%q, want %q", id, m[1], v, wantAPI)
				}
				ref, err := url.Parse(strings.TrimPrefix(v, "go:"))
				if err != nil {
					t.Errorf("agent %q: %s=%q is not a URL: %v", id, m[1], v, err)
					continue
				}
				if r := u.ResolveReference(ref); r.Host != base.Host && !strings.HasPrefix(v, "#") {
					t.Errorf("agent %q: %s=%q leaves the site", id, m[1], v)
				}
			}
			if got := strings.Count(page, `data-api="`+html.EscapeString(wantAPI)+`"`); got != 3 {
				t.Errorf("agent %q: %d data-api=%q (rule, labels, delete), want 3", id, got, wantAPI)
			}
			if !strings.Contains(page, `href="/configs/`+cfg+`"`) {
				t.Errorf("agent %q: no link to its config", id)
			}
		}

		// Press Delete on the attacking agent's page: the browser resolves
		// the button's data-api against the page and sends DELETE.
		pageURL := base.ResolveReference(&url.URL{Path: "/agents/" + attack, RawPath: "/agents/" + url.PathEscape(attack)})
		page = get(pageURL)
		m := regexp.MustCompile(`data-api="([^"]*)" data-method="DELETE"`).FindStringSubmatch(page)
		if m == nil {
			t.Fatal("the agent page has no Delete button")
		}
		ref, _ := url.Parse(html.UnescapeString(m[1]))
		target := pageURL.ResolveReference(ref)
		req, _ := http.NewRequest("DELETE", target.String(), nil)
		req.Header.Set("Origin", inst.URL)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNoContent {
			t.Errorf("DELETE %s = %d, want 204", target.EscapedPath(), resp.StatusCode)
		}
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/tokens/" + tokenID, Token: apiTok}), 200)
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/agents/" + url.PathEscape(attack), Token: apiTok}), 404)
	})
}
