package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"time"

	"github.com/telegrafcontroller/tc"
)

// Versions are recorded by CreateConfig, UpdateConfig and SetConfigTOML
// (config.go); this file reads and removes them. The current version is the
// config's current_version, always the highest recorded number.

// ConfigVersions lists a config's versions, newest first, without their
// TOML, and the config's current version. Errors: ENOTFOUND.
func (s *Store) ConfigVersions(ctx context.Context, configID string) ([]*tc.ConfigVersion, int, error) {
	current, err := currentVersion(ctx, s.read, configID)
	if err != nil {
		return nil, 0, err
	}
	rows, err := s.read.QueryContext(ctx, `SELECT v.version, v.note, v.author_id, COALESCE(u.username, ''), v.created_at
		FROM config_versions v LEFT JOIN users u ON u.id = v.author_id
		WHERE v.config_id = $1 ORDER BY v.version DESC`, configID)
	if err != nil {
		return nil, 0, fmt.Errorf("list config versions: %w", err)
	}
	defer rows.Close()
	out := []*tc.ConfigVersion{}
	for rows.Next() {
		v := &tc.ConfigVersion{ConfigID: configID}
		var created int64
		if err := rows.Scan(&v.Version, &v.Note, &v.AuthorID, &v.AuthorName, &created); err != nil {
			return nil, 0, fmt.Errorf("list config versions: %w", err)
		}
		v.CreatedAt = fromMS(created)
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("list config versions: %w", err)
	}
	return out, current, nil
}

// ConfigVersion returns one version with its TOML. Errors: ENOTFOUND (for
// the config or the version).
func (s *Store) ConfigVersion(ctx context.Context, configID string, version int) (*tc.ConfigVersion, error) {
	if _, err := currentVersion(ctx, s.read, configID); err != nil {
		return nil, err
	}
	v := &tc.ConfigVersion{ConfigID: configID, Version: version}
	var created int64
	err := s.read.QueryRowContext(ctx, `SELECT v.toml, v.note, v.author_id, COALESCE(u.username, ''), v.created_at
		FROM config_versions v LEFT JOIN users u ON u.id = v.author_id
		WHERE v.config_id = $1 AND v.version = $2`, configID, version).Scan(&v.TOML, &v.Note, &v.AuthorID, &v.AuthorName, &created)
	if err == sql.ErrNoRows {
		return nil, tc.Errorf(tc.ENOTFOUND, "config version %d not found", version)
	}
	if err != nil {
		return nil, fmt.Errorf("get config version: %w", err)
	}
	v.CreatedAt = fromMS(created)
	return v, nil
}

// DeleteConfigVersion removes one version. Errors: ENOTFOUND, ECONFLICT for
// the current version or the only one left.
func (s *Store) DeleteConfigVersion(ctx context.Context, configID string, version int) error {
	return s.withTx(ctx, func(tx *Tx) error {
		current, err := currentVersion(ctx, tx, configID)
		if err != nil {
			return err
		}
		var count, matches int
		err = tx.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(CASE WHEN version = $2 THEN 1 ELSE 0 END), 0)
			FROM config_versions WHERE config_id = $1`, configID, version).Scan(&count, &matches)
		if err != nil {
			return fmt.Errorf("delete config version: %w", err)
		}
		switch {
		case matches == 0:
			return tc.Errorf(tc.ENOTFOUND, "config version %d not found", version)
		case version == current:
			return tc.Errorf(tc.ECONFLICT, "version %d is the current version and cannot be deleted", version)
		case count == 1:
			return tc.Errorf(tc.ECONFLICT, "version %d is the only remaining version and cannot be deleted", version)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM config_versions WHERE config_id = $1 AND version = $2`, configID, version); err != nil {
			return fmt.Errorf("delete config version: %w", err)
		}
		tx.announce(ctx, tc.EntityConfigVersion, tc.OpDelete, versionID(configID, version))
		return nil
	})
}

