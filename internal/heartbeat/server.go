// Package heartbeat adapts the dedicated heartbeat listener: agents POST
// their outputs.heartbeat messages here, apart from UI and API traffic.
package heartbeat

import (
	"log/slog"
	"net/http"

	"github.com/telegrafcontroller/tc/internal/api"
	"github.com/telegrafcontroller/tc/internal/auth"
	"github.com/telegrafcontroller/tc/internal/metrics"
	"github.com/telegrafcontroller/tc/internal/store"
)

// Server holds what the heartbeat listener needs.
type Server struct {
	Store   *store.Store
	Auth    *auth.Authenticator
	Metrics *metrics.Metrics
	Logger  *slog.Logger
	// Exempt is true when --disable-auth-endpoints lifts auth for heartbeats.
	Exempt bool
	// MaxBody caps heartbeat bodies (413 beyond).
	MaxBody int64
}

// Handler builds the heartbeat listener's handler. Its route table is here.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", s.health)
	return api.Instrument(s.Metrics, "heartbeat", s.Logger, mux)
}

// health tells load balancers the heartbeat listener is up.
func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	api.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}
