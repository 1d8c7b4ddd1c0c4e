package client

import (
	"context"
	"net/http"
)

// Health is what the controller's health endpoints answer.
type Health struct {
	Live  bool `json:"live"`
	Ready bool `json:"ready"`
}

// Health asks /health/live and /health/ready; a 503 is an answer (not
// ready), not an error. Errors are for a controller that cannot be reached.
func (c *Client) Health(ctx context.Context) (*Health, error) {
	var h Health
	if err := c.Do(ctx, http.MethodGet, "/health/live", nil, nil, nil); err != nil {
		if StatusOf(err) == 0 {
			return nil, err
		}
		return &h, nil
	}
	h.Live = true
	err := c.Do(ctx, http.MethodGet, "/health/ready", nil, nil, nil)
	if err != nil && StatusOf(err) == 0 {
		return nil, err
	}
	h.Ready = err == nil
	return &h, nil
}
