package api

import (
	"net/http"
	"strings"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/httpx"
	"github.com/telegrafcontroller/tc/internal/store"
)

type labelRequest struct {
	Name        *string `json:"name"`
	Color       *string `json:"color"`
	Description *string `json:"description"`
}

func (req *labelRequest) check() error {
	if req.Name != nil {
		name := strings.TrimSpace(*req.Name)
		switch {
		case name == "":
			return tc.FieldErrorf("name", "name is required")
		case len(name) > tc.MaxLabelNameLen:
			return tc.FieldErrorf("name", "name must be at most %d characters", tc.MaxLabelNameLen)
		case strings.ContainsAny(name, "\r\n\x00"):
			return tc.FieldErrorf("name", "name must be a single line")
		}
		req.Name = &name
	}
	if req.Color != nil && !tc.ValidLabelColor(*req.Color) {
		return tc.FieldErrorf("color", "color must be #rrggbb, like #3b82f6")
	}
	if req.Description != nil && len(*req.Description) > 1000 {
		return tc.FieldErrorf("description", "description must be at most 1000 characters")
	}
	return nil
}

func (s *Server) listLabels(w http.ResponseWriter, r *http.Request) {
	items, err := s.Store.ListLabels(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"items": items, "total": len(items)})
}

func (s *Server) createLabel(w http.ResponseWriter, r *http.Request) {
	var req labelRequest
	if err := s.decode(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	if req.Name == nil {
		s.fail(w, r, tc.FieldErrorf("name", "name is required"))
		return
	}
	if req.Color == nil {
		s.fail(w, r, tc.FieldErrorf("color", "color is required (#rrggbb)"))
		return
	}
	if err := req.check(); err != nil {
		s.fail(w, r, err)
		return
	}
	l := &tc.Label{Name: *req.Name, Color: strings.ToLower(*req.Color)}
	if req.Description != nil {
		l.Description = *req.Description
	}
	if err := s.Store.CreateLabel(r.Context(), l); err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusCreated, l)
}

func (s *Server) patchLabel(w http.ResponseWriter, r *http.Request) {
	var req labelRequest
	if err := s.decode(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := req.check(); err != nil {
		s.fail(w, r, err)
		return
	}
	if req.Color != nil {
		c := strings.ToLower(*req.Color)
		req.Color = &c
	}
	l, err := s.Store.UpdateLabel(r.Context(), r.PathValue("id"), store.LabelUpdate{Name: req.Name, Color: req.Color, Description: req.Description})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, l)
}

func (s *Server) deleteLabel(w http.ResponseWriter, r *http.Request) {
	if err := s.Store.DeleteLabel(r.Context(), r.PathValue("id")); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
