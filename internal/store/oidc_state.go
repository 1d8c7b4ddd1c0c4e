package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/telegrafcontroller/tc"
)

// SaveOIDCState stores st (CreatedAt is set to the store's clock) and
// prunes the states that have expired: abandoned sign-ins leave rows
// behind, and this is the one place that writes them. Errors: ECONFLICT
// when the state hash is already stored.
func (s *Store) SaveOIDCState(ctx context.Context, st tc.OIDCState) error {
	err := s.withTx(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM oidc_states WHERE expires_at <= $1`, ms(tx.now)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO oidc_states (state_hash, nonce, verifier, binding_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)`,
			st.StateHash, st.Nonce, st.Verifier, st.BindingHash, ms(tx.now), ms(st.ExpiresAt))
		return err
	})
	if err != nil {
		return fmt.Errorf("save oidc state: %w", err)
	}
	return nil
}

// TakeOIDCState deletes the state stored under stateHash and returns it,
// in one statement, so that a state is used at most once even when two
// nodes receive the same callback. Errors: ENOTFOUND when no such state is
// stored (never saved, already taken) or it has expired.
func (s *Store) TakeOIDCState(ctx context.Context, stateHash string) (tc.OIDCState, error) {
	var st tc.OIDCState
	var now time.Time
	err := s.withTx(ctx, func(tx *Tx) error {
		now = tx.now
		var created, expires int64
		err := tx.QueryRowContext(ctx, `DELETE FROM oidc_states WHERE state_hash = $1 RETURNING state_hash, nonce, verifier, binding_hash, created_at, expires_at`, stateHash).
			Scan(&st.StateHash, &st.Nonce, &st.Verifier, &st.BindingHash, &created, &expires)
		if err == sql.ErrNoRows {
			return notFound("sign-in state")
		}
		if err != nil {
			return err
		}
		st.CreatedAt, st.ExpiresAt = fromMS(created), fromMS(expires)
		return nil
	})
	if err != nil {
		return tc.OIDCState{}, fmt.Errorf("take oidc state: %w", err)
	}
	// Checked after the commit, so that an expired state is deleted all
	// the same: it is of no further use.
	if !now.Before(st.ExpiresAt) {
		return tc.OIDCState{}, tc.Errorf(tc.ENOTFOUND, "sign-in state expired")
	}
	return st, nil
}
