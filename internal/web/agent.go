package web

import (
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/telegrafcontroller/tc"
)

// Segment is one status's part of the summary bar.
type Segment struct {
	Key, Label string
	Count      int64
	Percent    float64
	Offset     float64 // percent of the bar before this segment
}

// segments lists the summary bar in display order.
func segments(s tc.AgentSummary) []Segment {
	segs := []Segment{
		{Key: "ok", Label: "OK", Count: s.OK}, {Key: "warn", Label: "Warn", Count: s.Warn}, {Key: "fail", Label: "Fail", Count: s.Fail},
		{Key: "undefined", Label: "Undefined", Count: s.Undefined}, {Key: "not_reporting", Label: "Not reporting", Count: s.NotReporting},
	}
	var at float64
	for i := range segs {
		segs[i].Percent = percent(int(segs[i].Count), int(s.Total))
		segs[i].Offset = at
		at += segs[i].Percent
	}
	return segs
}

// statusLabels names the agent statuses for people.
var statusLabels = map[string]string{"ok": "OK", "warn": "Warn", "fail": "Fail", "undefined": "Undefined", "not_reporting": "Not reporting"}

type agentRow struct {
	*tc.Agent
	StatusLabel string
	Labels      []*tc.Label
	// Problem is the last problem column, cut to fit; ProblemFull is the
	// whole text for its title.
	Problem, ProblemFull string
	ShortVersion         string
	// Since says how long the agent has had its status ("for 3 h").
	Since string
}

// statusFor says how long an agent has had its status ("for 3 h"), or
// nothing for a time not known.
func statusFor(since *time.Time, now time.Time) string {
	if since == nil {
		return ""
	}
	return "for " + span(max(now.Sub(*since), 0))
}

// Chip is one quick filter of the agents page: a status and its count.
type Chip struct {
	Key, Label string
	Count      int64
	Active     bool
}

// severityOrder is the agent statuses, problems first: the order of a sort
// by severity and of the quick filters.
var severityOrder = []string{tc.AgentFail, tc.AgentNotReporting, tc.AgentWarn, tc.AgentUndefined, tc.AgentOK}

// agentPageSizes are the agents page's choices of rows per page.
var agentPageSizes = []int{25, 50, 100, 250, 500}

// maxProblemRunes is where the last problem column cuts its text.
const maxProblemRunes = 90

// lastProblem is what the last problem column says of a: why it is not
// reporting, or the newest error or warning it reported.
func lastProblem(a *tc.Agent, log tc.AgentLog, ok bool, now time.Time) string {
	switch {
	case a.Status == tc.AgentNotReporting:
		return "No heartbeat for " + span(now.Sub(a.LastSeen)) + " (last reported " + statusLabels[a.ReportedStatus] + ")"
	case ok:
		msg := strings.Join(strings.Fields(log.Message), " ")
		if log.Source != "" {
			msg = log.Source + ": " + msg
		}
		return strings.ToUpper(log.Level) + " " + msg
	}
	return ""
}

// cut shortens s to n runes, with an ellipsis when it had more.
func cut(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return strings.TrimSpace(string(r[:n-1])) + "…"
}

// shortVersion is the version number in a Telegraf version string
// ("Telegraf 1.38.2 (git: HEAD@eb37a442)" is 1.38.2), or the string
// itself when it holds none.
func shortVersion(v string) string {
	for _, f := range strings.Fields(v) {
		f = strings.TrimPrefix(f, "v")
		if len(f) > 2 && f[0] >= '0' && f[0] <= '9' && strings.Contains(f, ".") {
			return f
		}
	}
	return v
}

// agentsSorts are the agents page's sort keys.
var agentsSorts = []string{tc.AgentSortSeverity, tc.AgentSortName, tc.AgentSortStatus, tc.AgentSortLastSeen, tc.AgentSortHostname}

type agentsData struct {
	Q           listQuery
	Chips       []Chip
	ExportQuery template.URL // the CSV export's query: this page's filters and sort (encoded here)
	PageSizes   []int
	Status      string
	ConfigID    string
	// ConfigState and ConfigVersion filter by what agents run (links from
	// a config page and the fleet summary).
	ConfigState   string
	ConfigVersion int
	RuleID        string
	LabelID       string
	Summary       tc.AgentSummary
	Chart         fleetChartData
	Rows          []agentRow
	Configs       []*tc.Config // the config filter's drop-down (without TOML); nil hides it
	Rules         []*tc.ReportingRule
	Labels        []*tc.Label
	Statuses      []Segment
	// Prefs are the visitor's choices of columns and density; Columns
	// lists every optional column for the chooser, which posts back to
	// Next (this page).
	Prefs   tc.Preferences
	Columns []columnChoice
	Next    string
}

// maxConfigChoices is how many configs the agents page's config filter
// offers, by name.
const maxConfigChoices = 200

// optional turns EFORBIDDEN into "nothing to show": a page's optional
// part the caller may not read. Any other error stays an error.
func optional(err error) error {
	if tc.ErrorCode(err) == tc.EFORBIDDEN {
		return nil
	}
	return err
}

