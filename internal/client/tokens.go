package client

import (
	"context"
	"net/http"
	"net/url"

	"github.com/telegrafcontroller/tc"
)

// CreatedToken is the answer to a token's creation, the only one that holds
// its value (Secret).
type CreatedToken struct {
	tc.TokenInfo
	Secret            string          `json:"token"`
	DeniedPermissions []tc.Permission `json:"deniedPermissions"`
}

// Tokens lists the tokens the caller may see; status, userID and search
// filter when not empty.
func (c *Client) Tokens(ctx context.Context, status, userID, search string) ([]tc.TokenInfo, error) {
	q := url.Values{}
	set(q, "status", status)
	set(q, "userId", userID)
	set(q, "search", search)
	var out List[tc.TokenInfo]
	return out.Items, c.Do(ctx, http.MethodGet, "/api/tokens", q, nil, &out)
}

// Token reads one token (never its value).
func (c *Client) Token(ctx context.Context, id string) (*tc.TokenInfo, error) {
	var out tc.TokenInfo
	return &out, c.Do(ctx, http.MethodGet, "/api/tokens/"+seg(id), nil, nil, &out)
}

// CreateToken creates a token for the caller.
func (c *Client) CreateToken(ctx context.Context, req tc.TokenRequest) (*CreatedToken, error) {
	var out CreatedToken
	return &out, c.Do(ctx, http.MethodPost, "/api/tokens", nil, req, &out)
}

// RevokeToken revokes a token for good.
func (c *Client) RevokeToken(ctx context.Context, id string) (*tc.TokenInfo, error) {
	var out tc.TokenInfo
	return &out, c.Do(ctx, http.MethodPost, "/api/tokens/"+seg(id)+"/revoke", nil, nil, &out)
}

// DeleteToken deletes a token's record.
func (c *Client) DeleteToken(ctx context.Context, id string) error {
	return c.Do(ctx, http.MethodDelete, "/api/tokens/"+seg(id), nil, nil, nil)
}

// TokenPresets lists the permission presets as they apply to the caller.
func (c *Client) TokenPresets(ctx context.Context) ([]tc.TokenPreset, error) {
	var out List[tc.TokenPreset]
	return out.Items, c.Do(ctx, http.MethodGet, "/api/tokens/presets", nil, nil, &out)
}
