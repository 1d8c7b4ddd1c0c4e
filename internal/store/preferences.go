package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/telegrafcontroller/tc"
)

// Preferences returns the UI preferences of user id: the zero value (the
// defaults) when they never chose.
func (s *Store) Preferences(ctx context.Context, userID string) (tc.Preferences, error) {
	var p tc.Preferences
	var raw string
	err := s.read.QueryRowContext(ctx, `SELECT preferences FROM user_preferences WHERE user_id = $1`, userID).Scan(&raw)
	switch {
	case err == sql.ErrNoRows:
		return p, nil
	case err != nil:
		return p, fmt.Errorf("get preferences: %w", err)
	}
	if err := json.Unmarshal([]byte(raw), &p); err != nil {
		return tc.Preferences{}, nil // a row this version cannot read: the defaults
	}
	return p, nil
}

// SetPreferences replaces the UI preferences of user id and announces it
// (preferences.update, the user's id; the audit entry's details hold the
// preferences, names only). Errors: ENOTFOUND for a user that does not
// exist.
func (s *Store) SetPreferences(ctx context.Context, userID string, p tc.Preferences) error {
	raw, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("set preferences: %w", err)
	}
	return s.withTx(ctx, func(tx *Tx) error {
		var username string
		err := tx.QueryRowContext(ctx, `SELECT username FROM users WHERE id = $1`, userID).Scan(&username)
		if err == sql.ErrNoRows {
			return notFound("user")
		}
		if err != nil {
			return fmt.Errorf("set preferences: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO user_preferences (user_id, preferences, updated_at) VALUES ($1, $2, $3)
			ON CONFLICT (user_id) DO UPDATE SET preferences = excluded.preferences, updated_at = excluded.updated_at`,
			userID, string(raw), ms(tx.now)); err != nil {
			return fmt.Errorf("set preferences: %w", err)
		}
		tx.announce(ctx, tc.EntityPreferences, tc.OpUpdate, userID)
		tx.describe(tc.EntityPreferences, userID, username, p)
		return nil
	})
}
