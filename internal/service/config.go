package service

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strconv"
	"strings"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/store"
	"github.com/telegrafcontroller/tc/internal/telegraf"
)

// Limits of the config service.
const (
	MaxConfigPage      = 1_000_000
	MaxConfigLimit     = 500
	DefaultConfigLimit = 50
	MaxConfigLabels    = 100
	MaxBulkConfigIDs   = 1000
)

// Configs is the configuration service: configs and their versions
// (config_version.go). Each method checks its configs:* permission again
// (require), so the UI and the API get the same answer.
type Configs struct {
	Store  *store.Store
	Logger *slog.Logger
	// TLS reports whether the heartbeat listener serves HTTPS, for the
	// heartbeat URL of a config created without TOML.
	TLS bool
	// HeartbeatPort is the heartbeat listener's port, for that URL when no
	// public heartbeat URL is set (internal/app sets it once listening).
	HeartbeatPort int
	// PublicHeartbeatURL returns the public heartbeat URL setting ("" when
	// unset); nil means no such setting.
	PublicHeartbeatURL func(ctx context.Context) string
}

func (s *Configs) log() *slog.Logger { return logger(s.Logger) }

func logger(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.New(slog.DiscardHandler)
	}
	return l
}

// authorID is who a change is recorded as made by: the caller's user, or ""
// on a route exempted from authentication.
func authorID(c *tc.Caller) string {
	if c.User == nil {
		return ""
	}
	return c.User.ID
}

// ConfigRequest is a config to create, or the change of one (absent fields
// are left alone by Update). It is the body of POST and PATCH /api/configs.
type ConfigRequest struct {
	Name        *string   `json:"name"`
	Description *string   `json:"description"`
	TOML        *string   `json:"toml"`
	LabelIDs    *[]string `json:"labelIds"`
	ChangeNote  string    `json:"changeNote"`
}

// check validates the fields present, normalising the name, and returns
// the warnings of the TOML sent (warnings do not block a save).
func (req *ConfigRequest) check() ([]telegraf.Problem, error) {
	if req.Name != nil {
		name, err := tc.ValidateConfigName(*req.Name)
		if err != nil {
			return nil, err
		}
		req.Name = &name
	}
	if req.Description != nil && len(*req.Description) > tc.MaxConfigDescriptionLen {
		return nil, tc.FieldErrorf("description", "description must be at most %d characters", tc.MaxConfigDescriptionLen)
	}
	if req.LabelIDs != nil && len(*req.LabelIDs) > MaxConfigLabels {
		return nil, tc.FieldErrorf("labelIds", "at most %d labels", MaxConfigLabels)
	}
	if err := tc.ValidateChangeNote(req.ChangeNote); err != nil {
		return nil, err
	}
	if req.TOML == nil {
		return nil, nil
	}
	rep := telegraf.Validate(*req.TOML)
	if err := rep.Err(); err != nil {
		return nil, tc.FieldErrorf("toml", "invalid TOML at %s", err)
	}
	return rep.Warnings, nil
}

// List returns a page of configs and how many match f. Zero Page and Limit
// take their defaults, as do empty SortBy and SortOrder.
// Errors: EUNAUTHORIZED, EFORBIDDEN, EINVALID.
func (s *Configs) List(ctx context.Context, f tc.ConfigFilter) ([]*tc.Config, int, error) {
	if _, err := require(ctx, tc.Perm(tc.ResConfigs, tc.ActionRead)); err != nil {
		return nil, 0, err
	}
	f.Search = strings.TrimSpace(f.Search)
	if err := pageOfList(&f.SortBy, &f.SortOrder, &f.Page, &f.Limit); err != nil {
		return nil, 0, err
	}
	return s.Store.ListConfigs(ctx, f)
}

