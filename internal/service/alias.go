package service

import (
	"context"
	"log/slog"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/store"
)

// Aliases is the alias service: short names of configs and groups in one
// namespace. Acting on a config's aliases needs configs:*, on a group's
// config-groups:*; moving one from a config to a group (or back) needs
// write on both.
type Aliases struct {
	Store  *store.Store
	Logger *slog.Logger
}

// aliasResource is the permission resource of aliases of kind.
func aliasResource(kind string) (string, error) {
	switch kind {
	case tc.AliasConfig:
		return tc.ResConfigs, nil
	case tc.AliasGroup:
		return tc.ResConfigGroups, nil
	}
	return "", tc.Errorf(tc.EINVALID, "unknown alias kind %q", kind)
}

// AliasRequest is the body of POST /api/configs/{id}/aliases and
// /api/config-groups/{id}/aliases: an alias to add, or with Transfer, one
// to move here from whatever it names now.
type AliasRequest struct {
	Alias    *string `json:"alias"`
	Transfer bool    `json:"transfer"`
}

// List returns the aliases of the config or group (kind) id, each with the
// agents using it. Errors: EUNAUTHORIZED, EFORBIDDEN, ENOTFOUND.
func (s *Aliases) List(ctx context.Context, kind, id string) ([]*tc.Alias, error) {
	res, err := aliasResource(kind)
	if err != nil {
		return nil, err
	}
	if _, err := require(ctx, tc.Perm(res, tc.ActionRead)); err != nil {
		return nil, err
	}
	if err := s.exists(ctx, kind, id); err != nil {
		return nil, err
	}
	return s.Store.AliasesOf(ctx, kind, id)
}

func (s *Aliases) exists(ctx context.Context, kind, id string) error {
	var err error
	if kind == tc.AliasGroup {
		_, err = s.Store.ConfigGroupByID(ctx, id)
	} else {
		_, err = s.Store.ConfigForServing(ctx, id)
	}
	return err
}

// Add gives the config or group (kind) id the alias in.Alias. An alias
// that names something else is a conflict, unless in.Transfer asks to
// move it here (Transfer). Errors: EUNAUTHORIZED, EFORBIDDEN, EINVALID,
// ENOTFOUND, ECONFLICT.
func (s *Aliases) Add(ctx context.Context, kind, id string, in AliasRequest) (*tc.Alias, error) {
	res, err := aliasResource(kind)
	if err != nil {
		return nil, err
	}
	c, err := require(ctx, tc.Perm(res, tc.ActionWrite))
	if err != nil {
		return nil, err
	}
	if in.Alias == nil {
		return nil, tc.FieldErrorf("alias", "alias is required")
	}
	if err := tc.ValidateAlias(*in.Alias); err != nil {
		return nil, err
	}
	if in.Transfer {
		return s.Transfer(ctx, kind, id, *in.Alias)
	}
	a, err := s.Store.CreateAlias(ctx, *in.Alias, kind, id, authorID(c))
	if err != nil {
		return nil, err
	}
	logger(s.Logger).Info("alias created", "alias", a.Alias, "kind", kind, "target_id", id, By(c))
	return a, nil
}

// Transfer moves alias to the config or group (kind) id; agents fetching
// through it get the new target at their next watch. The caller needs
// write on both what the alias names now and the new target.
// Errors: EUNAUTHORIZED, EFORBIDDEN, ENOTFOUND.
func (s *Aliases) Transfer(ctx context.Context, kind, id, alias string) (*tc.Alias, error) {
	res, err := aliasResource(kind)
	if err != nil {
		return nil, err
	}
	c, err := require(ctx, tc.Perm(res, tc.ActionWrite))
	if err != nil {
		return nil, err
	}
	cur, err := s.Store.AliasByName(ctx, alias)
	if err != nil {
		return nil, err
	}
	fromRes, _ := aliasResource(cur.Kind)
	if _, err := require(ctx, tc.Perm(fromRes, tc.ActionWrite)); err != nil {
		return nil, err
	}
	from, err := s.Store.TransferAlias(ctx, alias, kind, id)
	if err != nil {
		return nil, err
	}
	logger(s.Logger).Info("alias transferred", "alias", alias, "from_kind", from.Kind, "from_id", from.TargetID,
		"kind", kind, "target_id", id, By(c))
	return s.Store.AliasByName(ctx, alias)
}

// Delete removes alias from the config or group (kind) id.
// Errors: EUNAUTHORIZED, EFORBIDDEN, ENOTFOUND.
func (s *Aliases) Delete(ctx context.Context, kind, id, alias string) error {
	res, err := aliasResource(kind)
	if err != nil {
		return err
	}
	c, err := require(ctx, tc.Perm(res, tc.ActionWrite))
	if err != nil {
		return err
	}
	if err := s.Store.DeleteAlias(ctx, alias, kind, id); err != nil {
		return err
	}
	logger(s.Logger).Info("alias deleted", "alias", alias, "kind", kind, "target_id", id, By(c))
	return nil
}
