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
		tx.announce(ctx, tc.EntityPasswordReset, tc.OpCreate, pr.ID)
		return err
	})
}

// PasswordResetByToken returns a usable reset link and its user.
// Errors: ENOTFOUND, EGONE when used, superseded, expired or beyond its
// creator's authority (resetAllowed).
func (s *Store) PasswordResetByToken(ctx context.Context, tokenHash string) (*tc.PasswordReset, *tc.User, error) {
	pr, used, err := scanReset(s.read.QueryRowContext(ctx, `SELECT id, user_id, created_by, created_at, expires_at, used_at FROM password_resets WHERE token_hash = $1`, tokenHash))
	if err != nil {
		return nil, nil, err
	}
	if err := resetUsable(pr, used, s.now()); err != nil {
		return nil, nil, err
	}
	u, err := s.UserByID(ctx, pr.UserID)
	if err != nil {
		return nil, nil, err
	}
	if err := resetAllowed(ctx, s.read, pr, u); err != nil {
		return nil, nil, err
	}
	return pr, u, nil
}

// resetAllowed re-applies the policy when a link is read or used: its
// creator must still exist and still be allowed to reset the target's
// password (tc.ActResetPassword). A link made by an administrator for a
// manager therefore dies when the manager becomes an administrator or the
// administrator is demoted, disabled or deleted: whoever holds the link
// never gains more than its creator may do now.
func resetAllowed(ctx context.Context, q queryRower, pr *tc.PasswordReset, target *tc.User) error {
	creator, err := scanUser(q.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1`, pr.CreatedBy))
	if err == sql.ErrNoRows {
		return tc.Errorf(tc.EGONE, "This password reset link is no longer valid: the user who created it is gone; ask for a new one")
	} else if err != nil {
		return fmt.Errorf("get password reset creator: %w", err)
	}
	if tc.CanManage(creator, target, tc.ActResetPassword) != nil {
		return tc.Errorf(tc.EGONE, "This password reset link is no longer valid: its creator may no longer reset this password; ask for a new one")
	}
	return nil
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
// in one transaction. It returns the user's id. Errors: ENOTFOUND, EGONE
// (also when resetAllowed refuses).
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
		target, err := userForUpdate(ctx, tx, pr.UserID)
		if err != nil {
			return err
		}
		if err := resetAllowed(ctx, tx, pr, target); err != nil {
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
		tx.announce(ctx, tc.EntityPasswordReset, tc.OpUpdate, pr.ID)
		return setPassword(ctx, tx, pr.UserID, passwordHash, "")
	})
	return userID, err
}
