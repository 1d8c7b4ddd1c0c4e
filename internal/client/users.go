package client

import (
	"context"
	"net/http"

	"github.com/telegrafcontroller/tc"
)

// UserPatch changes a user's role or disabled flag.
type UserPatch struct {
	Role     *string `json:"role,omitempty"`
	Disabled *bool   `json:"disabled,omitempty"`
}

// Users lists every user.
func (c *Client) Users(ctx context.Context) ([]*tc.User, error) {
	var out List[*tc.User]
	return out.Items, c.Do(ctx, http.MethodGet, "/api/users", nil, nil, &out)
}

// User reads one user.
func (c *Client) User(ctx context.Context, id string) (*tc.User, error) {
	var out tc.User
	return &out, c.Do(ctx, http.MethodGet, "/api/users/"+seg(id), nil, nil, &out)
}

// UpdateUser changes a user.
func (c *Client) UpdateUser(ctx context.Context, id string, p UserPatch) (*tc.User, error) {
	var out tc.User
	return &out, c.Do(ctx, http.MethodPatch, "/api/users/"+seg(id), nil, p, &out)
}

// DeleteUser deletes a user with their tokens and sessions.
func (c *Client) DeleteUser(ctx context.Context, id string) error {
	return c.Do(ctx, http.MethodDelete, "/api/users/"+seg(id), nil, nil, nil)
}

// Me describes the caller: who the token acts as, and what it may do.
type Me struct {
	AuthMethod  string          `json:"authMethod"`
	Permissions []tc.Permission `json:"permissions"`
	Role        tc.Role         `json:"role"`
	User        *tc.User        `json:"user"`
}

// Me asks who the caller is.
func (c *Client) Me(ctx context.Context) (*Me, error) {
	var out Me
	return &out, c.Do(ctx, http.MethodGet, "/api/auth/me", nil, nil, &out)
}
