package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/telegrafcontroller/tc"
)

const userColumns = `id, username, email, role, password_hash, disabled, failed_logins, locked_until, created_at, updated_at, last_login_at, auth_provider, external_id`

func scanUser(row interface{ Scan(...any) error }) (*tc.User, error) {
	var u tc.User
	var role, provider string
	var locked, lastLogin sql.NullInt64
	var created, updated int64
	if err := row.Scan(&u.ID, &u.Username, &u.Email, &role, &u.PasswordHash, &u.Disabled, &u.FailedLogins,
		&locked, &created, &updated, &lastLogin, &provider, &u.ExternalID); err != nil {
		return nil, err
	}
	u.Role, u.AuthProvider = tc.Role(role), tc.AuthProvider(provider)
	u.LockedUntil = fromNullMS(locked)
	u.LastLoginAt = fromNullMS(lastLogin)
	u.CreatedAt, u.UpdatedAt = fromMS(created), fromMS(updated)
	return &u, nil
}

// CreateUser inserts u, assigning its id and timestamps.
// Errors: ECONFLICT when the username or email is taken, the username looks
// like a user's or a pending invite's, or a second owner.
func (s *Store) CreateUser(ctx context.Context, u *tc.User) error {
	return s.withTx(ctx, func(tx *Tx) error { return createUser(ctx, tx, u) })
}

func createUser(ctx context.Context, tx *Tx, u *tc.User) error {
	if err := refuseLookAlike(ctx, tx, u.Username, ""); err != nil {
		return err
	}
	u.ID = uuid.NewString()
	u.CreatedAt, u.UpdatedAt = tx.now, tx.now
	if u.AuthProvider == "" {
		u.AuthProvider = tc.ProviderLocal
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO users (`+userColumns+`, username_skeleton) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
		u.ID, u.Username, u.Email, string(u.Role), u.PasswordHash, u.Disabled, u.FailedLogins,
		msPtr(u.LockedUntil), ms(u.CreatedAt), ms(u.UpdatedAt), msPtr(u.LastLoginAt), string(u.AuthProvider), u.ExternalID,
		tc.UsernameSkeleton(u.Username))
	if IsConflict(err) {
		return tc.Errorf(tc.ECONFLICT, "a user with this username or email already exists")
	}
	if err != nil {
		return fmt.Errorf("create user: %w", err)
	}
	tx.announce(ctx, tc.EntityUser, tc.OpCreate, u.ID)
	tx.describe(tc.EntityUser, u.ID, u.Username, map[string]any{"role": u.Role})
	return nil
}

// refuseLookAlike returns ECONFLICT (field username) when username looks
// like (tc.UsernameSkeleton) the username of a user other than exceptUserID
// or of a pending, unexpired invite. The unique index on
// users.username_skeleton backs the check against concurrent writers; the
// check gives the refusal its field and message.
func refuseLookAlike(ctx context.Context, tx *Tx, username, exceptUserID string) error {
	skel := tc.UsernameSkeleton(username)
	var other string
	err := tx.QueryRowContext(ctx, `SELECT username FROM users WHERE username_skeleton = $1 AND id <> $2`, skel, exceptUserID).Scan(&other)
	switch {
	case err == nil && strings.EqualFold(other, username):
		return &tc.Error{Code: tc.ECONFLICT, Field: "username", Message: "A user with this username already exists"}
	case err == nil:
		return &tc.Error{Code: tc.ECONFLICT, Field: "username", Message: "This username looks too much like an existing user's; choose another"}
	case err != sql.ErrNoRows:
		return fmt.Errorf("check username: %w", err)
	}
	// Pending invites are few; their skeletons are computed here.
	rows, err := tx.QueryContext(ctx, `SELECT username FROM invites WHERE status = 'pending' AND expires_at > $1`, ms(tx.now))
	if err != nil {
		return fmt.Errorf("check username: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := rows.Scan(&other); err != nil {
			return fmt.Errorf("check username: %w", err)
		}
		if tc.UsernameSkeleton(other) == skel {
			return &tc.Error{Code: tc.ECONFLICT, Field: "username", Message: "This username looks too much like one a pending invite holds; choose another, or delete the invite first"}
		}
	}
	return rows.Err()
}

