package client

import (
	"context"
	"net/http"
	"net/url"

	"github.com/telegrafcontroller/tc"
)

// GroupRequest is the body of a config group's creation or change.
type GroupRequest struct {
	Name        *string   `json:"name,omitempty"`
	Description *string   `json:"description,omitempty"`
	MemberIDs   *[]string `json:"memberIds,omitempty"`
	LabelIDs    *[]string `json:"labelIds,omitempty"`
}

// GroupView is a config group with its aliases and the agents using it.
type GroupView struct {
	tc.ConfigGroup
	Aliases    []tc.Alias `json:"aliases"`
	AgentCount int        `json:"agentCount"`
	Agents     []string   `json:"agents"`
}

// Groups lists config groups, every page of them.
func (c *Client) Groups(ctx context.Context, search, labelID string) ([]*tc.ConfigGroup, int64, error) {
	q := url.Values{}
	set(q, "search", search)
	set(q, "labelId", labelID)
	return all[*tc.ConfigGroup](ctx, c, "/api/config-groups", q, 500, 0)
}

// Group reads a config group by id or alias.
func (c *Client) Group(ctx context.Context, ref string) (*GroupView, error) {
	var out GroupView
	return &out, c.Do(ctx, http.MethodGet, "/api/config-groups/"+seg(ref), nil, nil, &out)
}

// CreateGroup creates a config group.
func (c *Client) CreateGroup(ctx context.Context, req GroupRequest) (*tc.ConfigGroup, error) {
	var out tc.ConfigGroup
	return &out, c.Do(ctx, http.MethodPost, "/api/config-groups", nil, req, &out)
}

// UpdateGroup changes config group id.
func (c *Client) UpdateGroup(ctx context.Context, id string, req GroupRequest) (*tc.ConfigGroup, error) {
	var out tc.ConfigGroup
	return &out, c.Do(ctx, http.MethodPatch, "/api/config-groups/"+seg(id), nil, req, &out)
}

// DeleteGroup deletes config group id (its configs stay).
func (c *Client) DeleteGroup(ctx context.Context, id string) error {
	return c.Do(ctx, http.MethodDelete, "/api/config-groups/"+seg(id), nil, nil, nil)
}

// RenderGroup returns group ref's TOML rendered with params.
func (c *Client) RenderGroup(ctx context.Context, ref string, params url.Values) (string, error) {
	return c.Text(ctx, "/api/config-groups/"+seg(ref)+"/toml", params)
}
