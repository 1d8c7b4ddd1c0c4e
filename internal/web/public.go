package web

import (
	"net/http"
	"net/url"
)

// authStatus is GET /api/auth/status.
type authStatus struct {
	SetupRequired bool   `json:"setupRequired"`
	Version       string `json:"version"`
}

func (h *Handler) status(r *http.Request) authStatus {
	var st authStatus
	if err := h.call(r, http.MethodGet, "/api/auth/status", nil, &st, nil); err != nil {
		h.Logger.Debug("auth status unavailable", "error", err)
	}
	return st
}

// home sends visitors where they can start: setup on a fresh install,
// sign-in without a session, otherwise the first page their role can use.
func (h *Handler) home(w http.ResponseWriter, r *http.Request) {
	caller, _ := h.Auth.Authenticate(r)
	if caller == nil || caller.User == nil {
		if h.status(r).SetupRequired {
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
}

func (h *Handler) loginPage(w http.ResponseWriter, r *http.Request) {
	next := signInTarget(r.URL.Query().Get("next"))
	if caller, _ := h.Auth.Authenticate(r); caller != nil && caller.User != nil {
		redirectLocal(w, next)
		return
	}
	if h.status(r).SetupRequired {
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
	h.renderPublic(w, r, http.StatusOK, "login", "Sign in", d)
}

// login is the no-JavaScript path of the sign-in form: it forwards the
// form to the login API in-process and passes its session cookie on.
func (h *Handler) login(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	next := signInTarget(r.PostForm.Get("next"))
	body := map[string]string{"username": r.PostForm.Get("username"), "password": r.PostForm.Get("password")}
	hdr := http.Header{}
	err := h.call(r, http.MethodPost, "/api/auth/login/local", body, nil, hdr)
	if err != nil {
		msg := "Sign-in failed."
		if ae, ok := err.(*apiError); ok && ae.Message != "" {
			msg = ae.Message
		}
		h.renderPublic(w, r, http.StatusUnauthorized, "login", "Sign in", loginData{Next: next, Username: body["username"], Error: msg})
		return
	}
	for _, c := range hdr.Values("Set-Cookie") {
		w.Header().Add("Set-Cookie", c)
	}
	redirectLocal(w, next)
}

// logout ends the session through the API and returns to sign-in.
func (h *Handler) logout(w http.ResponseWriter, r *http.Request) {
	hdr := http.Header{}
	if err := h.call(r, http.MethodPost, "/api/auth/logout", nil, nil, hdr); err != nil {
		h.Logger.Debug("logout", "error", err)
	}
	for _, c := range hdr.Values("Set-Cookie") {
		w.Header().Add("Set-Cookie", c)
	}
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

type passwordData struct {
	Token        string
	PasswordHelp string
	// Who the link is for, as the API describes it.
	Username, Email, Role string
}

func (h *Handler) passwordHelp(r *http.Request) string {
	var s struct {
		PasswordComplexity string `json:"passwordComplexity"`
	}
	h.call(r, http.MethodGet, "/api/auth/status", nil, &s, nil)
	const common = " Common passwords are refused."
	switch s.PasswordComplexity {
	case "medium":
		return "At least 10 characters with upper- and lower-case letters and a digit." + common
	case "high":
		return "At least 12 characters with upper- and lower-case letters, a digit and a special character." + common
	}
	return "At least 8 characters." + common
}

func (h *Handler) setupPage(w http.ResponseWriter, r *http.Request) {
	if !h.status(r).SetupRequired {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	h.renderPublic(w, r, http.StatusOK, "setup", "Set up", passwordData{PasswordHelp: h.passwordHelp(r)})
}

func (h *Handler) invitePage(w http.ResponseWriter, r *http.Request) {
	tok := r.PathValue("token")
	d := passwordData{Token: tok, PasswordHelp: h.passwordHelp(r)}
	if err := h.call(r, http.MethodGet, "/api/invites/"+url.PathEscape(tok), nil, &d, nil); err != nil {
		h.linkFailed(w, r, err, "This invitation link cannot be used", "Ask an administrator for a new invitation.")
		return
	}
	h.renderPublic(w, r, http.StatusOK, "invite", "Accept invitation", d)
}

func (h *Handler) resetPage(w http.ResponseWriter, r *http.Request) {
	tok := r.PathValue("token")
	d := passwordData{Token: tok, PasswordHelp: h.passwordHelp(r)}
	if err := h.call(r, http.MethodGet, "/api/password-resets/"+url.PathEscape(tok), nil, &d, nil); err != nil {
		h.linkFailed(w, r, err, "This password reset link cannot be used", "Ask an administrator for a new link.")
		return
	}
	h.renderPublic(w, r, http.StatusOK, "reset", "Reset password", d)
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

// linkFailed explains a one-time link that is unknown, used or expired.
func (h *Handler) linkFailed(w http.ResponseWriter, r *http.Request, err error, heading, advice string) {
	status, msg := http.StatusNotFound, advice
	if ae, ok := err.(*apiError); ok {
		if ae.Status == http.StatusGone || ae.Status == http.StatusNotFound {
			status = ae.Status
		}
		if ae.Message != "" {
			msg = ae.Message + ". " + advice
		}
	}
	h.errorPage(w, r, nil, status, heading, msg)
}
