package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/service"
	"github.com/telegrafcontroller/tc/internal/store"
	"github.com/telegrafcontroller/tc/internal/telegraf"
)

// listQuery carries a list page's search, filter, sort and page.
type listQuery struct {
	URL      *url.URL
	Search   string
	Sort     string
	Order    string
	Page     int
	Limit    int
	Total    int
	From, To int
	Pages    int
	// Inexact totals are lower bounds (the API stops counting at a cap).
	Inexact bool
}

func newListQuery(r *http.Request, defSort, defOrder string, limit int) listQuery {
	q := r.URL.Query()
	lq := listQuery{URL: r.URL, Search: strings.TrimSpace(q.Get("search")), Sort: q.Get("sortBy"), Order: q.Get("sortOrder"), Limit: limit}
	if lq.Sort == "" {
		lq.Sort = defSort
	}
	if lq.Order != "asc" && lq.Order != "desc" {
		lq.Order = defOrder
	}
	if n, err := strconv.Atoi(q.Get("limit")); err == nil && n >= 10 && n <= 200 {
		lq.Limit = n
	}
	lq.Page, _ = strconv.Atoi(q.Get("page"))
	if lq.Page < 1 {
		lq.Page = 1
	}
	return lq
}

// values builds the API query for this list.
func (lq *listQuery) values(extra map[string]string) url.Values {
	v := url.Values{}
	if lq.Search != "" {
		v.Set("search", lq.Search)
	}
	v.Set("sortBy", lq.Sort)
	v.Set("sortOrder", lq.Order)
	v.Set("page", strconv.Itoa(lq.Page))
	v.Set("limit", strconv.Itoa(lq.Limit))
	for k, x := range extra {
		if x != "" {
			v.Set(k, x)
		}
	}
	return v
}

func (lq *listQuery) setTotal(total, shown int) {
	lq.Total = total
	lq.Pages = (total + lq.Limit - 1) / lq.Limit
	if lq.Pages < 1 {
		lq.Pages = 1
	}
	if shown > 0 {
		lq.From = (lq.Page-1)*lq.Limit + 1
		lq.To = lq.From + shown - 1
	}
}

// SortLink is the URL that sorts by col: the same column flips the order.
func (lq listQuery) SortLink(col string) string {
	order := "asc"
	if lq.Sort == col && lq.Order == "asc" {
		order = "desc"
	}
	return withQuery(lq.URL, "sortBy", col, "sortOrder", order, "page", "")
}

// AriaSort is the aria-sort value of column col.
func (lq listQuery) AriaSort(col string) string {
	if lq.Sort != col {
		return ""
	}
	if lq.Order == "asc" {
		return "ascending"
	}
	return "descending"
}

// Pager is the data of the pager partial.
func (lq listQuery) Pager() map[string]any {
	more := lq.Page < lq.Pages || (lq.Inexact && lq.To-lq.From+1 == lq.Limit)
	return map[string]any{"page": lq.Page, "pages": lq.Pages, "total": lq.Total, "from": lq.From, "to": lq.To, "url": lq.URL, "more": more, "inexact": lq.Inexact}
}

type configRow struct {
	// Config is a named field, not an embedded one: a template reads the
	// fields of a struct with an embedded one through reflect's slow,
	// allocating search, once per row.
	Config *tc.Config
	Labels []*tc.Label
	Usage  *agentUsage // nil when the visitor may not read agents
}

// agentUsage is the agents that use a config, carry a label or follow a
// rule: the total and each status with agents, every count a link to the
// agents page filtered to them (its configId, labelId, reportingRuleId and
// status parameters).
type agentUsage struct {
	Total int
	URL   string
	Parts []usagePart
}

type usagePart struct {
	Status, Label, URL string
	N                  int
}

func newAgentUsage(u store.AgentUsage, param, id string) *agentUsage {
	link := func(status string) string {
		q := url.Values{param: {id}}
		if status != "" {
			q.Set("status", status)
		}
		return "/agents?" + q.Encode()
	}
	a := &agentUsage{Total: u.Total, URL: link("")}
	for _, st := range tc.AgentStatuses {
		if n := u.ByStatus[st]; n > 0 {
			a.Parts = append(a.Parts, usagePart{Status: st, Label: statusLabels[st], URL: link(st), N: n})
		}
	}
	return a
}

// usage counts the agents of each id (what of says; param is the agents
// page's filter for it). A visitor who may not read agents gets a nil map
// and the page shows no counts.
func (v *view) usage(of store.UsageOf, param string, ids []string) (map[string]*agentUsage, error) {
	us, err := v.h.Agents.Usage(v.ctx(), of, ids)
	if err != nil {
		return nil, optional(err)
	}
	out := make(map[string]*agentUsage, len(us))
	for id, u := range us {
		out[id] = newAgentUsage(u, param, id)
	}
	return out, nil
}

type configsData struct {
	Q       listQuery
	LabelID string
	Labels  []*tc.Label
	Rows    []configRow
	Usage   bool // the rows carry agent counts
}

func (h *Handler) configsPage(w http.ResponseWriter, r *http.Request, v *view) error {
	lq := newListQuery(r, "name", "asc", 25)
	labelID := r.URL.Query().Get("labelId")
	ctx := v.ctx()
	configs, total, err := h.Configs.List(ctx, tc.ConfigFilter{Search: lq.Search, LabelID: labelID, SortBy: lq.Sort, SortOrder: lq.Order, Page: lq.Page, Limit: lq.Limit})
	if err != nil {
		return err
	}
	labels, idx, err := v.labelList()
	if err != nil {
		return err
	}
	ids := make([]string, len(configs))
	for i, c := range configs {
		ids[i] = c.ID
	}
	usage, err := v.usage(store.UsageConfig, "configId", ids)
	if err != nil {
		return err
	}
	d := configsData{Q: lq, LabelID: labelID, Labels: labels, Usage: usage != nil}
	for _, c := range configs {
		d.Rows = append(d.Rows, configRow{c, idx.of(c.LabelIDs), usage[c.ID]})
	}
	d.Q.setTotal(total, len(configs))
	return v.show(w, "configs", "Configurations", "configs", d)
}

