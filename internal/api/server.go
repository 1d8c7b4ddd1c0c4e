// Package api adapts the domain to HTTP on the main listener: the JSON API
// under /api/ and the health endpoints. Routes are listed in routes.go;
// internal/app mounts them on the main listener beside the UI and /metrics.
package api

import (
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"sync/atomic"
	"time"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/auth"
	"github.com/telegrafcontroller/tc/internal/httpx"
	"github.com/telegrafcontroller/tc/internal/metrics"
	"github.com/telegrafcontroller/tc/internal/oidc"
	"github.com/telegrafcontroller/tc/internal/serves"
	"github.com/telegrafcontroller/tc/internal/service"
	"github.com/telegrafcontroller/tc/internal/store"
)

// Server holds what the API's handlers need. Fields are set by
// internal/app before Register is called.
type Server struct {
	Store *store.Store
	Auth  *auth.Authenticator
	// The services every handler calls (internal/service).
	service.Services
	Metrics *metrics.Metrics
	Logger  *slog.Logger
	Now     func() time.Time
	Version string
	// Leader reports whether this node leads its cluster (GET
	// /health/leader); nil outside a cluster, where it always does.
	Leader func() bool
	// MaxBody caps JSON request bodies.
	MaxBody int64
	// Exempt lists permission resources ("configs", "heartbeat", ...) whose
	// endpoints need no authentication (--disable-auth-endpoints).
	Exempt map[string]bool
	// Serves records every config served and the watcher's HEADs
	// (config_toml.go); nil records nothing. TrustedProxies name the
	// proxies whose X-Forwarded-For gives a serve's client address.
	Serves         *serves.Recorder
	TrustedProxies []netip.Prefix
	// TLS reports whether the listener serves HTTPS (cookies get Secure).
	TLS bool
	// Draining, once set, turns /health/ready to 503 while requests are
	// still served: the node is shutting down (app.Main.Close).
	Draining *atomic.Bool

	// Identity (auth.go, invite.go, password_reset.go, account.go): the
	// sign-in rules (with the limiter and the client address they count by)
	// and the session cookie.
	SignIn   *auth.SignIn
	Sessions *auth.Sessions
	// ProviderSummaries are the enabled external providers' settings for
	// display (GET /api/auth/settings; never a secret).
	ProviderSummaries map[tc.AuthProvider]any
	// OIDC sets and reads the cookie binding a sign-in to its browser
	// (nil: OIDC off; the sign-in itself is SignIn's).
	OIDC *oidc.Provider

	mux    *http.ServeMux // where handle registers (Register's argument)
	routes []Route
	tomls  *tomlCache // rendered config TOML (config_toml.go)
	// groupTOMLs and aliases: rendered group TOML (config_group_toml.go)
	// and what each alias names (alias.go).
	groupTOMLs *tomlCache
	aliases    aliasCache
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
	s.mux.Handle(pattern, s.authorize(perm, s.resolveAliases(path, h)))
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

// Register adds every endpoint of routes.go to mux, each behind
// authentication and its permission check. internal/app builds the main
// listener around mux and calls Register once, before serving.
func (s *Server) Register(mux *http.ServeMux) {
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
	}
	if s.groupTOMLs == nil {
		s.groupTOMLs = newTOMLCache(maxCachedItems, maxCachedBytes, s.Metrics)
	}
	s.mux = mux
	s.routes = nil
	s.registerRoutes()
}

// authorize authenticates the request and checks perm. Exempted groups
// (--disable-auth-endpoints) pass unauthenticated.
func (s *Server) authorize(perm tc.Permission, h http.HandlerFunc) http.Handler {
	// On an exempted route the handlers' services see a caller holding perm;
	// one without credentials gets this one, built once per route.
	exempt := perm != Public && s.Exempt[perm.Resource()]
	anonymous := tc.WithExempt(nil, perm)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		caller, err := s.Auth.Authenticate(r)
		open := perm == Public || exempt
		// Where no authentication is required, bad credentials are ignored
		// as if absent (as on the exempted heartbeat listener): an agent
		// with a revoked token keeps working on an exempted group.
		if err != nil && !open {
			s.fail(w, r, err)
			return
		}
		if exempt && !caller.Can(perm) {
			if caller == nil {
				caller = anonymous // shared: read-only, as every Caller
			} else {
				caller = tc.WithExempt(caller, perm)
			}
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
	httpx.WriteError(w, r, s.Logger, store.Unavailable(err))
}
