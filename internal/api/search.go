package api

import (
	"net/http"

	"github.com/telegrafcontroller/tc/internal/httpx"
)

// search answers the search box: GET /api/search?q= lists up to a few
// agents, configs, labels, tokens and users of the kinds the caller may read.
func (s *Server) search(w http.ResponseWriter, r *http.Request) {
	results, err := s.Search.Find(r.Context(), r.URL.Query().Get("q"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"results": results})
}
