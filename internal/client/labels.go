package client

import (
	"context"
	"net/http"

	"github.com/telegrafcontroller/tc"
)

// LabelRequest is the body of a label's creation or change.
type LabelRequest struct {
	Name        *string `json:"name,omitempty"`
	Color       *string `json:"color,omitempty"`
	Description *string `json:"description,omitempty"`
}

// Labels lists every label.
func (c *Client) Labels(ctx context.Context) ([]*tc.Label, error) {
	var out List[*tc.Label]
	return out.Items, c.Do(ctx, http.MethodGet, "/api/labels", nil, nil, &out)
}

// CreateLabel creates a label.
func (c *Client) CreateLabel(ctx context.Context, req LabelRequest) (*tc.Label, error) {
	var out tc.Label
	return &out, c.Do(ctx, http.MethodPost, "/api/labels", nil, req, &out)
}

// UpdateLabel changes label id.
func (c *Client) UpdateLabel(ctx context.Context, id string, req LabelRequest) (*tc.Label, error) {
	var out tc.Label
	return &out, c.Do(ctx, http.MethodPatch, "/api/labels/"+seg(id), nil, req, &out)
}

// DeleteLabel deletes label id, detaching it from every config and agent.
func (c *Client) DeleteLabel(ctx context.Context, id string) error {
	return c.Do(ctx, http.MethodDelete, "/api/labels/"+seg(id), nil, nil, nil)
}
