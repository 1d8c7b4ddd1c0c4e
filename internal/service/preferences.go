package service

import (
	"context"

	"github.com/telegrafcontroller/tc"
)

// personal is the caller for a person's own preferences: someone signed in
// with a session. A token acts for its owner through the API, but what it
// would choose here is a view in a browser, which it has none of.
func personal(ctx context.Context) (*tc.Caller, error) {
	c, _, err := signedIn(ctx, "")
	if err != nil {
		return nil, err
	}
	if c.Token != nil {
		return nil, tc.Errorf(tc.EFORBIDDEN, "Preferences belong to a person signed in to the UI: API tokens cannot read or change them")
	}
	return c, nil
}

// Preferences returns the caller's UI preferences, defaults filled in.
// Errors: EUNAUTHORIZED, EFORBIDDEN for a token.
func (s *Users) Preferences(ctx context.Context) (tc.Preferences, error) {
	c, err := personal(ctx)
	if err != nil {
		return tc.Preferences{}, err
	}
	p, err := s.Store.Preferences(ctx, c.User.ID)
	if err != nil {
		return tc.Preferences{}, err
	}
	return p.Normalized(), nil
}

// SetPreferences replaces the caller's UI preferences and returns them as
// stored, defaults filled in. Errors: EUNAUTHORIZED, EFORBIDDEN for a
// token, EINVALID naming agentColumns.
func (s *Users) SetPreferences(ctx context.Context, p tc.Preferences) (tc.Preferences, error) {
	c, err := personal(ctx)
	if err != nil {
		return tc.Preferences{}, err
	}
	if err := p.Validate(); err != nil {
		return tc.Preferences{}, err
	}
	if p.AgentColumns != nil {
		p = p.Normalized() // in display order; nil keeps following the defaults
	}
	if err := s.Store.SetPreferences(ctx, c.User.ID, p); err != nil {
		return tc.Preferences{}, err
	}
	return p.Normalized(), nil
}
