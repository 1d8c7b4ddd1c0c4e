package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/google/uuid"

	"github.com/telegrafcontroller/tc"
)

const userColumns = `id, username, email, role, password_hash, disabled, failed_logins, locked_until, created_at, updated_at, last_login_at`

func scanUser(row interface{ Scan(...any) error }) (*tc.User, error) {
	var u tc.User
	var role string
	var locked, lastLogin sql.NullInt64
	var created, updated int64
	if err := row.Scan(&u.ID, &u.Username, &u.Email, &role, &u.PasswordHash, &u.Disabled, &u.FailedLogins,
		&locked, &created, &updated, &lastLogin); err != nil {
		return nil, err
	}
	u.Role = tc.Role(role)
	u.LockedUntil = fromNullMS(locked)
	u.LastLoginAt = fromNullMS(lastLogin)
	u.CreatedAt, u.UpdatedAt = fromMS(created), fromMS(updated)
	return &u, nil
}

// CreateUser inserts u, assigning its id and timestamps.
// Errors: ECONFLICT when the username or email is taken, or a second owner.
func (s *Store) CreateUser(ctx context.Context, u *tc.User) error {
	return s.withTx(ctx, func(tx *Tx) error { return createUser(ctx, tx, u) })
}

func createUser(ctx context.Context, tx *Tx, u *tc.User) error {
	u.ID = uuid.NewString()
	u.CreatedAt, u.UpdatedAt = tx.now, tx.now
	_, err := tx.ExecContext(ctx, `INSERT INTO users (`+userColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		u.ID, u.Username, u.Email, string(u.Role), u.PasswordHash, u.Disabled, u.FailedLogins,
		msPtr(u.LockedUntil), ms(u.CreatedAt), ms(u.UpdatedAt), msPtr(u.LastLoginAt))
	if IsConflict(err) {
		return tc.Errorf(tc.ECONFLICT, "a user with this username or email already exists")
	}
	if err != nil {
		return fmt.Errorf("create user: %w", err)
	}
	return nil
}

// UserByID returns one user. Errors: ENOTFOUND.
func (s *Store) UserByID(ctx context.Context, id string) (*tc.User, error) {
	u, err := scanUser(s.read.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1`, id))
	if err == sql.ErrNoRows {
		return nil, notFound("user")
	}
	if err != nil {
		return nil, fmt.Errorf("get user: %w", err)
	}
	return u, nil
}
