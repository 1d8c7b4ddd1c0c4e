// Package web serves the browser UI on every non-API path of the main
// listener. Pages are server-rendered html/template from embed, parsed once at
// start-up; reads call the JSON API in-process with the visitor's own
// credentials, so permission checks and business rules live in one place
// (internal/api), and writes go from small vanilla JavaScript straight to the
// same API. Pages stay readable without JavaScript.
package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/auth"
	"github.com/telegrafcontroller/tc/internal/httpx"
	"github.com/telegrafcontroller/tc/internal/service"
)

// Handler is the web UI. Create it with New.
type Handler struct {
	// API serves /api/ requests in-process, for the pages that do not yet
	// read through a service: the API's routes without the main listener's
	// middleware (internal/app router.go).
	API http.Handler
	// Services the pages read through, as the API does (internal/service).
	Tokens         *service.Tokens
	Users          *service.Users
	Agents         *service.Agents
	ReportingRules *service.ReportingRules
	Configs        *service.Configs
	Labels         *service.Labels
	Constants      *service.Constants
	// SignIn is the sign-in rules the public pages share with the API.
	SignIn *auth.SignIn
	// Settings returns the instance settings (store.Settings).
	Settings func() tc.Settings
	// Auth resolves the session cookie to a caller.
	Auth    *auth.Authenticator
	Logger  *slog.Logger
	Now     func() time.Time
	Version string
	// FleetHealth reads the status scheduler's samples in [from, to] for the
	// agents page chart (store.FleetHealth); nil hides the chart.
	FleetHealth func(ctx context.Context, from, to time.Time) ([]tc.FleetHealthSample, error)

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

// view is what a page handler knows about the request: the caller and a
// way to call the API as them.
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
		if err != nil || caller == nil || caller.User == nil {
			h.toLogin(w, r)
			return
		}
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

// apiError is a failed in-process API call.
type apiError struct {
	Status  int
	Code    string `json:"error"`
	Message string `json:"message"`
	Field   string `json:"field"`
}

func (e *apiError) Error() string { return fmt.Sprintf("api %d %s: %s", e.Status, e.Code, e.Message) }

// fail renders err as a page: an expired session goes back to sign-in,
// other API and domain errors become their status page.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, caller *tc.Caller, err error) {
	var ae *apiError
	if errors.As(err, &ae) {
		h.failStatus(w, r, caller, ae.Status, ae.Code, ae.Message)
		return
	}
	// A service's refusal (not found, invalid, forbidden...) gets the page
	// the API's answer got; server-side failures are logged below.
	if status := httpx.StatusOf(err); status < 500 {
		h.failStatus(w, r, caller, status, tc.ErrorCode(err), tc.ErrorMessage(err))
		return
	}
	// The route, not the path: a path may hold a one-time link's secret.
	h.Logger.Error("render page", "route", r.Pattern, "error", err)
	h.errorPage(w, r, caller, http.StatusInternalServerError, "Something went wrong", "The page could not be shown. Try again in a moment.")
}

// failStatus renders an error answer of status with its code and message.
func (h *Handler) failStatus(w http.ResponseWriter, r *http.Request, caller *tc.Caller, status int, code, msg string) {
	switch {
	case status == http.StatusUnauthorized:
		h.toLogin(w, r)
	case status == http.StatusForbidden:
		h.errorPage(w, r, caller, status, "You do not have access to this page", msg)
	case status == http.StatusNotFound && code == "":
		h.errorPage(w, r, caller, http.StatusNotImplemented, "Not available yet", "This server does not offer the API this page needs.")
	case status == http.StatusNotFound:
		h.errorPage(w, r, caller, status, "Not found", msg)
	case status < 500:
		h.errorPage(w, r, caller, status, "Request refused", msg)
	default:
		h.errorPage(w, r, caller, status, "Something went wrong", "The server could not complete the request. Try again in a moment.")
	}
}

// get calls GET path on the API as the visitor and decodes the JSON answer
// into out.
func (v *view) get(path string, out any) error {
	return v.h.call(v.r, http.MethodGet, path, nil, out, nil)
}

// call performs one in-process API request carrying r's credentials.
// Response headers are copied into hdr when it is not nil.
func (h *Handler) call(r *http.Request, method, path string, body any, out any, hdr http.Header) error {
	var rd io.Reader = http.NoBody
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(r.Context(), method, path, rd)
	if err != nil {
		return err
	}
	req.RemoteAddr = r.RemoteAddr
	req.Host = r.Host
	req.TLS = r.TLS
	for _, k := range []string{"Authorization", "Cookie", "User-Agent", "X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host"} {
		if v := r.Header.Values(k); len(v) > 0 {
			req.Header[k] = v
		}
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	rec := &recorder{header: http.Header{}, status: http.StatusOK}
	h.API.ServeHTTP(rec, req)
	if hdr != nil {
		for k, v := range rec.header {
			hdr[k] = v
		}
	}
	if rec.status >= 300 {
		ae := &apiError{Status: rec.status}
		json.Unmarshal(rec.body.Bytes(), ae)
		return ae
	}
	if out == nil || rec.status == http.StatusNoContent {
		return nil
	}
	if err := json.Unmarshal(rec.body.Bytes(), out); err != nil {
		return fmt.Errorf("decode %s %s: %w", method, path, err)
	}
	return nil
}

// recorder collects an in-process API response.
type recorder struct {
	header http.Header
	status int
	wrote  bool
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) Write(b []byte) (int, error) {
	r.wrote = true
	return r.body.Write(b)
}
func (r *recorder) WriteHeader(code int) {
	if !r.wrote {
		r.status, r.wrote = code, true
	}
}