// fillUsernameSkeletons sets username_skeleton for users that have none:
// those created before migration 0064. Users are taken oldest first; one
// whose name looks like an older user's keeps none, with a warning at every
// start-up. Both accounts keep working, and neither name can be taken by a
// third look-alike; renaming one of them settles it.
func (s *Store) fillUsernameSkeletons(ctx context.Context) error {
	return s.withTx(ctx, func(tx *Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT id, username, username_skeleton FROM users ORDER BY created_at, id`)
		if err != nil {
			return err
		}
		type user struct{ id, name string }
		taken := map[string]user{} // skeleton → its holder
		var todo []user
		for rows.Next() {
			var u user
			var skel sql.NullString
			if err := rows.Scan(&u.id, &u.name, &skel); err != nil {
				rows.Close()
				return err
			}
			if skel.Valid {
				taken[skel.String] = u
			} else {
				todo = append(todo, u)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, u := range todo {
			skel := tc.UsernameSkeleton(u.name)
			if holder, ok := taken[skel]; ok {
				s.logger.Warn("username looks like another user's; rename one of them", "user_id", u.id, "username", u.name,
					"other_user_id", holder.id, "other_username", holder.name)
				continue
			}
			if _, err := tx.ExecContext(ctx, `UPDATE users SET username_skeleton = $2 WHERE id = $1`, u.id, skel); err != nil {
				return err
			}
			taken[skel] = u
		}
		return nil
	})
}

// UserByID returns one user. Errors: ENOTFOUND.
func (s *Store) UserByID(ctx context.Context, id string) (*tc.User, error) {
	u, err := scanUser(s.read.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1`, id))
	if err == sql.ErrNoRows {
		return nil, notFound("user")
	}
	if err != nil {
		return nil, translate(fmt.Errorf("get user: %w", err))
	}
	return u, nil
}

// UserByLogin returns the user whose username or email equals login,
// ignoring case. Errors: ENOTFOUND.
func (s *Store) UserByLogin(ctx context.Context, login string) (*tc.User, error) {
	u, err := scanUser(s.read.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE lower(username) = lower($1) OR lower(email) = lower($1) ORDER BY CASE WHEN lower(username) = lower($1) THEN 0 ELSE 1 END LIMIT 1`, login))
	if err == sql.ErrNoRows {
		return nil, notFound("user")
	}
	if err != nil {
		return nil, translate(fmt.Errorf("get user by login: %w", err))
	}
	return u, nil
}

// Owner returns the owner. Errors: ENOTFOUND when there is none yet.
func (s *Store) Owner(ctx context.Context) (*tc.User, error) {
	u, err := scanUser(s.read.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE role = 'owner'`))
	if err == sql.ErrNoRows {
		return nil, notFound("owner")
	}
	if err != nil {
		return nil, fmt.Errorf("get owner: %w", err)
	}
	return u, nil
}

// HasOwner reports whether the owner account exists.
func (s *Store) HasOwner(ctx context.Context) (bool, error) {
	_, err := s.Owner(ctx)
	if tc.ErrorCode(err) == tc.ENOTFOUND {
		return false, nil
	}
	return err == nil, err
}

// ListUsers returns every user, by username.
func (s *Store) ListUsers(ctx context.Context) ([]*tc.User, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+userColumns+` FROM users ORDER BY lower(username)`)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	out := []*tc.User{}
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("list users: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// CreateOwner creates the owner, or promotes the administrator named
// u.Username (whose password becomes u.PasswordHash). Errors: ECONFLICT
// when an owner exists or the username or email belongs to someone else.
func (s *Store) CreateOwner(ctx context.Context, u *tc.User) error {
	return s.withTx(ctx, func(tx *Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM users WHERE role = 'owner'`).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return tc.Errorf(tc.ECONFLICT, "The owner account already exists")
		}
		var id string
		err := tx.QueryRowContext(ctx, `SELECT id FROM users WHERE lower(username) = lower($1) AND role = 'administrator'`, u.Username).Scan(&id)
		if err == sql.ErrNoRows {
			u.Role = tc.RoleOwner
			return createUser(ctx, tx, u)
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET role = 'owner', password_hash = $2, disabled = FALSE, failed_logins = 0, locked_until = NULL, updated_at = $3 WHERE id = $1`,
			id, u.PasswordHash, ms(tx.now)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = $1`, id); err != nil {
			return err
		}
		tx.announce(ctx, tc.EntityUser, tc.OpUpdate, id)
		tx.announce(ctx, tc.EntitySession, tc.OpDelete, id)
		got, err := scanUser(tx.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1`, id))
		if err != nil {
			return err
		}
		*u = *got
		return nil
	})
}

// SetPassword replaces a user's password hash, clears any lockout and ends
// every session of the user except keepSession (a session hash, or "").
// Errors: ENOTFOUND.
func (s *Store) SetPassword(ctx context.Context, userID, hash, keepSession string) error {
	return s.withTx(ctx, func(tx *Tx) error { return setPassword(ctx, tx, userID, hash, keepSession) })
}

