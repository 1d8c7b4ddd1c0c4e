// Package heartbeat adapts the dedicated heartbeat listener: agents POST
// their outputs.heartbeat messages here, apart from UI and API traffic.
package heartbeat

import (
	"log/slog"
	"net/http"
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/auth"
	"github.com/telegrafcontroller/tc/internal/httpx"
	"github.com/telegrafcontroller/tc/internal/metrics"
	"github.com/telegrafcontroller/tc/internal/store"
)

// Server holds what the heartbeat listener needs.
type Server struct {
	Store   *store.Store
	Auth    *auth.Authenticator
	Metrics *metrics.Metrics
	Logger  *slog.Logger
	// Ingest takes accepted heartbeats and writes them in batches.
	Ingest *Ingester
	// Now stamps heartbeats (time.Now by default).
	Now func() time.Time
	// Exempt is true when --disable-auth-endpoints lifts auth for heartbeats.
	Exempt bool
	// MaxBody caps heartbeat bodies (413 beyond).
	MaxBody int64
	// TrustedProxies are the peers whose X-Forwarded-For is believed.
	TrustedProxies []netip.Prefix
	// Draining, once set, turns GET /health to 503 while heartbeats are
	// still accepted: the node is shutting down (app.Main.Close).
	Draining *atomic.Bool

	results     map[string]prometheus.Counter
	overloadLog everyInterval
}

// Heartbeat results counted in tc_heartbeats_received_total.
const (
	resultAccepted     = "accepted"
	resultInvalid      = "invalid"
	resultTooLarge     = "too_large"
	resultUnauthorized = "unauthorized"
	resultForbidden    = "forbidden"
	resultUnavailable  = "unavailable"
)

// Handler builds the heartbeat listener's handler. Its route table is here.
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
	s.results = map[string]prometheus.Counter{}
	for _, r := range []string{resultAccepted, resultInvalid, resultTooLarge, resultUnauthorized, resultForbidden, resultUnavailable} {
		s.results[r] = s.Metrics.Heartbeats.WithLabelValues(r)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", s.health)
	// POST /agents/heartbeat is the path upstream documents everywhere; its
	// process overview names POST /heartbeat, so that is accepted too.
	mux.HandleFunc("POST /agents/heartbeat", s.heartbeat)
	mux.HandleFunc("POST /heartbeat", s.heartbeat)
	mux.HandleFunc("/", s.notFound)
	return httpx.Instrument(s.Metrics, "heartbeat", s.Logger, mux)
}

// health tells load balancers the heartbeat listener is up, and that it is
// going away while the node drains.
func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	if s.Draining != nil && s.Draining.Load() {
		httpx.WriteJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "shutting down"})
		return
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// notFound answers every other request with the API's JSON error shape.
func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/agents/heartbeat" || r.URL.Path == "/heartbeat" {
		w.Header().Set("Allow", http.MethodPost)
		httpx.WriteError(w, r, s.Logger, tc.Errorf(tc.EMETHOD, "method %s not allowed on %s", r.Method, r.URL.Path))
		return
	}
	httpx.WriteError(w, r, s.Logger, tc.Errorf(tc.ENOTFOUND, "no such endpoint: %s %s", r.Method, r.URL.Path))
}
