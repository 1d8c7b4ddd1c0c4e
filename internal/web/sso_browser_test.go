package web_test

import (
	"context"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/apptest"
)

// oidcInstance starts a controller signing in through h, on a port chosen
// first (the provider must know the callback before the controller starts),
// with issuer as AUTH_OIDC_ISSUER.
func oidcInstance(t *testing.T, db apptest.DB, h *apptest.Hydra, issuer string) *apptest.Instance {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	callback := "http://127.0.0.1:" + strconv.Itoa(port) + "/api/auth/oidc/callback"
	id, secret := h.NewClient(t, callback)
	return apptest.MustStart(t, db, apptest.WithArgs("--port", strconv.Itoa(port), "--auth-oidc-enabled", "--auth-oidc-issuer", issuer,
		"--auth-oidc-client-id", id, "--auth-oidc-client-secret", secret, "--auth-oidc-redirect-uri", callback,
		"--auth-oidc-allow-insecure", "--auth-oidc-display-name", "Hydra", "--auth-oidc-scopes", "openid profile email groups"))
}

// callbackLeg runs a sign-in's provider leg in Go, as a browser would, and
// stops before the controller's callback: it returns the binding cookie's
// value and the callback URL (with code and state), for the browser to
// finish. Tampering with the flow in between is what the tests below need.
func callbackLeg(t *testing.T, inst *apptest.Instance) (binding, callback string) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	base, _ := url.Parse(inst.URL)
	c := &http.Client{Jar: jar, Timeout: 30 * time.Second, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if req.URL.Host == base.Host {
			return http.ErrUseLastResponse
		}
		return nil
	}}
	first := &http.Client{Jar: jar, Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
	resp, err := first.Get(inst.URL + "/api/auth/oidc/login")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for _, ck := range resp.Cookies() {
		if ck.Name == "tc_oidc" {
			binding = ck.Value
		}
	}
	resp, err = c.Get(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	callback = resp.Header.Get("Location")
	if binding == "" || !strings.HasPrefix(callback, inst.URL+"/api/auth/oidc/callback?") {
		t.Fatalf("the provider leg ended at %d %q with binding %q", resp.StatusCode, callback, binding)
	}
	return binding, callback
}

// TestBrowserOIDC drives headless Chromium through OIDC sign-in against a
// real ORY Hydra: the button on the sign-in page, first-time provisioning
// under each strategy, a group mapping giving manager, a changed group
// demoting at the next sign-in, reject on no match, and the refusals a
// browser can meet (a replayed state, a wrong nonce, an expired code, an
// issuer mismatch), each a page that says why.
func TestBrowserOIDC(t *testing.T) {
	// Codes live 3 s: long enough for a loaded machine's browser to use
	// one, short enough for the expired-code case to wait out.
	h := apptest.StartHydra(t, apptest.HydraOptions{AuthCodeTTL: 3 * time.Second})
	db := apptest.DB{Name: "sqlite"}
	inst := oidcInstance(t, db, h, h.Issuer)
	ctx := context.Background()
	owner := inst.MustOwner(t)
	setProvisioning := func(t *testing.T, change func(p *tc.Provisioning)) {
		t.Helper()
		p := tc.DefaultProvisioning
		p.AllowedDomains, p.GroupMappings = []string{}, []tc.GroupMapping{}
		change(&p)
		if _, err := inst.Store.UpdateSettings(ctx, func(s *tc.Settings) { s.OIDC = p }); err != nil {
			t.Fatal(err)
		}
	}
	roleOf := func(t *testing.T, username string) tc.Role {
		t.Helper()
		u, err := inst.Store.UserByLogin(ctx, username)
		if err != nil {
			t.Fatalf("user %s: %v", username, err)
		}
		return u.Role
	}
	// signIn clicks the button in a fresh browser as who and returns the
	// browser where it landed.
	signIn := func(t *testing.T, who apptest.HydraUser) *browser {
		t.Helper()
		h.SetUser(who)
		b := newBrowser(t, inst.URL)
		b.open(t, "/login")
		if got := b.text(t, "#oidc-login"); got != "Sign in with Hydra" {
			t.Fatalf("button %q", got)
		}
		b.do(t, click("#oidc-login"))
		b.waitJS(t, `document.readyState === "complete" && (location.pathname !== "/login") && !location.pathname.startsWith("/api/auth/oidc/login")`)
		return b
	}
	refused := func(t *testing.T, b *browser, want string) {
		t.Helper()
		b.waitJS(t, `!!document.querySelector("#sso-error")`)
		if got := b.text(t, "#sso-error"); !strings.Contains(got, want) {
			t.Fatalf("refusal page says %q, want %q", got, want)
		}
	}
	signedIn := func(t *testing.T, b *browser) {
		t.Helper()
		b.waitURL(t, "/configs")
	}

	ada := apptest.HydraUser{Subject: "sub-ada", Email: "ada@example.org", EmailVerified: true, Username: "ada", Groups: []string{"engineering"}}
	t.Run("invite_only refuses the uninvited", func(t *testing.T) {
		refused(t, signIn(t, ada), "ask an administrator for an invite")
	})
	t.Run("an invite admits, with its role", func(t *testing.T) {
		inv := &tc.Invite{Username: "ada-l", Email: "ada@example.org", Role: tc.RoleAdministrator, CreatedBy: owner.ID,
			ExpiresAt: inst.Clock.Now().Add(time.Hour), TokenHash: tc.HashSecret(tc.NewSecret(32)), AuthProvider: tc.ProviderOIDC}
		if err := inst.Store.CreateInvite(ctx, inv); err != nil {
			t.Fatal(err)
		}
		b := signIn(t, ada)
		signedIn(t, b)
		if r := roleOf(t, "ada-l"); r != tc.RoleAdministrator {
			t.Fatalf("invited ada is %s", r)
		}
		b.shot(t, "oidc-signed-in")
	})
	t.Run("domain_restricted admits a verified email in the domain", func(t *testing.T) {
		setProvisioning(t, func(p *tc.Provisioning) {
			p.Strategy, p.AllowedDomains = tc.ProvisionDomainRestricted, []string{"example.org"}
		})
		refused(t, signIn(t, apptest.HydraUser{Subject: "sub-eve", Email: "eve@elsewhere.example", EmailVerified: true, Username: "eve"}), "domain is not allowed")
		refused(t, signIn(t, apptest.HydraUser{Subject: "sub-uv", Email: "uv@example.org", Username: "uv"}), "not verified")
		signedIn(t, signIn(t, apptest.HydraUser{Subject: "sub-dom", Email: "dom@example.org", EmailVerified: true, Username: "dom"}))
		if r := roleOf(t, "dom"); r != tc.RoleViewer {
			t.Fatalf("dom is %s, want the default viewer", r)
		}
	})
	grace := apptest.HydraUser{Subject: "sub-grace", Email: "grace@other.example", EmailVerified: true, Username: "grace", Groups: []string{"tc-managers"}}
	t.Run("auto_create with a group mapping gives manager", func(t *testing.T) {
		setProvisioning(t, func(p *tc.Provisioning) {
			p.Strategy = tc.ProvisionAutoCreate
			p.GroupMappings = []tc.GroupMapping{{ProviderID: "default", Group: "tc-managers", Role: tc.RoleManager}}
		})
		signedIn(t, signIn(t, grace))
		if r := roleOf(t, "grace"); r != tc.RoleManager {
			t.Fatalf("grace is %s, want manager", r)
		}
	})
	t.Run("a changed group demotes at the next sign-in", func(t *testing.T) {
		grace.Groups = []string{"tc-viewers"}
		signedIn(t, signIn(t, grace))
		if r := roleOf(t, "grace"); r != tc.RoleViewer {
			t.Fatalf("grace is %s after leaving tc-managers, want viewer", r)
		}
	})
	t.Run("reject on no group match", func(t *testing.T) {
		setProvisioning(t, func(p *tc.Provisioning) {
			p.Strategy, p.OnNoGroupMatch = tc.ProvisionAutoCreate, tc.NoMatchReject
			p.GroupMappings = []tc.GroupMapping{{ProviderID: "default", Group: "tc-managers", Role: tc.RoleManager}}
		})
		b := signIn(t, grace)
		refused(t, b, "None of your groups")
		b.shot(t, "oidc-refused")
	})

	setProvisioning(t, func(p *tc.Provisioning) { p.Strategy = tc.ProvisionAutoCreate })
	// finish starts a browser, then runs the provider leg (so that the
	// code is fresh), lets tamper change the flow, and has the browser
	// bring the code back with the binding cookie.
	finish := func(t *testing.T, tamper func(binding *string)) (b *browser, callback, binding string) {
		t.Helper()
		b = newBrowser(t, inst.URL)
		binding, callback = callbackLeg(t, inst)
		if tamper != nil {
			tamper(&binding)
		}
		setCookie(t, b, "tc_oidc", binding, inst.URL+"/api/auth/oidc/callback")
		b.do(t, chromedp.Navigate(callback))
		return b, callback, binding
	}
	h.SetUser(ada)
	t.Run("a replayed state is refused", func(t *testing.T) {
		b, callback, binding := finish(t, nil)
		signedIn(t, b)
		setCookie(t, b, "tc_oidc", binding, inst.URL+"/api/auth/oidc/callback")
		b.do(t, chromedp.Navigate(callback))
		refused(t, b, "expired or was already used")
	})
	t.Run("another browser's flow is refused", func(t *testing.T) {
		b, _, _ := finish(t, func(binding *string) { *binding = "someone-elses-binding" })
		refused(t, b, "start again")
	})
	t.Run("a wrong nonce is refused", func(t *testing.T) {
		b, _, _ := finish(t, func(*string) {
			if _, err := inst.Store.WithTxExec(ctx, `UPDATE oidc_states SET nonce = 'not-the-nonce-sent'`); err != nil {
				t.Fatal(err)
			}
		})
		refused(t, b, "start again")
	})
	t.Run("an expired code is refused", func(t *testing.T) {
		b, _, _ := finish(t, func(*string) { time.Sleep(3500 * time.Millisecond) }) // codes live 3 s
		refused(t, b, "expired or was already used")
	})
	t.Run("an issuer mismatch is refused", func(t *testing.T) {
		other := oidcInstance(t, db, h, strings.Replace(h.Issuer, "127.0.0.1", "localhost", 1))
		other.MustOwner(t) // else the sign-in page sends to setup
		b := newBrowser(t, other.URL)
		b.open(t, "/login")
		b.do(t, click("#oidc-login"))
		refused(t, b, "AUTH_OIDC_ISSUER")
	})
	t.Run("the owner edits provisioning on the settings page", func(t *testing.T) {
		const password = "Correct-Horse-9"
		hash, err := inst.Passwords.Hash(password)
		if err != nil {
			t.Fatal(err)
		}
		if err := inst.Store.SetPassword(ctx, owner.ID, hash, ""); err != nil {
			t.Fatal(err)
		}
		o := owner
		b := newBrowser(t, inst.URL)
		b.open(t, "/login")
		b.do(t, b.fill("#f-username", o.Username), b.fill("#f-password", password), click(`#local-login button[type=submit]`))
		b.waitURL(t, "/configs")
		b.open(t, "/settings")
		if got := b.text(t, "#provider-oidc h2"); !strings.Contains(got, "Connected") {
			t.Fatalf("the OIDC card says %q", got)
		}
		b.do(t,
			chromedp.SetValue(chromedp.CSS("#f-oidc-strategy"), "domain_restricted"),
			b.fill("#f-oidc-domains", "example.org, example.net"),
			b.fill("#f-oidc-mappings", "administrator CN=TC Admins,OU=Groups,DC=corp\nmanager tc-managers"),
			click(`#provider-oidc button[type=submit]`))
		b.waitJS(t, `document.querySelector("#toast").textContent.includes("Provisioning saved")`)
		p := inst.Store.Settings().OIDC
		if p.Strategy != tc.ProvisionDomainRestricted || len(p.AllowedDomains) != 2 || len(p.GroupMappings) != 2 ||
			p.GroupMappings[0].Group != "CN=TC Admins,OU=Groups,DC=corp" || p.GroupMappings[0].Role != tc.RoleAdministrator {
			t.Fatalf("saved provisioning %+v", p)
		}
		// A mapping to owner is refused next to its field.
		b.do(t, b.fill("#f-oidc-mappings", "owner tc-root"), click(`#provider-oidc button[type=submit]`))
		b.waitText(t, `#provider-oidc [data-error-for="groupMappings"]`, "administrator, manager or viewer")
		b.shot(t, "settings-providers")

		// An invitation through single sign-on needs no link: the dialog
		// says how the person signs in, and the list marks the invite.
		b.open(t, "/users")
		b.do(t, click("#invite-user"), chromedp.WaitVisible(chromedp.CSS("#invite-form")),
			b.fill("#invite-form #f-username", "hopper"), b.fill("#invite-form #f-email", "hopper@example.org"),
			chromedp.SetValue(chromedp.CSS("#f-authProvider"), "oidc"), click(`#invite-form button[type=submit]`))
		b.waitText(t, "#link-external", "signs in with single sign-on")
		if eval[bool](t, b, `!document.getElementById("link-secret").hidden`) {
			t.Fatal("an SSO invitation shows its link")
		}
		b.do(t, click("#link-dialog [data-reload]"))
		b.waitText(t, "main", "hopper@example.org")
		if got := b.text(t, "main"); !strings.Contains(got, "SSO") {
			t.Fatalf("the pending invitation is not marked SSO: %.300s", got)
		}
		invs, err := inst.Store.ListInvites(ctx)
		if err != nil || len(invs) == 0 || invs[0].AuthProvider != tc.ProviderOIDC {
			t.Fatalf("stored invites %v, %v", invs, err)
		}
	})
	if n := len(eventsOf(t, inst, tc.OutcomeFailure)); n < 8 {
		t.Errorf("%d refused sign-ins in the audit log, want one per refusal above", n)
	}
}

// setCookie gives b the cookie name=value for u, as a server would have.
func setCookie(t *testing.T, b *browser, name, value, u string) {
	t.Helper()
	httpOnly := true
	if _, err := chromedp.Call(b.ctx, network.SetCookie, network.SetCookieParams{Name: name, Value: value, URL: u,
		Path: "/api/auth/oidc", HTTPOnly: &httpOnly, SameSite: network.CookieSameSiteLax}); err != nil {
		t.Fatal(err)
	}
}

// eventsOf returns the sign-in entries of outcome in inst's audit log.
func eventsOf(t *testing.T, inst *apptest.Instance, outcome string) []tc.AuditEntry {
	t.Helper()
	inst.Main.FlushAudit(context.Background())
	es, _, err := inst.Store.AuditEntries(context.Background(), tc.AuditFilter{Action: tc.ActionLogin, Outcome: outcome, Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	return es
}