// Get returns config id with its TOML. Errors: EUNAUTHORIZED, EFORBIDDEN,
// ENOTFOUND.
func (s *Configs) Get(ctx context.Context, id string) (*tc.Config, error) {
	if _, err := require(ctx, tc.Perm(tc.ResConfigs, tc.ActionRead)); err != nil {
		return nil, err
	}
	return s.Store.ConfigByID(ctx, id)
}

// Create stores a new config as its version 1, recorded as the caller's,
// and returns it with the warnings of its TOML. Without TOML it gets a
// heartbeat output pointing at this controller (DefaultTOML), addressed to
// host, the host the request came to, unless a public heartbeat URL is set.
// Errors: EUNAUTHORIZED, EFORBIDDEN, EINVALID, ECONFLICT.
func (s *Configs) Create(ctx context.Context, in ConfigRequest, host string) (*tc.Config, []telegraf.Problem, error) {
	c, err := require(ctx, tc.Perm(tc.ResConfigs, tc.ActionWrite))
	if err != nil {
		return nil, nil, err
	}
	if in.Name == nil {
		return nil, nil, tc.FieldErrorf("name", "name is required")
	}
	if in.TOML == nil || strings.TrimSpace(*in.TOML) == "" {
		t := s.DefaultTOML(ctx, host)
		in.TOML = &t
	}
	warnings, err := in.check()
	if err != nil {
		return nil, nil, err
	}
	cfg := &tc.Config{Name: *in.Name, TOML: *in.TOML, CreatedBy: authorID(c), LabelIDs: []string{}}
	if in.Description != nil {
		cfg.Description = *in.Description
	}
	if in.LabelIDs != nil {
		cfg.LabelIDs = *in.LabelIDs
	}
	if err := s.Store.CreateConfig(ctx, cfg, in.ChangeNote); err != nil {
		return nil, nil, err
	}
	s.log().Info("config created", "config_id", cfg.ID, By(c))
	return cfg, warnings, nil
}

// DefaultTOML is the TOML of a config created empty: a heartbeat output
// pointing at this controller, so that agents using it show up.
func (s *Configs) DefaultTOML(ctx context.Context, host string) string {
	return fmt.Sprintf(`[[outputs.heartbeat]]
  url = %q
  instance_id = "&{agent_id}"
  interval = "1m"
  include = ["hostname", "statistics", "configs", "logs", "status"]
  token = "${TELEGRAF_CONTROLLER_TOKEN}"
`, s.heartbeatBaseURL(ctx, host)+"/agents/heartbeat")
}

// heartbeatBaseURL is the public heartbeat URL setting, or else host (the
// host a request was addressed to) with the heartbeat port.
func (s *Configs) heartbeatBaseURL(ctx context.Context, host string) string {
	if s.PublicHeartbeatURL != nil {
		if u := strings.TrimRight(s.PublicHeartbeatURL(ctx), "/"); u != "" {
			return u
		}
	}
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.Trim(host, "[]")
	if host == "" {
		host = "localhost"
	}
	scheme := "http"
	if s.TLS {
		scheme = "https"
	}
	return scheme + "://" + net.JoinHostPort(host, strconv.Itoa(s.HeartbeatPort))
}

// Update applies in to config id; a changed TOML becomes a new version
// recorded as the caller's. It returns the config with the warnings of the
// TOML sent. Errors: EUNAUTHORIZED, EFORBIDDEN, EINVALID, ENOTFOUND,
// ECONFLICT.
func (s *Configs) Update(ctx context.Context, id string, in ConfigRequest) (*tc.Config, []telegraf.Problem, error) {
	c, err := require(ctx, tc.Perm(tc.ResConfigs, tc.ActionWrite))
	if err != nil {
		return nil, nil, err
	}
	warnings, err := in.check()
	if err != nil {
		return nil, nil, err
	}
	cfg, err := s.Store.UpdateConfig(ctx, id, tc.ConfigUpdate{
		Name: in.Name, Description: in.Description, TOML: in.TOML, LabelIDs: in.LabelIDs, ChangeNote: in.ChangeNote,
	}, authorID(c))
	if err != nil {
		return nil, nil, err
	}
	s.log().Info("config changed", "config_id", cfg.ID, "version", cfg.CurrentVersion, By(c))
	return cfg, warnings, nil
}

