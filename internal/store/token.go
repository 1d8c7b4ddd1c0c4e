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

const tokenColumns = `id, user_id, description, token_hash, last4, permissions, preset, status, created_at, expires_at, revoked_at, last_used_at`

func scanToken(row interface{ Scan(...any) error }) (*tc.Token, error) {
	var t tc.Token
	var perms string
	var created int64
	var expires, revoked, lastUsed sql.NullInt64
	if err := row.Scan(&t.ID, &t.UserID, &t.Description, &t.Hash, &t.Last4, &perms, &t.Preset, &t.Status,
		&created, &expires, &revoked, &lastUsed); err != nil {
		return nil, err
	}
	t.Permissions = splitPermissions(perms)
	t.CreatedAt = fromMS(created)
	t.ExpiresAt, t.RevokedAt, t.LastUsedAt = fromNullMS(expires), fromNullMS(revoked), fromNullMS(lastUsed)
	return &t, nil
}

func joinPermissions(ps []tc.Permission) string {
	ss := make([]string, len(ps))
	for i, p := range ps {
		ss[i] = string(p)
	}
	return strings.Join(ss, ",")
}

func splitPermissions(s string) []tc.Permission {
	if s == "" {
		return []tc.Permission{}
	}
	parts := strings.Split(s, ",")
	out := make([]tc.Permission, len(parts))
	for i, p := range parts {
		out[i] = tc.Permission(p)
	}
	return out
}