// agentsPage reads through the agent and reporting-rule services, as the
// API does. The config filter, rule and label choices are optional: a
// caller who may not read them gets the page without them.
func (h *Handler) agentsPage(w http.ResponseWriter, r *http.Request, v *view) error {
	q := r.URL.Query()
	ctx := v.ctx()
	lq := newListQuery(r, tc.AgentSortSeverity, "asc", 25)
	if !slices.Contains(agentsSorts, lq.Sort) {
		lq.Sort = tc.AgentSortSeverity
	}
	if n, err := strconv.Atoi(q.Get("limit")); err == nil && slices.Contains(agentPageSizes, n) {
		lq.Limit = n
	}
	d := agentsData{Status: q.Get("status"), ConfigID: q.Get("configId"), RuleID: q.Get("reportingRuleId"), LabelID: q.Get("labelId"),
		ConfigState: q.Get("configState"), PageSizes: agentPageSizes}
	if q.Get("configVersion") != "" {
		n, err := strconv.Atoi(q.Get("configVersion"))
		if err != nil || n < 1 {
			return tc.FieldErrorf("configVersion", "configVersion must be a positive integer")
		}
		d.ConfigVersion = n
	}
	l, err := h.Agents.List(ctx, tc.AgentFilter{Search: lq.Search, Status: d.Status, ConfigID: d.ConfigID,
		ConfigState: d.ConfigState, ConfigVersion: d.ConfigVersion,
		ReportingRuleID: d.RuleID, LabelID: d.LabelID, SortBy: lq.Sort, Desc: lq.Order == "desc",
		Offset: (lq.Page - 1) * lq.Limit, Limit: lq.Limit})
	if err != nil {
		return err
	}
	if d.Summary, err = h.Agents.Summary(ctx); err != nil {
		return err
	}
	labels, idx, err := v.labelList()
	if err != nil {
		return err
	}
	d.Labels = labels
	ids := make([]string, len(l.Items))
	for i, a := range l.Items {
		ids[i] = a.ID
	}
	problems, err := h.Agents.Problems(ctx, ids)
	if err != nil {
		return err
	}
	now := h.Now()
	for _, a := range l.Items {
		log, ok := problems[a.ID]
		p := lastProblem(a, log, ok, now)
		d.Rows = append(d.Rows, agentRow{Agent: a, StatusLabel: statusLabels[a.Status], Labels: idx.of(a.LabelIDs),
			Problem: cut(p, maxProblemRunes), ProblemFull: p, ShortVersion: shortVersion(a.Version), Since: statusFor(a.StatusSince, now)})
	}
	lq.setTotal(int(l.Total), len(l.Items))
	lq.Inexact = !l.TotalExact
	d.Q = lq
	rules, err := h.ReportingRules.List(ctx)
	if err = optional(err); err != nil {
		return err
	}
	d.Rules = rules
	// The config names carry no TOML (a config can be megabytes, and this
	// page is reloaded every 5 s).
	configs, _, err := h.Configs.List(ctx, tc.ConfigFilter{SortBy: "name", SortOrder: "asc", Page: 1, Limit: maxConfigChoices})
	if err = optional(err); err != nil {
		return err
	}
	d.Configs = configs
	d.Statuses = segments(d.Summary)
	counts := map[string]int64{}
	for _, seg := range d.Statuses {
		counts[seg.Key] = seg.Count
	}
	for _, st := range severityOrder {
		d.Chips = append(d.Chips, Chip{Key: st, Label: statusLabels[st], Count: counts[st], Active: d.Status == st})
	}
	export := url.Values{"format": {"csv"}, "sortBy": {lq.Sort}, "sortOrder": {lq.Order}}
	for k, v := range map[string]string{"search": lq.Search, "status": d.Status, "configId": d.ConfigID,
		"reportingRuleId": d.RuleID, "labelId": d.LabelID, "configState": d.ConfigState} {
		if v != "" {
			export.Set(k, v)
		}
	}
	if d.ConfigVersion > 0 {
		export.Set("configVersion", strconv.Itoa(d.ConfigVersion))
	}
	d.ExportQuery = template.URL(export.Encode())
	if d.Prefs, err = v.preferences(); err != nil {
		return err
	}
	d.Columns = columnChoices(d.Prefs)
	d.Next = r.URL.RequestURI()
	fh, err := h.Agents.FleetHealth(ctx, pageRange(q.Get("range")))
	if err != nil {
		return err
	}
	d.Chart = fleetChart(fh, r.URL)
	return v.show(w, "agents", "Agents", "agents", d)
}

type agentData struct {
	Agent       *tc.AgentDetail
	History     agentHistoryData
	StatusLabel string
	Since       string // how long it has had its status
	Rules       []*tc.ReportingRule
	Labels      []*tc.Label
}

// agentPage reads through the agent and reporting-rule services. The rule
// and label choices are optional, as on the agents page.
func (h *Handler) agentPage(w http.ResponseWriter, r *http.Request, v *view) error {
	ctx := v.ctx()
	a, err := h.Agents.Get(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	d := agentData{Agent: a, StatusLabel: statusLabels[a.Status], Since: statusFor(a.StatusSince, h.Now())}
	hist, err := h.Agents.History(ctx, a.ID, pageRange(r.URL.Query().Get("range")))
	if err != nil {
		return err
	}
	d.History = agentHistoryChart(hist, r.URL)
	if d.Rules, err = h.ReportingRules.List(ctx); optional(err) != nil {
		return err
	}
	if d.Labels, _, err = v.labelList(); err != nil {
		return err
	}
	return v.show(w, "agent", "Agent "+a.ID, "agents", d)
}
