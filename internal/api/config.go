package api

import (
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/httpx"
	"github.com/telegrafcontroller/tc/internal/telegraf"
)

// configRequest is the body of POST and PATCH /api/configs. Absent fields are
// left alone by PATCH.
type configRequest struct {
	Name        *string   `json:"name"`
	Description *string   `json:"description"`
	TOML        *string   `json:"toml"`
	LabelIDs    *[]string `json:"labelIds"`
	ChangeNote  string    `json:"changeNote"`

	warnings []telegraf.Problem // set by check
}

// check validates the fields present, normalising the name.
func (req *configRequest) check() error {
	if req.Name != nil {
		name, err := tc.CheckConfigName(*req.Name)
		if err != nil {
			return err
		}
		req.Name = &name
	}
	if req.Description != nil && len(*req.Description) > tc.MaxConfigDescriptionLen {
		return tc.FieldErrorf("description", "description must be at most %d characters", tc.MaxConfigDescriptionLen)
	}
	if req.LabelIDs != nil && len(*req.LabelIDs) > 100 {
		return tc.FieldErrorf("labelIds", "at most 100 labels")
	}
	if err := tc.CheckChangeNote(req.ChangeNote); err != nil {
		return err
	}
	if req.TOML != nil {
		rep := telegraf.Validate(*req.TOML)
		if err := rep.Err(); err != nil {
			return tc.FieldErrorf("toml", "invalid TOML at %s", err)
		}
		req.warnings = rep.Warnings
	}
	return nil
}

// configResponse is a config as create and update answer it: with the
// validation warnings of the TOML sent, when there are any (warnings do not
// block a save; errors answer 400).
type configResponse struct {
	*tc.Config
	Warnings []telegraf.Problem `json:"warnings,omitempty"`
}

func callerID(r *http.Request) string {
	if c := tc.CallerFromContext(r.Context()); c != nil && c.User != nil {
		return c.User.ID
	}
	return ""
}

func (s *Server) listConfigs(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := tc.ConfigFilter{Search: strings.TrimSpace(q.Get("search")), LabelID: q.Get("labelId"), SortBy: q.Get("sortBy"), SortOrder: q.Get("sortOrder")}
	switch f.SortBy {
	case "":
		f.SortBy = "name"
	case "name", "updatedAt":
	default:
		s.fail(w, r, tc.FieldErrorf("sortBy", "sortBy must be name or updatedAt"))
		return
	}
	switch f.SortOrder {
	case "":
		f.SortOrder = "asc"
		if f.SortBy == "updatedAt" {
			f.SortOrder = "desc"
		}
	case "asc", "desc":
	default:
		s.fail(w, r, tc.FieldErrorf("sortOrder", "sortOrder must be asc or desc"))
		return
	}
	var err error
	if f.Page, err = httpx.QueryInt(r, "page", 1, 1, 1_000_000); err != nil {
		s.fail(w, r, err)
		return
	}
	if f.Limit, err = httpx.QueryInt(r, "limit", 50, 1, 500); err != nil {
		s.fail(w, r, err)
		return
	}
	if f.WithTOML, err = includeTOML(q["include"]); err != nil {
		s.fail(w, r, err)
		return
	}
	configs, total, err := s.Store.ListConfigs(r.Context(), f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	items := make([]configListItem, len(configs))
	for i, c := range configs {
		items[i] = configListItem{Config: c}
		if f.WithTOML {
			items[i].TOML = &c.TOML
		}
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"items": items, "total": total})
}

// configListItem is a config as GET /api/configs lists it: without its TOML
// unless include=toml asks for it. A config can be megabytes, and a list is
// read for names (the UI's drop-downs); GET /api/configs/{id} has the TOML.
type configListItem struct {
	*tc.Config
	TOML *string `json:"toml,omitempty"` // shadows Config.TOML
}

