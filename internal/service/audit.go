package service

import (
	"context"
	"slices"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/store"
)

// Audit reads the audit log (docs/audit.md): owners and administrators,
// and their tokens that carry audit:read. Entries stay readable when the
// log is turned off.
type Audit struct {
	Store *store.Store
}

// MaxAuditPageSize is the largest page, and the default (upstream's).
const MaxAuditPageSize = 9999

var auditOutcomes = []string{tc.OutcomeSuccess, tc.OutcomeFailure, tc.OutcomeDenied}

// List returns one page of the entries f selects, newest first, and how
// many it selects. Errors: EUNAUTHORIZED, EFORBIDDEN, EINVALID.
func (a *Audit) List(ctx context.Context, f tc.AuditFilter) ([]tc.AuditEntry, int64, error) {
	if err := a.CheckExport(ctx, f); err != nil {
		return nil, 0, err
	}
	if f.Limit == 0 {
		f.Limit = MaxAuditPageSize
	}
	return a.Store.AuditEntries(ctx, f)
}

// Each calls fn with every entry f selects, oldest first (exports).
// Errors: EUNAUTHORIZED, EFORBIDDEN, EINVALID, and fn's.
func (a *Audit) Each(ctx context.Context, f tc.AuditFilter, fn func(tc.AuditEntry) error) error {
	if err := a.CheckExport(ctx, f); err != nil {
		return err
	}
	return a.Store.EachAuditEntry(ctx, f, fn)
}

// CheckExport refuses a read of f that List or Each would refuse (an export
// checks before its first byte is sent). Errors: EUNAUTHORIZED,
// EFORBIDDEN, EINVALID.
func (a *Audit) CheckExport(ctx context.Context, f tc.AuditFilter) error {
	if _, err := require(ctx, tc.Perm(tc.ResAudit, tc.ActionRead)); err != nil {
		return err
	}
	return validateAuditFilter(f)
}

// Verify recomputes the chain. Errors: EUNAUTHORIZED, EFORBIDDEN.
func (a *Audit) Verify(ctx context.Context) (tc.AuditVerification, error) {
	if _, err := require(ctx, tc.Perm(tc.ResAudit, tc.ActionRead)); err != nil {
		return tc.AuditVerification{}, err
	}
	return a.Store.VerifyAudit(ctx)
}

func validateAuditFilter(f tc.AuditFilter) error {
	if f.Outcome != "" && !slices.Contains(auditOutcomes, f.Outcome) {
		return tc.FieldErrorf("outcome", "outcome must be Success, Failure or Denied")
	}
	if !f.From.IsZero() && !f.To.IsZero() && f.To.Before(f.From) {
		return tc.FieldErrorf("to", "to must not be before from")
	}
	if len(f.Q) > 200 {
		return tc.FieldErrorf("q", "q must be at most 200 characters")
	}
	return nil
}
