package api

import (
	"net/http"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/httpx"
)

type constantRequest struct {
	Name        *string `json:"name"`
	Value       *string `json:"value"`
	Description *string `json:"description"`
}

func (req *constantRequest) check() error {
	if req.Value != nil && len(*req.Value) > tc.MaxConstantValueLen {
		return tc.FieldErrorf("value", "value must be at most %d bytes", tc.MaxConstantValueLen)
	}
	if req.Description != nil && len(*req.Description) > 1000 {
		return tc.FieldErrorf("description", "description must be at most 1000 characters")
	}
	return nil
}

func (s *Server) listConstants(w http.ResponseWriter, r *http.Request) {
	items, err := s.Store.ListConstants(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"items": items, "total": len(items)})
}

func (s *Server) createConstant(w http.ResponseWriter, r *http.Request) {
	var req constantRequest
	if err := s.decode(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	if req.Name == nil || !tc.ValidConstantName(*req.Name) {
		s.fail(w, r, tc.FieldErrorf("name", "name must be 1 to 64 characters of a-z, 0-9 and _"))
		return
	}
	if req.Value == nil {
		s.fail(w, r, tc.FieldErrorf("value", "value is required"))
		return
	}
	if err := req.check(); err != nil {
		s.fail(w, r, err)
		return
	}
	c := &tc.Constant{Name: *req.Name, Value: *req.Value}
	if req.Description != nil {
		c.Description = *req.Description
	}
	if err := s.Store.CreateConstant(r.Context(), c); err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusCreated, c)
}

func (s *Server) patchConstant(w http.ResponseWriter, r *http.Request) {
	var req constantRequest
	if err := s.decode(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	if req.Name != nil && *req.Name != r.PathValue("name") {
		s.fail(w, r, tc.FieldErrorf("name", "a constant's name cannot change"))
		return
	}
	if err := req.check(); err != nil {
		s.fail(w, r, err)
		return
	}
	c, err := s.Store.UpdateConstant(r.Context(), r.PathValue("name"), req.Value, req.Description)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, c)
}

func (s *Server) deleteConstant(w http.ResponseWriter, r *http.Request) {
	if err := s.Store.DeleteConstant(r.Context(), r.PathValue("name")); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
