// Package web serves the browser UI on every non-API path of the main
// listener. Pages are server-rendered html/template from embed, parsed once at
// start-up; they read through the same services as the JSON API
// (internal/service, internal/auth) with the visitor as the caller, so
// permission checks and business rules live in one place, and render domain
// types. Writes go from small vanilla JavaScript to the JSON API. Pages stay
// readable without JavaScript.
package web

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/auth"
	"github.com/telegrafcontroller/tc/internal/httpx"
	"github.com/telegrafcontroller/tc/internal/service"
	"github.com/telegrafcontroller/tc/internal/store"
)

// Handler is the web UI. Create it with New.
type Handler struct {
	// The services the pages read through, as the API does.
	service.Services
	// SignIn is the sign-in rules the public pages share with the API.
	SignIn *auth.SignIn
	// Auth resolves the session cookie to a caller.
	Auth    *auth.Authenticator
	Logger  *slog.Logger
	Now     func() time.Time
	Version string

	tmpl   *templates
	static *staticFiles
	mux    *http.ServeMux
}

// New parses the templates and hashes the static assets; it fails at
// start-up rather than on the first request when a template is broken.
func New(h Handler) (*Handler, error) {
	if h.Logger == nil {
		h.Logger = slog.New(slog.DiscardHandler)
	}
	if h.Now == nil {
		h.Now = time.Now
	}
	var err error
	if h.static, err = loadStatic(); err != nil {
		return nil, err
	}
	if h.tmpl, err = parseTemplates(h.static, h.Now); err != nil {
		return nil, err
	}
	h.mux = http.NewServeMux()
	h.routes()
	return &h, nil
}

// ServeHTTP serves the UI. The main listener sets the security headers,
// the Content-Security-Policy included, on every answer (internal/app
// router.go).
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mux.ServeHTTP(w, r)
}

// page is a handler for a signed-in page.
type page func(w http.ResponseWriter, r *http.Request, v *view) error

// view is what a page handler knows about the request: the caller, whom
// the services see through ctx.
type view struct {
	h      *Handler
	r      *http.Request
	caller *tc.Caller
}

// ctx is the request's context carrying the visitor as the caller, for
// service calls.
func (v *view) ctx() context.Context { return tc.NewContextWithCaller(v.r.Context(), v.caller) }

// signedIn wraps a page: visitors without a session go to sign in (and come
// back afterwards); callers without perm get the 403 page.
func (h *Handler) signedIn(perm tc.Permission, p page) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		caller, err := h.Auth.Authenticate(r)
		if httpx.StatusOf(err) == http.StatusServiceUnavailable {
			h.fail(w, r, nil, err) // the database is away: signing in again would not help
			return
		}
		if err != nil || caller == nil || caller.User == nil {
			h.toLogin(w, r)
			return
		}
		// The audit log attributes a refusal of this page to the visitor.
		tc.NoteCaller(r.Context(), caller)
		if perm != "" && !caller.Can(perm) {
			h.errorPage(w, r, caller, http.StatusForbidden, "You do not have access to this page",
				fmt.Sprintf("Your role (%s) lacks the %s permission.", caller.User.Role, perm))
			return
		}
		v := &view{h: h, r: r, caller: caller}
		if err := p(w, r, v); err != nil {
			h.fail(w, r, caller, err)
		}
	}
}

func (h *Handler) toLogin(w http.ResponseWriter, r *http.Request) {
	next := r.URL.EscapedPath() // an id holding "/" stays one segment
	if r.URL.RawQuery != "" {
		next += "?" + r.URL.RawQuery
	}
	http.Redirect(w, r, "/login?next="+url.QueryEscape(next), http.StatusSeeOther)
}

// fail renders a service's error as a page: an expired session goes back
// to sign-in, a refusal (forbidden, not found, invalid...) or an unavailable
// database gets its status page with the service's message, and anything
// else is logged and shown as a 500 without detail.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, caller *tc.Caller, err error) {
	err = store.Unavailable(err)
	status, msg := httpx.StatusOf(err), tc.ErrorMessage(err)
	switch {
	case status == http.StatusUnauthorized:
		h.toLogin(w, r)
	case status == http.StatusForbidden:
		h.errorPage(w, r, caller, status, "You do not have access to this page", msg)
	case status == http.StatusNotFound:
		h.errorPage(w, r, caller, status, "Not found", msg)
	case status < 500:
		h.errorPage(w, r, caller, status, "Request refused", msg)
	case status == http.StatusServiceUnavailable:
		h.errorPage(w, r, caller, status, "Temporarily unavailable", msg)
	default:
		// The route, not the path: a path may hold a one-time link's secret.
		h.Logger.Error("render page", "route", r.Pattern, "error", err)
		h.errorPage(w, r, caller, http.StatusInternalServerError, "Something went wrong", "The page could not be shown. Try again in a moment.")
	}
}
