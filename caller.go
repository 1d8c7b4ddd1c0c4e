package tc

import "context"

// Caller is the authenticated identity behind a request: a user signed in
// with a session, or a user's API token. Permissions are the effective ones
// (for a token, its requested permissions ∩ its owner's role). A Caller is
// shared by every request of the same token (internal/auth caches it):
// never modify one.
type Caller struct {
	User        *User
	Token       *Token // nil for a session
	SessionHash string // "" for a token
	Permissions PermissionSet
}

// WithExempt returns a caller that also holds p, for a route whose group the
// operator exempted from authentication (DISABLED_AUTH_ENDPOINTS): anyone may
// act there, so services see a caller holding the route's permission. c may
// be nil (no credentials): the result then has no User. c is not modified.
func WithExempt(c *Caller, p Permission) *Caller {
	out := &Caller{Permissions: NewPermissionSet(p)}
	if c != nil {
		out.User, out.Token, out.SessionHash = c.User, c.Token, c.SessionHash
		for q := range c.Permissions {
			out.Permissions[q] = struct{}{}
		}
	}
	return out
}

// Can reports whether the caller holds p.
func (c *Caller) Can(p Permission) bool { return c != nil && c.Permissions.Has(p) }

type callerKey struct{}

// NewContextWithCaller returns ctx carrying c, and notes c in the request's
// audit record if ctx has one.
func NewContextWithCaller(ctx context.Context, c *Caller) context.Context {
	NoteCaller(ctx, c)
	return context.WithValue(ctx, callerKey{}, c)
}

// NoteCaller notes c in the request's audit record, if ctx has one, for a
// handler that authenticates but passes no caller on (the heartbeat).
func NoteCaller(ctx context.Context, c *Caller) {
	if rec, _ := ctx.Value(recordKey{}).(*RequestRecord); rec != nil {
		rec.Caller = c
	}
}

// CallerFromContext returns the caller stored in ctx, or nil.
func CallerFromContext(ctx context.Context) *Caller {
	c, _ := ctx.Value(callerKey{}).(*Caller)
	return c
}
