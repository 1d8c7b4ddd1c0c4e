package api

import (
	"net/http"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/httpx"
	"github.com/telegrafcontroller/tc/internal/service"
	"github.com/telegrafcontroller/tc/internal/telegraf"
)

// Config groups: /api/config-groups. A group's {id} may be one of its
// aliases (alias.go resolves it before the handler runs).

// groupResponse is a group as create and update answer it: with the
// warnings of its merged TOML, when there are any.
type groupResponse struct {
	*tc.ConfigGroup
	Warnings []telegraf.Problem `json:"warnings,omitempty"`
}

func (s *Server) listConfigGroups(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := tc.ConfigGroupFilter{Search: q.Get("search"), LabelID: q.Get("labelId"), SortBy: q.Get("sortBy"), SortOrder: q.Get("sortOrder")}
	var err error
	if f.Page, err = httpx.QueryInt(r, "page", 1, 1, service.MaxConfigPage); err != nil {
		s.fail(w, r, err)
		return
	}
	if f.Limit, err = httpx.QueryInt(r, "limit", service.DefaultConfigLimit, 1, service.MaxConfigLimit); err != nil {
		s.fail(w, r, err)
		return
	}
	groups, total, err := s.ConfigGroups.List(r.Context(), f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"items": groups, "total": total})
}

func (s *Server) createConfigGroup(w http.ResponseWriter, r *http.Request) {
	var req service.ConfigGroupRequest
	if err := s.decode(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	g, warnings, err := s.ConfigGroups.Create(r.Context(), req)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/config-groups/"+g.ID)
	httpx.WriteJSON(w, http.StatusCreated, groupResponse{g, warnings})
}

func (s *Server) getConfigGroup(w http.ResponseWriter, r *http.Request) {
	g, err := s.ConfigGroups.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, g)
}

func (s *Server) patchConfigGroup(w http.ResponseWriter, r *http.Request) {
	var req service.ConfigGroupRequest
	if err := s.decode(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	g, warnings, err := s.ConfigGroups.Update(r.Context(), r.PathValue("id"), req)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, groupResponse{g, warnings})
}

func (s *Server) deleteConfigGroup(w http.ResponseWriter, r *http.Request) {
	if err := s.ConfigGroups.Delete(r.Context(), r.PathValue("id")); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// mergeConfigGroup answers the merged TOML of a member list, unrendered,
// with the problems validation finds in it (a preview before saving).
func (s *Server) mergeConfigGroup(w http.ResponseWriter, r *http.Request) {
	var req struct {
		MemberIDs []string `json:"memberIds"`
	}
	if err := s.decode(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	m, err := s.ConfigGroups.Merge(r.Context(), req.MemberIDs)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	errs, warns := m.Report.Errors, m.Report.Warnings
	if errs == nil {
		errs = []telegraf.Problem{}
	}
	if warns == nil {
		warns = []telegraf.Problem{}
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"toml": m.TOML, "valid": m.Report.Valid(), "errors": errs, "warnings": warns})
}
