package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/telegrafcontroller/tc"
)

const inviteColumns = `id, token_hash, username, email, role, status, created_by, created_at, expires_at, auth_provider`

// Invite statuses.
const (
	InvitePending = "pending"
	InviteUsed    = "used"
	InviteDeleted = "deleted"
)

func scanInvite(row interface{ Scan(...any) error }) (*tc.Invite, string, error) {
	var inv tc.Invite
	var role, status, provider string
	var created, expires int64
	if err := row.Scan(&inv.ID, &inv.TokenHash, &inv.Username, &inv.Email, &role, &status, &inv.CreatedBy, &created, &expires, &provider); err != nil {
		return nil, "", err
	}
	inv.Role, inv.AuthProvider = tc.Role(role), tc.AuthProvider(provider)
	inv.CreatedAt, inv.ExpiresAt = fromMS(created), fromMS(expires)
	return &inv, status, nil
}

// CreateInvite stores inv (TokenHash, Username, Email, Role, CreatedBy and
// ExpiresAt set by the caller). Errors: ECONFLICT when a user or a pending,
// unexpired invite already has the username or email, or one that looks
// like it (tc.UsernameSkeleton).
func (s *Store) CreateInvite(ctx context.Context, inv *tc.Invite) error {
	return s.withTx(ctx, func(tx *Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM users WHERE lower(username) = lower($1)`, inv.Username).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return &tc.Error{Code: tc.ECONFLICT, Field: "username", Message: "A user with this username already exists"}
		}
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM users WHERE lower(email) = lower($1)`, inv.Email).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return &tc.Error{Code: tc.ECONFLICT, Field: "email", Message: "A user with this email already exists"}
		}
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM invites WHERE status = 'pending' AND expires_at > $3 AND (lower(username) = lower($1) OR lower(email) = lower($2))`,
			inv.Username, inv.Email, ms(tx.now)).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return tc.Errorf(tc.ECONFLICT, "A pending invite already exists for this username or email; delete it first")
		}
		if err := refuseLookAlike(ctx, tx, inv.Username, ""); err != nil {
			return err
		}
		inv.ID = uuid.NewString()
		inv.CreatedAt = tx.now
		if inv.AuthProvider == "" {
			inv.AuthProvider = tc.ProviderLocal
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO invites (`+inviteColumns+`) VALUES ($1, $2, $3, $4, $5, 'pending', $6, $7, $8, $9)`,
			inv.ID, inv.TokenHash, inv.Username, inv.Email, string(inv.Role), inv.CreatedBy, ms(inv.CreatedAt), ms(inv.ExpiresAt),
			string(inv.AuthProvider))
		tx.announce(ctx, tc.EntityInvite, tc.OpCreate, inv.ID)
		return err
	})
}

// ListInvites returns pending invites (expired ones included), newest first.
func (s *Store) ListInvites(ctx context.Context) ([]*tc.Invite, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+inviteColumns+` FROM invites WHERE status = 'pending' ORDER BY created_at DESC, id`)
	if err != nil {
		return nil, fmt.Errorf("list invites: %w", err)
	}
	defer rows.Close()
	out := []*tc.Invite{}
	for rows.Next() {
		inv, _, err := scanInvite(rows)
		if err != nil {
			return nil, fmt.Errorf("list invites: %w", err)
		}
		out = append(out, inv)
	}
	return out, rows.Err()
}

