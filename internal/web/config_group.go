package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/service"
	"github.com/telegrafcontroller/tc/internal/telegraf"
)

// Config group pages: the list, a new group, a group's detail (members in
// order, the merged preview with its problems, aliases, agents, "Use this
// config group"). Writes go from the browser to /api/config-groups.

type groupRow struct {
	Group  *tc.ConfigGroup
	Labels []*tc.Label
}

type groupsData struct {
	Q       listQuery
	LabelID string
	Labels  []*tc.Label
	Rows    []groupRow
}

func (h *Handler) configGroupsPage(w http.ResponseWriter, r *http.Request, v *view) error {
	lq := newListQuery(r, "name", "asc", 25)
	labelID := r.URL.Query().Get("labelId")
	groups, total, err := h.ConfigGroups.List(v.ctx(), tc.ConfigGroupFilter{Search: lq.Search, LabelID: labelID, SortBy: lq.Sort, SortOrder: lq.Order, Page: lq.Page, Limit: lq.Limit})
	if err != nil {
		return err
	}
	labels, idx, err := v.labelList()
	if err != nil {
		return err
	}
	d := groupsData{Q: lq, LabelID: labelID, Labels: labels}
	for _, g := range groups {
		d.Rows = append(d.Rows, groupRow{g, idx.of(g.LabelIDs)})
	}
	d.Q.setTotal(total, len(groups))
	return v.show(w, "config_groups", "Config groups", "config-groups", d)
}

// groupData is the data of the new-group and group pages (Group is nil on
// the first).
type groupData struct {
	Group    *service.GroupView
	Labels   []*tc.Label
	Attached []*tc.Label
	// Configs are every config, for adding members (names only).
	Configs []*tc.Config
	Merged  service.Merged
	Params  []telegraf.Use
	// UseURL is the URL agents fetch: the first alias's short URL, or the
	// group's TOML URL.
	UseURL  string
	APIBase string
}

// maxPickableConfigs bounds the configs offered as members on one page.
const maxPickableConfigs = 500

func (h *Handler) groupFormData(v *view) (groupData, error) {
	var d groupData
	var err error
	if d.Labels, _, err = v.labelList(); err != nil {
		return d, err
	}
	d.Configs, _, err = h.Configs.List(v.ctx(), tc.ConfigFilter{Limit: maxPickableConfigs})
	return d, optional(err)
}

func (h *Handler) configGroupNewPage(w http.ResponseWriter, r *http.Request, v *view) error {
	d, err := h.groupFormData(v)
	if err != nil {
		return err
	}
	return v.show(w, "config_group", "New config group", "config-groups", d)
}

func (h *Handler) configGroupPage(w http.ResponseWriter, r *http.Request, v *view) error {
	ctx := v.ctx()
	g, err := h.ConfigGroups.Get(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	d, err := h.groupFormData(v)
	if err != nil {
		return err
	}
	d.Group = g
	_, idx, _ := v.labelList()
	d.Attached = idx.of(g.LabelIDs)
	if d.Merged, err = h.ConfigGroups.Merge(ctx, g.MemberIDs()); err != nil {
		return err
	}
	for _, p := range d.Merged.Report.Uses.Parameters {
		d.Params = append(d.Params, p)
	}
	d.APIBase = strings.TrimRight(v.apiBase(), "/")
	path := "/api/config-groups/" + g.ID + "/toml"
	if len(g.Aliases) > 0 {
		path = "/c/" + g.Aliases[0].Alias
	}
	d.UseURL = d.APIBase + path + useQuery(d.Params)
	return v.show(w, "config_group", g.Name, "config-groups", d)
}

// useQuery is the query string of the "Use this" command: every required
// parameter with a placeholder value, agent_id from the agent's host name.
func useQuery(params []telegraf.Use) string {
	var parts []string
	for _, p := range params {
		if !p.Required {
			continue
		}
		val := "VALUE"
		if p.Name == "agent_id" {
			val = "$(hostname)"
		}
		parts = append(parts, url.QueryEscape(p.Name)+"="+val)
	}
	if len(parts) == 0 {
		return ""
	}
	return "?" + strings.Join(parts, "&")
}
