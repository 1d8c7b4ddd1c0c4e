package client

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/telegrafcontroller/tc"
)

// Problem is one finding of the controller's TOML validation.
type Problem struct {
	Severity string `json:"severity"`
	Message  string `json:"message"`
	Line     int    `json:"line"`
	Column   int    `json:"column"`
}

// ConfigRequest is the body of a config's creation or change; nil fields
// are left alone by a change.
type ConfigRequest struct {
	Name        *string   `json:"name,omitempty"`
	Description *string   `json:"description,omitempty"`
	TOML        *string   `json:"toml,omitempty"`
	LabelIDs    *[]string `json:"labelIds,omitempty"`
	ChangeNote  string    `json:"changeNote,omitempty"`
}

// SavedConfig is a config as a creation or change answers it: with the
// warnings of the TOML sent.
type SavedConfig struct {
	tc.Config
	Warnings []Problem `json:"warnings,omitempty"`
}

// ConfigFilter selects configs of a list.
type ConfigFilter struct {
	Search    string
	LabelID   string
	SortBy    string
	SortOrder string
	WithTOML  bool
	Max       int // at most this many (0: all)
}

// Configs lists configs, every page of them.
func (c *Client) Configs(ctx context.Context, f ConfigFilter) ([]*tc.Config, int64, error) {
	q := url.Values{}
	set(q, "search", f.Search)
	set(q, "labelId", f.LabelID)
	set(q, "sortBy", f.SortBy)
	set(q, "sortOrder", f.SortOrder)
	if f.WithTOML {
		q.Set("include", "toml")
	}
	return all[*tc.Config](ctx, c, "/api/configs", q, 500, f.Max)
}

// Config reads a config by id or alias.
func (c *Client) Config(ctx context.Context, ref string) (*tc.Config, error) {
	var out tc.Config
	return &out, c.Do(ctx, http.MethodGet, "/api/configs/"+seg(ref), nil, nil, &out)
}

// CreateConfig creates a config.
func (c *Client) CreateConfig(ctx context.Context, req ConfigRequest) (*SavedConfig, error) {
	var out SavedConfig
	return &out, c.Do(ctx, http.MethodPost, "/api/configs", nil, req, &out)
}

// UpdateConfig changes config id.
func (c *Client) UpdateConfig(ctx context.Context, id string, req ConfigRequest) (*SavedConfig, error) {
	var out SavedConfig
	return &out, c.Do(ctx, http.MethodPatch, "/api/configs/"+seg(id), nil, req, &out)
}

// DeleteConfig deletes config id.
func (c *Client) DeleteConfig(ctx context.Context, id string) error {
	return c.Do(ctx, http.MethodDelete, "/api/configs/"+seg(id), nil, nil, nil)
}

// Validation is the controller's report on a TOML document.
type Validation struct {
	Valid    bool      `json:"valid"`
	Errors   []Problem `json:"errors"`
	Warnings []Problem `json:"warnings"`
}

// ValidateConfig asks the controller to validate toml without saving it.
func (c *Client) ValidateConfig(ctx context.Context, toml string) (*Validation, error) {
	var out Validation
	return &out, c.Do(ctx, http.MethodPost, "/api/configs/validate", nil, map[string]string{"toml": toml}, &out)
}

// RenderConfig returns config ref's TOML rendered with params, as an agent
// gets it.
func (c *Client) RenderConfig(ctx context.Context, ref string, params url.Values) (string, error) {
	return c.Text(ctx, "/api/configs/"+seg(ref)+"/toml", params)
}

// ConfigVersion is one recorded TOML of a config (TOML only when one version
// is read).
type ConfigVersion struct {
	Version    int       `json:"version"`
	Note       string    `json:"note"`
	AuthorID   string    `json:"authorId"`
	AuthorName string    `json:"authorName"`
	CreatedAt  time.Time `json:"createdAt"`
	Current    bool      `json:"current"`
	TOML       *string   `json:"toml,omitempty"`
}

// ConfigVersions lists config ref's versions, newest first.
func (c *Client) ConfigVersions(ctx context.Context, ref string) ([]ConfigVersion, error) {
	var out List[ConfigVersion]
	return out.Items, c.Do(ctx, http.MethodGet, "/api/configs/"+seg(ref)+"/versions", nil, nil, &out)
}

// ConfigVersion reads one version with its TOML.
func (c *Client) ConfigVersion(ctx context.Context, ref string, version int) (*ConfigVersion, error) {
	var out ConfigVersion
	return &out, c.Do(ctx, http.MethodGet, fmt.Sprintf("/api/configs/%s/versions/%d", seg(ref), version), nil, nil, &out)
}

// VersionDiff is the unified diff between two versions.
type VersionDiff struct {
	From      int    `json:"from"`
	To        int    `json:"to"`
	Identical bool   `json:"identical"`
	Diff      string `json:"diff"`
}

// DiffConfigVersions diffs two versions of config ref.
func (c *Client) DiffConfigVersions(ctx context.Context, ref string, from, to int) (*VersionDiff, error) {
	q := url.Values{"from": {fmt.Sprint(from)}, "to": {fmt.Sprint(to)}}
	var out VersionDiff
	return &out, c.Do(ctx, http.MethodGet, "/api/configs/"+seg(ref)+"/versions/diff", q, nil, &out)
}

// RollbackConfig records a new version of config ref holding version's TOML.
func (c *Client) RollbackConfig(ctx context.Context, ref string, version int, note string) (*tc.Config, error) {
	var out tc.Config
	body := map[string]string{}
	if note != "" {
		body["note"] = note
	}
	return &out, c.Do(ctx, http.MethodPost, fmt.Sprintf("/api/configs/%s/versions/%d/rollback", seg(ref), version), nil, body, &out)
}

func set(q url.Values, k, v string) {
	if v != "" {
		q.Set(k, v)
	}
}
