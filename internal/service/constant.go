package service

import (
	"context"
	"log/slog"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/store"
)

// MaxConstantDescriptionLen caps a constant's description.
const MaxConstantDescriptionLen = 1000

// Constants is the constant service: named values configs use as ::{name}.
// A changed value is a change of every config using it (the store moves
// their revisions).
type Constants struct {
	Store  *store.Store
	Logger *slog.Logger
}

// ConstantRequest is a constant to create, or the change of one (absent
// fields are left alone by Update; the name cannot change). It is the body
// of POST and PATCH /api/constants.
type ConstantRequest struct {
	Name        *string `json:"name"`
	Value       *string `json:"value"`
	Description *string `json:"description"`
}

func (req *ConstantRequest) check() error {
	if req.Value != nil && len(*req.Value) > tc.MaxConstantValueLen {
		return tc.FieldErrorf("value", "value must be at most %d bytes", tc.MaxConstantValueLen)
	}
	if req.Description != nil && len(*req.Description) > MaxConstantDescriptionLen {
		return tc.FieldErrorf("description", "description must be at most %d characters", MaxConstantDescriptionLen)
	}
	return nil
}

// List returns every constant with the configs that use it.
// Errors: EUNAUTHORIZED, EFORBIDDEN.
func (s *Constants) List(ctx context.Context) ([]*tc.Constant, error) {
	if _, err := require(ctx, tc.Perm(tc.ResConstants, tc.ActionRead)); err != nil {
		return nil, err
	}
	return s.Store.ListConstants(ctx)
}

// Create stores a new constant; name and value are required.
// Errors: EUNAUTHORIZED, EFORBIDDEN, EINVALID, ECONFLICT (name taken).
func (s *Constants) Create(ctx context.Context, in ConstantRequest) (*tc.Constant, error) {
	c, err := require(ctx, tc.Perm(tc.ResConstants, tc.ActionWrite))
	if err != nil {
		return nil, err
	}
	if in.Name == nil || !tc.ValidConstantName(*in.Name) {
		return nil, tc.FieldErrorf("name", "name must be 1 to 64 characters of a-z, 0-9 and _")
	}
	if in.Value == nil {
		return nil, tc.FieldErrorf("value", "value is required")
	}
	if err := in.check(); err != nil {
		return nil, err
	}
	k := &tc.Constant{Name: *in.Name, Value: *in.Value}
	if in.Description != nil {
		k.Description = *in.Description
	}
	if err := s.Store.CreateConstant(ctx, k); err != nil {
		return nil, err
	}
	logger(s.Logger).Info("constant created", "constant", k.Name, By(c))
	return k, nil
}

// Update applies in to constant name.
// Errors: EUNAUTHORIZED, EFORBIDDEN, EINVALID, ENOTFOUND.
func (s *Constants) Update(ctx context.Context, name string, in ConstantRequest) (*tc.Constant, error) {
	c, err := require(ctx, tc.Perm(tc.ResConstants, tc.ActionWrite))
	if err != nil {
		return nil, err
	}
	if in.Name != nil && *in.Name != name {
		return nil, tc.FieldErrorf("name", "a constant's name cannot change")
	}
	if err := in.check(); err != nil {
		return nil, err
	}
	k, err := s.Store.UpdateConstant(ctx, name, in.Value, in.Description)
	if err != nil {
		return nil, err
	}
	logger(s.Logger).Info("constant changed", "constant", name, By(c))
	return k, nil
}

// Delete removes constant name. Errors: EUNAUTHORIZED, EFORBIDDEN,
// ENOTFOUND, ECONFLICT (configs still use it, named in the message).
func (s *Constants) Delete(ctx context.Context, name string) error {
	c, err := require(ctx, tc.Perm(tc.ResConstants, tc.ActionDelete))
	if err != nil {
		return err
	}
	if err := s.Store.DeleteConstant(ctx, name); err != nil {
		return err
	}
	logger(s.Logger).Info("constant deleted", "constant", name, By(c))
	return nil
}