// CreateToken inserts t (whose Hash and Last4 the caller has set from a
// fresh secret), assigning its id, status and creation time.
func (s *Store) CreateToken(ctx context.Context, t *tc.Token) error {
	return s.withTx(ctx, func(tx *Tx) error {
		t.ID = uuid.NewString()
		t.CreatedAt = tx.now
		if t.Status == "" {
			t.Status = tc.TokenActive
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO tokens (`+tokenColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
			t.ID, t.UserID, t.Description, t.Hash, t.Last4, joinPermissions(t.Permissions), t.Preset, t.Status,
			ms(t.CreatedAt), msPtr(t.ExpiresAt), msPtr(t.RevokedAt), msPtr(t.LastUsedAt))
		if err != nil {
			return fmt.Errorf("create token: %w", err)
		}
		tx.announce(ctx, tc.EntityToken, tc.OpCreate, t.ID)
		tx.describe(tc.EntityToken, t.ID, t.Description, map[string]any{"owner": t.UserID, "permissions": t.Permissions, "preset": t.Preset})
		return nil
	})
}

// TokenByHash returns the token stored under a secret's digest. Errors: ENOTFOUND.
func (s *Store) TokenByHash(ctx context.Context, hash string) (*tc.Token, error) {
	t, err := scanToken(s.read.QueryRowContext(ctx, `SELECT `+tokenColumns+` FROM tokens WHERE token_hash = $1`, hash))
	if err == sql.ErrNoRows {
		return nil, notFound("token")
	}
	if err != nil {
		return nil, translate(fmt.Errorf("get token: %w", err))
	}
	return t, nil
}

// tokenOwnerColumns follow tokenColumns in reads that show a token's owner.
const tokenOwnerColumns = `u.id, u.username, u.email, u.role, u.disabled`

// tokenWithOwner is the FROM clause matching tokenOwnerColumns.
const tokenWithOwner = ` FROM tokens t JOIN users u ON u.id = t.user_id`

func scanTokenWithOwner(row interface{ Scan(...any) error }) (*tc.Token, error) {
	var t tc.Token
	var o tc.TokenOwner
	var perms, role string
	var created int64
	var expires, revoked, lastUsed sql.NullInt64
	if err := row.Scan(&t.ID, &t.UserID, &t.Description, &t.Hash, &t.Last4, &perms, &t.Preset, &t.Status,
		&created, &expires, &revoked, &lastUsed, &o.ID, &o.Username, &o.Email, &role, &o.Disabled); err != nil {
		return nil, err
	}
	t.Permissions = splitPermissions(perms)
	t.CreatedAt = fromMS(created)
	t.ExpiresAt, t.RevokedAt, t.LastUsedAt = fromNullMS(expires), fromNullMS(revoked), fromNullMS(lastUsed)
	o.Role = tc.Role(role)
	t.Owner = &o
	return &t, nil
}

// qualified prefixes each of tokenColumns with the alias t.
var qualifiedTokenColumns = func() string {
	cols := strings.Split(tokenColumns, ", ")
	for i, c := range cols {
		cols[i] = "t." + c
	}
	return strings.Join(cols, ", ")
}()

// TokenFilter narrows Tokens. Empty fields do not filter.
type TokenFilter struct {
	UserID string // only this owner's tokens
	Status string // tc.TokenActive or tc.TokenRevoked
	Search string // case-insensitive substring of the description or owner's username, or the last four characters
}

// Tokens lists tokens with their owners, newest first.
func (s *Store) Tokens(ctx context.Context, f TokenFilter) ([]*tc.Token, error) {
	q := `SELECT ` + qualifiedTokenColumns + `, ` + tokenOwnerColumns + tokenWithOwner + ` WHERE 1 = 1`
	var args []any
	arg := placeholder(&args)
	if f.UserID != "" {
		q += ` AND t.user_id = ` + arg(f.UserID)
	}
	if f.Status != "" {
		q += ` AND t.status = ` + arg(f.Status)
	}
	if f.Search != "" {
		like := arg(containsPattern(strings.ToLower(f.Search)))
		q += ` AND (lower(t.description) LIKE ` + like + ` ESCAPE '\' OR lower(u.username) LIKE ` + like + ` ESCAPE '\' OR t.last4 = ` + arg(f.Search) + `)`
	}
	q += ` ORDER BY t.created_at DESC, t.id DESC`
	rows, err := s.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	defer rows.Close()
	out := []*tc.Token{}
	for rows.Next() {
		t, err := scanTokenWithOwner(rows)
		if err != nil {
			return nil, fmt.Errorf("list tokens: %w", err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	return out, nil
}

// TokenByID returns a token with its owner. When ownerID is not empty, only a
// token of that user is found: another user's token is ENOTFOUND, exactly as
// a missing one, so that ids do not leak. Errors: ENOTFOUND.
func (s *Store) TokenByID(ctx context.Context, id, ownerID string) (*tc.Token, error) {
	return tokenByID(ctx, s.read, id, ownerID)
}

type queryRower interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func tokenByID(ctx context.Context, db queryRower, id, ownerID string) (*tc.Token, error) {
	t, err := scanTokenWithOwner(db.QueryRowContext(ctx, `SELECT `+qualifiedTokenColumns+`, `+tokenOwnerColumns+tokenWithOwner+
		` WHERE t.id = $1 AND ($2 = '' OR t.user_id = $2)`, id, ownerID))
	if err == sql.ErrNoRows {
		return nil, notFound("token")
	}
	if err != nil {
		return nil, translate(fmt.Errorf("get token: %w", err))
	}
	return t, nil
}

// RevokeToken marks a token revoked for good, keeping its record. ownerID
// scopes it as in TokenByID. Errors: ENOTFOUND, ECONFLICT (already revoked).
func (s *Store) RevokeToken(ctx context.Context, id, ownerID string) (*tc.Token, error) {
	var t *tc.Token
	err := s.withTx(ctx, func(tx *Tx) error {
		var err error
		if t, err = tokenByID(ctx, tx, id, ownerID); err != nil {
			return err
		}
		if t.Status == tc.TokenRevoked {
			return tc.Errorf(tc.ECONFLICT, "token is already revoked")
		}
		res, err := tx.ExecContext(ctx, `UPDATE tokens SET status = $1, revoked_at = $2 WHERE id = $3 AND status = $4`,
			tc.TokenRevoked, ms(tx.now), id, tc.TokenActive)
		if err != nil {
			return fmt.Errorf("revoke token: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 { // revoked by a concurrent request
			return tc.Errorf(tc.ECONFLICT, "token is already revoked")
		}
		t.Status, t.RevokedAt = tc.TokenRevoked, &tx.now
		tx.announce(ctx, tc.EntityToken, tc.OpRevoke, id)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// ReassignToken moves a token to another user, narrowing its permissions to
// the new owner's role. The new owner must exist and not be disabled.
// check, when set, sees the token and both users first and may refuse.
// Errors: ENOTFOUND (token), EINVALID (userId), and whatever check returns.
func (s *Store) ReassignToken(ctx context.Context, id, userID string, check func(t *tc.Token, from, to *tc.User) error) (*tc.Token, error) {
	var t *tc.Token
	err := s.withTx(ctx, func(tx *Tx) error {
		var err error
		if t, err = tokenByID(ctx, tx, id, ""); err != nil {
			return err
		}
		u, err := scanUser(tx.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1`, userID))
		if err == sql.ErrNoRows {
			return tc.FieldErrorf("userId", "no user with id %q", userID)
		} else if err != nil {
			return fmt.Errorf("reassign token: %w", err)
		}
		if u.Disabled {
			return tc.FieldErrorf("userId", "user %s is disabled; tokens can only be reassigned to an active user", u.Username)
		}
		if check != nil {
			from := &tc.User{ID: t.UserID}
			if o := t.Owner; o != nil {
				from = &tc.User{ID: o.ID, Username: o.Username, Email: o.Email, Role: o.Role, Disabled: o.Disabled}
			}
			if err := check(t, from, u); err != nil {
				return err
			}
		}
		t.Permissions = tc.EffectivePermissions(u.Role, t.Permissions).List()
		if _, err := tx.ExecContext(ctx, `UPDATE tokens SET user_id = $1, permissions = $2 WHERE id = $3`,
			u.ID, joinPermissions(t.Permissions), id); err != nil {
			return fmt.Errorf("reassign token: %w", err)
		}
		tx.describe(tc.EntityToken, id, t.Description, map[string]any{"owner": [2]string{t.UserID, u.ID}, "permissions": t.Permissions})
		t.UserID = u.ID
		t.Owner = &tc.TokenOwner{ID: u.ID, Username: u.Username, Email: u.Email, Role: u.Role, Disabled: u.Disabled}
		tx.announce(ctx, tc.EntityToken, tc.OpReassign, id)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// DeleteToken removes a token's record. ownerID scopes it as in TokenByID.
// Errors: ENOTFOUND.
func (s *Store) DeleteToken(ctx context.Context, id, ownerID string) error {
	return s.withTx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM tokens WHERE id = $1 AND ($2 = '' OR user_id = $2)`, id, ownerID)
		if err != nil {
			return fmt.Errorf("delete token: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return notFound("token")
		}
		tx.announce(ctx, tc.EntityToken, tc.OpDelete, id)
		return nil
	})
}

// TouchTokens records when tokens were last used (the auth package's
// background writer calls it). Unknown ids are ignored; a time never moves
// backwards.
func (s *Store) TouchTokens(ctx context.Context, lastUsed map[string]time.Time) error {
	return s.withTx(ctx, func(tx *Tx) error {
		for id, at := range lastUsed {
			if _, err := tx.ExecContext(ctx, `UPDATE tokens SET last_used_at = $1 WHERE id = $2 AND (last_used_at IS NULL OR last_used_at < $1)`,
				ms(at), id); err != nil {
				return fmt.Errorf("record token use: %w", err)
			}
		}
		return nil
	})
}
