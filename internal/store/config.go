package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/telegrafcontroller/tc"
)

const configColumns = `id, name, description, toml, created_at, updated_at, created_by, updated_by, revision_at, current_version`

// configListColumns is configColumns without reading the TOML, which a
// listing does not return unless asked to (tc.ConfigFilter.WithTOML): a
// config can be megabytes.
const configListColumns = `id, name, description, '' AS toml, created_at, updated_at, created_by, updated_by, revision_at, current_version`

// queryer is what both a pool and a transaction offer.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func scanConfig(row interface{ Scan(...any) error }) (*tc.Config, error) {
	var c tc.Config
	var created, updated, revision int64
	if err := row.Scan(&c.ID, &c.Name, &c.Description, &c.TOML, &created, &updated, &c.CreatedBy, &c.UpdatedBy,
		&revision, &c.CurrentVersion); err != nil {
		return nil, err
	}
	c.CreatedAt, c.UpdatedAt, c.RevisionAt = fromMS(created), fromMS(updated), fromMS(revision)
	c.LabelIDs = []string{}
	return &c, nil
}

// nextRevisionSQL moves revision_at to the transaction's time truncated to
// the second ($1), or one second past its previous value when that is later:
// Last-Modified has one-second resolution, and two changes within one second
// must still yield two values. Computed by the UPDATE itself so that
// concurrent writers on PostgreSQL serialise on the row lock.
const nextRevisionSQL = `revision_at = CASE WHEN revision_at + 1000 > $1 THEN revision_at + 1000 ELSE $1 END`

func revisionBase(now time.Time) int64 { return ms(now.Truncate(time.Second)) }

// CreateConfig inserts c (assigning id, timestamps, revision and version 1)
// and records version 1 with note. Errors: ECONFLICT for a taken name,
// EINVALID for an unknown label.
func (s *Store) CreateConfig(ctx context.Context, c *tc.Config, note string) error {
	err := s.withTx(ctx, func(tx *Tx) error {
		c.ID = uuid.NewString()
		c.CreatedAt, c.UpdatedAt = tx.now, tx.now
		c.UpdatedBy = c.CreatedBy
		c.RevisionAt = fromMS(revisionBase(tx.now))
		c.CurrentVersion = 1
		_, err := tx.ExecContext(ctx, `INSERT INTO configs (`+configColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
			c.ID, c.Name, c.Description, c.TOML, ms(c.CreatedAt), ms(c.UpdatedAt), c.CreatedBy, c.UpdatedBy,
			ms(c.RevisionAt), c.CurrentVersion)
		if IsConflict(err) {
			return nameTaken(c.Name)
		}
		if err != nil {
			return fmt.Errorf("create config: %w", err)
		}
		if err := insertVersion(ctx, tx, c.ID, 1, c.TOML, note, c.CreatedBy); err != nil {
			return err
		}
		c.LabelIDs, err = setConfigLabels(ctx, tx, c.ID, c.LabelIDs)
		tx.announce(ctx, tc.EntityConfig, tc.OpCreate, c.ID)
		tx.describe(tc.EntityConfig, c.ID, c.Name, nil)
		return err
	})
	return err
}

func nameTaken(name string) error {
	return &tc.Error{Code: tc.ECONFLICT, Field: "name", Message: fmt.Sprintf("a config named %q already exists", name)}
}

func insertVersion(ctx context.Context, tx *Tx, id string, version int, toml, note, author string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO config_versions (config_id, version, toml, note, author_id, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
		id, version, toml, note, author, ms(tx.now))
	if err != nil {
		return fmt.Errorf("record config version: %w", err)
	}
	return nil
}