func setPassword(ctx context.Context, tx *Tx, userID, hash, keepSession string) error {
	res, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = $2, failed_logins = 0, locked_until = NULL, updated_at = $3 WHERE id = $1`,
		userID, hash, ms(tx.now))
	if err != nil {
		return fmt.Errorf("set password: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound("user")
	}
	tx.announce(ctx, tc.EntityUser, tc.OpPassword, userID)
	return deleteUserSessions(ctx, tx, userID, keepSession)
}

// RecordLoginFailure counts a failed password for userID. When the count
// reaches attempts the account is locked for lockFor and the count restarts.
// It returns the lock's end, or nil.
func (s *Store) RecordLoginFailure(ctx context.Context, userID string, attempts int, lockFor time.Duration) (*time.Time, error) {
	var locked *time.Time
	err := s.withTx(ctx, func(tx *Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `UPDATE users SET failed_logins = failed_logins + 1 WHERE id = $1 RETURNING failed_logins`, userID).Scan(&n); err != nil {
			return err
		}
		if n < attempts {
			return nil
		}
		until := tx.now.Add(lockFor)
		locked = &until
		_, err := tx.ExecContext(ctx, `UPDATE users SET failed_logins = 0, locked_until = $2 WHERE id = $1`, userID, ms(until))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("record login failure: %w", err)
	}
	return locked, nil
}

// UserPatch is a change to a user by an administrator; nil fields stay.
type UserPatch struct {
	Role     *tc.Role
	Disabled *bool
}

// UpdateUser applies p to user id. A change of role or disabled flag ends
// the user's sessions in the same transaction; a change to viewer also
// revokes every active token of the user (viewers hold no tokens).
// check, when set, sees the current row first and may refuse.
// It returns the updated user and whether anything that matters to
// credentials changed. Errors: ENOTFOUND, and whatever check returns.
func (s *Store) UpdateUser(ctx context.Context, id string, p UserPatch, check func(*tc.User) error) (*tc.User, bool, error) {
	var out *tc.User
	var changed bool
	err := s.withTx(ctx, func(tx *Tx) error {
		u, err := userForUpdate(ctx, tx, id)
		if err != nil {
			return err
		}
		if check != nil {
			if err := check(u); err != nil {
				return err
			}
		}
		details := map[string]any{}
		if p.Role != nil && *p.Role != u.Role {
			details["role"] = [2]tc.Role{u.Role, *p.Role}
			u.Role, changed = *p.Role, true
			if u.Role == tc.RoleViewer {
				if err := revokeUserTokens(ctx, tx, id); err != nil {
					return err
				}
			}
		}
		if p.Disabled != nil && *p.Disabled != u.Disabled {
			details["disabled"] = [2]bool{u.Disabled, *p.Disabled}
			u.Disabled, changed = *p.Disabled, true
		}
		if !changed {
			out = u
			return nil
		}
		u.UpdatedAt = tx.now
		if _, err := tx.ExecContext(ctx, `UPDATE users SET role = $2, disabled = $3, updated_at = $4 WHERE id = $1`, id, string(u.Role), u.Disabled, ms(tx.now)); err != nil {
			return err
		}
		tx.announce(ctx, tc.EntityUser, tc.OpUpdate, id)
		tx.describe(tc.EntityUser, id, u.Username, details)
		if err := deleteUserSessions(ctx, tx, id, ""); err != nil {
			return err
		}
		out = u
		return nil
	})
	if err != nil {
		return nil, false, err
	}
	return out, changed, nil
}

// revokeUserTokens revokes every active token of user id (viewers hold
// none: a change to viewer by hand or by groups at sign-in).
func revokeUserTokens(ctx context.Context, tx *Tx, id string) error {
	revoked, err := queryStrings(ctx, tx, `UPDATE tokens SET status = 'revoked', revoked_at = $2 WHERE user_id = $1 AND status = 'active' RETURNING id`, id, ms(tx.now))
	if err != nil {
		return err
	}
	tx.announce(ctx, tc.EntityToken, tc.OpRevoke, revoked...)
	return nil
}

// userForUpdate reads a user inside a write transaction, locking its row.
func userForUpdate(ctx context.Context, tx *Tx, id string) (*tc.User, error) {
	// Lock the row first: a change that then writes rows referring to the
	// user (a reset link, tokens) would otherwise take its key lock late and
	// deadlock with a concurrent delete cascading to them.
	q := `SELECT ` + userColumns + ` FROM users WHERE id = $1` + tx.store.dialect.forUpdate
	u, err := scanUser(tx.QueryRowContext(ctx, q, id))
	if err == sql.ErrNoRows {
		return nil, notFound("user")
	}
	return u, err
}

// UpdateAccount changes a user's own username and email (nil keeps).
// Errors: ENOTFOUND, ECONFLICT when taken or when the new username looks
// like another user's.
func (s *Store) UpdateAccount(ctx context.Context, id string, username, email *string) (*tc.User, error) {
	var out *tc.User
	err := s.withTx(ctx, func(tx *Tx) error {
		u, err := userForUpdate(ctx, tx, id)
		if err != nil {
			return err
		}
		if username != nil && *username != u.Username {
			if err := refuseLookAlike(ctx, tx, *username, id); err != nil {
				return err
			}
			u.Username = *username
			if _, err := tx.ExecContext(ctx, `UPDATE users SET username_skeleton = $2 WHERE id = $1`, id, tc.UsernameSkeleton(u.Username)); err != nil {
				if IsConflict(err) {
					return tc.Errorf(tc.ECONFLICT, "A user with this username or email already exists")
				}
				return err
			}
		}
		if email != nil {
			u.Email = *email
		}
		u.UpdatedAt = tx.now
		_, err = tx.ExecContext(ctx, `UPDATE users SET username = $2, email = $3, updated_at = $4 WHERE id = $1`, id, u.Username, u.Email, ms(tx.now))
		if IsConflict(err) {
			return tc.Errorf(tc.ECONFLICT, "A user with this username or email already exists")
		}
		tx.announce(ctx, tc.EntityUser, tc.OpUpdate, id)
		out = u
		return err
	})
	return out, err
}

// DeleteUser removes a user with their sessions, tokens and reset links
// (foreign-key cascades). check may refuse after seeing the row.
// Errors: ENOTFOUND, and whatever check returns.
func (s *Store) DeleteUser(ctx context.Context, id string, check func(*tc.User) error) error {
	return s.withTx(ctx, func(tx *Tx) error {
		u, err := userForUpdate(ctx, tx, id)
		if err != nil {
			return err
		}
		if check != nil {
			if err := check(u); err != nil {
				return err
			}
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM users WHERE id = $1`, id)
		tx.announce(ctx, tc.EntityUser, tc.OpDelete, id)
		tx.describe(tc.EntityUser, id, u.Username, map[string]any{"role": u.Role})
		return err
	})
}

