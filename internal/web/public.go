package web

import (
	"context"
	"net/http"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/auth"
	"github.com/telegrafcontroller/tc/internal/httpx"
)

// setupRequired reports whether no owner exists yet (auth.SignIn.Status).
func (h *Handler) setupRequired(r *http.Request) (bool, error) {
	st, err := h.SignIn.Status(r.Context())
	return st.SetupRequired, err
}

// home sends visitors where they can start: setup on a fresh install,
// sign-in without a session, otherwise the first page their role can use.
func (h *Handler) home(w http.ResponseWriter, r *http.Request) {
	caller, _ := h.Auth.Authenticate(r)
	if caller == nil || caller.User == nil {
		setup, err := h.setupRequired(r)
		if err != nil {
			h.fail(w, r, nil, err)
			return
		}
		if setup {
			http.Redirect(w, r, "/setup", http.StatusSeeOther)
			return
		}
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	for _, n := range navFor(caller) {
		http.Redirect(w, r, n.URL, http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/account", http.StatusSeeOther)
}

type loginData struct {
	Next, Username, Error, Notice string
	// The sign-in options (auth.SignIn.Status): local passwords, an LDAP
	// directory, an OIDC provider's button; Mode names the form an error
	// belongs to ("local" or "ldap").
	Local, LDAP, OIDC bool
	OIDCName          string
	Mode              string
}

// withProviders fills d's sign-in options.
func (h *Handler) withProviders(r *http.Request, d loginData) loginData {
	st, err := h.SignIn.Status(r.Context())
	if err != nil {
		d.Local = true
		return d
	}
	for _, p := range st.Providers {
		switch tc.AuthProvider(p) {
		case tc.ProviderLocal:
			d.Local = true
		case tc.ProviderLDAP:
			d.LDAP = true
		case tc.ProviderOIDC:
			d.OIDC, d.OIDCName = true, st.OIDCDisplayName
		}
	}
	return d
}

func (h *Handler) loginPage(w http.ResponseWriter, r *http.Request) {
	next := signInTarget(r.URL.Query().Get("next"))
	if caller, _ := h.Auth.Authenticate(r); caller != nil && caller.User != nil {
		redirectLocal(w, next)
		return
	}
	if setup, err := h.setupRequired(r); err != nil {
		h.fail(w, r, nil, err)
		return
	} else if setup {
		http.Redirect(w, r, "/setup", http.StatusSeeOther)
		return
	}
	d := loginData{Next: next}
	switch {
	case r.URL.Query().Get("setup") == "done":
		d.Notice = "The owner account is ready. Sign in with it."
	case r.URL.Query().Get("reset") == "done":
		d.Notice = "Your password was changed. Sign in with the new one."
	case r.URL.Query().Get("next") != "":
		d.Notice = "Sign in to continue."
	}
	h.renderPublic(w, r, http.StatusOK, "login", "Sign in", h.withProviders(r, d))
}

// login is the no-JavaScript path of the sign-in form: the same sign-in
// rules as the API's (auth.SignIn), the same session cookie.
func (h *Handler) login(w http.ResponseWriter, r *http.Request) {
	h.loginWith(w, r, "local", h.SignIn.Login)
}

// loginLDAP is the no-JavaScript path of the directory sign-in form.
func (h *Handler) loginLDAP(w http.ResponseWriter, r *http.Request) {
	h.loginWith(w, r, "ldap", h.SignIn.LoginLDAP)
}

func (h *Handler) loginWith(w http.ResponseWriter, r *http.Request, mode string,
	signIn func(context.Context, auth.Credentials, auth.Origin) (*auth.Started, error)) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	next := signInTarget(r.PostForm.Get("next"))
	in := auth.Credentials{Username: r.PostForm.Get("username"), Password: r.PostForm.Get("password")}
	st, err := signIn(r.Context(), in, h.SignIn.From(r))
	if err != nil {
		status := httpx.StatusOf(err)
		if status >= http.StatusInternalServerError && status != http.StatusServiceUnavailable {
			h.fail(w, r, nil, err)
			return
		}
		// Wrong credentials, a refusal, a lockout, the limiter or a
		// directory that is down: the form again, with the API's answer.
		h.renderPublic(w, r, status, "login", "Sign in",
			h.withProviders(r, loginData{Next: next, Username: in.Username, Error: tc.ErrorMessage(err), Mode: mode}))
		return
	}
	h.SignIn.Sessions.SetCookie(w, st.ID, st.Expires)
	redirectLocal(w, next)
}

// logout ends the visitor's session, if any, and returns to sign-in.
func (h *Handler) logout(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if caller, err := h.Auth.Authenticate(r); err == nil && caller != nil {
		ctx = tc.NewContextWithCaller(ctx, caller)
	}
	if err := h.SignIn.Logout(ctx); err != nil {
		h.fail(w, r, nil, err)
		return
	}
	h.SignIn.Sessions.ClearCookie(w)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// passwordData is the page data of the setup, invite and reset pages:
// the link's secret (the form posts to it), the password rule, and who the
// link is for.
type passwordData struct {
	Token        string
	PasswordHelp string
	Invite       *tc.Invite   // the invite page
	User         *tc.UserInfo // the reset page
}

// passwordHelp describes the password rule in force.
func (h *Handler) passwordHelp() string {
	const common = " Common passwords are refused."
	switch h.Settings.Current().PasswordComplexity {
	case tc.ComplexityMedium:
		return "At least 10 characters with upper- and lower-case letters and a digit." + common
	case tc.ComplexityHigh:
		return "At least 12 characters with upper- and lower-case letters, a digit and a special character." + common
	}
	return "At least 8 characters." + common
}

func (h *Handler) setupPage(w http.ResponseWriter, r *http.Request) {
	if setup, err := h.setupRequired(r); err != nil {
		h.fail(w, r, nil, err)
		return
	} else if !setup {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	h.renderPublic(w, r, http.StatusOK, "setup", "Set up", passwordData{PasswordHelp: h.passwordHelp()})
}

func (h *Handler) invitePage(w http.ResponseWriter, r *http.Request) {
	tok := r.PathValue("token")
	inv, err := h.Users.Invite(r.Context(), tok)
	if err != nil {
		h.linkFailed(w, r, err, "This invitation link cannot be used", "Ask an administrator for a new invitation.")
		return
	}
	h.renderPublic(w, r, http.StatusOK, "invite", "Accept invitation", passwordData{Token: tok, PasswordHelp: h.passwordHelp(), Invite: inv})
}

func (h *Handler) resetPage(w http.ResponseWriter, r *http.Request) {
	tok := r.PathValue("token")
	_, u, err := h.Users.PasswordReset(r.Context(), tok)
	if err != nil {
		h.linkFailed(w, r, err, "This password reset link cannot be used", "Ask an administrator for a new link.")
		return
	}
	h.renderPublic(w, r, http.StatusOK, "reset", "Reset password", passwordData{Token: tok, PasswordHelp: h.passwordHelp(), User: &u})
}

func (h *Handler) renderPublic(w http.ResponseWriter, r *http.Request, status int, name, title string, data any) {
	if err := h.render(w, r, status, name, Page{Title: title, Bare: true, Data: data}); err != nil {
		h.fail(w, r, nil, err)
	}
}

func (h *Handler) notFound(w http.ResponseWriter, r *http.Request) {
	caller, _ := h.Auth.Authenticate(r)
	if caller != nil && caller.User == nil {
		caller = nil
	}
	h.errorPage(w, r, caller, http.StatusNotFound, "Page not found", "There is no page at "+r.URL.Path+".")
}

// linkFailed explains a one-time link that is unknown, used or expired;
// any other failure is the error page's.
func (h *Handler) linkFailed(w http.ResponseWriter, r *http.Request, err error, heading, advice string) {
	switch tc.ErrorCode(err) {
	case tc.EGONE, tc.ENOTFOUND:
		h.errorPage(w, r, nil, httpx.StatusOf(err), heading, tc.ErrorMessage(err)+". "+advice)
	default:
		h.fail(w, r, nil, err)
	}
}