// Delete removes config id with its versions; it is refused while agents
// that report use it. Errors: EUNAUTHORIZED, EFORBIDDEN, ENOTFOUND, ECONFLICT.
func (s *Configs) Delete(ctx context.Context, id string) error {
	c, err := require(ctx, tc.Perm(tc.ResConfigs, tc.ActionDelete))
	if err != nil {
		return err
	}
	if err := s.Store.DeleteConfigs(ctx, []string{id}); err != nil {
		return err
	}
	s.log().Info("config deleted", "config_id", id, By(c))
	return nil
}

// BulkDelete removes several configs, all or nothing, and returns how many
// distinct ids it deleted. Errors: EUNAUTHORIZED, EFORBIDDEN, EINVALID,
// ENOTFOUND, ECONFLICT.
func (s *Configs) BulkDelete(ctx context.Context, ids []string) (int, error) {
	c, err := require(ctx, tc.Perm(tc.ResConfigs, tc.ActionDelete))
	if err != nil {
		return 0, err
	}
	if len(ids) == 0 || len(ids) > MaxBulkConfigIDs {
		return 0, tc.FieldErrorf("ids", "ids must list between 1 and %d config ids", MaxBulkConfigIDs)
	}
	distinct := make([]string, 0, len(ids))
	for _, id := range ids {
		if !slices.Contains(distinct, id) {
			distinct = append(distinct, id)
		}
	}
	if err := s.Store.DeleteConfigs(ctx, distinct); err != nil {
		return 0, err
	}
	s.log().Info("configs deleted", "config_ids", distinct, By(c))
	return len(distinct), nil
}

// ValidateRequest is a TOML document to check without saving it.
type ValidateRequest struct {
	TOML *string `json:"toml"`
}

// Validate checks a TOML document without saving it: a document with
// errors is a report, not an error. Errors: EUNAUTHORIZED, EFORBIDDEN,
// EINVALID (no TOML).
func (s *Configs) Validate(ctx context.Context, in ValidateRequest) (telegraf.Report, error) {
	if _, err := require(ctx, tc.Perm(tc.ResConfigs, tc.ActionRead)); err != nil {
		return telegraf.Report{}, err
	}
	if in.TOML == nil {
		return telegraf.Report{}, tc.FieldErrorf("toml", "toml is required")
	}
	return telegraf.Validate(*in.TOML), nil
}

// pageOfList defaults and checks a config or group list's sort and page:
// by name ascending (updatedAt: newest first), page 1 of
// DefaultConfigLimit. Errors: EINVALID naming the field.
func pageOfList(sortBy, sortOrder *string, page, limit *int) error {
	switch *sortBy {
	case "":
		*sortBy = "name"
	case "name", "updatedAt":
	default:
		return tc.FieldErrorf("sortBy", "sortBy must be name or updatedAt")
	}
	switch *sortOrder {
	case "":
		*sortOrder = "asc"
		if *sortBy == "updatedAt" {
			*sortOrder = "desc"
		}
	case "asc", "desc":
	default:
		return tc.FieldErrorf("sortOrder", "sortOrder must be asc or desc")
	}
	if *page == 0 {
		*page = 1
	}
	if *page < 1 || *page > MaxConfigPage {
		return tc.FieldErrorf("page", "page must be an integer between 1 and %d", MaxConfigPage)
	}
	if *limit == 0 {
		*limit = DefaultConfigLimit
	}
	if *limit < 1 || *limit > MaxConfigLimit {
		return tc.FieldErrorf("limit", "limit must be an integer between 1 and %d", MaxConfigLimit)
	}
	return nil
}
