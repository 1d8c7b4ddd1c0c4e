package tc_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/telegrafcontroller/tc"
)

func TestAlertRuleValidate(t *testing.T) {
	base := func() tc.AlertRule {
		r := tc.NewAlertRule()
		r.Name, r.Event = " DC A ", tc.AlertNotReporting
		return r
	}
	r := base()
	r.ChannelIDs = []string{" c1", "c1", "c2"}
	if err := r.Validate(); err != nil {
		t.Fatal(err)
	}
	if r.Name != "DC A" || strings.Join(r.ChannelIDs, ",") != "c1,c2" {
		t.Errorf("validated rule: name %q, channels %v", r.Name, r.ChannelIDs)
	}
	for _, c := range []struct {
		field string
		edit  func(r *tc.AlertRule)
	}{
		{"name", func(r *tc.AlertRule) { r.Name = " " }},
		{"name", func(r *tc.AlertRule) { r.Name = strings.Repeat("x", 101) }},
		{"event", func(r *tc.AlertRule) { r.Event = "down" }},
		{"forSeconds", func(r *tc.AlertRule) { r.ForSeconds = -1 }},
		{"groupWaitSeconds", func(r *tc.AlertRule) { r.GroupWaitSeconds = 86401 }},
		{"groupIntervalSeconds", func(r *tc.AlertRule) { r.GroupIntervalSeconds = 0 }},
		{"repeatIntervalSeconds", func(r *tc.AlertRule) { r.RepeatIntervalSeconds = 59 }},
		{"tokenExpiryDays", func(r *tc.AlertRule) { r.TokenExpiryDays = 3 }},
		{"tokenExpiryDays", func(r *tc.AlertRule) { r.Event = tc.AlertTokenExpiry }},
		{"scope", func(r *tc.AlertRule) {
			r.Event, r.TokenExpiryDays, r.Scope.LabelIDs = tc.AlertTokenExpiry, 7, []string{"l"}
		}},
		{"channelIds", func(r *tc.AlertRule) { r.ChannelIDs = []string{""} }},
		{"scope.labelIds", func(r *tc.AlertRule) {
			for i := range 21 {
				r.Scope.LabelIDs = append(r.Scope.LabelIDs, fmt.Sprint(i))
			}
		}},
	} {
		r := base()
		c.edit(&r)
		err := r.Validate()
		if e, ok := err.(*tc.Error); !ok || e.Code != tc.EINVALID || e.Field != c.field {
			t.Errorf("%s: Validate = %v, want EINVALID on %s", c.field, err, c.field)
		}
	}
}

func TestAlertRuleAgentsLink(t *testing.T) {
	r := tc.NewAlertRule()
	r.Event, r.Scope = tc.AlertNotReporting, tc.AlertScope{LabelIDs: []string{"a b", "c"}, ReportingRuleID: "r1"}
	if got, want := r.AgentsLink(), "/agents?status=not_reporting&labelId=a+b&reportingRuleId=r1"; got != want {
		t.Errorf("link = %q, want %q", got, want)
	}
	r.Event, r.Scope = tc.AlertStale, tc.AlertScope{ConfigID: "c1"}
	if got, want := r.AgentsLink(), "/agents?configState=stale&configId=c1"; got != want {
		t.Errorf("link = %q, want %q", got, want)
	}
}

var t0 = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

func obs(ids ...string) []tc.AlertObservation {
	out := make([]tc.AlertObservation, len(ids))
	for i, id := range ids {
		out[i] = tc.AlertObservation{Kind: tc.SubjectAgent, ID: id, Name: id, Detail: tc.AgentFail}
	}
	return out
}

// TestStepAlertsFlapping: a subject that leaves before the for-duration
// never fires; one that stays fires once and resolves once.
func TestStepAlertsFlapping(t *testing.T) {
	r := tc.NewAlertRule()
	r.ID, r.Event, r.ForSeconds = "r", tc.AlertFail, 60
	var active []*tc.Alert
	now := t0
	step := func(ids ...string) tc.AlertTransitions {
		tr := tc.StepAlerts(&r, active, obs(ids...), now)
		active = tr.Active
		now = now.Add(20 * time.Second)
		return tr
	}
	// Flapping every 40 s under a 60 s for-duration: never fires.
	for range 5 {
		if tr := step("a"); len(tr.Fired)+len(tr.Resolved) > 0 {
			t.Fatalf("fired while flapping: %+v", tr)
		}
		step("a")
		if tr := step(); len(tr.Dropped) != 1 || len(tr.Resolved) != 0 {
			t.Fatalf("a pending alert whose subject left: %+v", tr)
		}
	}
	// Staying: pending at 0, 20, 40 s, firing at 60 s.
	var fired int
	for i := range 4 {
		tr := step("a")
		fired += len(tr.Fired)
		if i < 3 && fired > 0 {
			t.Fatalf("fired after %d s", i*20)
		}
	}
	if fired != 1 || active[0].State != tc.AlertFiring {
		t.Fatalf("fired %d times, state %s", fired, active[0].State)
	}
	if tr := step(); len(tr.Resolved) != 1 || tr.Resolved[0].ResolvedAt == nil || len(tr.Active) != 0 {
		t.Fatalf("resolution: %+v", tr)
	}
}

