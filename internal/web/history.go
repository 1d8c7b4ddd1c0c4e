package web

import (
	"fmt"
	"html/template"
	"net/url"
	"strings"
	"time"

	"github.com/telegrafcontroller/tc"
)

// The history charts: the agents page's fleet health and the agent page's
// reporting history. Each is an SVG drawn here (nothing needs JavaScript)
// with a table of the same values beside it, so every value is readable
// without a pointer; static/history.js adds a tooltip that follows the
// pointer or the arrow keys, and writes the times in the browser's zone
// (the server writes UTC, in <time datetime> and data-at attributes).

// Chart geometry, in viewBox units.
const (
	chartW     = 900.0
	chartLeft  = 56.0
	chartRight = 8.0
	chartTop   = 10.0
	axisH      = 26.0
)

// rangeLink is one of a chart's range choices: a link, so it works
// without JavaScript and the range stays in the URL.
type rangeLink struct {
	Name, Label, URL string
	Active           bool
}

// rangeLabels name the ranges for people.
var rangeLabels = map[string]string{"1h": "1 hour", "6h": "6 hours", "24h": "24 hours", "7d": "7 days"}

// rangeLinks lists the ranges as links to base with its range parameter
// set.
func rangeLinks(base *url.URL, active string) []rangeLink {
	out := make([]rangeLink, 0, len(tc.HistoryRanges))
	for _, r := range tc.HistoryRanges {
		out = append(out, rangeLink{Name: r.Name, Label: rangeLabels[r.Name], URL: withQuery(base, "range", r.Name), Active: r.Name == active})
	}
	return out
}

// pageRange is the range a page was asked for: an unknown one shows the
// default (the API answers 400; a page just draws the default).
func pageRange(v string) string {
	if r, err := tc.ParseHistoryRange(v); err == nil {
		return r.Name
	}
	return tc.DefaultHistoryRange
}

// timeAxis maps the times of [from, to] onto the plot's width.
type timeAxis struct {
	from, to time.Time
	format   string // the label's form: "hm" (15:04) or "md" (Jan 2), as history.js knows them
}

func newTimeAxis(from, to time.Time) timeAxis {
	a := timeAxis{from: from, to: to, format: "hm"}
	if to.Sub(from) > 25*time.Hour {
		a.format = "md"
	}
	return a
}

func (a timeAxis) x(t time.Time) float64 {
	span := a.to.Sub(a.from)
	if span <= 0 {
		return chartLeft
	}
	return chartLeft + (chartW-chartLeft-chartRight)*float64(t.Sub(a.from))/float64(span)
}

// label writes t as the axis shows it, in UTC; history.js rewrites it in
// the browser's zone from data-at.
func (a timeAxis) label(t time.Time) string {
	if a.format == "md" {
		return t.UTC().Format("Jan 2")
	}
	return t.UTC().Format("15:04")
}

// draw writes the axis's five labels at y, the last one "now".
func (a timeAxis) draw(b *strings.Builder, y float64) {
	for i := 0; i <= 4; i++ {
		t := a.from.Add(a.to.Sub(a.from) * time.Duration(i) / 4)
		if i == 4 {
			fmt.Fprintf(b, `<text x="%.1f" y="%.1f" text-anchor="end">now</text>`, a.x(t), y)
			continue
		}
		anchor := "middle"
		if i == 0 {
			anchor = "start"
		}
		fmt.Fprintf(b, `<text x="%.1f" y="%.1f" text-anchor="%s" data-at="%s" data-fmt="%s">%s</text>`,
			a.x(t), y, anchor, t.UTC().Format(time.RFC3339), a.format, a.label(t))
	}
}

// chartRow is one point of a chart's values table: X is where the point
// is drawn (viewBox units), which history.js finds the nearest row by.
type chartRow struct {
	X      string
	At     time.Time
	Status string // the agent history's; "" elsewhere
	Values []int64
}

// fleetChartData is the agents page's chart: the range links, the SVG and
// its values.
type fleetChartData struct {
	Range  string
	Label  string
	Ranges []rangeLink
	SVG    template.HTML
	Rows   []chartRow
}

// fleetLayers are the fleet chart's stacked areas, bottom first.
var fleetLayers = []struct {
	class string
	get   func(tc.FleetHealthSample) int64
}{
	{"seg-ok", func(s tc.FleetHealthSample) int64 { return s.OK }},
	{"seg-warn", func(s tc.FleetHealthSample) int64 { return s.Warn }},
	{"seg-fail", func(s tc.FleetHealthSample) int64 { return s.Fail }},
	{"seg-undefined", func(s tc.FleetHealthSample) int64 { return s.Undefined }},
	{"seg-not_reporting", func(s tc.FleetHealthSample) int64 { return s.NotReporting }},
}

