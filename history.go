package tc

import (
	"slices"
	"time"
)

// HistoryRange is a span of time ending now that a history shows: the
// fleet-health chart's and an agent's reporting history's.
type HistoryRange struct {
	Name string // as in a URL: "1h", "6h", "24h", "7d"
	Span time.Duration
}

// HistoryRanges are the ranges a history may show, shortest first.
var HistoryRanges = []HistoryRange{
	{"1h", time.Hour}, {"6h", 6 * time.Hour}, {"24h", 24 * time.Hour}, {"7d", 7 * 24 * time.Hour},
}

// DefaultHistoryRange is the range shown when none is asked for.
const DefaultHistoryRange = "24h"

// Agent history retention, in hours: a week by default (the longest
// range), at most a year.
const (
	DefaultAgentHistoryRetentionHours = 168
	MaxAgentHistoryRetentionHours     = 8760
)

// ValidAgentHistoryRetention reports whether h hours is a retention the
// agents' history may have.
func ValidAgentHistoryRetention(h int) bool { return h >= 1 && h <= MaxAgentHistoryRetentionHours }

// HistoryPoints is about how many points a history holds: a range is cut
// into steps of Span/HistoryPoints, rounded up to whole units of what was
// recorded, so a chart gets a few hundred points whatever the range.
const HistoryPoints = 240

// ParseHistoryRange reads a range by name; "" is DefaultHistoryRange.
// Errors: EINVALID naming the field "range".
func ParseHistoryRange(name string) (HistoryRange, error) {
	if name == "" {
		name = DefaultHistoryRange
	}
	i := slices.IndexFunc(HistoryRanges, func(r HistoryRange) bool { return r.Name == name })
	if i < 0 {
		return HistoryRange{}, FieldErrorf("range", "Range must be one of 1h, 6h, 24h or 7d")
	}
	return HistoryRanges[i], nil
}

// Step is the width of one point of r over data recorded every unit:
// Span/HistoryPoints rounded up to a whole number of units, at least one.
func (r HistoryRange) Step(unit time.Duration) time.Duration {
	if unit <= 0 {
		unit = time.Second
	}
	n := (r.Span/HistoryPoints + unit - 1) / unit
	return max(n, 1) * unit
}

// Window is the time r covers at now, cut into steps: from is the start of
// the first step (aligned to a multiple of step since the Unix epoch, so a
// chart redrawn later keeps its points), to is now.
func (r HistoryRange) Window(now time.Time, step time.Duration) (from, to time.Time) {
	start := now.Add(-r.Span)
	return time.Unix(0, start.UnixNano()-start.UnixNano()%int64(step)), now
}

// ThinFleetHealth keeps at most n samples, evenly spread and always the
// latest, so that a week of one-minute ticks is a few hundred points.
func ThinFleetHealth(samples []FleetHealthSample, n int) []FleetHealthSample {
	if len(samples) <= n || n < 1 {
		return samples
	}
	step := (len(samples) + n - 1) / n
	out := make([]FleetHealthSample, 0, n+1)
	for i := 0; i < len(samples); i += step {
		out = append(out, samples[i])
	}
	if last := samples[len(samples)-1]; !out[len(out)-1].At.Equal(last.At) {
		out = append(out, last)
	}
	return out
}

// FleetHealth is the fleet-health chart's data over one range.
type FleetHealth struct {
	Range   string              `json:"range"`
	From    time.Time           `json:"from"`
	To      time.Time           `json:"to"`
	Samples []FleetHealthSample `json:"samples"`
}

// StatusRank orders the statuses a heartbeat reports from best to worst
// (ok, undefined, warn, fail), as the history stores them: the worst of a
// bucket is the highest rank. Anything else ranks as undefined.
func StatusRank(status string) int {
	switch status {
	case AgentOK:
		return 0
	case AgentWarn:
		return 2
	case AgentFail:
		return 3
	}
	return 1
}

// rankedStatuses are the reported statuses by StatusRank.
var rankedStatuses = []string{AgentOK, AgentUndefined, AgentWarn, AgentFail}

// StatusOfRank is the status of a StatusRank.
func StatusOfRank(rank int) string {
	if rank < 0 || rank >= len(rankedStatuses) {
		return AgentUndefined
	}
	return rankedStatuses[rank]
}

// timelineSeverity orders a timeline's statuses, least severe first: a
// step that saw several shows the most severe (a failure is never hidden
// by a gap around it, nor a gap by the beats around it).
var timelineSeverity = []string{"", AgentOK, AgentUndefined, AgentWarn, AgentNotReporting, AgentFail}

func worse(a, b string) string {
	if slices.Index(timelineSeverity, b) > slices.Index(timelineSeverity, a) {
		return b
	}
	return a
}

// AgentHistoryBucket is what an agent's heartbeats reported within one
// bucket of the controller's history (--agent-history-bucket): the worst
// status, how many beats, and the metrics, errors and warnings they added.
type AgentHistoryBucket struct {
	Start    time.Time
	Status   string
	Beats    int64
	Metrics  int64
	Errors   int64
	Warnings int64
}

