package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Config is a configuration as the API returns it.
type Config struct {
	ID             string    `json:"id"`
	Name           string    `json:"name"`
	Description    string    `json:"description"`
	TOML           string    `json:"toml"`
	LabelIDs       []string  `json:"labelIds"`
	CreatedAt      time.Time `json:"createdAt"`
	UpdatedAt      time.Time `json:"updatedAt"`
	CurrentVersion int       `json:"currentVersion"`
}

// Validation is POST /api/configs/validate's answer.
type Validation struct {
	Valid      bool      `json:"valid"`
	Errors     []Problem `json:"errors"`
	Warnings   []Problem `json:"warnings"`
	References struct {
		Parameters []Use `json:"parameters"`
		Env        []Use `json:"env"`
		Secrets    []Use `json:"secrets"`
		Constants  []Use `json:"constants"`
	} `json:"references"`
}

// Problem is one validation finding at a line.
type Problem struct {
	Severity string `json:"severity"`
	Message  string `json:"message"`
	Line     int    `json:"line"`
	Column   int    `json:"column"`
}

// Use is one dynamic value a TOML document uses.
type Use struct {
	Name     string  `json:"name"`
	Default  *string `json:"default"`
	Required bool    `json:"required"`
}

// Version is one recorded version of a config.
type Version struct {
	Version   int       `json:"version"`
	Note      string    `json:"note"`
	AuthorID  string    `json:"authorId"`
	CreatedAt time.Time `json:"createdAt"`
	Current   bool      `json:"current"`
	TOML      string    `json:"toml"`
}

// labelIndex resolves label ids for display.
type labelIndex map[string]Label

func (v *view) labels() ([]Label, labelIndex) {
	var l list[Label]
	if err := v.get("/api/labels", &l); err != nil {
		return nil, labelIndex{}
	}
	idx := labelIndex{}
	for _, lb := range l.Items {
		idx[lb.ID] = lb
	}
	return l.Items, idx
}

func (idx labelIndex) of(ids []string) []Label {
	var out []Label
	for _, id := range ids {
		if l, ok := idx[id]; ok {
			out = append(out, l)
		}
	}
	return out
}

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
	Config
	Labels []Label
}

type configsData struct {
	Q       listQuery
	LabelID string
	Labels  []Label
	Rows    []configRow
}

func (h *Handler) configsPage(w http.ResponseWriter, r *http.Request, v *view) error {
	lq := newListQuery(r, "name", "asc", 25)
	labelID := r.URL.Query().Get("labelId")
	var l list[Config]
	if err := v.get("/api/configs?"+lq.values(map[string]string{"labelId": labelID}).Encode(), &l); err != nil {
		return err
	}
	labels, idx := v.labels()
	d := configsData{Q: lq, LabelID: labelID, Labels: labels}
	for _, c := range l.Items {
		d.Rows = append(d.Rows, configRow{c, idx.of(c.LabelIDs)})
	}
	d.Q.setTotal(l.Total, len(l.Items))
	return v.show(w, "configs", "Configurations", "configs", d)
}

type configNewData struct {
	Labels []Label
}

func (h *Handler) configNewPage(w http.ResponseWriter, r *http.Request, v *view) error {
	labels, _ := v.labels()
	return v.show(w, "config_new", "New configuration", "configs", configNewData{Labels: labels})
}

type configData struct {
	Config     Config
	Labels     []Label
	Attached   []Label
	Validation Validation
	APIBase    string
	Tab        string
}

func (v *view) config(id string) (Config, error) {
	var c Config
	err := v.get("/api/configs/"+url.PathEscape(id), &c)
	return c, err
}

func (h *Handler) configPage(w http.ResponseWriter, r *http.Request, v *view) error {
	c, err := v.config(r.PathValue("id"))
	if err != nil {
		return err
	}
	labels, idx := v.labels()
	d := configData{Config: c, Labels: labels, Attached: idx.of(c.LabelIDs), Tab: "editor"}
	if err := h.call(r, http.MethodPost, "/api/configs/validate", map[string]string{"toml": c.TOML}, &d.Validation, nil); err != nil {
		h.Logger.Debug("validate for page", "error", err)
	}
	d.APIBase = v.apiBase()
	return v.show(w, "config", c.Name, "configs", d)
}

// apiBase is the public API URL from settings when the caller may read
// them; the page falls back to the browser's origin.
func (v *view) apiBase() string {
	if v.caller.Can("settings:read") {
		return v.h.Settings().PublicAPIURL
	}
	return ""
}

type versionsData struct {
	Config   Config
	Versions []Version
	Tab      string
}

func (h *Handler) configVersionsPage(w http.ResponseWriter, r *http.Request, v *view) error {
	c, err := v.config(r.PathValue("id"))
	if err != nil {
		return err
	}
	var vs list[Version]
	if err := v.get("/api/configs/"+url.PathEscape(c.ID)+"/versions", &vs); err != nil {
		return err
	}
	return v.show(w, "config_versions", c.Name, "configs", versionsData{Config: c, Versions: vs.Items, Tab: "versions"})
}

type versionData struct {
	Config  Config
	Version Version
	Tab     string
}

func (h *Handler) configVersionPage(w http.ResponseWriter, r *http.Request, v *view) error {
	c, err := v.config(r.PathValue("id"))
	if err != nil {
		return err
	}
	var ver Version
	if err := v.get(fmt.Sprintf("/api/configs/%s/versions/%s", url.PathEscape(c.ID), url.PathEscape(r.PathValue("n"))), &ver); err != nil {
		return err
	}
	return v.show(w, "config_version", fmt.Sprintf("%s · version %d", c.Name, ver.Version), "configs", versionData{Config: c, Version: ver, Tab: "versions"})
}

type compareData struct {
	Config    Config
	From, To  int
	Mode      string
	Identical bool
	Unified   []diffLine
	Split     []splitRow
	Versions  []Version
	Tab       string
}

func (h *Handler) configComparePage(w http.ResponseWriter, r *http.Request, v *view) error {
	c, err := v.config(r.PathValue("id"))
	if err != nil {
		return err
	}
	q := r.URL.Query()
	var diff struct {
		From, To  int
		Identical bool   `json:"identical"`
		Diff      string `json:"diff"`
	}
	path := fmt.Sprintf("/api/configs/%s/versions/diff?from=%s&to=%s", url.PathEscape(c.ID), url.QueryEscape(q.Get("from")), url.QueryEscape(q.Get("to")))
	if err := v.get(path, &diff); err != nil {
		return err
	}
	var vs list[Version]
	v.get("/api/configs/"+url.PathEscape(c.ID)+"/versions", &vs)
	d := compareData{Config: c, From: diff.From, To: diff.To, Mode: q.Get("mode"), Identical: diff.Identical, Versions: vs.Items, Tab: "versions"}
	if d.Mode != "unified" {
		d.Mode = "split"
	}
	d.Unified = parseUnified(diff.Diff)
	d.Split = splitRows(d.Unified)
	return v.show(w, "config_compare", fmt.Sprintf("%s · compare %d and %d", c.Name, d.From, d.To), "configs", d)
}