// PruneConfigVersions deletes the versions numbered below beforeVersion
// (when > 0) or recorded before beforeTime (when not zero), never the
// current one, and returns how many it deleted. Errors: ENOTFOUND.
func (s *Store) PruneConfigVersions(ctx context.Context, configID string, beforeVersion int, beforeTime time.Time) (int, error) {
	var n int64
	err := s.withTx(ctx, func(tx *Tx) error {
		current, err := currentVersion(ctx, tx, configID)
		if err != nil {
			return err
		}
		cond, arg := `version < $3`, any(beforeVersion)
		if beforeVersion <= 0 {
			cond, arg = `created_at < $3`, any(ms(beforeTime))
		}
		rows, err := tx.QueryContext(ctx, `DELETE FROM config_versions WHERE config_id = $1 AND version <> $2 AND `+cond+` RETURNING version`,
			configID, current, arg)
		if err != nil {
			return fmt.Errorf("prune config versions: %w", err)
		}
		defer rows.Close()
		var ids []string
		for rows.Next() {
			var v int
			if err := rows.Scan(&v); err != nil {
				return fmt.Errorf("prune config versions: %w", err)
			}
			ids = append(ids, versionID(configID, v))
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("prune config versions: %w", err)
		}
		n = int64(len(ids))
		tx.announce(ctx, tc.EntityConfigVersion, tc.OpDelete, ids...)
		return nil
	})
	return int(n), err
}

// ConfigCurrentVersion returns a config's current version number.
// Errors: ENOTFOUND.
func (s *Store) ConfigCurrentVersion(ctx context.Context, configID string) (int, error) {
	return currentVersion(ctx, s.read, configID)
}

// currentVersion returns a config's current version. Errors: ENOTFOUND.
func currentVersion(ctx context.Context, q queryer, configID string) (int, error) {
	var v int
	err := q.QueryRowContext(ctx, `SELECT current_version FROM configs WHERE id = $1`, configID).Scan(&v)
	if err == sql.ErrNoRows {
		return 0, notFound("config")
	}
	if err != nil {
		return 0, fmt.Errorf("get config: %w", err)
	}
	return v, nil
}

// RollbackConfig makes version's TOML current again by recording it as a new
// version with note, as actorID, in one transaction (so the current version
// cannot move between the check and the write). Errors: ENOTFOUND (config or
// version), ECONFLICT when version is already the current one.
func (s *Store) RollbackConfig(ctx context.Context, configID string, version int, note, actorID string) (*tc.Config, error) {
	var out *tc.Config
	err := s.withTx(ctx, func(tx *Tx) error {
		current, err := currentVersion(ctx, tx, configID)
		if err != nil {
			return err
		}
		var toml string
		err = tx.QueryRowContext(ctx, `SELECT toml FROM config_versions WHERE config_id = $1 AND version = $2`, configID, version).Scan(&toml)
		if err == sql.ErrNoRows {
			return tc.Errorf(tc.ENOTFOUND, "config version %d not found", version)
		}
		if err != nil {
			return fmt.Errorf("roll back config: %w", err)
		}
		if version == current {
			return tc.Errorf(tc.ECONFLICT, "version %d is already the current version", version)
		}
		if err := setConfigTOML(ctx, tx, configID, toml, note, actorID); err != nil {
			return err
		}
		tx.announce(ctx, tc.EntityConfig, tc.OpRollback, configID)
		out, err = configByID(ctx, tx, configID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// SetConfigVersionNote replaces a version's change note; the TOML, author
// and time stay. Errors: ENOTFOUND (config or version).
func (s *Store) SetConfigVersionNote(ctx context.Context, configID string, version int, note string) (*tc.ConfigVersion, error) {
	err := s.withTx(ctx, func(tx *Tx) error {
		if _, err := currentVersion(ctx, tx, configID); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE config_versions SET note = $1 WHERE config_id = $2 AND version = $3`, note, configID, version)
		if err != nil {
			return fmt.Errorf("set config version note: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("set config version note: %w", err)
		} else if n == 0 {
			return tc.Errorf(tc.ENOTFOUND, "config version %d not found", version)
		}
		tx.announce(ctx, tc.EntityConfigVersion, tc.OpUpdate, versionID(configID, version))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.ConfigVersion(ctx, configID, version)
}

// versionID names a config version in a tc.Change: "<config id>/<version>".
func versionID(configID string, version int) string {
	return configID + "/" + strconv.Itoa(version)
}