// includeTOML reads the include query parameter of a config list: a
// comma-separated list of extra fields, of which "toml" is the only one.
func includeTOML(values []string) (bool, error) {
	with := false
	for _, v := range values {
		for _, f := range strings.Split(v, ",") {
			switch strings.TrimSpace(f) {
			case "":
			case "toml":
				with = true
			default:
				return false, tc.FieldErrorf("include", "include must be toml")
			}
		}
	}
	return with, nil
}

func (s *Server) createConfig(w http.ResponseWriter, r *http.Request) {
	var req configRequest
	if err := s.decode(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	if req.Name == nil {
		s.fail(w, r, tc.FieldErrorf("name", "name is required"))
		return
	}
	if req.TOML == nil || strings.TrimSpace(*req.TOML) == "" {
		t := s.defaultConfigTOML(r)
		req.TOML = &t
	}
	if err := req.check(); err != nil {
		s.fail(w, r, err)
		return
	}
	c := &tc.Config{Name: *req.Name, TOML: *req.TOML, CreatedBy: callerID(r), LabelIDs: []string{}}
	if req.Description != nil {
		c.Description = *req.Description
	}
	if req.LabelIDs != nil {
		c.LabelIDs = *req.LabelIDs
	}
	if err := s.Store.CreateConfig(r.Context(), c, req.ChangeNote); err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/configs/"+c.ID)
	httpx.WriteJSON(w, http.StatusCreated, configResponse{c, req.warnings})
}

// defaultConfigTOML is the TOML of a config created empty: a heartbeat
// output pointing at this controller, so that agents using it show up.
func (s *Server) defaultConfigTOML(r *http.Request) string {
	return fmt.Sprintf(`[[outputs.heartbeat]]
  url = %q
  instance_id = "&{agent_id}"
  interval = "1m"
  include = ["hostname", "statistics", "configs", "logs", "status"]
  token = "${TELEGRAF_CONTROLLER_TOKEN}"
`, s.heartbeatBaseURL(r)+"/agents/heartbeat")
}

// heartbeatBaseURL is the public heartbeat URL setting, or else the host
// the request was addressed to with the heartbeat port.
func (s *Server) heartbeatBaseURL(r *http.Request) string {
	if s.PublicHeartbeatURL != nil {
		if u := strings.TrimRight(s.PublicHeartbeatURL(r.Context()), "/"); u != "" {
			return u
		}
	}
	host := r.Host
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

func (s *Server) getConfig(w http.ResponseWriter, r *http.Request) {
	c, err := s.Store.ConfigByID(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, c)
}

func (s *Server) patchConfig(w http.ResponseWriter, r *http.Request) {
	var req configRequest
	if err := s.decode(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := req.check(); err != nil {
		s.fail(w, r, err)
		return
	}
	c, err := s.Store.UpdateConfig(r.Context(), r.PathValue("id"), tc.ConfigUpdate{
		Name: req.Name, Description: req.Description, TOML: req.TOML, LabelIDs: req.LabelIDs, ChangeNote: req.ChangeNote,
	}, callerID(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, configResponse{c, req.warnings})
}

func (s *Server) deleteConfig(w http.ResponseWriter, r *http.Request) {
	if err := s.Store.DeleteConfigs(r.Context(), []string{r.PathValue("id")}); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// bulkDeleteConfigs deletes several configs, all or nothing.
func (s *Server) bulkDeleteConfigs(w http.ResponseWriter, r *http.Request) {
	var req struct {
		IDs []string `json:"ids"`
	}
	if err := s.decode(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	if len(req.IDs) == 0 || len(req.IDs) > 1000 {
		s.fail(w, r, tc.FieldErrorf("ids", "ids must list between 1 and 1000 config ids"))
		return
	}
	ids := make([]string, 0, len(req.IDs))
	for _, id := range req.IDs {
		if !contains(ids, id) {
			ids = append(ids, id)
		}
	}
	if err := s.Store.DeleteConfigs(r.Context(), ids); err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]int{"deleted": len(ids)})
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
