package app_test

import (
	"crypto/sha256"
	"crypto/tls"
	"encoding/base64"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/apptest"
	"github.com/telegrafcontroller/tc/internal/httpx"
)

// TestSecurityHeaders checks the browser protections on every answer of the
// main listener: each route of the API (successes and errors alike), the
// UI's pages, redirects and static files, health, metrics, unknown paths and
// refused cross-origin writes. HSTS only when the listener serves TLS.
func TestSecurityHeaders(t *testing.T) {
	inst := apptest.MustStart(t, apptest.DB{Name: "sqlite"})
	owner := inst.MustOwner(t)
	tok := inst.MustToken(t, owner, tc.AllPermissions...)
	session := inst.MustSession(t, owner)
	session.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	anon := &http.Client{CheckRedirect: session.CheckRedirect}

	check := func(t *testing.T, what string, r *apptest.Response, hsts bool) {
		t.Helper()
		want := map[string]string{
			"X-Content-Type-Options": "nosniff",
			"X-Frame-Options":        "DENY",
			"Referrer-Policy":        "same-origin",
		}
		for k, v := range want {
			if got := r.Header.Get(k); got != v {
				t.Errorf("%s (%d): %s = %q, want %q", what, r.StatusCode, k, got, v)
			}
		}
		csp := r.Header.Get("Content-Security-Policy")
		for _, d := range []string{"default-src 'none'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'", "base-uri 'none'", "form-action 'self'"} {
			if !strings.Contains(csp, d) {
				t.Errorf("%s (%d): Content-Security-Policy %q lacks %q", what, r.StatusCode, csp, d)
			}
		}
		if strings.Contains(csp, "unsafe-") {
			t.Errorf("%s: Content-Security-Policy %q allows unsafe sources", what, csp)
		}
		if got := r.Header.Get("Strict-Transport-Security"); (got != "") != hsts {
			t.Errorf("%s: Strict-Transport-Security = %q, want it only under TLS", what, got)
		}
	}

	seen := 0
	for _, rt := range inst.API.Routes() {
		path := regexp.MustCompile(`\{[^}]*\}`).ReplaceAllString(rt.Path, "nope")
		path = strings.TrimSuffix(path, "{$}")
		r := inst.Do(t, apptest.Req{Method: rt.Method, Path: path, Token: tok})
		check(t, rt.Method+" "+path, r, false)
		seen++
	}
	if seen < 20 {
		t.Fatalf("walked only %d routes", seen)
	}
	for _, tt := range []struct {
		what string
		req  apptest.Req
	}{
		{"API without credentials", apptest.Req{Method: "GET", Path: "/api/agents"}},
		{"unknown API path", apptest.Req{Method: "GET", Path: "/api/nope"}},
		{"API docs signed out", apptest.Req{Method: "GET", Path: "/api/docs", Client: anon}},
		{"sign-in page", apptest.Req{Method: "GET", Path: "/login"}},
		{"page signed out", apptest.Req{Method: "GET", Path: "/agents", Client: anon}},
		{"page", apptest.Req{Method: "GET", Path: "/agents", Client: session}},
		{"forbidden page", apptest.Req{Method: "GET", Path: "/nope"}},
		{"static file", apptest.Req{Method: "GET", Path: "/static/app.0000000000.css"}},
		{"health", apptest.Req{Method: "GET", Path: "/health/live"}},
		{"metrics", apptest.Req{Method: "GET", Path: "/metrics"}},
		{"cross-origin write", apptest.Req{Method: "POST", Path: "/api/labels", Client: session, Body: map[string]string{"name": "x"},
			Header: http.Header{"Origin": {"https://evil.example"}, "Sec-Fetch-Site": {"cross-site"}}}},
		{"cross-origin UI write", apptest.Req{Method: "POST", Path: "/logout", Client: session,
			Header: http.Header{"Origin": {"https://evil.example"}, "Sec-Fetch-Site": {"cross-site"}}}},
	} {
		check(t, tt.what, inst.Do(t, tt.req), false)
	}

	// The API reference is one self-contained page: its own inline script
	// and style are allowed by digest, nothing else inline.
	r := apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/docs", Client: session}), 200)
	check(t, "API docs", r, false)
	csp := r.Header.Get("Content-Security-Policy")
	for _, m := range regexp.MustCompile(`(?s)<(script|style)>(.*?)</(?:script|style)>`).FindAllSubmatch(r.Body, -1) {
		sum := sha256.Sum256(m[2])
		if h := "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"; !strings.Contains(csp, h) {
			t.Errorf("API docs: Content-Security-Policy %q does not allow its inline <%s> (%s)", csp, m[1], h)
		}
	}
	if r := inst.Do(t, apptest.Req{Method: "GET", Path: "/agents", Client: session}); r.Header.Get("Content-Security-Policy") != httpx.ContentSecurityPolicy {
		t.Errorf("pages: Content-Security-Policy = %q, want the general policy", r.Header.Get("Content-Security-Policy"))
	}

	certFile, keyFile := writeSelfSigned(t, t.TempDir())
	tlsInst := apptest.MustStart(t, apptest.DB{Name: "sqlite"}, apptest.WithArgs("--ssl-cert", certFile, "--ssl-key", keyFile))
	tlsInst.Client.Transport = &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}
	for _, p := range []string{"/login", "/api/agents", "/health/live", "/static/nope"} {
		r := tlsInst.Do(t, apptest.Req{Method: "GET", Path: p})
		check(t, "TLS "+p, r, true)
		if got := r.Header.Get("Strict-Transport-Security"); got != "max-age=31536000" {
			t.Errorf("TLS %s: Strict-Transport-Security = %q, want max-age=31536000", p, got)
		}
	}
}
