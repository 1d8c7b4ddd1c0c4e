package client

import (
	"context"
	"net/http"

	"github.com/telegrafcontroller/tc"
)

// Constants lists every constant with the configs using it.
func (c *Client) Constants(ctx context.Context) ([]*tc.Constant, error) {
	var out List[*tc.Constant]
	return out.Items, c.Do(ctx, http.MethodGet, "/api/constants", nil, nil, &out)
}

// CreateConstant creates a constant.
func (c *Client) CreateConstant(ctx context.Context, name, value, description string) (*tc.Constant, error) {
	var out tc.Constant
	body := map[string]string{"name": name, "value": value, "description": description}
	return &out, c.Do(ctx, http.MethodPost, "/api/constants", nil, body, &out)
}

// UpdateConstant changes a constant's value and, when not nil, description.
func (c *Client) UpdateConstant(ctx context.Context, name string, value, description *string) (*tc.Constant, error) {
	var out tc.Constant
	body := map[string]*string{}
	if value != nil {
		body["value"] = value
	}
	if description != nil {
		body["description"] = description
	}
	return &out, c.Do(ctx, http.MethodPatch, "/api/constants/"+seg(name), nil, body, &out)
}

// DeleteConstant deletes an unused constant.
func (c *Client) DeleteConstant(ctx context.Context, name string) error {
	return c.Do(ctx, http.MethodDelete, "/api/constants/"+seg(name), nil, nil, nil)
}
