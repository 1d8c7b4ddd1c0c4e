package web

import (
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/telegrafcontroller/tc"
)

// Agent is an agent as the API returns it.
type Agent struct {
	ID              string    `json:"id"`
	Hostname        string    `json:"hostname"`
	IP              string    `json:"ip"`
	Version         string    `json:"version"`
	Status          string    `json:"status"`
	ReportedStatus  string    `json:"reportedStatus"`
	ReportingRuleID string    `json:"reportingRuleId"`
	FirstSeen       time.Time `json:"firstSeen"`
	LastSeen        time.Time `json:"lastSeen"`
	LabelIDs        []string  `json:"labelIds"`
	ConfigIDs       []string  `json:"configIds"`
	ExternalConfigs []string  `json:"externalConfigs"`
	Statistics      struct {
		LastErrors    int64 `json:"lastErrors"`
		LastWarnings  int64 `json:"lastWarnings"`
		LastMetrics   int64 `json:"lastMetrics"`
		TotalErrors   int64 `json:"totalErrors"`
		TotalWarnings int64 `json:"totalWarnings"`
		TotalMetrics  int64 `json:"totalMetrics"`
	} `json:"statistics"`
	Logs []struct {
		Time    string `json:"time"`
		Level   string `json:"level"`
		Source  string `json:"source"`
		Message string `json:"message"`
	} `json:"logs"`
	ReportingRule *Rule   `json:"reportingRule"`
	Labels        []Label `json:"labels"`
	Configs       []struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"configs"`
}

// Summary is the fleet's count per status.
type Summary struct {
	Total        int `json:"total"`
	OK           int `json:"ok"`
	Warn         int `json:"warn"`
	Fail         int `json:"fail"`
	Undefined    int `json:"undefined"`
	NotReporting int `json:"notReporting"`
}

// Segment is one status's part of the summary bar.
type Segment struct {
	Key, Label string
	Count      int
	Percent    float64
	Offset     float64 // percent of the bar before this segment
}

// Segments lists the summary bar in display order.
func (s Summary) Segments() []Segment {
	segs := []Segment{
		{Key: "ok", Label: "OK", Count: s.OK}, {Key: "warn", Label: "Warn", Count: s.Warn}, {Key: "fail", Label: "Fail", Count: s.Fail},
		{Key: "undefined", Label: "Undefined", Count: s.Undefined}, {Key: "not_reporting", Label: "Not reporting", Count: s.NotReporting},
	}
	var at float64
	for i := range segs {
		segs[i].Percent = percent(segs[i].Count, s.Total)
		segs[i].Offset = at
		at += segs[i].Percent
	}
	return segs
}

// statusLabels names the agent statuses for people.
var statusLabels = map[string]string{"ok": "OK", "warn": "Warn", "fail": "Fail", "undefined": "Undefined", "not_reporting": "Not reporting"}

type agentRow struct {
	Agent
	StatusLabel string
	Labels      []Label
}

type agentsData struct {
	Q        listQuery
	Status   string
	ConfigID string
	RuleID   string
	LabelID  string
	Summary  Summary
	Chart    template.HTML
	Rows     []agentRow
	Configs  []tc.ConfigRef // the config filter's drop-down
	Rules    []Rule
	Labels   []Label
	Statuses []Segment
}

func (h *Handler) agentsPage(w http.ResponseWriter, r *http.Request, v *view) error {
	q := r.URL.Query()
	lq := newListQuery(r, "name", "asc", 25)
	d := agentsData{Status: q.Get("status"), ConfigID: q.Get("configId"), RuleID: q.Get("reportingRuleId"), LabelID: q.Get("labelId")}
	var l struct {
		Items      []Agent `json:"items"`
		Total      int     `json:"total"`
		TotalExact *bool   `json:"totalExact"`
	}
	apiQ := lq.values(map[string]string{"status": d.Status, "configId": d.ConfigID, "reportingRuleId": d.RuleID, "labelId": d.LabelID})
	if err := v.get("/api/agents?"+apiQ.Encode(), &l); err != nil {
		return err
	}
	if err := v.get("/api/agents/summary", &d.Summary); err != nil {
		return err
	}
	labels, idx := v.labels()
	d.Labels = labels
	for _, a := range l.Items {
		d.Rows = append(d.Rows, agentRow{Agent: a, StatusLabel: statusLabels[a.Status], Labels: idx.of(a.LabelIDs)})
	}
	lq.setTotal(l.Total, len(l.Items))
	lq.Inexact = l.TotalExact != nil && !*l.TotalExact
	d.Q = lq
	var rl list[Rule]
	v.get("/api/reporting-rules", &rl)
	d.Rules = rl.Items
	if v.caller.Can(tc.Perm(tc.ResConfigs, tc.ActionRead)) {
		// The list carries no TOML (a config can be megabytes, and this
		// page is reloaded every 5 s); the drop-down reads ids and names.
		var cl list[tc.ConfigRef]
		v.get("/api/configs?sortBy=name&sortOrder=asc&limit=200", &cl)
		d.Configs = cl.Items
	}
	d.Statuses = d.Summary.Segments()
	if h.FleetHealth != nil {
		now := h.Now()
		samples, err := h.FleetHealth(r.Context(), now.Add(-24*time.Hour), now)
		if err != nil {
			h.Logger.Warn("read fleet health", "error", err)
		}
		d.Chart = fleetChart(samples, now)
	}
	return v.show(w, "agents", "Agents", "agents", d)
}

type agentData struct {
	Agent       Agent
	StatusLabel string
	Rules       []Rule
	Labels      []Label
}

func (h *Handler) agentPage(w http.ResponseWriter, r *http.Request, v *view) error {
	var a Agent
	if err := v.get("/api/agents/"+url.PathEscape(r.PathValue("id")), &a); err != nil {
		return err
	}
	d := agentData{Agent: a, StatusLabel: statusLabels[a.Status]}
	var rl list[Rule]
	v.get("/api/reporting-rules", &rl)
	d.Rules = rl.Items
	d.Labels, _ = v.labels()
	return v.show(w, "agent", "Agent "+a.ID, "agents", d)
}

// FleetSample is one scheduler tick's status counts.
type FleetSample = tc.FleetHealthSample

// fleetChart draws the last 24 hours of samples as stacked areas, one per
// status, in an SVG rendered on the server (no JavaScript needed).
func fleetChart(samples []FleetSample, now time.Time) template.HTML {
	const w, hgt, left, bottom, top = 900.0, 250.0, 56.0, 26.0, 10.0
	samples = thin(samples, 288)
	plotW, plotH := w-left-8, hgt-bottom-top
	from := now.Add(-24 * time.Hour)
	maxTotal := int64(0)
	for _, s := range samples {
		maxTotal = max(maxTotal, s.OK+s.Warn+s.Fail+s.Undefined+s.NotReporting)
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg viewBox="0 0 %.0f %.0f" role="img" aria-labelledby="chart-title chart-desc" xmlns="http://www.w3.org/2000/svg">`, w, hgt)
	b.WriteString(`<title id="chart-title">Agents by status over the last 24 hours</title>`)
	if len(samples) == 0 || maxTotal == 0 {
		b.WriteString(`<desc id="chart-desc">No samples yet.</desc>`)
		fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" text-anchor="middle">No samples yet: the status scheduler records one at each tick.</text></svg>`, w/2, hgt/2)
		return template.HTML(b.String())
	}
	last := samples[len(samples)-1]
	fmt.Fprintf(&b, `<desc id="chart-desc">Latest sample at %s: %d OK, %d warn, %d fail, %d undefined, %d not reporting.</desc>`,
		last.At.UTC().Format("15:04 UTC"), last.OK, last.Warn, last.Fail, last.Undefined, last.NotReporting)
	x := func(t time.Time) float64 {
		return left + plotW*float64(t.Sub(from))/float64(24*time.Hour)
	}
	y := func(n int64) float64 { return top + plotH - plotH*float64(n)/float64(maxTotal) }
	// Grid and axes.
	lastTick := int64(-1)
	for i := 0; i <= 4; i++ {
		n := maxTotal * int64(i) / 4
		if n == lastTick {
			continue
		}
		lastTick = n
		fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#e3e7ed"/>`, left, w-8, y(n), y(n))
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="end">%s</text>`, left-6, y(n)+4, thousands(int(n)))
	}
	for hr := 0; hr <= 24; hr += 6 {
		t := from.Add(time.Duration(hr) * time.Hour)
		label, anchor := t.UTC().Format("15:04"), "middle"
		if hr == 24 {
			label, anchor = "now", "end"
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="%s">%s</text>`, x(t), hgt-6, anchor, label)
	}
	type layer struct {
		class string
		get   func(FleetSample) int64
	}
	layers := []layer{
		{"seg-ok", func(s FleetSample) int64 { return s.OK }},
		{"seg-warn", func(s FleetSample) int64 { return s.Warn }},
		{"seg-fail", func(s FleetSample) int64 { return s.Fail }},
		{"seg-undefined", func(s FleetSample) int64 { return s.Undefined }},
		{"seg-not_reporting", func(s FleetSample) int64 { return s.NotReporting }},
	}
	base := make([]int64, len(samples))
	for _, l := range layers {
		var pts strings.Builder
		tops := make([]int64, len(samples))
		for i, s := range samples {
			tops[i] = base[i] + l.get(s)
			fmt.Fprintf(&pts, "%.1f,%.1f ", x(s.At), y(tops[i]))
		}
		for i := len(samples) - 1; i >= 0; i-- {
			fmt.Fprintf(&pts, "%.1f,%.1f ", x(samples[i].At), y(base[i]))
		}
		if len(samples) == 1 { // a single sample: a thin bar instead of a zero-width area
			s := samples[0]
			fmt.Fprintf(&b, `<rect class="%s" x="%.1f" y="%.1f" width="4" height="%.1f"/>`, l.class, x(s.At)-4, y(tops[0]), y(base[0])-y(tops[0]))
		} else {
			fmt.Fprintf(&b, `<polygon class="%s" points="%s"/>`, l.class, strings.TrimSpace(pts.String()))
		}
		base = tops
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// thin keeps at most n samples, evenly spread and always the latest, so a
// day of one-minute ticks draws as a few hundred points.
func thin(samples []FleetSample, n int) []FleetSample {
	if len(samples) <= n {
		return samples
	}
	step := (len(samples) + n - 1) / n
	out := make([]FleetSample, 0, n+1)
	for i := 0; i < len(samples); i += step {
		out = append(out, samples[i])
	}
	if last := samples[len(samples)-1]; out[len(out)-1].At != last.At {
		out = append(out, last)
	}
	return out
}