// setConfigLabels replaces the config's labels with ids (deduplicated).
func setConfigLabels(ctx context.Context, tx *Tx, configID string, ids []string) ([]string, error) {
	if _, err := tx.ExecContext(ctx, `DELETE FROM config_labels WHERE config_id = $1`, configID); err != nil {
		return nil, fmt.Errorf("set config labels: %w", err)
	}
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if slices.Contains(out, id) {
			continue
		}
		var exists int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM labels WHERE id = $1`, id).Scan(&exists)
		if err == sql.ErrNoRows {
			return nil, tc.FieldErrorf("labelIds", "label %q does not exist", id)
		}
		if err != nil {
			return nil, fmt.Errorf("set config labels: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO config_labels (config_id, label_id) VALUES ($1, $2)`, configID, id); err != nil {
			return nil, fmt.Errorf("set config labels: %w", err)
		}
		out = append(out, id)
	}
	return out, nil
}

// sameSet reports whether a and b hold the same strings, in any order.
func sameSet(a, b []string) bool {
	return slices.Equal(slices.Sorted(slices.Values(a)), slices.Sorted(slices.Values(b)))
}

// ConfigByID returns one config with its labels. Errors: ENOTFOUND.
func (s *Store) ConfigByID(ctx context.Context, id string) (*tc.Config, error) {
	return configByID(ctx, s.read, id)
}

func configByID(ctx context.Context, q queryer, id string) (*tc.Config, error) {
	c, err := scanConfig(q.QueryRowContext(ctx, `SELECT `+configColumns+` FROM configs WHERE id = $1`, id))
	if err == sql.ErrNoRows {
		return nil, notFound("config")
	}
	if err != nil {
		return nil, fmt.Errorf("get config: %w", err)
	}
	if err := loadConfigLabels(ctx, q, []*tc.Config{c}); err != nil {
		return nil, err
	}
	return c, nil
}

