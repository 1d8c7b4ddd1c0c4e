package web_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/apptest"
)

// page is one answer of the UI: status, where it redirects, the HTML.
type page struct {
	status   int
	location string
	body     string
}

// browse is a session that does not follow redirects, so that a form's
// answer can be checked before the page it sends to.
type browse struct {
	t    *testing.T
	inst *apptest.Instance
	c    *http.Client
}

func newBrowse(t *testing.T, inst *apptest.Instance, u *tc.User) *browse {
	c := inst.MustSession(t, u)
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &browse{t: t, inst: inst, c: c}
}

func (b *browse) do(method, path string, form url.Values, header http.Header) page {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.inst.URL+path, body)
	if err != nil {
		b.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return page{status: resp.StatusCode, location: resp.Header.Get("Location"), body: string(out)}
}

// main is the page's main element onwards, for failure messages.
func (p page) main() string {
	if i := strings.Index(p.body, "<main"); i >= 0 {
		return p.body[i:]
	}
	return p.body
}

func (b *browse) get(path string) page { b.t.Helper(); return b.do("GET", path, nil, nil) }

func (b *browse) post(path string, form url.Values) page {
	b.t.Helper()
	return b.do("POST", path, form, nil)
}

// mustGet reads a page that must answer 200.
func (b *browse) mustGet(path string) string {
	b.t.Helper()
	p := b.get(path)
	if p.status != 200 {
		b.t.Fatalf("GET %s = %d: %.400s", path, p.status, p.main())
	}
	return p.body
}

// channelSecrets are the secrets the test gives its channels: none may
// ever appear in a page.
var channelSecrets = []string{"whsec-SECRET-1", "HDR-SECRET-2", "SLACK-SECRET-3", "TEAMS-SECRET-4", "MAIL-SECRET-5", "AM-SECRET-6",
	"MAIL-SECRET-7", "HDR-SECRET-8"}

func noSecrets(t *testing.T, what, body string) {
	t.Helper()
	for _, s := range channelSecrets {
		if strings.Contains(body, s) {
			t.Errorf("%s shows the secret %s", what, s)
		}
	}
}

// receiver is a webhook endpoint whose answer the test sets.
type receiver struct {
	*httptest.Server
	status atomic.Int32
	mu     sync.Mutex
	got    []http.Header
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{}
	r.status.Store(200)
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		io.Copy(io.Discard, req.Body)
		r.mu.Lock()
		r.got = append(r.got, req.Header.Clone())
		r.mu.Unlock()
		w.WriteHeader(int(r.status.Load()))
		if r.status.Load() >= 300 {
			io.WriteString(w, "intake is down")
		}
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) requests() []http.Header {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]http.Header(nil), r.got...)
}

var savedID = regexp.MustCompile(`^/notification-channels\?saved=([0-9a-f-]{36})$`)

