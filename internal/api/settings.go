package api

import (
	"net/http"

	"github.com/telegrafcontroller/tc/internal/httpx"
	"github.com/telegrafcontroller/tc/internal/service"
)

func (s *Server) getSettings(w http.ResponseWriter, r *http.Request) {
	v, err := s.Settings.Get(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, v)
}

// patchSettings changes the given fields; the others keep their values.
func (s *Server) patchSettings(w http.ResponseWriter, r *http.Request) {
	var in service.SettingsPatch
	if err := s.decode(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	v, err := s.Settings.Update(r.Context(), in)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, v)
}
