package service

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/textdiff"
)

// ParseVersion reads a version number given as text (a path segment, a
// query parameter); field names it in the error. Errors: EINVALID.
func ParseVersion(field, v string) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, tc.FieldErrorf(field, "%s must be a positive integer", field)
	}
	return n, nil
}

// Versions lists config id's versions, newest first and without their TOML,
// with the number of its current one. Errors: EUNAUTHORIZED, EFORBIDDEN,
// ENOTFOUND.
func (s *Configs) Versions(ctx context.Context, id string) ([]*tc.ConfigVersion, int, error) {
	if _, err := require(ctx, tc.Perm(tc.ResConfigs, tc.ActionRead)); err != nil {
		return nil, 0, err
	}
	return s.Store.ConfigVersions(ctx, id)
}

// Version returns version n of config id with its TOML, and the number of
// the config's current version. Errors: EUNAUTHORIZED, EFORBIDDEN, ENOTFOUND.
func (s *Configs) Version(ctx context.Context, id string, n int) (*tc.ConfigVersion, int, error) {
	if _, err := require(ctx, tc.Perm(tc.ResConfigs, tc.ActionRead)); err != nil {
		return nil, 0, err
	}
	v, err := s.Store.ConfigVersion(ctx, id, n)
	if err != nil {
		return nil, 0, err
	}
	current, err := s.Store.ConfigCurrentVersion(ctx, id)
	if err != nil {
		return nil, 0, err
	}
	return v, current, nil
}

// Diff returns the unified diff (3 lines of context) from version from to
// version to of config id: "" when their TOML is identical.
// Errors: EUNAUTHORIZED, EFORBIDDEN, ENOTFOUND.
func (s *Configs) Diff(ctx context.Context, id string, from, to int) (string, error) {
	if _, err := require(ctx, tc.Perm(tc.ResConfigs, tc.ActionRead)); err != nil {
		return "", err
	}
	a, err := s.Store.ConfigVersion(ctx, id, from)
	if err != nil {
		return "", err
	}
	b, err := s.Store.ConfigVersion(ctx, id, to)
	if err != nil {
		return "", err
	}
	return textdiff.Unified(fmt.Sprintf("version %d", from), fmt.Sprintf("version %d", to), a.TOML, b.TOML, 3), nil
}

// Rollback makes version n's TOML current again by recording it as a new
// version, the caller's, whose note names n and adds note when there is one.
// Errors: EUNAUTHORIZED, EFORBIDDEN, EINVALID, ENOTFOUND.
func (s *Configs) Rollback(ctx context.Context, id string, n int, note string) (*tc.Config, error) {
	c, err := require(ctx, tc.Perm(tc.ResConfigs, tc.ActionWrite))
	if err != nil {
		return nil, err
	}
	full := fmt.Sprintf("Rollback to version %d", n)
	if extra := strings.TrimSpace(note); extra != "" {
		full += ": " + extra
	}
	if err := tc.ValidateChangeNote(full); err != nil {
		return nil, tc.FieldErrorf("note", "note is too long: a rollback note must fit in %d characters with its %q prefix", tc.MaxChangeNoteLen, "Rollback to version N: ")
	}
	cfg, err := s.Store.RollbackConfig(ctx, id, n, full, authorID(c))
	if err != nil {
		return nil, err
	}
	s.log().Info("config rolled back", "config_id", id, "from_version", n, "version", cfg.CurrentVersion, By(c))
	return cfg, nil
}

// SetVersionNote changes the note of version n of config id (the only part
// of a version that may change) and returns the version with the number of
// the config's current one. Errors: EUNAUTHORIZED, EFORBIDDEN, EINVALID,
// ENOTFOUND.
func (s *Configs) SetVersionNote(ctx context.Context, id string, n int, note *string) (*tc.ConfigVersion, int, error) {
	c, err := require(ctx, tc.Perm(tc.ResConfigs, tc.ActionWrite))
	if err != nil {
		return nil, 0, err
	}
	if note == nil {
		return nil, 0, tc.FieldErrorf("note", "note is required")
	}
	if len([]rune(*note)) > tc.MaxChangeNoteLen {
		return nil, 0, tc.FieldErrorf("note", "note must be at most %d characters", tc.MaxChangeNoteLen)
	}
	v, err := s.Store.SetConfigVersionNote(ctx, id, n, *note)
	if err != nil {
		return nil, 0, err
	}
	s.log().Info("config version note changed", "config_id", id, "version", n, By(c))
	current, err := s.Store.ConfigCurrentVersion(ctx, id)
	if err != nil {
		return nil, 0, err
	}
	return v, current, nil
}

// DeleteVersion removes version n of config id; the current version and
// the only one left are refused. Errors: EUNAUTHORIZED, EFORBIDDEN,
// ENOTFOUND, ECONFLICT.
func (s *Configs) DeleteVersion(ctx context.Context, id string, n int) error {
	c, err := require(ctx, tc.Perm(tc.ResConfigs, tc.ActionDelete))
	if err != nil {
		return err
	}
	if err := s.Store.DeleteConfigVersion(ctx, id, n); err != nil {
		return err
	}
	s.log().Info("config version deleted", "config_id", id, "version", n, By(c))
	return nil
}

// PruneRequest names the versions to prune: those before a version number
// or those saved before a time, exactly one of the two.
type PruneRequest struct {
	BeforeVersion *int       `json:"beforeVersion"`
	BeforeTime    *time.Time `json:"beforeTime"`
}

// PruneVersions deletes config id's versions older than in says, never the
// current one, and returns how many it deleted. Errors: EUNAUTHORIZED,
// EFORBIDDEN, EINVALID, ENOTFOUND.
func (s *Configs) PruneVersions(ctx context.Context, id string, in PruneRequest) (int, error) {
	c, err := require(ctx, tc.Perm(tc.ResConfigs, tc.ActionDelete))
	if err != nil {
		return 0, err
	}
	var beforeVersion int
	var beforeTime time.Time
	switch {
	case (in.BeforeVersion == nil) == (in.BeforeTime == nil):
		return 0, tc.Errorf(tc.EINVALID, "give exactly one of beforeVersion and beforeTime")
	case in.BeforeVersion != nil:
		if *in.BeforeVersion < 1 {
			return 0, tc.FieldErrorf("beforeVersion", "beforeVersion must be a positive integer")
		}
		beforeVersion = *in.BeforeVersion
	default:
		beforeTime = *in.BeforeTime
	}
	n, err := s.Store.PruneConfigVersions(ctx, id, beforeVersion, beforeTime)
	if err != nil {
		return 0, err
	}
	if n > 0 {
		s.log().Info("config versions pruned", "config_id", id, "deleted", n, By(c))
	}
	return n, nil
}
