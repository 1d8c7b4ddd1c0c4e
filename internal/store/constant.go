package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/render"
)

const constantColumns = `name, value, description, created_at, updated_at`

func scanConstant(row interface{ Scan(...any) error }) (*tc.Constant, error) {
	var c tc.Constant
	var created, updated int64
	if err := row.Scan(&c.Name, &c.Value, &c.Description, &created, &updated); err != nil {
		return nil, err
	}
	c.CreatedAt, c.UpdatedAt = fromMS(created), fromMS(updated)
	c.Configs = []tc.ConfigRef{}
	return &c, nil
}

// constantUsers returns, per constant name, the configs whose TOML holds
// ::{name}, ordered by config name. The SQL narrows to configs mentioning
// any constant; the exact match is done here because '_' is a LIKE wildcard.
func constantUsers(ctx context.Context, q queryer) (map[string][]tc.ConfigRef, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, name, toml FROM configs WHERE toml LIKE '%::{%' ORDER BY lower(name), id`)
	if err != nil {
		return nil, fmt.Errorf("find constant uses: %w", err)
	}
	defer rows.Close()
	out := map[string][]tc.ConfigRef{}
	for rows.Next() {
		var ref tc.ConfigRef
		var toml string
		if err := rows.Scan(&ref.ID, &ref.Name, &toml); err != nil {
			return nil, fmt.Errorf("find constant uses: %w", err)
		}
		for _, name := range render.ConstantNames(toml) {
			out[name] = append(out[name], ref)
		}
	}
	return out, rows.Err()
}

// ListConstants returns every constant, by name, with the configs using it.
func (s *Store) ListConstants(ctx context.Context) ([]*tc.Constant, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+constantColumns+` FROM constants ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list constants: %w", err)
	}
	defer rows.Close()
	out := []*tc.Constant{}
	for rows.Next() {
		c, err := scanConstant(rows)
		if err != nil {
			return nil, fmt.Errorf("list constants: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list constants: %w", err)
	}
	rows.Close()
	users, err := constantUsers(ctx, s.read)
	if err != nil {
		return nil, err
	}
	for _, c := range out {
		if refs := users[c.Name]; refs != nil {
			c.Configs = refs
		}
	}
	return out, nil
}

// ConstantByName returns one constant with its users. Errors: ENOTFOUND.
func (s *Store) ConstantByName(ctx context.Context, name string) (*tc.Constant, error) {
	return constantByName(ctx, s.read, name)
}

func constantByName(ctx context.Context, q queryer, name string) (*tc.Constant, error) {
	c, err := scanConstant(q.QueryRowContext(ctx, `SELECT `+constantColumns+` FROM constants WHERE name = $1`, name))
	if err == sql.ErrNoRows {
		return nil, notFound("constant")
	}
	if err != nil {
		return nil, fmt.Errorf("get constant: %w", err)
	}
	users, err := constantUsers(ctx, q)
	if err != nil {
		return nil, err
	}
	if refs := users[name]; refs != nil {
		c.Configs = refs
	}
	return c, nil
}

func refIDs(refs []tc.ConfigRef) []string {
	ids := make([]string, len(refs))
	for i, r := range refs {
		ids[i] = r.ID
	}
	return ids
}

// CreateConstant inserts c. Configs that already reference it render
// differently from now on, so their revisions move. Errors: ECONFLICT.
func (s *Store) CreateConstant(ctx context.Context, c *tc.Constant) error {
	err := s.withTx(ctx, func(tx *Tx) error {
		c.CreatedAt, c.UpdatedAt = tx.now, tx.now
		_, err := tx.ExecContext(ctx, `INSERT INTO constants (`+constantColumns+`) VALUES ($1, $2, $3, $4, $5)`,
			c.Name, c.Value, c.Description, ms(c.CreatedAt), ms(c.UpdatedAt))
		if IsConflict(err) {
			return &tc.Error{Code: tc.ECONFLICT, Field: "name", Message: fmt.Sprintf("constant %q already exists", c.Name)}
		}
		if err != nil {
			return fmt.Errorf("create constant: %w", err)
		}
		got, err := constantByName(ctx, tx, c.Name)
		if err != nil {
			return err
		}
		c.Configs = got.Configs
		ids := refIDs(c.Configs)
		tx.announce(ctx, tc.EntityConstant, tc.OpCreate, c.Name)
		tx.announce(ctx, tc.EntityConfig, tc.OpRender, ids...)
		return bumpRevisions(ctx, tx, ids)
	})
	return err
}

// UpdateConstant changes a constant's value and/or description. A new value
// is a change of every config using it: their revisions move.
// Errors: ENOTFOUND.
func (s *Store) UpdateConstant(ctx context.Context, name string, value, description *string) (*tc.Constant, error) {
	var out *tc.Constant
	err := s.withTx(ctx, func(tx *Tx) error {
		cur, err := constantByName(ctx, tx, name)
		if err != nil {
			return err
		}
		v, d := cur.Value, cur.Description
		if value != nil {
			v = *value
		}
		if description != nil {
			d = *description
		}
		if _, err := tx.ExecContext(ctx, `UPDATE constants SET value = $1, description = $2, updated_at = $3 WHERE name = $4`,
			v, d, ms(tx.now), name); err != nil {
			return fmt.Errorf("update constant: %w", err)
		}
		tx.announce(ctx, tc.EntityConstant, tc.OpUpdate, name)
		if v != cur.Value {
			ids := refIDs(cur.Configs)
			tx.announce(ctx, tc.EntityConfig, tc.OpRender, ids...)
			if err := bumpRevisions(ctx, tx, ids); err != nil {
				return err
			}
		}
		out, err = constantByName(ctx, tx, name)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteConstant deletes an unused constant. Errors: ENOTFOUND, ECONFLICT
// listing the configs that still reference it.
func (s *Store) DeleteConstant(ctx context.Context, name string) error {
	return s.withTx(ctx, func(tx *Tx) error {
		cur, err := constantByName(ctx, tx, name)
		if err != nil {
			return err
		}
		if len(cur.Configs) > 0 {
			names := make([]string, len(cur.Configs))
			for i, r := range cur.Configs {
				names[i] = fmt.Sprintf("%q", r.Name)
			}
			return tc.Errorf(tc.ECONFLICT, "constant %q is used by %d config(s): %s", name, len(names), strings.Join(names, ", "))
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM constants WHERE name = $1`, name); err != nil {
			return fmt.Errorf("delete constant: %w", err)
		}
		tx.announce(ctx, tc.EntityConstant, tc.OpDelete, name)
		return nil
	})
}

// ConstantValues returns the values of the named constants that exist.
func (s *Store) ConstantValues(ctx context.Context, names []string) (map[string]string, error) {
	out := make(map[string]string, len(names))
	if len(names) == 0 {
		return out, nil
	}
	args := make([]any, 0, len(names))
	in := bindEach(placeholder(&args), names)
	rows, err := s.read.QueryContext(ctx, `SELECT name, value FROM constants WHERE name IN (`+in+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("get constants: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var n, v string
		if err := rows.Scan(&n, &v); err != nil {
			return nil, fmt.Errorf("get constants: %w", err)
		}
		out[n] = v
	}
	return out, rows.Err()
}
