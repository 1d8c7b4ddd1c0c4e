package web_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/telegrafcontroller/tc/internal/apptest"
)

// TestBrowserFlow drives real headless Chromium through the main journey of
// an operator. Each step is a subtest: a failing step names itself, and the
// steps before it still pass.
func TestBrowserFlow(t *testing.T) {
	inst := apptest.MustStart(t, apptest.DB{Name: "sqlite"})
	b := newBrowser(t, inst.URL)
	ok := true
	step := func(name string, fn func(t *testing.T)) {
		if !ok {
			t.Run(name, func(t *testing.T) { t.Skip("an earlier step failed") })
			return
		}
		ok = t.Run(name, fn)
	}

	step("unauthenticated pages redirect to sign-in", func(t *testing.T) {
		b.open(t, "/agents?status=ok")
		loc := b.location(t)
		if !strings.HasPrefix(loc, "/login?next=") && !strings.HasPrefix(loc, "/setup") {
			t.Fatalf("location = %s, want /login?next=... or /setup", loc)
		}
	})

	step("first-run setup", func(t *testing.T) {
		b.open(t, "/")
		b.waitURL(t, "/setup")
		b.shot(t, "01-setup")
		b.do(t,
			b.fill("#f-username", "owner"),
			b.fill("#f-email", "owner@example.com"),
			b.fill("#f-password", "Correct-Horse-9"),
			b.fill("#f-confirm", "Correct-Horse-9"),
			click(`form button[type=submit]`),
		)
		b.waitURL(t, "/login")
	})

	step("sign-in returns to the page asked for", func(t *testing.T) {
		b.open(t, "/labels")
		b.waitURL(t, "/login?next=")
		b.do(t,
			b.fill("#f-username", "owner"),
			b.fill("#f-password", "wrong-password"),
			click(`form button[type=submit]`),
		)
		b.waitJS(t, `!document.querySelector(".form-error").hidden`)
		b.shot(t, "02-login-error")
		b.do(t,
			b.fill("#f-password", "Correct-Horse-9"),
			click(`form button[type=submit]`),
		)
		b.waitURL(t, "/labels")
		if got := b.text(t, ".who .username"); got != "owner" {
			t.Errorf("header user = %q, want owner", got)
		}
	})

	step("create a label", func(t *testing.T) {
		b.open(t, "/labels")
		b.do(t,
			click(`[data-open="label-new"]`),
			chromedp.WaitVisible(chromedp.CSS("#label-new")),
			b.fill("#label-new input[name=name]", "production"),
			b.fill("#label-new input[name=description]", "Live systems"),
			click(`#label-new button[type=submit]`),
		)
		b.waitText(t, "main table", "production")
		b.shot(t, "03-labels")
	})
}
