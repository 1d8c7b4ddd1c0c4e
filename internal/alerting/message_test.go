package alerting

import (
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/notify"
)

func alerts(notified bool, ids ...string) []*tc.Alert {
	var out []*tc.Alert
	for _, id := range ids {
		out = append(out, &tc.Alert{ID: "alert-" + id, SubjectKind: tc.SubjectAgent, SubjectID: id, SubjectName: "host-" + id,
			Detail: tc.AgentNotReporting, Notified: notified})
	}
	return out
}

// TestLeftGroup: the subjects of the last message that no longer fire,
// once each, by subject id; not one that fires again, nor one that was
// not in the last message.
func TestLeftGroup(t *testing.T) {
	firing := alerts(true, "a")
	resolvedNotified := alerts(true, "c", "a") // a resolved, then fired again as a new alert
	resolvedNow := append(alerts(true, "b", "c"), alerts(false, "d")...)
	var got []string
	for _, a := range leftGroup(firing, resolvedNotified, resolvedNow) {
		got = append(got, a.SubjectID)
	}
	if strings.Join(got, ",") != "b,c" {
		t.Errorf("left = %v, want [b c]", got)
	}
	if left := leftGroup(firing); len(left) != 0 {
		t.Errorf("nothing resolved: left = %v", left)
	}
}

// TestMessageResolvedAndValidFor: a firing message is valid for the rule's
// repeat plus group interval and lists the subjects that left in Resolved
// (and its text names them); a resolved message has neither. Every message
// of the group has the same labels, the reason being an annotation.
func TestMessageResolvedAndValidFor(t *testing.T) {
	r := tc.NewAlertRule()
	r.ID, r.Name, r.Event = "r1", "Fleet", tc.AlertNotReporting
	r.RepeatIntervalSeconds, r.GroupIntervalSeconds = 3600, 120
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	g := tc.AlertGroup{RuleID: r.ID, Since: now.Add(-time.Hour)}
	base := "https://tc.example.test/"

	first := buildMessage(&r, tc.NotifyFirst, alerts(true, "a", "b", "c"), nil, 3, g, now, base)
	if first.ValidFor != time.Hour+2*time.Minute || len(first.Resolved) != 0 || !first.EndsAt.IsZero() {
		t.Errorf("first: ValidFor %s, %d resolved, endsAt %s", first.ValidFor, len(first.Resolved), first.EndsAt)
	}
	if first.Annotations["tc_reason"] != tc.NotifyFirst || first.Labels["tc_reason"] != "" {
		t.Errorf("first: labels %v, annotations %v", first.Labels, first.Annotations)
	}

	upd := buildMessage(&r, tc.NotifyUpdate, alerts(true, "a"), alerts(true, "b", "c"), 1, g, now, base)
	if upd.Status != notify.StatusFiring || upd.ValidFor != first.ValidFor || upd.Count != 1 || len(upd.Subjects) != 1 || len(upd.Resolved) != 2 {
		t.Fatalf("update: %+v", upd)
	}
	if s := upd.Resolved[1]; s.ID != "c" || s.Name != "host-c" || s.Status != tc.AlertResolved || s.Link != "https://tc.example.test/agents/c" {
		t.Errorf("update's resolved subject = %+v", s)
	}
	if want := "2 agents recovered since the last message: host-b, host-c."; !strings.Contains(upd.Text, want) {
		t.Errorf("update text lacks %q:\n%s", want, upd.Text)
	}
	if !maps.Equal(upd.Labels, first.Labels) {
		t.Errorf("labels changed between messages: %v, then %v", first.Labels, upd.Labels)
	}

	res := buildMessage(&r, tc.NotifyResolved, alerts(true, "a"), alerts(true, "b"), 1, g, now, base)
	if res.Status != notify.StatusResolved || res.ValidFor != 0 || len(res.Resolved) != 0 || !res.EndsAt.Equal(now) ||
		res.Subjects[0].Status != tc.AlertResolved || !maps.Equal(res.Labels, first.Labels) {
		t.Errorf("resolved: %+v", res)
	}
	if strings.Contains(first.Text, "recovered") || strings.Contains(res.Text, "recovered since") {
		t.Errorf("text mentions recovered subjects where none left:\n%s\n%s", first.Text, res.Text)
	}
}