// AgentHistoryPoint is one step of an agent's reporting history. Status is
// the worst of the step: a reported status, not_reporting when the agent
// was silent for longer than its rule allows during part of it, or "" when
// nothing is known (before the agent was first heard).
type AgentHistoryPoint struct {
	At       time.Time `json:"at"`
	Status   string    `json:"status"`
	Beats    int64     `json:"beats"`
	Metrics  int64     `json:"metrics"`
	Errors   int64     `json:"errors"`
	Warnings int64     `json:"warnings"`
}

// AgentHistoryPeriod is a run of steps with one status: the timeline.
type AgentHistoryPeriod struct {
	From   time.Time `json:"from"`
	To     time.Time `json:"to"`
	Status string    `json:"status"`
}

// AgentHistory is an agent's reporting history over one range: one point
// per step from From to To, and the status timeline they make.
type AgentHistory struct {
	AgentID string    `json:"agentId"`
	Range   string    `json:"range"`
	From    time.Time `json:"from"`
	To      time.Time `json:"to"`
	// StepSeconds is the width of a point; BucketSeconds that of what the
	// controller records (0: the history is off).
	StepSeconds   int64                `json:"stepSeconds"`
	BucketSeconds int64                `json:"bucketSeconds"`
	Points        []AgentHistoryPoint  `json:"points"`
	Periods       []AgentHistoryPeriod `json:"periods"`
}

// BuildAgentHistory turns an agent's stored buckets (of width bucket,
// oldest first) into one point per step over [from, to). Silences are not
// recorded: they are the gaps between buckets. An agent counts as heard
// from the start of a bucket with beats until silentAfter (its reporting
// rule's threshold) past the bucket's end; any other time after firstSeen
// is not_reporting, as the status sweep would have marked it.
func BuildAgentHistory(buckets []AgentHistoryBucket, bucket, step, silentAfter time.Duration, from, to, firstSeen time.Time) ([]AgentHistoryPoint, []AgentHistoryPeriod) {
	if step <= 0 || !from.Before(to) {
		return []AgentHistoryPoint{}, []AgentHistoryPeriod{}
	}
	n := int((to.Sub(from) + step - 1) / step)
	points := make([]AgentHistoryPoint, n)
	for i := range points {
		points[i].At = from.Add(time.Duration(i) * step)
	}
	slot := func(t time.Time) int { return int(t.Sub(from) / step) }
	// Heard intervals: [start, end + silentAfter) of each bucket, merged.
	type span struct{ from, to time.Time }
	var heard []span
	for _, b := range buckets {
		if b.Beats == 0 {
			continue
		}
		end := b.Start.Add(bucket + silentAfter)
		if k := len(heard) - 1; k >= 0 && !b.Start.After(heard[k].to) {
			if end.After(heard[k].to) {
				heard[k].to = end
			}
		} else {
			heard = append(heard, span{b.Start, end})
		}
	}
	// Each step: the worst status of its buckets and of the status the
	// agent last reported before it, while that still holds: an agent
	// beating every few minutes stays ok between its buckets.
	var carry string
	var carryUntil time.Time
	bi := 0
	take := func(b AgentHistoryBucket) {
		carry = StatusOfRank(StatusRank(b.Status))
		if end := b.Start.Add(bucket + silentAfter); end.After(carryUntil) {
			carryUntil = end
		}
	}
	for i := range points {
		p := &points[i]
		end := p.At.Add(step)
		for ; bi < len(buckets) && buckets[bi].Start.Before(p.At); bi++ {
			if buckets[bi].Beats > 0 {
				take(buckets[bi])
			}
		}
		// (Unless the step opens with a bucket of its own: a status
		// change then shows in the step it happened in, not the one before.)
		opens := bi < len(buckets) && buckets[bi].Start.Equal(p.At) && buckets[bi].Beats > 0
		if carry != "" && p.At.Before(carryUntil) && !opens {
			p.Status = carry
		}
		for ; bi < len(buckets) && buckets[bi].Start.Before(end); bi++ {
			b := buckets[bi]
			if b.Beats == 0 {
				continue
			}
			p.Status = worse(p.Status, StatusOfRank(StatusRank(b.Status)))
			p.Beats += b.Beats
			p.Metrics += b.Metrics
			p.Errors += b.Errors
			p.Warnings += b.Warnings
			take(b)
		}
	}
	// Silences: after firstSeen, outside every heard interval.
	known := from
	if firstSeen.After(known) {
		known = firstSeen
	}
	mark := func(a, b time.Time) {
		if a.Before(known) {
			a = known
		}
		if b.After(to) {
			b = to
		}
		if !a.Before(b) {
			return
		}
		for i := slot(a); i < n && points[i].At.Before(b); i++ {
			points[i].Status = worse(points[i].Status, AgentNotReporting)
		}
	}
	at := known
	for _, h := range heard {
		mark(at, h.from)
		if h.to.After(at) {
			at = h.to
		}
	}
	mark(at, to)
	var periods []AgentHistoryPeriod
	for i, p := range points {
		end := p.At.Add(step)
		if end.After(to) {
			end = to
		}
		if k := len(periods) - 1; k >= 0 && periods[k].Status == p.Status {
			periods[k].To = end
			continue
		}
		if i == 0 {
			p.At = from
		}
		periods = append(periods, AgentHistoryPeriod{From: p.At, To: end, Status: p.Status})
	}
	return points, periods
}
