package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/telegrafcontroller/tc"
)

// CreatePasswordReset stores pr (TokenHash, UserID, CreatedBy, ExpiresAt
// set by the caller). Earlier unused links of the same user stop working.
// check sees the target user first and may refuse. Errors: ENOTFOUND.
func (s *Store) CreatePasswordReset(ctx context.Context, pr *tc.PasswordReset, check func(*tc.User) error) error {
	return s.withTx(ctx, func(tx *Tx) error {
		u, err := userForUpdate(ctx, tx, pr.UserID)
		if err != nil {
			return err
		}
		if check != nil {
			if err := check(u); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE password_resets SET used_at = $2 WHERE user_id = $1 AND used_at IS NULL`, pr.UserID, ms(tx.now)); err != nil {
			return err
		}
		pr.ID = uuid.NewString()
		pr.CreatedAt = tx.now
		_, err = tx.ExecContext(ctx, `INSERT INTO password_resets (id, token_hash, user_id, created_by, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)`,
			pr.ID, pr.TokenHash, pr.UserID, pr.CreatedBy, ms(pr.CreatedAt), ms(pr.ExpiresAt))
		return err
	})
}

// PasswordResetByToken returns a usable reset link and its user.
// Errors: ENOTFOUND, EGONE when used, superseded or expired.
func (s *Store) PasswordResetByToken(ctx context.Context, tokenHash string) (*tc.PasswordReset, *tc.User, error) {
	pr, used, err := scanReset(s.read.QueryRowContext(ctx, `SELECT id, user_id, created_by, created_at, expires_at, used_at FROM password_resets WHERE token_hash = $1`, tokenHash))
	if err != nil {
		return nil, nil, err
	}
	if err := resetUsable(pr, used, s.now()); err != nil {
		return nil, nil, err
	}
	u, err := s.UserByID(ctx, pr.UserID)
	return pr, u, err
}

func scanReset(row *sql.Row) (*tc.PasswordReset, bool, error) {
	var pr tc.PasswordReset
	var created, expires int64
	var used sql.NullInt64
	err := row.Scan(&pr.ID, &pr.UserID, &pr.CreatedBy, &created, &expires, &used)
	if err == sql.ErrNoRows {
		return nil, false, tc.Errorf(tc.ENOTFOUND, "This password reset link is not valid")
	}
	if err != nil {
		return nil, false, fmt.Errorf("get password reset: %w", err)
	}
	pr.CreatedAt, pr.ExpiresAt = fromMS(created), fromMS(expires)
	return &pr, used.Valid, nil
}

func resetUsable(pr *tc.PasswordReset, used bool, now time.Time) error {
	if used {
		return tc.Errorf(tc.EGONE, "This password reset link has already been used or replaced by a newer one")
	}
	if !now.Before(pr.ExpiresAt) {
		return tc.Errorf(tc.EGONE, "This password reset link has expired; ask for a new one")
	}
	return nil
}

// UsePasswordReset consumes the link under tokenHash and sets the user's
// password to passwordHash, clearing any lockout and ending every session,
// in one transaction. It returns the user's id. Errors: ENOTFOUND, EGONE.
func (s *Store) UsePasswordReset(ctx context.Context, tokenHash, passwordHash string) (string, error) {
	var userID string
	err := s.withTx(ctx, func(tx *Tx) error {
		pr, used, err := scanReset(tx.QueryRowContext(ctx, `SELECT id, user_id, created_by, created_at, expires_at, used_at FROM password_resets WHERE token_hash = $1`, tokenHash))
		if err != nil {
			return err
		}
		if err := resetUsable(pr, used, tx.now); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE password_resets SET used_at = $2 WHERE id = $1 AND used_at IS NULL`, pr.ID, ms(tx.now))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return tc.Errorf(tc.EGONE, "This password reset link has already been used")
		}
		userID = pr.UserID
		return setPassword(ctx, tx, pr.UserID, passwordHash, "")
	})
	return userID, err
}