type configNewData struct {
	Labels []*tc.Label
}

func (h *Handler) configNewPage(w http.ResponseWriter, r *http.Request, v *view) error {
	labels, _, err := v.labelList()
	if err != nil {
		return err
	}
	return v.show(w, "config_new", "New configuration", "configs", configNewData{Labels: labels})
}

type configData struct {
	Config     *tc.Config
	Labels     []*tc.Label
	Attached   []*tc.Label
	Validation telegraf.Report
	APIBase    string
	Tab        string
	Usage      *agentUsage // nil when the visitor may not read agents
	// Versions is how many agents run each version (nil when the visitor
	// may not read agents).
	Versions *configVersions
	// Env is the environment variables the TOML reads, less the token
	// variables, which the "Use this configuration" dialog asks for once.
	Env []telegraf.Use
	// Aliases are the config's aliases (config_group.go's partial).
	Aliases []*tc.Alias
}

func (h *Handler) configPage(w http.ResponseWriter, r *http.Request, v *view) error {
	ctx := v.ctx()
	c, err := h.Configs.Get(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	labels, idx, err := v.labelList()
	if err != nil {
		return err
	}
	d := configData{Config: c, Labels: labels, Attached: idx.of(c.LabelIDs), Tab: "editor"}
	if d.Validation, err = h.Configs.Validate(ctx, service.ValidateRequest{TOML: &c.TOML}); err != nil {
		return err
	}
	d.APIBase = v.apiBase()
	for _, e := range d.Validation.Uses.Env {
		if e.Name != "TELEGRAF_CONTROLLER_TOKEN" && e.Name != "INFLUX_TOKEN" {
			d.Env = append(d.Env, e)
		}
	}
	usage, err := v.usage(store.UsageConfig, "configId", []string{c.ID})
	if err != nil {
		return err
	}
	d.Usage = usage[c.ID]
	if d.Aliases, err = h.Aliases.List(ctx, tc.AliasConfig, c.ID); err != nil {
		return err
	}
	if d.Usage != nil && d.Usage.Total > 0 {
		counts, err := h.Agents.ConfigVersions(ctx, c.ID)
		if err != nil {
			return err
		}
		d.Versions = newConfigVersions(c.ID, counts)
	}
	return v.show(w, "config", c.Name, "configs", d)
}

// apiBase is the public API URL from settings when the caller may read
// them; the page falls back to the browser's origin.
func (v *view) apiBase() string {
	if v.caller.Can("settings:read") {
		return v.h.Settings.Current().PublicAPIURL
	}
	return ""
}

type versionsData struct {
	Config   *tc.Config
	Versions []*tc.ConfigVersion
	Current  int // the current version's number
	Tab      string
}

func (h *Handler) configVersionsPage(w http.ResponseWriter, r *http.Request, v *view) error {
	ctx := v.ctx()
	c, err := h.Configs.Get(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	vs, current, err := h.Configs.Versions(ctx, c.ID)
	if err != nil {
		return err
	}
	return v.show(w, "config_versions", c.Name, "configs", versionsData{Config: c, Versions: vs, Current: current, Tab: "versions"})
}

type versionData struct {
	Config  *tc.Config
	Version *tc.ConfigVersion
	Current int // the current version's number
	Tab     string
}

func (h *Handler) configVersionPage(w http.ResponseWriter, r *http.Request, v *view) error {
	ctx := v.ctx()
	c, err := h.Configs.Get(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	n, err := service.ParseVersion("version", r.PathValue("n"))
	if err != nil {
		return err
	}
	ver, current, err := h.Configs.Version(ctx, c.ID, n)
	if err != nil {
		return err
	}
	return v.show(w, "config_version", fmt.Sprintf("%s · version %d", c.Name, ver.Version), "configs", versionData{Config: c, Version: ver, Current: current, Tab: "versions"})
}

type compareData struct {
	Config    *tc.Config
	From, To  int
	Mode      string
	Identical bool
	Unified   []diffLine
	Split     []splitRow
	Versions  []*tc.ConfigVersion
	Tab       string
}

func (h *Handler) configComparePage(w http.ResponseWriter, r *http.Request, v *view) error {
	ctx := v.ctx()
	c, err := h.Configs.Get(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	q := r.URL.Query()
	from, err := service.ParseVersion("from", q.Get("from"))
	if err != nil {
		return err
	}
	to, err := service.ParseVersion("to", q.Get("to"))
	if err != nil {
		return err
	}
	diff, err := h.Configs.Diff(ctx, c.ID, from, to)
	if err != nil {
		return err
	}
	vs, _, err := h.Configs.Versions(ctx, c.ID)
	if err != nil {
		return err
	}
	d := compareData{Config: c, From: from, To: to, Mode: q.Get("mode"), Identical: diff == "", Versions: vs, Tab: "versions"}
	if d.Mode != "unified" {
		d.Mode = "split"
	}
	d.Unified = parseUnified(diff)
	d.Split = splitRows(d.Unified)
	return v.show(w, "config_compare", fmt.Sprintf("%s · compare %d and %d", c.Name, d.From, d.To), "configs", d)
}