func loadConfigLabels(ctx context.Context, q queryer, cs []*tc.Config) error {
	if len(cs) == 0 {
		return nil
	}
	byID := make(map[string]*tc.Config, len(cs))
	args := make([]any, 0, len(cs))
	ids := make([]string, len(cs))
	for i, c := range cs {
		byID[c.ID] = c
		ids[i] = c.ID
	}
	in := bindEach(placeholder(&args), ids)
	rows, err := q.QueryContext(ctx, `SELECT cl.config_id, cl.label_id FROM config_labels cl JOIN labels l ON l.id = cl.label_id
		WHERE cl.config_id IN (`+in+`) ORDER BY lower(l.name), l.id`, args...)
	if err != nil {
		return fmt.Errorf("get config labels: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var cid, lid string
		if err := rows.Scan(&cid, &lid); err != nil {
			return fmt.Errorf("get config labels: %w", err)
		}
		byID[cid].LabelIDs = append(byID[cid].LabelIDs, lid)
	}
	return rows.Err()
}

// ListConfigs returns one page of configs matching f and the total count,
// with their TOML only when f.WithTOML is set.
func (s *Store) ListConfigs(ctx context.Context, f tc.ConfigFilter) ([]*tc.Config, int, error) {
	var where []string
	var args []any
	arg := placeholder(&args)
	if f.Search != "" {
		p := arg(containsPattern(strings.ToLower(f.Search)))
		where = append(where, `(lower(name) LIKE `+p+` ESCAPE '\' OR lower(description) LIKE `+p+` ESCAPE '\')`)
	}
	if f.LabelID != "" {
		where = append(where, `EXISTS (SELECT 1 FROM config_labels cl WHERE cl.config_id = configs.id AND cl.label_id = `+arg(f.LabelID)+`)`)
	}
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	var total int
	if err := s.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM configs`+cond, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count configs: %w", err)
	}
	order := "lower(name)"
	if f.SortBy == "updatedAt" {
		order = "updated_at"
	}
	dir := "ASC"
	if f.SortOrder == "desc" {
		dir = "DESC"
	}
	limit, offset := arg(f.Limit), arg((f.Page-1)*f.Limit)
	cols := configListColumns
	if f.WithTOML {
		cols = configColumns
	}
	rows, err := s.read.QueryContext(ctx, `SELECT `+cols+` FROM configs`+cond+
		` ORDER BY `+order+` `+dir+`, id `+dir+` LIMIT `+limit+` OFFSET `+offset, args...)
	if err != nil {
		return nil, 0, fmt.Errorf("list configs: %w", err)
	}
	defer rows.Close()
	out := []*tc.Config{}
	for rows.Next() {
		c, err := scanConfig(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("list configs: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("list configs: %w", err)
	}
	rows.Close()
	if err := loadConfigLabels(ctx, s.read, out); err != nil {
		return nil, 0, err
	}
	return out, total, nil
}

// UpdateConfig applies u as actorID. A TOML that differs byte for byte from
// the current one records a new version (with u.ChangeNote) and moves the
// revision; name, description and label edits do not.
// Errors: ENOTFOUND, ECONFLICT (name), EINVALID (label).
func (s *Store) UpdateConfig(ctx context.Context, id string, u tc.ConfigUpdate, actorID string) (*tc.Config, error) {
	var out *tc.Config
	err := s.withTx(ctx, func(tx *Tx) error {
		cur, err := configByID(ctx, tx, id)
		if err != nil {
			return err
		}
		name, desc := cur.Name, cur.Description
		if u.Name != nil {
			name = *u.Name
		}
		if u.Description != nil {
			desc = *u.Description
		}
		_, err = tx.ExecContext(ctx, `UPDATE configs SET name = $1, description = $2, updated_at = $3, updated_by = $4 WHERE id = $5`,
			name, desc, ms(tx.now), actorID, id)
		if IsConflict(err) {
			return nameTaken(name)
		}
		if err != nil {
			return fmt.Errorf("update config: %w", err)
		}
		changed := name != cur.Name || desc != cur.Description
		// The audit entry names the fields changed, never the TOML itself.
		var fields []string
		if name != cur.Name {
			fields = append(fields, "name")
		}
		if desc != cur.Description {
			fields = append(fields, "description")
		}
		if name != cur.Name { // a served group names its members
			if err := configsRendered(ctx, tx, []string{id}); err != nil {
				return err
			}
		}
		if u.TOML != nil && *u.TOML != cur.TOML {
			if err := setConfigTOML(ctx, tx, id, *u.TOML, u.ChangeNote, actorID); err != nil {
				return err
			}
			changed = true
			fields = append(fields, "toml")
		}
		if u.LabelIDs != nil {
			ids, err := setConfigLabels(ctx, tx, id, *u.LabelIDs)
			if err != nil {
				return err
			}
			if !sameSet(ids, cur.LabelIDs) {
				changed = true
				fields = append(fields, "labels")
			}
		}
		if changed {
			tx.announce(ctx, tc.EntityConfig, tc.OpUpdate, id)
			details := map[string]any{"fields": fields}
			if name != cur.Name {
				details["name"] = [2]string{cur.Name, name}
			}
			tx.describe(tc.EntityConfig, id, name, details)
		}
		out, err = configByID(ctx, tx, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// SetConfigTOML replaces a config's TOML as actorID, recording a new version
// with note and moving its revision (used by rollback). It records a version
// even when the TOML is unchanged, since the caller asked for one.
// Errors: ENOTFOUND.
func (s *Store) SetConfigTOML(ctx context.Context, id, toml, note, actorID string) (*tc.Config, error) {
	var out *tc.Config
	err := s.withTx(ctx, func(tx *Tx) error {
		if err := setConfigTOML(ctx, tx, id, toml, note, actorID); err != nil {
			return err
		}
		tx.announce(ctx, tc.EntityConfig, tc.OpUpdate, id)
		var err error
		out, err = configByID(ctx, tx, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func setConfigTOML(ctx context.Context, tx *Tx, id, toml, note, actorID string) error {
	var version int
	err := tx.QueryRowContext(ctx, `UPDATE configs SET toml = $2, current_version = current_version + 1, `+nextRevisionSQL+`,
		updated_at = $3, updated_by = $4 WHERE id = $5 RETURNING current_version`,
		revisionBase(tx.now), toml, ms(tx.now), actorID, id).Scan(&version)
	if err == sql.ErrNoRows {
		return notFound("config")
	}
	if err != nil {
		return fmt.Errorf("set config toml: %w", err)
	}
	if err := configsRendered(ctx, tx, []string{id}); err != nil {
		return err
	}
	return insertVersion(ctx, tx, id, version, toml, note, actorID)
}

// bumpRevisions moves the revision of configs whose render changed without
// their TOML changing (a constant they use).
func bumpRevisions(ctx context.Context, tx *Tx, ids []string) error {
	for _, id := range ids {
		if _, err := tx.ExecContext(ctx, `UPDATE configs SET `+nextRevisionSQL+` WHERE id = $2`, revisionBase(tx.now), id); err != nil {
			return fmt.Errorf("move config revision: %w", err)
		}
	}
	return configsRendered(ctx, tx, ids)
}

// activeAgentCount is how many agents not marked not_reporting link to the config.
func activeAgentCount(ctx context.Context, q queryer, configID string) (int, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM agent_configs ac JOIN agents a ON a.id = ac.agent_id
		WHERE ac.config_id = $1 AND a.status <> $2`, configID, tc.AgentNotReporting).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count agents using config: %w", err)
	}
	return n, nil
}