// fleetChart draws fh's samples as stacked areas, one per status, over its
// whole range, with their values as rows.
func fleetChart(fh *tc.FleetHealth, base *url.URL) fleetChartData {
	d := fleetChartData{Range: fh.Range, Label: rangeLabels[fh.Range], Ranges: rangeLinks(base, fh.Range)}
	const hgt = 250.0
	samples := fh.Samples
	plotH := hgt - axisH - chartTop
	ax := newTimeAxis(fh.From, fh.To)
	maxTotal := int64(0)
	for _, s := range samples {
		maxTotal = max(maxTotal, s.OK+s.Warn+s.Fail+s.Undefined+s.NotReporting)
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg viewBox="0 0 %.0f %.0f" role="img" aria-labelledby="chart-title chart-desc" xmlns="http://www.w3.org/2000/svg" data-chart="fleet-values">`, chartW, hgt)
	fmt.Fprintf(&b, `<title id="chart-title">Agents by status over the last %s</title>`, rangeLabels[fh.Range])
	if len(samples) == 0 || maxTotal == 0 {
		b.WriteString(`<desc id="chart-desc">No samples yet.</desc>`)
		fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" text-anchor="middle">No samples in this range: the status scheduler records one at each tick.</text></svg>`, chartW/2, hgt/2)
		d.SVG = template.HTML(b.String())
		return d
	}
	last := samples[len(samples)-1]
	fmt.Fprintf(&b, `<desc id="chart-desc">Latest sample at %s: %d OK, %d warn, %d fail, %d undefined, %d not reporting. Arrow keys step through the samples; the table below lists them.</desc>`,
		last.At.UTC().Format("15:04 UTC"), last.OK, last.Warn, last.Fail, last.Undefined, last.NotReporting)
	y := func(n int64) float64 { return chartTop + plotH - plotH*float64(n)/float64(maxTotal) }
	lastTick := int64(-1)
	for i := 0; i <= 4; i++ {
		n := maxTotal * int64(i) / 4
		if n == lastTick {
			continue
		}
		lastTick = n
		fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" class="grid"/>`, chartLeft, chartW-chartRight, y(n), y(n))
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="end">%s</text>`, chartLeft-6, y(n)+4, thousands(int(n)))
	}
	ax.draw(&b, hgt-6)
	base0 := make([]int64, len(samples))
	for _, l := range fleetLayers {
		var pts strings.Builder
		tops := make([]int64, len(samples))
		for i, s := range samples {
			tops[i] = base0[i] + l.get(s)
			fmt.Fprintf(&pts, "%.1f,%.1f ", ax.x(s.At), y(tops[i]))
		}
		for i := len(samples) - 1; i >= 0; i-- {
			fmt.Fprintf(&pts, "%.1f,%.1f ", ax.x(samples[i].At), y(base0[i]))
		}
		if len(samples) == 1 { // a single sample: a thin bar instead of a zero-width area
			s := samples[0]
			fmt.Fprintf(&b, `<rect class="%s" x="%.1f" y="%.1f" width="4" height="%.1f"/>`, l.class, ax.x(s.At)-4, y(tops[0]), y(base0[0])-y(tops[0]))
		} else {
			fmt.Fprintf(&b, `<polygon class="%s" points="%s"/>`, l.class, strings.TrimSpace(pts.String()))
		}
		base0 = tops
	}
	hoverLine(&b, chartTop, chartTop+plotH)
	b.WriteString(`</svg>`)
	d.SVG = template.HTML(b.String())
	for _, s := range samples {
		d.Rows = append(d.Rows, chartRow{X: fmt.Sprintf("%.1f", ax.x(s.At)), At: s.At,
			Values: []int64{s.OK, s.Warn, s.Fail, s.Undefined, s.NotReporting, s.Total}})
	}
	return d
}

// hoverLine is the vertical line history.js moves to the point shown.
func hoverLine(b *strings.Builder, y1, y2 float64) {
	fmt.Fprintf(b, `<line class="hover" x1="0" x2="0" y1="%.1f" y2="%.1f" visibility="hidden"/>`, y1, y2)
}

// agentHistoryData is the agent page's history section.
type agentHistoryData struct {
	History *tc.AgentHistory
	Label   string
	Ranges  []rangeLink
	SVG     template.HTML
	Rows    []chartRow
	// Off: the controller keeps no history (--agent-history-bucket=0).
	Off bool
}

// historyStatusLabel names a timeline status for people.
func historyStatusLabel(s string) string {
	if s == "" {
		return "No data"
	}
	return statusLabels[s]
}

// agentHistoryChart draws h: the status timeline as a band of periods,
// then the metrics, then the errors and warnings of each step as bars.
func agentHistoryChart(h *tc.AgentHistory, base *url.URL) agentHistoryData {
	d := agentHistoryData{History: h, Label: rangeLabels[h.Range], Ranges: rangeLinks(base, h.Range), Off: h.BucketSeconds == 0}
	if d.Off {
		return d
	}
	const bandY, bandH, metY, metH, ewY, ewH = 10.0, 24.0, 52.0, 80.0, 150.0, 50.0
	const hgt = ewY + ewH + axisH
	ax := newTimeAxis(h.From, h.To)
	step := time.Duration(h.StepSeconds) * time.Second
	var maxMetrics, maxEW int64
	for _, p := range h.Points {
		maxMetrics = max(maxMetrics, p.Metrics)
		maxEW = max(maxEW, p.Errors+p.Warnings)
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg viewBox="0 0 %.0f %.0f" role="img" aria-labelledby="history-title history-desc" xmlns="http://www.w3.org/2000/svg" data-chart="history-values">`, chartW, hgt)
	fmt.Fprintf(&b, `<title id="history-title">Reporting history over the last %s</title>`, rangeLabels[h.Range])
	var desc []string
	for _, p := range h.Periods {
		if p.Status != "" && p.Status != tc.AgentOK {
			desc = append(desc, historyStatusLabel(p.Status)+" from "+p.From.UTC().Format("Jan 2 15:04")+" to "+p.To.UTC().Format("Jan 2 15:04 UTC"))
		}
	}
	if len(desc) == 0 {
		desc = []string{"No problem in this range."}
	} else if len(desc) > 5 {
		desc = append(desc[:5], fmt.Sprintf("and %d more periods", len(desc)-5))
	}
	fmt.Fprintf(&b, `<desc id="history-desc">%s Arrow keys step through the points; the table below lists them.</desc>`, template.HTMLEscapeString(strings.Join(desc, "; ")))
	// Labels of the three parts.
	fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="end">Status</text>`, chartLeft-6, bandY+bandH/2+5)
	fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="end">%s</text>`, chartLeft-6, metY+12, thousands(maxMetrics))
	fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="start" class="part">Metrics</text>`, chartLeft+4, metY+12)
	fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="end">%s</text>`, chartLeft-6, ewY+12, thousands(maxEW))
	fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="start" class="part">Errors and warnings</text>`, chartLeft+4, ewY+12)
	for _, y := range []float64{metY + metH, ewY + ewH} {
		fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" class="grid"/>`, chartLeft, chartW-chartRight, y, y)
	}
	for _, p := range h.Periods {
		status := p.Status
		if status == "" {
			status = "none"
		}
		fmt.Fprintf(&b, `<rect class="seg-%s" x="%.1f" y="%.1f" width="%.1f" height="%.1f"/>`, status, ax.x(p.From), bandY, max(ax.x(p.To)-ax.x(p.From), 0.5), bandH)
	}
	for _, p := range h.Points {
		end := p.At.Add(step)
		if end.After(h.To) {
			end = h.To
		}
		x, w := ax.x(p.At), max(ax.x(end)-ax.x(p.At)-0.6, 0.5)
		if p.Metrics > 0 {
			bh := metH * float64(p.Metrics) / float64(maxMetrics)
			fmt.Fprintf(&b, `<rect class="bar-metrics" x="%.1f" y="%.1f" width="%.1f" height="%.1f"/>`, x, metY+metH-bh, w, bh)
		}
		if p.Errors+p.Warnings > 0 {
			eh := ewH * float64(p.Errors) / float64(maxEW)
			wh := ewH * float64(p.Warnings) / float64(maxEW)
			if p.Errors > 0 {
				fmt.Fprintf(&b, `<rect class="seg-fail" x="%.1f" y="%.1f" width="%.1f" height="%.1f"/>`, x, ewY+ewH-eh, w, eh)
			}
			if p.Warnings > 0 {
				fmt.Fprintf(&b, `<rect class="seg-warn" x="%.1f" y="%.1f" width="%.1f" height="%.1f"/>`, x, ewY+ewH-eh-wh, w, wh)
			}
		}
		mid := p.At.Add(step / 2)
		if mid.After(h.To) {
			mid = h.To
		}
		d.Rows = append(d.Rows, chartRow{X: fmt.Sprintf("%.1f", ax.x(mid)), At: p.At, Status: p.Status,
			Values: []int64{p.Beats, p.Metrics, p.Errors, p.Warnings}})
	}
	ax.draw(&b, hgt-6)
	hoverLine(&b, bandY, ewY+ewH)
	b.WriteString(`</svg>`)
	d.SVG = template.HTML(b.String())
	return d
}
