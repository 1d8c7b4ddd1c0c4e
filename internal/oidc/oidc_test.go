package oidc_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/apptest"
	"github.com/telegrafcontroller/tc/internal/oidc"
	"github.com/telegrafcontroller/tc/internal/store"
)

// callback stands in for the controller's callback route: the redirect
// target that records what the provider sent back.
type callback struct {
	URL string // ends with oidc.CallbackPath

	mu    sync.Mutex
	query url.Values
}

func newCallback(t *testing.T) *callback {
	c := &callback{}
	mux := http.NewServeMux()
	// Only the callback path: a browser also asks for /favicon.ico.
	mux.HandleFunc("GET "+oidc.CallbackPath, func(w http.ResponseWriter, r *http.Request) {
		c.mu.Lock()
		c.query = r.URL.Query()
		c.mu.Unlock()
		w.Write([]byte("signed in"))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	c.URL = srv.URL + oidc.CallbackPath
	return c
}

// rig is a provider wired to a Hydra client, its state store and logs.
type rig struct {
	p      *oidc.Provider
	states *store.Store
	cb     *callback
	logs   *apptest.SafeBuffer
	secret string // the client secret
}

func newRig(t *testing.T, h *apptest.Hydra, db apptest.DB, adjust func(*oidc.Config), wrap func(oidc.StateStore) oidc.StateStore) *rig {
	t.Helper()
	s, err := store.Open(context.Background(), apptest.NewDSN(t, db), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	r := &rig{states: s, cb: newCallback(t), logs: &apptest.SafeBuffer{}}
	id, secret := h.NewClient(t, r.cb.URL)
	r.secret = secret
	cfg := oidc.Config{Issuer: h.Issuer, ClientID: id, ClientSecret: secret, RedirectURI: r.cb.URL, AllowInsecure: true}
	if adjust != nil {
		adjust(&cfg)
	}
	var states oidc.StateStore = s
	if wrap != nil {
		states = wrap(s)
	}
	r.p, err = oidc.New(cfg, states, slog.New(slog.NewTextHandler(r.logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// signIn begins a sign-in and drives a browser-like client (cookie jar,
// redirects followed) through Hydra and its login app to the callback,
// returning the code, the state and the binding.
func (r *rig) signIn(t *testing.T) (code, state, binding string) {
	t.Helper()
	authURL, binding, err := r.p.Begin(context.Background())
	if err != nil {
		t.Fatalf("begin: %v", err)
	}
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 30 * time.Second}
	resp, err := c.Get(authURL)
	if err != nil {
		t.Fatalf("follow the sign-in: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasSuffix(resp.Request.URL.Path, oidc.CallbackPath) {
		t.Fatalf("sign-in ended at %s with %s, want the callback", resp.Request.URL, resp.Status)
	}
	r.cb.mu.Lock()
	q := r.cb.query
	r.cb.mu.Unlock()
	if q.Get("error") != "" {
		t.Fatalf("provider refused: %s: %s", q.Get("error"), q.Get("error_description"))
	}
	return q.Get("code"), q.Get("state"), binding
}

func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if tc.ErrorCode(err) != code {
		t.Fatalf("%s: %v, want %s", what, err, code)
	}
}

var ada = apptest.HydraUser{Subject: "ada-sub-1", Email: "ada@example.test", EmailVerified: true, Username: "ada",
	Groups: []string{"ops", "cn=admins,dc=example"}}

func TestSignInWithHydra(t *testing.T) {
	h := apptest.StartHydra(t)
	h.SetUser(ada)
	ctx := context.Background()

	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		r := newRig(t, h, db, func(c *oidc.Config) { c.PostLoginRedirect = "/agents" }, nil)
		authURL, _, err := r.p.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		u, _ := url.Parse(authURL)
		q := u.Query()
		if q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" || q.Get("nonce") == "" || q.Get("state") == "" {
			t.Fatalf("auth URL %s lacks PKCE S256, nonce or state", authURL)
		}
		if scopes := strings.Fields(q.Get("scope")); !slices.Equal(scopes, []string{"openid", "profile", "email"}) {
			t.Errorf("scopes = %v, want the default", scopes)
		}

		code, state, binding := r.signIn(t)
		id, next, err := r.p.Complete(ctx, code, state, binding, "")
		if err != nil {
			t.Fatalf("complete: %v\n%s", err, r.logs)
		}
		want := tc.ExternalIdentity{Provider: tc.ProviderOIDC, Subject: "ada-sub-1", Username: "ada", Email: "ada@example.test",
			EmailVerified: true, DisplayName: "ada", Groups: []string{"ops", "cn=admins,dc=example"}}
		if !equalIdentity(id, want) || next != "/agents" {
			t.Fatalf("complete = %+v, %q; want %+v, /agents", id, next, want)
		}

		for name, secret := range map[string]string{"code": code, "state": state, "binding": binding, "client secret": r.secret} {
			if strings.Contains(r.logs.String(), secret) {
				t.Errorf("the %s reached the logs:\n%s", name, r.logs)
			}
		}

		// Replayed: the state was taken; the code is not even tried.
		_, _, err = r.p.Complete(ctx, code, state, binding, "")
		wantCode(t, "replayed state", err, tc.EUNAUTHORIZED)
		if msg := tc.ErrorMessage(err); !strings.Contains(msg, "expired or was already used") {
			t.Errorf("replayed state message %q", msg)
		}
	})

	t.Run("groups claim overridden, one string", func(t *testing.T) {
		h.SetUser(apptest.HydraUser{Subject: "bob-sub", Email: "bob@example.test", Username: "bob",
			Claims: map[string]any{"roles": "controller-admins", "email_verified": "true"}})
		defer h.SetUser(ada)
		r := newRig(t, h, apptest.DB{Name: "sqlite"}, func(c *oidc.Config) { c.UsernameClaim = "email" }, nil)
		code, state, binding := r.signIn(t)
		id, _, err := r.p.Complete(ctx, code, state, binding, "roles")
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(id.Groups, []string{"controller-admins"}) || id.Username != "bob@example.test" || !id.EmailVerified {
			t.Fatalf("identity = %+v, want groups [controller-admins], username from email, email verified", id)
		}
	})

	t.Run("browser binding", func(t *testing.T) {
		r := newRig(t, h, apptest.DB{Name: "sqlite"}, nil, nil)
		for _, other := range []string{"another-browser", ""} {
			code, state, _ := r.signIn(t)
			_, _, err := r.p.Complete(ctx, code, state, other, "")
			wantCode(t, "binding "+other, err, tc.EUNAUTHORIZED)
			if msg := tc.ErrorMessage(err); !strings.Contains(msg, "another browser") {
				t.Errorf("binding mismatch message %q", msg)
			}
		}
	})

	t.Run("code from another sign-in", func(t *testing.T) {
		// The code was issued for the first sign-in's PKCE challenge: the
		// second's verifier does not match it.
		r := newRig(t, h, apptest.DB{Name: "sqlite"}, nil, nil)
		code1, _, _ := r.signIn(t)
		_, state2, binding2 := r.signIn(t)
		_, _, err := r.p.Complete(ctx, code1, state2, binding2, "")
		wantCode(t, "code of another sign-in", err, tc.EUNAUTHORIZED)
	})

	t.Run("PKCE enforced by the harness", func(t *testing.T) {
		// Hydra runs with PKCE enforced, so that a provider that stopped
		// sending the challenge would fail every test above.
		r := newRig(t, h, apptest.DB{Name: "sqlite"}, nil, nil)
		authURL, _, err := r.p.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		u, _ := url.Parse(authURL)
		q := u.Query()
		q.Del("code_challenge")
		q.Del("code_challenge_method")
		u.RawQuery = q.Encode()
		jar, _ := cookiejar.New(nil)
		resp, err := (&http.Client{Jar: jar, Timeout: 30 * time.Second}).Get(u.String())
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		r.cb.mu.Lock()
		defer r.cb.mu.Unlock()
		if !strings.Contains(r.cb.query.Get("error_description"), "code_challenge") || r.cb.query.Get("code") != "" {
			t.Fatalf("a flow without PKCE reached the callback with %v, want an error", r.cb.query)
		}
	})

	t.Run("nonce mismatch", func(t *testing.T) {
		// The stored nonce differs from the one sent in the auth URL, which
		// Hydra puts in the ID token: as if the token came from another
		// sign-in.
		r := newRig(t, h, apptest.DB{Name: "sqlite"}, nil, func(s oidc.StateStore) oidc.StateStore { return nonceSwapper{s} })
		code, state, binding := r.signIn(t)
		_, _, err := r.p.Complete(ctx, code, state, binding, "")
		wantCode(t, "nonce mismatch", err, tc.EUNAUTHORIZED)
		if !strings.Contains(r.logs.String(), "nonce") {
			t.Errorf("nonce mismatch not logged:\n%s", r.logs)
		}
	})

	t.Run("issuer mismatch", func(t *testing.T) {
		r := newRig(t, h, apptest.DB{Name: "sqlite"}, func(c *oidc.Config) {
			c.Issuer = strings.Replace(c.Issuer, "127.0.0.1", "localhost", 1)
		}, nil)
		_, _, err := r.p.Begin(ctx)
		wantCode(t, "begin with another issuer", err, tc.EUNAVAILABLE)
		if msg := tc.ErrorMessage(err); !strings.Contains(msg, "AUTH_OIDC_ISSUER") || !strings.Contains(msg, h.Issuer) {
			t.Errorf("issuer mismatch message %q", msg)
		}
		wantCode(t, "check with another issuer", r.p.Check(ctx), tc.EUNAVAILABLE)
		if !strings.Contains(r.logs.String(), "level=ERROR") {
			t.Errorf("issuer mismatch not logged at error:\n%s", r.logs)
		}
	})

	t.Run("check", func(t *testing.T) {
		r := newRig(t, h, apptest.DB{Name: "sqlite"}, nil, nil)
		if err := r.p.Check(ctx); err != nil {
			t.Fatal(err)
		}
		s := r.p.Summary()
		if s.Issuer != h.Issuer || s.ClientID == "" || s.RedirectURI != r.cb.URL || s.UsernameClaim != "preferred_username" || r.p.DisplayName() != "SSO" {
			t.Fatalf("summary = %+v", s)
		}
	})
}

// nonceSwapper hands back every state with another nonce.
type nonceSwapper struct{ oidc.StateStore }

func (n nonceSwapper) TakeOIDCState(ctx context.Context, stateHash string) (tc.OIDCState, error) {
	st, err := n.StateStore.TakeOIDCState(ctx, stateHash)
	st.Nonce = "not-the-nonce-sent"
	return st, err
}

func equalIdentity(a, b tc.ExternalIdentity) bool {
	return a.Provider == b.Provider && a.Subject == b.Subject && a.Username == b.Username && a.Email == b.Email &&
		a.EmailVerified == b.EmailVerified && a.DisplayName == b.DisplayName && slices.Equal(a.Groups, b.Groups)
}

func TestExpiredCode(t *testing.T) {
	const ttl = time.Second
	h := apptest.StartHydra(t, apptest.HydraOptions{AuthCodeTTL: ttl})
	h.SetUser(ada)
	r := newRig(t, h, apptest.DB{Name: "sqlite"}, nil, nil)
	// Control: a code used at once is accepted by this Hydra.
	code, state, binding := r.signIn(t)
	if _, _, err := r.p.Complete(context.Background(), code, state, binding, ""); err != nil {
		t.Fatalf("complete at once: %v", err)
	}
	code, state, binding = r.signIn(t)
	// Hydra has no clock to move: wait the code out, just past its life.
	time.Sleep(ttl + 500*time.Millisecond)
	_, _, err := r.p.Complete(context.Background(), code, state, binding, "")
	wantCode(t, "expired code", err, tc.EUNAUTHORIZED)
	if msg := tc.ErrorMessage(err); !strings.Contains(msg, "did not accept the sign-in code") {
		t.Errorf("expired code message %q", msg)
	}
}

func TestProviderDown(t *testing.T) {
	h := apptest.StartHydra(t)
	h.SetUser(ada)
	ctx := context.Background()
	r := newRig(t, h, apptest.DB{Name: "sqlite"}, nil, nil)
	code, state, binding := r.signIn(t)
	// A provider that has not fetched discovery yet (its client is
	// registered while Hydra runs).
	cold := newRig(t, h, apptest.DB{Name: "sqlite"}, nil, nil)
	h.Stop()

	// Discovery was fetched by Begin; the code exchange cannot reach it.
	_, _, err := r.p.Complete(ctx, code, state, binding, "")
	wantCode(t, "complete with the provider down", err, tc.EUNAVAILABLE)

	// It fails only when used, and tries again once the IdP is back.
	_, _, err = cold.p.Begin(ctx)
	wantCode(t, "begin with the provider down", err, tc.EUNAVAILABLE)
	wantCode(t, "check with the provider down", cold.p.Check(ctx), tc.EUNAVAILABLE)
	h.Start(t)
	if _, _, err := cold.p.Begin(ctx); err != nil {
		t.Fatalf("begin once the provider is back: %v", err)
	}
}

func TestNewValidates(t *testing.T) {
	ok := oidc.Config{Issuer: "https://idp.example.test", ClientID: "tc", ClientSecret: "s3cret",
		RedirectURI: "https://tc.example.test/api/auth/oidc/callback"}
	for _, c := range []struct {
		name   string
		adjust func(*oidc.Config)
		want   string // a word the error must contain; "" for success
	}{
		{"defaults", func(*oidc.Config) {}, ""},
		{"http issuer", func(c *oidc.Config) { c.Issuer = "http://idp.example.test" }, "AUTH_OIDC_ISSUER"},
		{"http issuer allowed", func(c *oidc.Config) {
			c.Issuer, c.RedirectURI, c.AllowInsecure = "http://idp.test", "http://tc.test/api/auth/oidc/callback", true
		}, ""},
		{"http redirect", func(c *oidc.Config) { c.RedirectURI = "http://tc.example.test/api/auth/oidc/callback" }, "AUTH_OIDC_REDIRECT_URI"},
		{"no issuer", func(c *oidc.Config) { c.Issuer = "" }, "AUTH_OIDC_ISSUER"},
		{"relative issuer", func(c *oidc.Config) { c.Issuer = "idp.example.test" }, "AUTH_OIDC_ISSUER"},
		{"no client id", func(c *oidc.Config) { c.ClientID = " " }, "AUTH_OIDC_CLIENT_ID"},
		{"no secret", func(c *oidc.Config) { c.ClientSecret = "" }, "AUTH_OIDC_CLIENT_SECRET"},
		{"wrong callback path", func(c *oidc.Config) { c.RedirectURI = "https://tc.example.test/callback" }, "AUTH_OIDC_REDIRECT_URI"},
		{"off-site post-login redirect", func(c *oidc.Config) { c.PostLoginRedirect = "//evil.example" }, "AUTH_OIDC_POST_LOGIN_REDIRECT"},
		{"absolute post-login redirect", func(c *oidc.Config) { c.PostLoginRedirect = "https://evil.example/" }, "AUTH_OIDC_POST_LOGIN_REDIRECT"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := ok
			c.adjust(&cfg)
			_, err := oidc.New(cfg, nil, nil)
			if c.want == "" {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				return
			}
			if tc.ErrorCode(err) != tc.EINVALID || !strings.Contains(tc.ErrorMessage(err), c.want) {
				t.Fatalf("New: %v, want invalid naming %s", err, c.want)
			}
		})
	}

	// New does not reach the issuer, so the controller starts while the
	// provider is down; defaults are filled in and openid always asked for.
	cfg := ok
	cfg.Scopes = []string{"email", "groups", "email"}
	p, err := oidc.New(cfg, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := p.Summary()
	if !slices.Equal(s.Scopes, []string{"openid", "email", "groups"}) || s.GroupsClaim != "groups" || s.PostLoginRedirect != "/" || p.DisplayName() != "SSO" {
		t.Fatalf("summary = %+v", s)
	}
}

func TestAllowInsecureWarns(t *testing.T) {
	var logs apptest.SafeBuffer
	_, err := oidc.New(oidc.Config{Issuer: "http://idp.test", ClientID: "tc", ClientSecret: "s3cret",
		RedirectURI: "http://tc.test/api/auth/oidc/callback", AllowInsecure: true}, nil, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil || !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "AUTH_OIDC_ALLOW_INSECURE") {
		t.Fatalf("New = %v; logs %q, want a warning", err, logs.String())
	}
}

func TestBindingCookie(t *testing.T) {
	for _, c := range []struct {
		redirect string
		secure   bool
	}{{"https://tc.example.test/api/auth/oidc/callback", true}, {"http://tc.test/api/auth/oidc/callback", false}} {
		p, err := oidc.New(oidc.Config{Issuer: "https://idp.test", ClientID: "tc", ClientSecret: "s", RedirectURI: c.redirect, AllowInsecure: true}, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		w := httptest.NewRecorder()
		p.SetBindingCookie(w, "binding-value")
		got := w.Result().Cookies()
		if len(got) != 1 {
			t.Fatalf("cookies = %v", got)
		}
		ck := got[0]
		if ck.Name != "tc_oidc" || ck.Value != "binding-value" || ck.Path != "/api/auth/oidc" || !ck.HttpOnly || ck.Secure != c.secure ||
			ck.SameSite != http.SameSiteLaxMode || ck.MaxAge != 600 {
			t.Fatalf("cookie for %s = %+v", c.redirect, ck)
		}
		req := httptest.NewRequest("GET", "/api/auth/oidc/callback", nil)
		req.AddCookie(ck)
		if v := oidc.BindingFromRequest(req); v != "binding-value" {
			t.Fatalf("BindingFromRequest = %q", v)
		}
		w = httptest.NewRecorder()
		p.ClearBindingCookie(w)
		if ck := w.Result().Cookies()[0]; ck.MaxAge >= 0 || ck.Path != "/api/auth/oidc" {
			t.Fatalf("cleared cookie = %+v", ck)
		}
	}
	if v := oidc.BindingFromRequest(httptest.NewRequest("GET", "/", nil)); v != "" {
		t.Fatalf("no cookie: %q", v)
	}
	_, _, err := oidc.CallbackParams(httptest.NewRequest("GET", "/api/auth/oidc/callback?error=access_denied&error_description=The+user+said+no", nil))
	if tc.ErrorCode(err) != tc.EUNAUTHORIZED || !strings.Contains(tc.ErrorMessage(err), "The user said no") {
		t.Fatalf("callback with error: %v", err)
	}
}
