package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/google/uuid"

	"github.com/telegrafcontroller/tc"
)

const labelColumns = `id, name, color, description, created_at, updated_at`

func scanLabel(row interface{ Scan(...any) error }) (*tc.Label, error) {
	var l tc.Label
	var created, updated int64
	if err := row.Scan(&l.ID, &l.Name, &l.Color, &l.Description, &created, &updated); err != nil {
		return nil, err
	}
	l.CreatedAt, l.UpdatedAt = fromMS(created), fromMS(updated)
	return &l, nil
}

func labelNameTaken(name string) error {
	return &tc.Error{Code: tc.ECONFLICT, Field: "name", Message: fmt.Sprintf("a label named %q already exists", name)}
}

// ListLabels returns every label by name.
func (s *Store) ListLabels(ctx context.Context) ([]*tc.Label, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+labelColumns+` FROM labels ORDER BY lower(name), id`)
	if err != nil {
		return nil, fmt.Errorf("list labels: %w", err)
	}
	defer rows.Close()
	out := []*tc.Label{}
	for rows.Next() {
		l, err := scanLabel(rows)
		if err != nil {
			return nil, fmt.Errorf("list labels: %w", err)
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// LabelByID returns one label. Errors: ENOTFOUND.
func (s *Store) LabelByID(ctx context.Context, id string) (*tc.Label, error) {
	return labelByID(ctx, s.read, id)
}

func labelByID(ctx context.Context, q queryer, id string) (*tc.Label, error) {
	l, err := scanLabel(q.QueryRowContext(ctx, `SELECT `+labelColumns+` FROM labels WHERE id = $1`, id))
	if err == sql.ErrNoRows {
		return nil, notFound("label")
	}
	if err != nil {
		return nil, fmt.Errorf("get label: %w", err)
	}
	return l, nil
}

// CreateLabel inserts l, assigning id and timestamps. Errors: ECONFLICT.
func (s *Store) CreateLabel(ctx context.Context, l *tc.Label) error {
	return s.withTx(ctx, func(tx *Tx) error {
		l.ID = uuid.NewString()
		l.CreatedAt, l.UpdatedAt = tx.now, tx.now
		_, err := tx.ExecContext(ctx, `INSERT INTO labels (`+labelColumns+`) VALUES ($1, $2, $3, $4, $5, $6)`,
			l.ID, l.Name, l.Color, l.Description, ms(l.CreatedAt), ms(l.UpdatedAt))
		if IsConflict(err) {
			return labelNameTaken(l.Name)
		}
		if err != nil {
			return fmt.Errorf("create label: %w", err)
		}
		tx.announce(ctx, tc.EntityLabel, tc.OpCreate, l.ID)
		return nil
	})
}

// LabelUpdate is a partial change of a label; nil fields are left alone.
type LabelUpdate struct {
	Name, Color, Description *string
}

// UpdateLabel applies u. Errors: ENOTFOUND, ECONFLICT.
func (s *Store) UpdateLabel(ctx context.Context, id string, u LabelUpdate) (*tc.Label, error) {
	var out *tc.Label
	err := s.withTx(ctx, func(tx *Tx) error {
		l, err := labelByID(ctx, tx, id)
		if err != nil {
			return err
		}
		if u.Name != nil {
			l.Name = *u.Name
		}
		if u.Color != nil {
			l.Color = *u.Color
		}
		if u.Description != nil {
			l.Description = *u.Description
		}
		l.UpdatedAt = tx.now
		_, err = tx.ExecContext(ctx, `UPDATE labels SET name = $1, color = $2, description = $3, updated_at = $4 WHERE id = $5`,
			l.Name, l.Color, l.Description, ms(l.UpdatedAt), id)
		if IsConflict(err) {
			return labelNameTaken(l.Name)
		}
		if err != nil {
			return fmt.Errorf("update label: %w", err)
		}
		tx.announce(ctx, tc.EntityLabel, tc.OpUpdate, id)
		out = l
		return nil
	})
	return out, err
}

// DeleteLabel deletes a label; foreign keys detach it from every config and
// agent. Errors: ENOTFOUND.
func (s *Store) DeleteLabel(ctx context.Context, id string) error {
	return s.withTx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM labels WHERE id = $1`, id)
		if err != nil {
			return fmt.Errorf("delete label: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return notFound("label")
		}
		tx.announce(ctx, tc.EntityLabel, tc.OpDelete, id)
		return nil
	})
}
