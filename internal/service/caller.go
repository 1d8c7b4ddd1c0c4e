package service

import (
	"context"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/auth"
)

// require returns the signed-in caller in ctx when they hold perm. Routes
// already check the permission their endpoint needs; services check it again
// so that every adapter (UI, API, command line) gets the same answer, and a
// page reading something optional learns EFORBIDDEN instead of data.
// The caller's User is nil only on a route the operator exempted from
// authentication (tc.WithExempt). Errors: EUNAUTHORIZED, EFORBIDDEN.
func require(ctx context.Context, perm tc.Permission) (*tc.Caller, error) {
	c := tc.CallerFromContext(ctx)
	if c == nil {
		return nil, tc.Errorf(tc.EUNAUTHORIZED, auth.MsgMissing)
	}
	if perm != "" && !c.Can(perm) {
		return nil, auth.Forbidden(perm)
	}
	return c, nil
}
