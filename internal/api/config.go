package api

import (
	"net/http"
	"strings"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/httpx"
	"github.com/telegrafcontroller/tc/internal/service"
	"github.com/telegrafcontroller/tc/internal/telegraf"
)

// configResponse is a config as create and update answer it: with the
// validation warnings of the TOML sent, when there are any (warnings do not
// block a save; errors answer 400).
type configResponse struct {
	*tc.Config
	Warnings []telegraf.Problem `json:"warnings,omitempty"`
}

func (s *Server) listConfigs(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := tc.ConfigFilter{Search: q.Get("search"), LabelID: q.Get("labelId"), SortBy: q.Get("sortBy"), SortOrder: q.Get("sortOrder")}
	var err error
	if f.Page, err = httpx.QueryInt(r, "page", 1, 1, service.MaxConfigPage); err != nil {
		s.fail(w, r, err)
		return
	}
	if f.Limit, err = httpx.QueryInt(r, "limit", service.DefaultConfigLimit, 1, service.MaxConfigLimit); err != nil {
		s.fail(w, r, err)
		return
	}
	if f.WithTOML, err = includeTOML(q["include"]); err != nil {
		s.fail(w, r, err)
		return
	}
	configs, total, err := s.Configs.List(r.Context(), f)
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
	var req service.ConfigRequest
	if err := s.decode(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	c, warnings, err := s.Configs.Create(r.Context(), req, r.Host)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/configs/"+c.ID)
	httpx.WriteJSON(w, http.StatusCreated, configResponse{c, warnings})
}

func (s *Server) getConfig(w http.ResponseWriter, r *http.Request) {
	c, err := s.Configs.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, c)
}

func (s *Server) patchConfig(w http.ResponseWriter, r *http.Request) {
	var req service.ConfigRequest
	if err := s.decode(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	c, warnings, err := s.Configs.Update(r.Context(), r.PathValue("id"), req)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, configResponse{c, warnings})
}

func (s *Server) deleteConfig(w http.ResponseWriter, r *http.Request) {
	if err := s.Configs.Delete(r.Context(), r.PathValue("id")); err != nil {
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
	n, err := s.Configs.BulkDelete(r.Context(), req.IDs)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]int{"deleted": n})
}
