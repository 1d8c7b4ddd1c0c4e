package api

import (
	"net/http"

	"github.com/telegrafcontroller/tc/internal/httpx"
	"github.com/telegrafcontroller/tc/internal/service"
)

func (s *Server) listConstants(w http.ResponseWriter, r *http.Request) {
	items, err := s.Constants.List(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"items": items, "total": len(items)})
}

func (s *Server) createConstant(w http.ResponseWriter, r *http.Request) {
	var req service.ConstantRequest
	if err := s.decode(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	c, err := s.Constants.Create(r.Context(), req)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusCreated, c)
}

func (s *Server) patchConstant(w http.ResponseWriter, r *http.Request) {
	var req service.ConstantRequest
	if err := s.decode(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	c, err := s.Constants.Update(r.Context(), r.PathValue("name"), req)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, c)
}

func (s *Server) deleteConstant(w http.ResponseWriter, r *http.Request) {
	if err := s.Constants.Delete(r.Context(), r.PathValue("name")); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
