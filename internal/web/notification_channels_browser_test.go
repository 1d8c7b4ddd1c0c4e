package web_test

import (
	"strings"
	"testing"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/apptest"
)

// TestBrowserNotificationChannels drives headless Chromium as an
// administrator: a webhook channel created through its form, Send test
// pressed, the success notice, and the receiver's signed request; then a
// failing receiver's message. Each step is a subtest.
func TestBrowserNotificationChannels(t *testing.T) {
	inst := apptest.MustStart(t, apptest.DB{Name: "sqlite"})
	b := newBrowser(t, inst.URL)
	recv := newReceiver(t)
	const password = "Correct-Horse-9"
	tok := inst.MustToken(t, inst.MustOwner(t), tc.AllPermissions...)
	admin := inst.MustPasswordUser(t, tc.RoleAdministrator, password)
	// Two channels made through the API, listed after the one the browser
	// makes ("ops intake").
	apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/notification-channels", Token: tok,
		Body: map[string]any{"name": "Slack #fleet", "kind": "slack", "slack": map[string]any{"url": "https://hooks.slack.com/services/T0/B0/x"}}}), 201)
	apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/notification-channels", Token: tok,
		Body: map[string]any{"name": "team mail", "kind": "email", "enabled": false, "email": map[string]any{"host": "smtp.example.com",
			"username": "tc", "password": "pw", "from": "tc@example.com", "to": []string{"ops@example.com", "oncall@example.com"}}}}), 201)

	ok := true
	step := func(name string, fn func(t *testing.T)) {
		if !ok {
			t.Run(name, func(t *testing.T) { t.Skip("an earlier step failed") })
			return
		}
		ok = t.Run(name, fn)
	}

	step("sign in and open Channels from the navigation", func(t *testing.T) {
		b.open(t, "/login")
		b.do(t, b.fill("#f-username", admin.Username), b.fill("#f-password", password), click(`form button[type=submit]`))
		b.waitURL(t, "/configs")
		b.do(t, click(`#nav-list a[href="/notification-channels"]`))
		b.waitURL(t, "/notification-channels")
		b.waitText(t, "main tbody", "Slack #fleet")
	})

	step("create a webhook channel through the form", func(t *testing.T) {
		b.do(t, click(`main .toolbar a.button`))
		b.waitURL(t, "/notification-channels/new")
		b.do(t, click(`a[href="/notification-channels/new?kind=webhook"]`))
		b.waitURL(t, "/notification-channels/new?kind=webhook")
		b.do(t,
			b.fill(`input[name="name"]`, "ops intake"),
			b.fill(`input[name="webhook.url"]`, recv.URL+"/tc"),
			b.fill(`input[name="webhook.secret"]`, "whsec-browser"),
			b.fill(`#f-hn-0`, "Authorization"),
			b.fill(`#f-hv-0`, "Bearer browser-token"),
			click(`#channel-form button[type=submit]`),
		)
		b.waitURL(t, "/notification-channels?saved=")
		b.waitText(t, "#channel-notice", "Saved the channel “ops intake”.")
		row := b.text(t, "main tbody tr")
		for _, want := range []string{"ops intake", "Webhook", "Enabled", "127.0.0.1", "signing secret, header Authorization"} {
			if !strings.Contains(row, want) {
				t.Errorf("the new row %q lacks %q", row, want)
			}
		}
		if html := eval[string](t, b, `document.documentElement.outerHTML`); strings.Contains(html, "whsec-browser") || strings.Contains(html, "browser-token") {
			t.Error("the list shows a secret")
		}
	})

	step("send test and see the receiver's answer", func(t *testing.T) {
		b.do(t, click(`main tbody tr form button[type=submit]`))
		b.waitText(t, "#channel-notice", "Test sent: the Webhook channel “ops intake” took the test message.")
		if got := eval[string](t, b, `document.getElementById("channel-notice").className`); got != "notice" {
			t.Errorf("the notice's class = %q, want notice", got)
		}
		b.shot(t, "notification-channels")
		got := recv.requests()
		if len(got) != 1 || got[0].Get("Authorization") != "Bearer browser-token" || !strings.Contains(got[0].Get("X-TC-Signature"), "v1=") {
			t.Fatalf("the receiver got %v", got)
		}
		recv.status.Store(503)
		b.open(t, "/notification-channels")
		b.do(t, click(`main tbody tr form button[type=submit]`))
		b.waitText(t, "#channel-notice", "failed the test")
		if msg := b.text(t, "#channel-notice"); !strings.Contains(msg, "503") || !strings.Contains(msg, "intake is down") {
			t.Errorf("the failure notice %q lacks the receiver's answer", msg)
		}
	})

	step("the edit form says the secrets are set and keeps them", func(t *testing.T) {
		b.open(t, "/notification-channels")
		b.do(t, click(`main tbody tr a.button`))
		b.waitJS(t, `location.pathname.startsWith("/notification-channels/") && document.readyState === "complete"`)
		if v := eval[string](t, b, `document.querySelector('input[name="webhook.secret"]').value + "|" + document.querySelector('input[name="webhook.storedHeaderValue"]').value`); v != "|" {
			t.Errorf("secret inputs are filled in: %q", v)
		}
		b.waitText(t, "#s-webhook\\.secret", "Set — leave empty to keep.")
		b.do(t, b.fill(`input[name="name"]`, "ops intake 2"), click(`#channel-form button[type=submit]`))
		b.waitText(t, "#channel-notice", "Saved the channel “ops intake 2”.")
		recv.status.Store(200)
		b.do(t, click(`main tbody tr form button[type=submit]`))
		b.waitText(t, "#channel-notice", "took the test message")
		got := recv.requests()
		if last := got[len(got)-1]; last.Get("Authorization") != "Bearer browser-token" || last.Get("X-TC-Signature") == "" {
			t.Errorf("after the edit the channel lost its secrets: %v", last)
		}
	})

	for _, v := range b.cspViolations() {
		t.Errorf("CSP violation: %s", v)
	}
}