// DeleteConfigs deletes every config in ids, their agent links and
// aliases, and their places in groups, all or nothing. Errors: ENOTFOUND naming a missing id, ECONFLICT when actively
// reporting agents use one of them.
func (s *Store) DeleteConfigs(ctx context.Context, ids []string) error {
	// One order for every caller: two deletes naming the same configs in
	// different orders would otherwise each hold a row the other waits for
	// (a deadlock on PostgreSQL).
	ids = slices.Sorted(slices.Values(ids))
	err := s.withTx(ctx, func(tx *Tx) error {
		for _, id := range ids {
			var name string
			err := tx.QueryRowContext(ctx, `SELECT name FROM configs WHERE id = $1`, id).Scan(&name)
			if err == sql.ErrNoRows {
				return tc.Errorf(tc.ENOTFOUND, "config %s not found", id)
			}
			if err != nil {
				return fmt.Errorf("delete config: %w", err)
			}
			n, err := activeAgentCount(ctx, tx, id)
			if err != nil {
				return err
			}
			if n > 0 {
				agents := "agents use"
				if n == 1 {
					agents = "agent uses"
				}
				return tc.Errorf(tc.ECONFLICT, "config %q cannot be deleted: %d actively reporting %s it", name, n, agents)
			}
			// The groups holding it are served without it from now on.
			if err := configsRendered(ctx, tx, []string{id}); err != nil {
				return err
			}
			if err := deleteAliasesOf(ctx, tx, "config_id", []string{id}); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM agent_configs WHERE config_id = $1`, id); err != nil {
				return fmt.Errorf("delete config: %w", err)
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM configs WHERE id = $1`, id); err != nil {
				return fmt.Errorf("delete config: %w", err)
			}
		}
		tx.announce(ctx, tc.EntityConfig, tc.OpDelete, ids...)
		return nil
	})
	return err
}

// ServedConfig is what serving a config's TOML needs.
type ServedConfig struct {
	Name       string
	TOML       string
	RevisionAt time.Time
	Version    int // the current version, recorded with each serve
}

// ConfigForServing reads the fields the TOML endpoint renders from.
// Errors: ENOTFOUND.
func (s *Store) ConfigForServing(ctx context.Context, id string) (ServedConfig, error) {
	var c ServedConfig
	var rev int64
	err := s.read.QueryRowContext(ctx, `SELECT name, toml, revision_at, current_version FROM configs WHERE id = $1`, id).Scan(&c.Name, &c.TOML, &rev, &c.Version)
	if err == sql.ErrNoRows {
		return c, notFound("config")
	}
	if err != nil {
		return c, fmt.Errorf("get config: %w", err)
	}
	c.RevisionAt = fromMS(rev)
	return c, nil
}
