// Package api adapts the domain to HTTP on the main listener: the JSON API
// under /api/, health endpoints and /metrics. Routes are listed in routes.go.
package api

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/auth"
	"github.com/telegrafcontroller/tc/internal/httpx"
	"github.com/telegrafcontroller/tc/internal/metrics"
	"github.com/telegrafcontroller/tc/internal/service"
	"github.com/telegrafcontroller/tc/internal/store"
)

// Server holds what the main listener's handlers need. Fields are set by
// internal/app before Handler is called.
type Server struct {
	Store   *store.Store
	Auth    *auth.Authenticator
	Tokens  *service.Tokens
	Users   *service.Users
	Metrics *metrics.Metrics
	Logger  *slog.Logger
	Now     func() time.Time
	Version string
	// MaxBody caps JSON request bodies.
	MaxBody int64
	// Exempt lists permission resources ("configs", "heartbeat", ...) whose
	// endpoints need no authentication (--disable-auth-endpoints).
	Exempt map[string]bool
	// TLS reports whether the listener serves HTTPS (cookies get Secure).
	TLS bool
	// UI, when set, serves every non-API path (the web UI).
	UI http.Handler
	// TrustedProxies are the peers whose X-Forwarded-For names the client
	// (the sign-in limiter counts by client address).
	TrustedProxies []netip.Prefix
	// HeartbeatPort is the heartbeat listener's port, for the heartbeat URL
	// of new configs when no public heartbeat URL is set.
	HeartbeatPort int
	// PublicHeartbeatURL returns the public heartbeat URL setting ("" when
	// unset); nil means no such setting.
	PublicHeartbeatURL func(ctx context.Context) string

	// Identity (auth.go, user.go, invite.go, password_reset.go, account.go,
	// settings.go): password hashing, sessions and the sign-in limiter.
	Passwords *auth.Hasher
	Sessions  *auth.Sessions
	Limiter   *auth.LoginLimiter

	mux    *http.ServeMux
	routes []Route
	tomls  *tomlCache // rendered config TOML (config_toml.go)
}

// Route is one registered endpoint and the permission it requires.
type Route struct {
	Method     string
	Path       string
	Permission tc.Permission // Public, SignedIn, SessionOnly or a resource:action
	// Session is set where a resource:action also needs a person signed in
	// with a session (SessionOnly's rule on top of a permission).
	Session bool
}

// Pseudo-permissions for routes that need no specific permission.
// SessionOnly routes are a signed-in person's own account: an API token,
// whatever its permissions, is refused there (an agent's heartbeat token
// must not rename its owner or try their password).
const (
	Public      tc.Permission = ""
	SignedIn    tc.Permission = "*"
	SessionOnly tc.Permission = "session"
)

// msgSessionOnly refuses a token on a SessionOnly route.
const msgSessionOnly = "This endpoint is for a signed-in person: API tokens cannot use it; sign in instead"

// Routes returns every registered endpoint (for the OpenAPI completeness and
// permission-walk tests).
func (s *Server) Routes() []Route { return s.routes }

// handle registers h on "METHOD /path" behind authentication and the
// permission check for perm.
func (s *Server) handle(pattern string, perm tc.Permission, h http.HandlerFunc) {
	method, path, _ := strings.Cut(pattern, " ")
	s.routes = append(s.routes, Route{Method: method, Path: path, Permission: perm})
	s.mux.Handle(pattern, s.authorize(perm, h))
	if method == http.MethodGet {
		s.routes = append(s.routes, Route{Method: http.MethodHead, Path: path, Permission: perm})
	}
}

// handleSession is handle for a route that also refuses API tokens: an
// action so consequential that only a signed-in person may take it, however
// broad a token is (ownership transfer).
func (s *Server) handleSession(pattern string, perm tc.Permission, h http.HandlerFunc) {
	s.handle(pattern, perm, func(w http.ResponseWriter, r *http.Request) {
		if c := tc.CallerFromContext(r.Context()); c == nil || c.SessionHash == "" {
			httpx.WriteError(w, r, s.Logger, tc.Errorf(tc.EFORBIDDEN, msgSessionOnly))
			return
		}
		h(w, r)
	})
	for i := len(s.routes) - 1; i >= 0 && strings.HasSuffix(pattern, s.routes[i].Path); i-- {
		s.routes[i].Session = true
	}
}

// Handler builds the main listener's handler.
func (s *Server) Handler() http.Handler {
	if s.Logger == nil {
		s.Logger = slog.New(slog.DiscardHandler)
	}
	if s.Now == nil {
		s.Now = time.Now
	}
	if s.MaxBody == 0 {
		s.MaxBody = 1 << 20
	}
	if s.tomls == nil {
		s.tomls = newTOMLCache(maxCachedItems, maxCachedBytes, s.Metrics)
		if s.Store != nil {
			s.Store.OnConfigChange(s.tomls.invalidate)
		}
	}
	s.mux = http.NewServeMux()
	s.routes = nil
	s.registerRoutes()
	s.mux.Handle("GET /metrics", promhttp.HandlerFor(s.Metrics.Registry, promhttp.HandlerOpts{}))
	serve := http.HandlerFunc(s.serve)
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(s.crossOriginRefused))
	protected := cop.Handler(serve)
	// Cross-origin protection guards the ambient credential, the session
	// cookie. A request with an Authorization header is authenticated by
	// that header alone (the cookie is then ignored, see auth.Authenticate),
	// so it carries nothing a foreign page could borrow and passes unchanged.
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if len(r.Header["Authorization"]) > 0 {
			serve(w, r)
			return
		}
		protected.ServeHTTP(w, r)
	})
	return httpx.Instrument(s.Metrics, "main", s.Logger, httpx.SecurityHeaders(h, s.TLS))
}

