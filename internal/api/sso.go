package api

import (
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/auth"
	"github.com/telegrafcontroller/tc/internal/httpx"
	"github.com/telegrafcontroller/tc/internal/oidc"
	"github.com/telegrafcontroller/tc/internal/store"
)

// Single sign-on: LDAP and OIDC sign-in and the providers' settings. The
// rules are auth.SignIn's (internal/auth/sso.go) and the provisioning
// decision tc.Provisioning.Provision; these handlers decode, call, set
// cookies and encode.

// loginLDAP signs in with a directory username and password.
func (s *Server) loginLDAP(w http.ResponseWriter, r *http.Request) {
	var in auth.Credentials
	if err := s.decode(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	st, err := s.SignIn.LoginLDAP(r.Context(), in, s.SignIn.From(r))
	if err != nil {
		s.failRetry(w, r, err)
		return
	}
	s.Sessions.SetCookie(w, st.ID, st.Expires)
	httpx.WriteJSON(w, http.StatusOK, st.Identity())
}

// oidcLogin sends the browser to the identity provider, with the cookie
// that binds the sign-in to this browser.
func (s *Server) oidcLogin(w http.ResponseWriter, r *http.Request) {
	url, binding, err := s.SignIn.BeginOIDC(r.Context())
	if err != nil {
		s.ssoErrorPage(w, r, err) // a browser's navigation: a page, not JSON
		return
	}
	s.OIDC.SetBindingCookie(w, binding)
	http.Redirect(w, r, url, http.StatusFound)
}

// oidcCallback finishes the sign-in and sends the browser on; a refusal is
// a page that says why, with a way back to the sign-in page.
func (s *Server) oidcCallback(w http.ResponseWriter, r *http.Request) {
	if s.OIDC != nil {
		s.OIDC.ClearBindingCookie(w) // one sign-in per binding, whatever happens
	}
	code, state, refused := oidc.CallbackParams(r)
	st, redirect, err := s.SignIn.CompleteOIDC(r.Context(), code, state, refused, oidc.BindingFromRequest(r), s.SignIn.From(r))
	if err != nil {
		s.ssoErrorPage(w, r, err)
		return
	}
	s.Sessions.SetCookie(w, st.ID, st.Expires)
	if redirect == "" {
		redirect = "/"
	}
	http.Redirect(w, r, redirect, http.StatusFound)
}

var ssoErrorTemplate = template.Must(template.New("sso").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign-in refused · Telegraf Controller</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: system-ui, sans-serif; max-width: 36rem; margin: 4rem auto; padding: 0 1rem">
<h1>Sign-in refused</h1>
<p id="sso-error" role="alert">{{.Message}}</p>
<p><a href="/login">Back to the sign-in page</a></p>
</body></html>
`))

// ssoErrorPage answers a failed browser sign-in with err's status and its
// message (never a driver's: internal errors say "internal error"), as a
// page for a browser's navigation (Accept: text/html) and as the usual
// JSON error for any other client.
func (s *Server) ssoErrorPage(w http.ResponseWriter, r *http.Request, err error) {
	if !strings.Contains(r.Header.Get("Accept"), "text/html") {
		s.fail(w, r, err)
		return
	}
	err = store.Unavailable(err)
	status, msg := httpx.StatusOf(err), tc.ErrorMessage(err)
	if status >= 500 && s.Logger != nil {
		s.Logger.Error("request failed", "method", r.Method, "route", httpx.RouteOf(r), "error", err)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = ssoErrorTemplate.Execute(w, map[string]string{"Message": msg})
}

// providerSettings is one external provider on the settings page: whether
// it is enabled and reachable, and its provisioning settings.
type providerSettings struct {
	auth.ProviderStatus
	Summary      any             `json:"summary,omitempty"`
	Provisioning tc.Provisioning `json:"provisioning"`
}

// getAuthSettings shows the local sign-in switch and each external
// provider's status and provisioning settings.
func (s *Server) getAuthSettings(w http.ResponseWriter, r *http.Request) {
	set := s.Store.Settings()
	st := s.SignIn.ProviderStatuses(r.Context(), 3*time.Second)
	httpx.WriteJSON(w, http.StatusOK, map[string]any{
		"local": map[string]any{"enabled": s.SignIn.LocalEnabled(), "loginLockoutAttempts": set.LoginLockoutAttempts,
			"loginLockoutMinutes": set.LoginLockoutMinutes, "passwordComplexity": set.PasswordComplexity},
		"ldap": providerSettings{st[tc.ProviderLDAP], s.ProviderSummaries[tc.ProviderLDAP], set.LDAP},
		"oidc": providerSettings{st[tc.ProviderOIDC], s.ProviderSummaries[tc.ProviderOIDC], set.OIDC},
	})
}

// authSettingsPatch changes a provider's provisioning settings: the given
// ones replace the stored ones whole (group mappings are one list).
type authSettingsPatch struct {
	LDAP *tc.Provisioning `json:"ldap"`
	OIDC *tc.Provisioning `json:"oidc"`
}

// patchAuthSettings changes the providers' provisioning (owner only, which
// auth.SignIn.UpdateProvisioning decides).
func (s *Server) patchAuthSettings(w http.ResponseWriter, r *http.Request) {
	var in authSettingsPatch
	if err := s.decode(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	if in.LDAP == nil && in.OIDC == nil {
		s.fail(w, r, tc.Errorf(tc.EINVALID, "Nothing to change: give ldap or oidc provisioning settings"))
		return
	}
	for p, v := range map[tc.AuthProvider]*tc.Provisioning{tc.ProviderLDAP: in.LDAP, tc.ProviderOIDC: in.OIDC} {
		if v == nil {
			continue
		}
		if _, err := s.SignIn.UpdateProvisioning(r.Context(), p, func(cur *tc.Provisioning) { *cur = *v }); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	s.getAuthSettings(w, r)
}
