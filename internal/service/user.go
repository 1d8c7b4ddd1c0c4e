package service

import (
	"context"
	"time"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/store"
)

// Users is the user-account service. Who may act on whom is tc.CanManage;
// reads need users:read, checked where the route or page is declared.
type Users struct {
	Store *store.Store
	Now   func() time.Time
}

// List returns every user. Errors: EUNAUTHORIZED.
func (s *Users) List(ctx context.Context) ([]tc.UserInfo, error) {
	if _, _, err := signedIn(ctx); err != nil {
		return nil, err
	}
	users, err := s.Store.ListUsers(ctx)
	if err != nil {
		return nil, err
	}
	now := s.Now()
	out := make([]tc.UserInfo, len(users))
	for i, u := range users {
		out[i] = u.Info(now)
	}
	return out, nil
}

// Get returns one user. Errors: EUNAUTHORIZED, ENOTFOUND.
func (s *Users) Get(ctx context.Context, id string) (tc.UserInfo, error) {
	if _, _, err := signedIn(ctx); err != nil {
		return tc.UserInfo{}, err
	}
	u, err := s.Store.UserByID(ctx, id)
	if err != nil {
		return tc.UserInfo{}, err
	}
	return u.Info(s.Now()), nil
}