// DeleteInvite withdraws a pending invite; its link then answers 410.
// Errors: ENOTFOUND.
func (s *Store) DeleteInvite(ctx context.Context, id string) error {
	return s.withTx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE invites SET status = 'deleted', closed_at = $2 WHERE id = $1 AND status = 'pending'`, id, ms(tx.now))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return notFound("invite")
		}
		tx.announce(ctx, tc.EntityInvite, tc.OpDelete, id)
		return nil
	})
}

// InviteByToken returns the pending, unexpired invite stored under
// tokenHash. Errors: ENOTFOUND, EGONE when used, deleted or expired.
func (s *Store) InviteByToken(ctx context.Context, tokenHash string) (*tc.Invite, error) {
	inv, status, err := scanInvite(s.read.QueryRowContext(ctx, `SELECT `+inviteColumns+` FROM invites WHERE token_hash = $1`, tokenHash))
	if err == sql.ErrNoRows {
		return nil, tc.Errorf(tc.ENOTFOUND, "This invite link is not valid")
	}
	if err != nil {
		return nil, fmt.Errorf("get invite: %w", err)
	}
	if err := inviteUsable(status, inv, s.now()); err != nil {
		return nil, err
	}
	if err := inviteAllowed(ctx, s.read, inv); err != nil {
		return nil, err
	}
	return inv, nil
}

// inviteAllowed re-applies the policy when an invite is read or accepted:
// its creator must still exist and still be allowed to grant its role
// (tc.CanGrantRole), so an invite never outlives its creator's authority.
func inviteAllowed(ctx context.Context, q queryRower, inv *tc.Invite) error {
	creator, err := scanUser(q.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1`, inv.CreatedBy))
	if err == sql.ErrNoRows {
		return tc.Errorf(tc.EGONE, "This invite is no longer valid: the user who created it is gone; ask for a new one")
	} else if err != nil {
		return fmt.Errorf("get invite creator: %w", err)
	}
	if tc.CanGrantRole(creator, inv.Role) != nil {
		return tc.Errorf(tc.EGONE, "This invite is no longer valid: its creator may no longer grant the %s role; ask for a new one", inv.Role)
	}
	return nil
}

func inviteUsable(status string, inv *tc.Invite, now time.Time) error {
	switch {
	case status == InviteUsed:
		return tc.Errorf(tc.EGONE, "This invite has already been used")
	case status == InviteDeleted:
		return tc.Errorf(tc.EGONE, "This invite has been withdrawn")
	case !now.Before(inv.ExpiresAt):
		return tc.Errorf(tc.EGONE, "This invite has expired; ask for a new one")
	}
	return nil
}

// AcceptInvite consumes the invite under tokenHash and creates its user
// with passwordHash, and a session for them (idHash, ending sessionExpires),
// all in one transaction. Errors: ENOTFOUND, EGONE (also when
// inviteAllowed refuses), ECONFLICT.
func (s *Store) AcceptInvite(ctx context.Context, tokenHash, passwordHash, idHash string, sessionExpires time.Time) (*tc.User, error) {
	var u *tc.User
	err := s.withTx(ctx, func(tx *Tx) error {
		inv, status, err := scanInvite(tx.QueryRowContext(ctx, `SELECT `+inviteColumns+` FROM invites WHERE token_hash = $1`, tokenHash))
		if err == sql.ErrNoRows {
			return tc.Errorf(tc.ENOTFOUND, "This invite link is not valid")
		}
		if err != nil {
			return err
		}
		if err := inviteUsable(status, inv, tx.now); err != nil {
			return err
		}
		if err := inviteAllowed(ctx, tx, inv); err != nil {
			return err
		}
		// The status condition makes a concurrent second acceptance lose.
		res, err := tx.ExecContext(ctx, `UPDATE invites SET status = 'used', closed_at = $2 WHERE id = $1 AND status = 'pending'`, inv.ID, ms(tx.now))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return tc.Errorf(tc.EGONE, "This invite has already been used")
		}
		tx.announce(ctx, tc.EntityInvite, tc.OpUpdate, inv.ID)
		now := tx.now
		u = &tc.User{Username: inv.Username, Email: inv.Email, Role: inv.Role, PasswordHash: passwordHash, LastLoginAt: &now}
		if err := createUser(ctx, tx, u); err != nil {
			return err
		}
		var sess *tc.Session
		return createSession(ctx, tx, u.ID, idHash, sessionExpires, &sess)
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}
