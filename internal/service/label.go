package service

import (
	"context"
	"log/slog"
	"strings"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/store"
)

// MaxLabelDescriptionLen caps a label's description.
const MaxLabelDescriptionLen = 1000

// Labels is the label service: the labels that group configs and agents.
type Labels struct {
	Store  *store.Store
	Logger *slog.Logger
}

// LabelRequest is a label to create, or the change of one (absent fields
// are left alone by Update). It is the body of POST and PATCH /api/labels.
type LabelRequest struct {
	Name        *string `json:"name"`
	Color       *string `json:"color"`
	Description *string `json:"description"`
}

// check validates the fields present, trimming the name and lower-casing
// the colour.
func (req *LabelRequest) check() error {
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
	if req.Color != nil {
		if !tc.ValidLabelColor(*req.Color) {
			return tc.FieldErrorf("color", "color must be #rrggbb, like #3b82f6")
		}
		c := strings.ToLower(*req.Color)
		req.Color = &c
	}
	if req.Description != nil && len(*req.Description) > MaxLabelDescriptionLen {
		return tc.FieldErrorf("description", "description must be at most %d characters", MaxLabelDescriptionLen)
	}
	return nil
}

// List returns every label. Errors: EUNAUTHORIZED, EFORBIDDEN.
func (s *Labels) List(ctx context.Context) ([]*tc.Label, error) {
	if _, err := require(ctx, tc.Perm(tc.ResLabels, tc.ActionRead)); err != nil {
		return nil, err
	}
	return s.Store.ListLabels(ctx)
}

// Create stores a new label; name and colour are required.
// Errors: EUNAUTHORIZED, EFORBIDDEN, EINVALID, ECONFLICT (name taken).
func (s *Labels) Create(ctx context.Context, in LabelRequest) (*tc.Label, error) {
	c, err := require(ctx, tc.Perm(tc.ResLabels, tc.ActionWrite))
	if err != nil {
		return nil, err
	}
	if in.Name == nil {
		return nil, tc.FieldErrorf("name", "name is required")
	}
	if in.Color == nil {
		return nil, tc.FieldErrorf("color", "color is required (#rrggbb)")
	}
	if err := in.check(); err != nil {
		return nil, err
	}
	l := &tc.Label{Name: *in.Name, Color: *in.Color}
	if in.Description != nil {
		l.Description = *in.Description
	}
	if err := s.Store.CreateLabel(ctx, l); err != nil {
		return nil, err
	}
	logger(s.Logger).Info("label created", "label_id", l.ID, By(c))
	return l, nil
}

// Update applies in to label id.
// Errors: EUNAUTHORIZED, EFORBIDDEN, EINVALID, ENOTFOUND, ECONFLICT.
func (s *Labels) Update(ctx context.Context, id string, in LabelRequest) (*tc.Label, error) {
	c, err := require(ctx, tc.Perm(tc.ResLabels, tc.ActionWrite))
	if err != nil {
		return nil, err
	}
	if err := in.check(); err != nil {
		return nil, err
	}
	l, err := s.Store.UpdateLabel(ctx, id, store.LabelUpdate{Name: in.Name, Color: in.Color, Description: in.Description})
	if err != nil {
		return nil, err
	}
	logger(s.Logger).Info("label changed", "label_id", l.ID, By(c))
	return l, nil
}

// Delete removes label id from every config and agent, and then itself.
// Errors: EUNAUTHORIZED, EFORBIDDEN, ENOTFOUND.
func (s *Labels) Delete(ctx context.Context, id string) error {
	c, err := require(ctx, tc.Perm(tc.ResLabels, tc.ActionDelete))
	if err != nil {
		return err
	}
	if err := s.Store.DeleteLabel(ctx, id); err != nil {
		return err
	}
	logger(s.Logger).Info("label deleted", "label_id", id, By(c))
	return nil
}