// TestStepAlertsSinceRestartsPending: a subject that left and came back
// between two looks (its status_since moved) waits the for-duration anew.
func TestStepAlertsSinceRestartsPending(t *testing.T) {
	r := tc.NewAlertRule()
	r.ForSeconds = 60
	tr := tc.StepAlerts(&r, nil, obs("a"), t0)
	back := t0.Add(50 * time.Second)
	o := obs("a")
	o[0].Since = &back
	tr = tc.StepAlerts(&r, tr.Active, o, t0.Add(61*time.Second))
	if len(tr.Fired) != 0 || len(tr.Changed) != 1 || !tr.Active[0].Since.Equal(t0.Add(61*time.Second)) {
		t.Fatalf("came back: %+v, since %v", tr, tr.Active[0].Since)
	}
}

func TestStepAlertsForZeroFiresAtOnce(t *testing.T) {
	r := tc.NewAlertRule()
	r.ForSeconds = 0
	tr := tc.StepAlerts(&r, nil, obs("a", "b", "a"), t0)
	if len(tr.New) != 2 || tr.New[0].State != tc.AlertFiring || tr.New[0].FiredAt == nil {
		t.Fatalf("for 0: %+v", tr.New)
	}
}

// TestAlertGroupOutage is docs/alerts.md's worked example: 500 agents go
// silent in one sweep, 20 more a minute later, all come back.
func TestAlertGroupOutage(t *testing.T) {
	r := tc.NewAlertRule() // wait 30 s, interval 5 min, repeat 4 h
	g := tc.AlertGroup{RuleID: "r"}
	type step struct {
		at            time.Duration
		firing, fresh int
		want          string
	}
	for _, s := range []step{
		{0, 500, 500, ""},                // the episode begins: wait for more
		{20 * time.Second, 500, 500, ""}, // still waiting
		{30 * time.Second, 500, 500, tc.NotifyFirst},
		{90 * time.Second, 520, 20, ""}, // 20 more: wait for the interval
		{330 * time.Second, 520, 20, tc.NotifyUpdate},
		{340 * time.Second, 520, 0, ""}, // unchanged
		{4*time.Hour + 329*time.Second, 520, 0, ""},
		{4*time.Hour + 330*time.Second, 520, 0, tc.NotifyRepeat},
		{4*time.Hour + 400*time.Second, 0, 0, ""}, // clear: within the interval
		{4*time.Hour + 630*time.Second, 0, 0, tc.NotifyResolved},
		{4*time.Hour + 700*time.Second, 0, 0, ""}, // idle
	} {
		got, _ := g.Step(&r, s.firing, s.fresh, false, t0.Add(s.at))
		if got != s.want {
			t.Fatalf("at %v with %d firing (%d fresh): %q, want %q", s.at, s.firing, s.fresh, got, s.want)
		}
	}
	if !g.Since.IsZero() {
		t.Errorf("group not idle after resolving: %+v", g)
	}
}

func TestAlertGroupQuietCases(t *testing.T) {
	r := tc.NewAlertRule()
	// Cleared during the group wait: nothing, ever.
	g := tc.AlertGroup{}
	g.Step(&r, 3, 3, false, t0)
	if got, _ := g.Step(&r, 0, 0, false, t0.Add(10*time.Second)); got != "" || !g.Since.IsZero() {
		t.Fatalf("cleared in the wait: %q %+v", got, g)
	}
	// Held by muted subjects: no resolved message while they fire.
	g.Step(&r, 3, 3, false, t0)
	g.Step(&r, 3, 3, false, t0.Add(time.Minute))
	if got, _ := g.Step(&r, 0, 0, true, t0.Add(time.Hour)); got != "" || g.Since.IsZero() {
		t.Fatalf("held: %q %+v", got, g)
	}
	// Without send-resolved: a shrinking group waits for its repeat, and
	// the all-clear is silent.
	r.SendResolved = false
	if got, _ := g.Step(&r, 2, 0, false, t0.Add(2*time.Hour)); got != "" {
		t.Fatalf("shrunk without send-resolved: %q", got)
	}
	if got, _ := g.Step(&r, 0, 0, false, t0.Add(3*time.Hour)); got != "" || !g.Since.IsZero() {
		t.Fatalf("cleared without send-resolved: %q %+v", got, g)
	}
}

func TestMutes(t *testing.T) {
	ms := tc.Mutes{
		{Kind: tc.MuteAgent, TargetID: "a", Until: t0.Add(time.Hour)},
		{Kind: tc.MuteLabel, TargetID: "dc", Until: t0.Add(time.Hour)},
		{Kind: tc.MuteRule, TargetID: "r2", Until: t0.Add(time.Hour)},
	}
	for _, c := range []struct {
		rule, id string
		labels   []string
		at       time.Time
		want     bool
	}{
		{"r", "a", nil, t0, true},
		{"r", "b", nil, t0, false},
		{"r", "b", []string{"dc"}, t0, true},
		{"r2", "b", nil, t0, true},
		{"r", "a", nil, t0.Add(time.Hour), false}, // expired
	} {
		if got := ms.Muted(c.rule, tc.SubjectAgent, c.id, c.labels, c.at); got != c.want {
			t.Errorf("Muted(%s, %s, %v, %v) = %v", c.rule, c.id, c.labels, c.at, got)
		}
	}
	m := tc.AlertMute{Kind: tc.MuteAgent, TargetID: "a", Until: t0}
	if err := m.Validate(t0); err == nil || err.(*tc.Error).Field != "until" {
		t.Errorf("a mute ending now: %v", err)
	}
}
