package api

import (
	"context"
	"net/http"
	"time"

	"github.com/telegrafcontroller/tc/internal/httpx"
)

// live answers while the process is up; it never touches the database.
func (s *Server) live(w http.ResponseWriter, r *http.Request) {
	httpx.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// ready answers 200 only when the database answers, its last write did not
// fail for lack of space, and the node is not draining for shutdown.
func (s *Server) ready(w http.ResponseWriter, r *http.Request) {
	if s.Draining != nil && s.Draining.Load() {
		httpx.WriteJSON(w, http.StatusServiceUnavailable, map[string]bool{"ready": false})
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.Store.Ready(ctx); err != nil {
		s.Logger.Warn("readiness check failed", "error", err)
		httpx.WriteJSON(w, http.StatusServiceUnavailable, map[string]bool{"ready": false})
		return
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]bool{"ready": true})
}

// leader answers 200 on the node that runs the status sweep, 503 on the
// others: a load balancer or a person can find the cluster's leader. A node
// outside a cluster is its own leader.
func (s *Server) leader(w http.ResponseWriter, r *http.Request) {
	if s.Leader != nil && !s.Leader() {
		httpx.WriteJSON(w, http.StatusServiceUnavailable, map[string]bool{"leader": false})
		return
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]bool{"leader": true})
}
