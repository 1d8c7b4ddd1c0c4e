package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/telegrafcontroller/tc"
)

// SignInExternal applies the provisioning rules (tc.Provisioning.Provision)
// to id in one transaction: it reads the account linked to the identity,
// the account with its email and a pending invite for its email and
// provider, then signs the linked account in, links the local account, or
// creates the account (using the invite), with the role the decision gives;
// a role that changes applies what a manual change does (sessions ended; a
// viewer's tokens revoked), and then a session (idHash, ending expires) is
// started. A refusal changes nothing and is returned in the decision, not
// as an error. Errors: ECONFLICT when a concurrent sign-in created the
// account first.
func (s *Store) SignInExternal(ctx context.Context, id tc.ExternalIdentity, p tc.Provisioning, idHash string, expires time.Time) (tc.ExternalSignIn, error) {
	var out tc.ExternalSignIn
	err := s.withTx(ctx, func(tx *Tx) error {
		out = tc.ExternalSignIn{}
		var c tc.ProvisionCandidates
		var err error
		if c.Linked, err = userWhere(ctx, tx, `auth_provider = $1 AND external_id = $2`, string(id.Provider), id.Subject); err != nil {
			return err
		}
		if c.Linked == nil && id.Email != "" {
			if c.ByEmail, err = userWhere(ctx, tx, `lower(email) = lower($1)`, id.Email); err != nil {
				return err
			}
			if c.ByEmail == nil {
				if c.Invite, err = externalInvite(ctx, tx, id); err != nil {
					return err
				}
			}
		}
		d := p.Provision(id, c)
		out.Decision = d
		if d.Refused() {
			return nil
		}
		var u *tc.User
		switch d.Action {
		case tc.ProvisionSignIn:
			u = c.Linked
		case tc.ProvisionLink:
			u = c.ByEmail
			if err := linkUser(ctx, tx, u, id.Provider, id.Subject); err != nil {
				return err
			}
		case tc.ProvisionCreate:
			if u, err = createExternalUser(ctx, tx, id, d.Role, c.Invite); err != nil {
				return err
			}
		}
		if d.Action != tc.ProvisionCreate && d.Role != u.Role {
			if err := changeRole(ctx, tx, u, d.Role, "groups"); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET failed_logins = 0, locked_until = NULL, last_login_at = $2 WHERE id = $1`, u.ID, ms(tx.now)); err != nil {
			return err
		}
		now := tx.now
		u.LastLoginAt = &now
		// The session's start is the user's own act (user.login names them).
		var sess *tc.Session
		if err := createSession(tc.NewContextWithCaller(ctx, &tc.Caller{User: u}), tx, u.ID, idHash, expires, &sess); err != nil {
			return err
		}
		out.User = u
		return nil
	})
	if err != nil {
		return tc.ExternalSignIn{}, fmt.Errorf("external sign-in: %w", err)
	}
	return out, nil
}

// userWhere reads the user matching cond, locking the row; nil when none.
func userWhere(ctx context.Context, tx *Tx, cond string, args ...any) (*tc.User, error) {
	u, err := scanUser(tx.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE `+cond+tx.store.dialect.forUpdate, args...))
	if err == sql.ErrNoRows {
		return nil, nil
	}
	return u, err
}

// externalInvite returns the pending, unexpired invite for id's email and
// provider whose creator may still grant its role, or nil.
func externalInvite(ctx context.Context, tx *Tx, id tc.ExternalIdentity) (*tc.Invite, error) {
	inv, _, err := scanInvite(tx.QueryRowContext(ctx, `SELECT `+inviteColumns+` FROM invites
		WHERE status = 'pending' AND expires_at > $1 AND auth_provider = $2 AND lower(email) = lower($3)
		ORDER BY created_at DESC LIMIT 1`, ms(tx.now), string(id.Provider), id.Email))
	if err == sql.ErrNoRows {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if inviteAllowed(ctx, tx, inv) != nil {
		return nil, nil
	}
	return inv, nil
}

// createExternalUser creates the account of id with role, consuming inv
// when set (its username is then the account's). The username is the
// provider's when it is a valid one no one holds, else the email's local
// part, else either with a suffix from the subject.
func createExternalUser(ctx context.Context, tx *Tx, id tc.ExternalIdentity, role tc.Role, inv *tc.Invite) (*tc.User, error) {
	now := tx.now
	u := &tc.User{Email: id.Email, Role: role, AuthProvider: id.Provider, ExternalID: id.Subject, LastLoginAt: &now}
	if inv != nil {
		res, err := tx.ExecContext(ctx, `UPDATE invites SET status = 'used', closed_at = $2 WHERE id = $1 AND status = 'pending'`, inv.ID, ms(tx.now))
		if err != nil {
			return nil, err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil, tc.Errorf(tc.ECONFLICT, "This invite has just been used")
		}
		tx.announce(ctx, tc.EntityInvite, tc.OpUpdate, inv.ID)
		u.Username = inv.Username
	} else {
		name, err := freeUsername(ctx, tx, id)
		if err != nil {
			return nil, err
		}
		u.Username = name
	}
	if err := createUser(ctx, tx, u); err != nil {
		return nil, err
	}
	tx.describe(tc.EntityUser, u.ID, u.Username, map[string]any{"role": u.Role, "provider": id.Provider})
	return u, nil
}

// freeUsername picks the username of a new external account.
func freeUsername(ctx context.Context, tx *Tx, id tc.ExternalIdentity) (string, error) {
	local, _, _ := strings.Cut(id.Email, "@")
	sum := sha256.Sum256([]byte(string(id.Provider) + "\x00" + id.Subject))
	suffix := "-" + hex.EncodeToString(sum[:3])
	var tried []string
	for _, name := range []string{id.Username, local, id.Username + suffix, local + suffix, "user" + suffix} {
		if tc.ValidateUsername(name) != nil {
			continue
		}
		tried = append(tried, name)
		switch err := refuseLookAlike(ctx, tx, name, ""); tc.ErrorCode(err) {
		case "":
			var taken int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM users WHERE lower(username) = lower($1)`, name).Scan(&taken); err != nil {
				return "", err
			}
			if taken == 0 {
				return name, nil
			}
		case tc.ECONFLICT:
		default:
			return "", err
		}
	}
	return "", tc.Errorf(tc.ECONFLICT, "No free username for this account (tried %s)", strings.Join(tried, ", "))
}

// changeRole gives u role as a manual change would (UpdateUser): the
// user's sessions end and a viewer's tokens are revoked; the audit entry
// says the role came from by.
func changeRole(ctx context.Context, tx *Tx, u *tc.User, role tc.Role, by string) error {
	if role == tc.RoleViewer {
		if err := revokeUserTokens(ctx, tx, u.ID); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE users SET role = $2, updated_at = $3 WHERE id = $1`, u.ID, string(role), ms(tx.now)); err != nil {
		return err
	}
	tx.announce(ctx, tc.EntityUser, tc.OpUpdate, u.ID)
	tx.describe(tc.EntityUser, u.ID, u.Username, map[string]any{"role": [2]tc.Role{u.Role, role}, "by": by})
	u.Role, u.UpdatedAt = role, tx.now
	return deleteUserSessions(ctx, tx, u.ID, "")
}

// LinkOwner links the owner to an external identity (OWNER_AUTH_PROVIDER
// and OWNER_EXTERNAL_ID at start-up); the owner keeps the local password
// as a recovery credential. Errors: ENOTFOUND without an owner, ECONFLICT
// when another account holds the identity.
func (s *Store) LinkOwner(ctx context.Context, provider tc.AuthProvider, externalID string) error {
	return s.withTx(ctx, func(tx *Tx) error {
		owner, err := userWhere(ctx, tx, `role = 'owner'`)
		if err != nil {
			return err
		}
		if owner == nil {
			return notFound("owner")
		}
		if owner.AuthProvider == provider && owner.ExternalID == externalID {
			return nil
		}
		return linkUser(ctx, tx, owner, provider, externalID)
	})
}

// linkUser links u to the identity externalID of provider. Errors:
// ECONFLICT when another account holds the identity.
func linkUser(ctx context.Context, tx *Tx, u *tc.User, provider tc.AuthProvider, externalID string) error {
	_, err := tx.ExecContext(ctx, `UPDATE users SET auth_provider = $2, external_id = $3, updated_at = $4 WHERE id = $1`,
		u.ID, string(provider), externalID, ms(tx.now))
	if IsConflict(err) {
		return tc.Errorf(tc.ECONFLICT, "Another account is already linked to this %s identity", provider)
	}
	if err != nil {
		return err
	}
	u.AuthProvider, u.ExternalID = provider, externalID
	tx.announce(ctx, tc.EntityUser, tc.OpUpdate, u.ID)
	tx.describe(tc.EntityUser, u.ID, u.Username, map[string]any{"linkedTo": provider})
	return nil
}
