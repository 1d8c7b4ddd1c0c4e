package store

import (
	"context"
	"fmt"

	"github.com/telegrafcontroller/tc"
)

// The audit forwarders' side of the log (internal/forward): each reads the
// entries after its cursor, in seq order, and moves its cursor once they
// are delivered (migration 0070).

// AuditEntriesAfter returns up to limit entries whose seq is above seq,
// oldest first.
func (s *Store) AuditEntriesAfter(ctx context.Context, seq int64, limit int) ([]tc.AuditEntry, error) {
	return s.auditRows(ctx, `SELECT `+auditColumns+` FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2`, seq, limit)
}

// AuditHeadSeq returns the seq of the newest entry of the log (0 for none
// yet).
func (s *Store) AuditHeadSeq(ctx context.Context) (int64, error) {
	var seq int64
	if err := s.read.QueryRowContext(ctx, `SELECT seq FROM audit_head WHERE id = 1`).Scan(&seq); err != nil {
		return 0, fmt.Errorf("read the audit head: %w", err)
	}
	return seq, nil
}

// AuditForwarderSeq returns the last seq the forwarder name delivered (0
// for a forwarder that never ran).
func (s *Store) AuditForwarderSeq(ctx context.Context, name string) (int64, error) {
	var seq int64
	err := s.read.QueryRowContext(ctx, `SELECT COALESCE(max(seq), 0) FROM audit_forwarders WHERE name = $1`, name).Scan(&seq)
	if err != nil {
		return 0, fmt.Errorf("read the %s forwarder's cursor: %w", name, err)
	}
	return seq, nil
}

// SetAuditForwarderSeq records that the forwarder name delivered every
// entry up to seq. The cursor only moves forward: an older seq (a node
// that lost the lead finishing a batch) leaves it as it is.
func (s *Store) SetAuditForwarderSeq(ctx context.Context, name string, seq int64) error {
	return s.withTx(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO audit_forwarders (name, seq) VALUES ($1, $2)
			ON CONFLICT (name) DO UPDATE SET seq = excluded.seq WHERE audit_forwarders.seq < excluded.seq`, name, seq)
		if err != nil {
			return fmt.Errorf("move the %s forwarder's cursor: %w", name, err)
		}
		return nil
	})
}
