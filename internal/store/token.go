package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

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
		return nil, fmt.Errorf("get token: %w", err)
	}
	return t, nil
}