// serve dispatches to the mux, answering unknown /api/ paths and wrong
// methods with JSON errors instead of the mux's plain text.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	// PostgreSQL refuses a NUL byte in text, so an id or filter carrying one
	// would surface as a 500 from whatever query it reaches: answer here.
	// Likewise bytes that are not UTF-8: no id or name can contain them.
	if !plainText(r.URL.Path) {
		httpx.WriteError(w, r, s.Logger, tc.Errorf(tc.ENOTFOUND, "no such resource: the path is not valid UTF-8 text or contains a NUL byte"))
		return
	}
	if q := r.URL.RawQuery; q != "" {
		if u, err := url.QueryUnescape(q); err == nil && !plainText(u) {
			httpx.WriteError(w, r, s.Logger, tc.Errorf(tc.EINVALID, "query parameters must be valid UTF-8 text without NUL bytes"))
			return
		}
	}
	if _, pattern := s.mux.Handler(r); pattern == "" {
		if strings.HasPrefix(r.URL.Path, "/api/") || !s.uiServes(r) {
			rec := &headerRecorder{header: http.Header{}}
			h, _ := s.mux.Handler(r)
			h.ServeHTTP(rec, r)
			if rec.status == http.StatusMethodNotAllowed {
				w.Header().Set("Allow", rec.header.Get("Allow"))
				httpx.WriteError(w, r, s.Logger, tc.Errorf(tc.EMETHOD, "method %s not allowed on %s", r.Method, r.URL.Path))
				return
			}
			httpx.WriteError(w, r, s.Logger, tc.Errorf(tc.ENOTFOUND, "no such endpoint: %s %s", r.Method, r.URL.Path))
			return
		}
		s.UI.ServeHTTP(w, r)
		return
	}
	s.mux.ServeHTTP(w, r)
}

// crossOriginRefused answers a cross-origin browser write: in the API's
// error shape under /api/, as plain text for the UI's pages.
func (s *Server) crossOriginRefused(w http.ResponseWriter, r *http.Request) {
	const msg = "cross-origin request refused: a browser may only write from this site"
	if strings.HasPrefix(r.URL.Path, "/api/") {
		httpx.WriteError(w, r, s.Logger, tc.Errorf(tc.EFORBIDDEN, msg))
		return
	}
	http.Error(w, msg, http.StatusForbidden)
}

// plainText reports whether s is valid UTF-8 without NUL bytes.
func plainText(s string) bool { return utf8.ValidString(s) && strings.IndexByte(s, 0) < 0 }

// ServeInternal answers an /api/ request in-process, without the listener's
// instrumentation and cross-origin check: the web UI renders its pages from
// the same handlers, as the visitor, so permissions live in one place.
func (s *Server) ServeInternal(w http.ResponseWriter, r *http.Request) { s.serve(w, r) }

func (s *Server) uiServes(r *http.Request) bool {
	return s.UI != nil && !strings.HasPrefix(r.URL.Path, "/health/") && r.URL.Path != "/metrics"
}

// headerRecorder captures what the mux's fallback handlers would write.
type headerRecorder struct {
	header http.Header
	status int
}

func (h *headerRecorder) Header() http.Header         { return h.header }
func (h *headerRecorder) Write(b []byte) (int, error) { return len(b), nil }
func (h *headerRecorder) WriteHeader(code int)        { h.status = code }

// authorize authenticates the request and checks perm. Exempted groups
// (--disable-auth-endpoints) pass unauthenticated.
func (s *Server) authorize(perm tc.Permission, h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		caller, err := s.Auth.Authenticate(r)
		open := perm == Public || s.Exempt[perm.Resource()]
		// Where no authentication is required, bad credentials are ignored
		// as if absent (as on the exempted heartbeat listener): an agent
		// with a revoked token keeps working on an exempted group.
		if err != nil && !open {
			httpx.WriteError(w, r, s.Logger, err)
			return
		}
		if caller != nil {
			r = r.WithContext(tc.NewContextWithCaller(r.Context(), caller))
		}
		if open {
			h(w, r)
			return
		}
		if caller == nil {
			httpx.WriteError(w, r, s.Logger, tc.Errorf(tc.EUNAUTHORIZED, auth.MsgMissing))
			return
		}
		switch {
		case perm == SignedIn:
		case perm == SessionOnly:
			if caller.SessionHash == "" {
				httpx.WriteError(w, r, s.Logger, tc.Errorf(tc.EFORBIDDEN, msgSessionOnly))
				return
			}
		case !caller.Can(perm):
			httpx.WriteError(w, r, s.Logger, auth.Forbidden(perm))
			return
		}
		h(w, r)
	})
}

// decode is httpx.DecodeJSON with the server's body cap.
func (s *Server) decode(w http.ResponseWriter, r *http.Request, v any) error {
	return httpx.DecodeJSON(w, r, s.MaxBody, v)
}

// fail writes err: the one error exit of every handler.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	httpx.WriteError(w, r, s.Logger, err)
}