// TestChannelPages drives the notification channel pages as a browser
// without JavaScript would, on both databases: the list, a channel of each
// kind created through its form (no secret ever in a page), refusals that
// keep what was typed, an edit that keeps a secret and one that removes
// secrets, Send test against a receiver that takes the message and then
// fails, delete, and what managers and viewers get.
func TestChannelPages(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db)
		owner := inst.MustOwner(t)
		o := newBrowse(t, inst, owner)
		recv := newReceiver(t)
		ctx := context.Background()

		if body := o.mustGet("/notification-channels"); !strings.Contains(body, "No notification channels yet") ||
			!strings.Contains(body, `href="/notification-channels/new"`) {
			t.Errorf("empty list: no empty state or New channel link")
		}
		choice := o.mustGet("/notification-channels/new")
		for _, k := range tc.ChannelKinds {
			if !strings.Contains(choice, `href="/notification-channels/new?kind=`+k+`"`) {
				t.Errorf("the new-channel page offers no %s", k)
			}
		}
		if p := o.get("/notification-channels/new?kind=pager"); p.status != 400 {
			t.Errorf("an unknown kind = %d, want 400", p.status)
		}

		// A channel of each kind, through its form.
		create := func(kind string, form url.Values) string {
			t.Helper()
			body := o.mustGet("/notification-channels/new?kind=" + kind)
			for name := range form {
				if name != "enabled" && name != "kind" && !strings.Contains(body, `name="`+name+`"`) {
					t.Errorf("the %s form has no field %s", kind, name)
				}
			}
			form.Set("kind", kind)
			p := o.post("/notification-channels", form)
			m := savedID.FindStringSubmatch(p.location)
			if p.status != http.StatusSeeOther || m == nil {
				t.Fatalf("create %s = %d to %q: %.600s", kind, p.status, p.location, p.main())
			}
			if list := o.mustGet(p.location); !strings.Contains(list, "Saved the channel") {
				t.Errorf("after creating a %s channel the list does not say it was saved", kind)
			}
			return m[1]
		}
		hook := create("webhook", url.Values{"name": {"ops <hook>"}, "enabled": {"on"}, "webhook.url": {recv.URL + "/tc"},
			"webhook.secret": {"whsec-SECRET-1"}, "webhook.headerName": {"Authorization", ""}, "webhook.headerValue": {"Bearer HDR-SECRET-2", ""}})
		slack := create("slack", url.Values{"name": {"#ops"}, "enabled": {"on"}, "slack.url": {"https://hooks.slack.com/services/T0/B0/SLACK-SECRET-3"}})
		create("teams", url.Values{"name": {"Ops team"}, "teams.url": {"https://prod.logic.azure.com/workflows/1?sig=TEAMS-SECRET-4"}})
		mail := create("email", url.Values{"name": {"Ops mail"}, "enabled": {"on"}, "email.host": {"smtp.example.com"}, "email.port": {""},
			"email.security": {"starttls"}, "email.username": {"tc"}, "email.password": {"MAIL-SECRET-5"},
			"email.from": {"Telegraf Controller <tc@example.com>"}, "email.to": {"ops@example.com\r\noncall@example.com"}})
		am := create("alertmanager", url.Values{"name": {"Alertmanager"}, "enabled": {"on"}, "alertmanager.url": {"http://am.example:9093"},
			"alertmanager.bearerToken": {"AM-SECRET-6"}})

		stored := func(id string) *tc.NotificationChannel {
			t.Helper()
			c, err := inst.Store.NotificationChannel(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		if c := stored(hook); c.Webhook.Secret != "whsec-SECRET-1" || c.Webhook.Headers["Authorization"] != "Bearer HDR-SECRET-2" ||
			c.Webhook.URL != recv.URL+"/tc" || !c.Enabled || c.CreatedBy != owner.ID {
			t.Errorf("stored webhook = %+v %+v", c, c.Webhook)
		}
		if c := stored(mail); c.Email.Password != "MAIL-SECRET-5" || strings.Join(c.Email.To, ",") != "ops@example.com,oncall@example.com" ||
			c.Email.Port != 0 || c.Email.Security != "starttls" {
			t.Errorf("stored email = %+v", c.Email)
		}
		if c := stored(am); c.Alertmanager.BearerToken != "AM-SECRET-6" || c.Alertmanager.Password != "" {
			t.Errorf("stored alertmanager = %+v", c.Alertmanager)
		}

		list := o.mustGet("/notification-channels")
		noSecrets(t, "the list", list)
		for _, want := range []string{"ops &lt;hook&gt;", "#ops", "Ops team", "Ops mail", "Alertmanager",
			"<code>hooks.slack.com</code>", "<code>prod.logic.azure.com</code>", "<code>smtp.example.com:587, 2 recipients</code>",
			"<code>am.example:9093</code>", "signing secret, header Authorization", "bearer token", "by " + owner.Username,
			`<span class="badge disabled">Disabled</span>`, // Teams, created without "enabled"
			`action="/notification-channels/` + hook + `/test"`, `data-api="/api/notification-channels/` + hook + `" data-method="DELETE"`,
		} {
			if !strings.Contains(list, want) {
				t.Errorf("the list lacks %s", want)
			}
		}
		for _, id := range []string{hook, slack, mail, am} {
			body := o.mustGet("/notification-channels/" + id)
			noSecrets(t, "the edit page", body)
			if !strings.Contains(body, "Set") || !strings.Contains(body, "leave empty to keep") {
				t.Errorf("the edit page of %s does not say its secret is set", stored(id).Kind)
			}
			if strings.Contains(body, "disabled>") {
				t.Errorf("the owner's edit page is read-only")
			}
		}
		if body := o.mustGet("/notification-channels/" + slack); !strings.Contains(body, "host hooks.slack.com") {
			t.Errorf("the Slack page does not name the URL's host")
		}

		t.Run("refusals keep the input, never a secret", func(t *testing.T) {
			p := o.post("/notification-channels", url.Values{"kind": {"email"}, "name": {"Bad mail"}, "email.host": {"smtp.example.com"},
				"email.port": {"2525"}, "email.password": {"MAIL-SECRET-7"}, "email.from": {"tc@example.com"}, "email.to": {"not an address"}})
			if p.status != 400 {
				t.Fatalf("bad email = %d, want 400", p.status)
			}
			noSecrets(t, "the refused email form", p.body)
			for _, want := range []string{`value="Bad mail"`, `value="smtp.example.com"`, `value="2525"`, "not an address</textarea>",
				`aria-invalid="true" autofocus placeholder="ops@example.com"`, "is not an email address"} {
				if !strings.Contains(p.body, want) {
					t.Errorf("refused email form lacks %s", want)
				}
			}
			p = o.post("/notification-channels", url.Values{"kind": {"webhook"}, "name": {"Bad hook"}, "webhook.url": {recv.URL},
				"webhook.headerName": {"X-Team", ""}, "webhook.headerValue": {"HDR-SECRET-8", "HDR-SECRET-8"}})
			if p.status != 400 || !strings.Contains(p.body, "needs the header&#39;s name") || !strings.Contains(p.body, `value="X-Team"`) {
				t.Errorf("a header value without a name = %d: %.300s", p.status, p.main())
			}
			noSecrets(t, "the refused webhook form", p.body)
			p = o.post("/notification-channels", url.Values{"kind": {"slack"}, "name": {"#ops"}, "slack.url": {"https://hooks.slack.com/services/SLACK-SECRET-3"}})
			if p.status != 409 || !strings.Contains(p.body, "already exists") || !strings.Contains(p.body, `id="e-name">a notification channel named`) {
				t.Errorf("a name in use = %d: %.300s", p.status, p.main())
			}
			noSecrets(t, "the refused Slack form", p.body)
			p = o.post("/notification-channels/"+hook, url.Values{"name": {"ops <hook>"}, "webhook.url": {"ftp://x"}})
			if p.status != 400 || !strings.Contains(p.body, "webhook.url must be an absolute") || !strings.Contains(p.body, `value="ftp://x"`) {
				t.Errorf("a bad edit = %d: %.300s", p.status, p.main())
			}
			if c := stored(hook); c.Webhook.URL != recv.URL+"/tc" {
				t.Errorf("a refused edit changed the URL to %s", c.Webhook.URL)
			}
		})

		t.Run("an edit keeps the secrets left empty", func(t *testing.T) {
			p := o.post("/notification-channels/"+hook, url.Values{"name": {"ops hook"}, "enabled": {"on"}, "webhook.url": {recv.URL + "/v2"},
				"webhook.secret": {""}, "webhook.storedHeader": {"Authorization"}, "webhook.storedHeaderValue": {""},
				"webhook.headerName": {"X-Team", ""}, "webhook.headerValue": {"fleet", ""}})
			if p.status != http.StatusSeeOther || p.location != "/notification-channels?saved="+hook {
				t.Fatalf("save = %d to %q: %.400s", p.status, p.location, p.main())
			}
			c := stored(hook)
			if c.Name != "ops hook" || c.Webhook.URL != recv.URL+"/v2" || c.Webhook.Secret != "whsec-SECRET-1" ||
				c.Webhook.Headers["Authorization"] != "Bearer HDR-SECRET-2" || c.Webhook.Headers["X-Team"] != "fleet" {
				t.Errorf("after the edit: %+v %+v", c, c.Webhook)
			}
			p = o.post("/notification-channels/"+slack, url.Values{"name": {"#ops-2"}, "enabled": {"on"}, "slack.url": {""}})
			if p.status != http.StatusSeeOther {
				t.Fatalf("save slack = %d: %.400s", p.status, p.main())
			}
			if c := stored(slack); c.Slack.URL != "https://hooks.slack.com/services/T0/B0/SLACK-SECRET-3" || c.Name != "#ops-2" {
				t.Errorf("slack after an edit without its URL: %q %q", c.Name, c.Slack.URL)
			}
			// Unticked "enabled" disables; "Remove" drops a secret and a header.
			p = o.post("/notification-channels/"+mail, url.Values{"name": {"Ops mail"}, "email.host": {"smtp.example.com"}, "email.port": {"465"},
				"email.security": {"tls"}, "email.username": {""}, "email.password": {""}, "clearSecrets": {"email.password"},
				"email.from": {"tc@example.com"}, "email.to": {"ops@example.com"}})
			if p.status != http.StatusSeeOther {
				t.Fatalf("save email = %d: %.400s", p.status, p.main())
			}
			if c := stored(mail); c.Enabled || c.Email.Password != "" || c.Email.Port != 465 || c.Email.Security != "tls" {
				t.Errorf("email after removing the password: enabled %v %+v", c.Enabled, c.Email)
			}
			p = o.post("/notification-channels/"+hook, url.Values{"name": {"ops hook"}, "enabled": {"on"}, "webhook.url": {recv.URL + "/v2"},
				"webhook.storedHeader": {"Authorization", "X-Team"}, "webhook.storedHeaderValue": {"", ""}, "webhook.removeHeader": {"X-Team"}})
			if p.status != http.StatusSeeOther {
				t.Fatalf("remove a header = %d: %.400s", p.status, p.main())
			}
			if c := stored(hook); len(c.Webhook.Headers) != 1 || c.Webhook.Headers["Authorization"] == "" || c.Webhook.Secret == "" {
				t.Errorf("after removing X-Team: %v", headerNamesOf(c))
			}
			body := o.mustGet("/notification-channels/" + hook)
			noSecrets(t, "the edited webhook's page", body)
			if !strings.Contains(body, `name="webhook.storedHeader" value="Authorization"`) || strings.Contains(body, `value="X-Team"`) {
				t.Errorf("the webhook's page does not list exactly its stored header")
			}
		})

		t.Run("send test", func(t *testing.T) {
			p := o.post("/notification-channels/"+hook+"/test", url.Values{})
			if p.status != 200 || !strings.Contains(p.body, `<p class="notice" role="status" id="channel-notice">Test sent: the Webhook channel “ops hook” took the test message.</p>`) {
				t.Fatalf("test = %d: %.600s", p.status, p.main())
			}
			got := recv.requests()
			if len(got) != 1 || !strings.HasPrefix(got[0].Get("X-TC-Signature"), "t=") || got[0].Get("Authorization") != "Bearer HDR-SECRET-2" {
				t.Fatalf("the receiver got %d requests: %v", len(got), got)
			}
			recv.status.Store(500)
			p = o.post("/notification-channels/"+hook+"/test", url.Values{})
			if p.status != 200 || !strings.Contains(p.body, `role="alert" id="channel-notice">The webhook channel &#34;ops hook&#34; failed the test: webhook: the receiver answered 500`) ||
				!strings.Contains(p.body, "500") || !strings.Contains(p.body, "intake is down") {
				t.Fatalf("failed test = %d: %.800s", p.status, p.main())
			}
			noSecrets(t, "the failed test's page", p.body)
			if strings.Contains(p.body, recv.URL) {
				t.Errorf("the failed test's message shows the receiver's URL")
			}
			// A GET of the test's URL (sign-in returning there) sends nothing.
			n := len(recv.requests())
			if p := o.get("/notification-channels/" + hook + "/test"); p.status != http.StatusSeeOther || p.location != "/notification-channels" ||
				len(recv.requests()) != n {
				t.Errorf("GET of the test URL = %d to %q, receiver got %d more", p.status, p.location, len(recv.requests())-n)
			}
			if p := o.post("/notification-channels/00000000-0000-0000-0000-000000000000/test", url.Values{}); p.status != 404 {
				t.Errorf("test of an unknown channel = %d, want 404", p.status)
			}
			// A cross-site form is refused before it reaches the handler.
			p = o.do("POST", "/notification-channels/"+hook+"/test", url.Values{}, http.Header{"Sec-Fetch-Site": {"cross-site"}, "Origin": {"https://evil.example"}})
			if p.status != 403 || len(recv.requests()) != n {
				t.Errorf("a cross-site test = %d (receiver got %d more)", p.status, len(recv.requests())-n)
			}
		})

		t.Run("hostile ids", func(t *testing.T) {
			// Ids are the store's UUIDs, but the path is the visitor's: any
			// id is a 4xx page, never a 500 nor another page's action.
			for _, id := range []string{"x%2F..%2F..%2Ftokens", "..x", "%FF", "%F0%9F%99%82", `quo%22te`, "sp%20ace", "a%0Ab",
				strings.Repeat("a", 2000), "00000000-0000-0000-0000-000000000000"} {
				for _, r := range []struct{ method, path string }{
					{"GET", "/notification-channels/" + id},
					{"POST", "/notification-channels/" + id},
					{"POST", "/notification-channels/" + id + "/test"},
				} {
					p := o.do(r.method, r.path, url.Values{"name": {"x"}}, nil)
					if p.status < 400 || p.status >= 500 {
						t.Errorf("%s %.60s = %d, want a 4xx page", r.method, r.path, p.status)
					}
				}
			}
		})

		t.Run("delete", func(t *testing.T) {
			list := o.mustGet("/notification-channels")
			m := regexp.MustCompile(`data-api="(/api/notification-channels/` + am + `)" data-method="DELETE"`).FindStringSubmatch(list)
			if m == nil {
				t.Fatal("no Delete button for the Alertmanager channel")
			}
			p := o.do("DELETE", m[1], nil, http.Header{"Origin": {inst.URL}})
			if p.status != http.StatusNoContent {
				t.Fatalf("DELETE %s = %d: %s", m[1], p.status, p.body)
			}
			if list := o.mustGet("/notification-channels"); strings.Contains(list, am) {
				t.Error("the deleted channel is still listed")
			}
			if p := o.get("/notification-channels/" + am); p.status != 404 {
				t.Errorf("the deleted channel's page = %d, want 404", p.status)
			}
		})

		t.Run("managers read, viewers do not", func(t *testing.T) {
			mgr := newBrowse(t, inst, inst.MustUser(t, tc.RoleManager))
			list := mgr.mustGet("/notification-channels")
			noSecrets(t, "the manager's list", list)
			if !strings.Contains(list, "ops hook") || !strings.Contains(list, "Ops mail") {
				t.Error("the manager's list lacks the channels")
			}
			for _, no := range []string{"Send test", `href="/notification-channels/new"`, `data-method="DELETE"`, ">Edit<"} {
				if strings.Contains(list, no) {
					t.Errorf("the manager's list offers %s", no)
				}
			}
			body := mgr.mustGet("/notification-channels/" + hook)
			noSecrets(t, "the manager's channel page", body)
			if !strings.Contains(body, `<fieldset class="plain" disabled>`) || strings.Contains(body, "Save channel") ||
				strings.Contains(body, "leave empty to keep") || !strings.Contains(body, `id="s-webhook.secret">Set.</p>`) {
				t.Error("the manager's channel page is not read-only, or does not say the secret is set")
			}
			for _, r := range []struct{ method, path string }{
				{"GET", "/notification-channels/new?kind=webhook"},
				{"POST", "/notification-channels"},
				{"POST", "/notification-channels/" + hook},
				{"POST", "/notification-channels/" + hook + "/test"},
			} {
				if p := mgr.do(r.method, r.path, url.Values{"kind": {"webhook"}, "name": {"x"}, "webhook.url": {recv.URL}}, nil); p.status != 403 {
					t.Errorf("manager %s %s = %d, want 403", r.method, r.path, p.status)
				}
			}
			if c := stored(hook); c.Name != "ops hook" {
				t.Errorf("a manager renamed the channel to %q", c.Name)
			}
			viewer := newBrowse(t, inst, inst.MustUser(t, tc.RoleViewer))
			for _, path := range []string{"/notification-channels", "/notification-channels/" + hook, "/notification-channels/new"} {
				if p := viewer.get(path); p.status != 403 || !strings.Contains(p.body, "You do not have access") {
					t.Errorf("viewer GET %s = %d, want the 403 page", path, p.status)
				}
			}
			if p := viewer.post("/notification-channels/"+hook+"/test", url.Values{}); p.status != 403 {
				t.Errorf("viewer test = %d, want 403", p.status)
			}
		})
	})
}

func headerNamesOf(c *tc.NotificationChannel) []string {
	var out []string
	for k := range c.Webhook.Headers {
		out = append(out, k)
	}
	return out
}