// TransferOwnership makes the administrator targetID the owner and the
// current owner fromID an administrator, in one transaction, ending both
// users' sessions. check sees both users first and may refuse.
// Errors: ENOTFOUND, EFORBIDDEN when fromID is not the owner, EINVALID when
// the target is not an active administrator, and whatever check returns.
func (s *Store) TransferOwnership(ctx context.Context, fromID, targetID string, check func(from, to *tc.User) error) error {
	return s.withTx(ctx, func(tx *Tx) error {
		target, err := userForUpdate(ctx, tx, targetID)
		if err != nil {
			return err
		}
		from, err := userForUpdate(ctx, tx, fromID)
		if err != nil {
			return err
		}
		if check != nil {
			if err := check(from, target); err != nil {
				return err
			}
		}
		if from.Role != tc.RoleOwner {
			return tc.Errorf(tc.EFORBIDDEN, "Only the owner can transfer ownership")
		}
		if target.ID == from.ID {
			return tc.Errorf(tc.EINVALID, "You already are the owner")
		}
		if target.Role != tc.RoleAdministrator || target.Disabled {
			return tc.Errorf(tc.EINVALID, "Ownership can only be transferred to an active administrator")
		}
		// Demote first: the single-owner index allows one owner at a time.
		for _, q := range []struct {
			id   string
			role tc.Role
		}{{from.ID, tc.RoleAdministrator}, {target.ID, tc.RoleOwner}} {
			if _, err := tx.ExecContext(ctx, `UPDATE users SET role = $2, updated_at = $3 WHERE id = $1`, q.id, string(q.role), ms(tx.now)); err != nil {
				return err
			}
		}
		tx.announce(ctx, tc.EntityUser, tc.OpUpdate, from.ID, target.ID)
		tx.describe(tc.EntityUser, from.ID, from.Username, map[string]any{"role": [2]tc.Role{tc.RoleOwner, tc.RoleAdministrator}, "ownershipTransfer": true})
		tx.describe(tc.EntityUser, target.ID, target.Username, map[string]any{"role": [2]tc.Role{tc.RoleAdministrator, tc.RoleOwner}, "ownershipTransfer": true})
		_, err = tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id IN ($1, $2)`, from.ID, target.ID)
		tx.announce(ctx, tc.EntitySession, tc.OpDelete, from.ID, target.ID)
		return err
	})
}
