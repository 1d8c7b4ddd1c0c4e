package alerting

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/notify"
)

// maxSubjects bounds the subjects one message carries (and its outbox row
// holds); Count stays exact. Alertmanager gets one alert per subject.
const maxSubjects = 5000

// textSubjects is how many subjects the plain-text body names.
const textSubjects = 10

// eventPhrase says what a rule's subjects are doing.
func eventPhrase(r *tc.AlertRule) string {
	switch r.Event {
	case tc.AlertNotReporting:
		return "not reporting"
	case tc.AlertFail:
		return "failing"
	case tc.AlertWarn:
		return "warning"
	case tc.AlertStale:
		return "running a stale config"
	case tc.AlertTokenExpiry:
		return fmt.Sprintf("expiring within %d days", r.TokenExpiryDays)
	}
	return r.Event
}

// countNoun is "1 agent", "500 agents", "3 tokens".
func countNoun(n int, r *tc.AlertRule) string {
	noun := "agent"
	if r.Event == tc.AlertTokenExpiry {
		noun = "token"
	}
	if n != 1 {
		noun += "s"
	}
	return fmt.Sprintf("%d %s", n, noun)
}

// buildMessage is what rule r's group says now: status firing (reason
// first, update or repeat) naming the firing subjects and those of the last
// message that left since (left), or resolved naming the subjects of the
// last message. base is the UI's public URL ("" when unknown: no links).
//
// The labels are the same in every message of a group (Alertmanager tells
// alerts apart by them); why the message goes is the annotation tc_reason.
func buildMessage(r *tc.AlertRule, reason string, subjects, left []*tc.Alert, count int, g tc.AlertGroup, now time.Time, base string) notify.Message {
	base = strings.TrimRight(base, "/")
	status := notify.StatusFiring
	if reason == tc.NotifyResolved {
		status = notify.StatusResolved
	}
	m := notify.Message{
		RuleID: r.ID, RuleName: r.Name, Event: r.Event, Status: status, Count: count,
		Summary:  fmt.Sprintf("%s %s (rule %s)", countNoun(count, r), eventPhrase(r), r.Name),
		Labels:   map[string]string{"source": "telegraf-controller"},
		StartsAt: g.Since,
	}
	if m.StartsAt.IsZero() {
		m.StartsAt = now
	}
	if status == notify.StatusResolved {
		m.EndsAt = now
	} else {
		// The group's next message is at most a repeat interval away
		// (a group interval, for an update that was waiting).
		m.ValidFor = r.Repeat() + r.GroupInterval()
	}
	if base != "" {
		m.Link = base + r.AgentsLink()
	}
	subject := func(a *tc.Alert, status string) notify.Subject {
		s := notify.Subject{Kind: a.SubjectKind, ID: a.SubjectID, Name: a.SubjectName, Status: status}
		if base != "" {
			if a.SubjectKind == tc.SubjectToken {
				s.Link = base + "/tokens"
			} else {
				s.Link = base + "/agents/" + url.PathEscape(a.SubjectID)
			}
		}
		return s
	}
	for _, a := range subjects[:min(len(subjects), maxSubjects)] {
		st := a.Detail
		if status == notify.StatusResolved {
			st = tc.AlertResolved
		}
		m.Subjects = append(m.Subjects, subject(a, st))
	}
	if status == notify.StatusFiring {
		for _, a := range left[:min(len(left), maxSubjects)] {
			m.Resolved = append(m.Resolved, subject(a, tc.AlertResolved))
		}
	}
	var b strings.Builder
	switch reason {
	case tc.NotifyResolved:
		fmt.Fprintf(&b, "Resolved: %s no longer %s (rule %s), since %s.\n", countNoun(count, r), eventPhrase(r), r.Name, g.Since.UTC().Format(time.RFC3339))
	case tc.NotifyRepeat:
		fmt.Fprintf(&b, "Still %s: %s (rule %s), since %s.\n", eventPhrase(r), countNoun(count, r), r.Name, g.Since.UTC().Format(time.RFC3339))
	default:
		fmt.Fprintf(&b, "%s %s (rule %s), since %s.\n", countNoun(count, r), eventPhrase(r), r.Name, m.StartsAt.UTC().Format(time.RFC3339))
	}
	if n := len(subjects); n > 0 {
		var names []string
		for _, a := range subjects[:min(n, textSubjects)] {
			names = append(names, a.SubjectName)
		}
		more := ""
		if count > len(names) {
			more = fmt.Sprintf(" and %d more", count-len(names))
		}
		fmt.Fprintf(&b, "%s%s.\n", strings.Join(names, ", "), more)
	}
	if n := len(m.Resolved); n > 0 {
		var names []string
		for _, s := range m.Resolved[:min(n, textSubjects)] {
			names = append(names, s.Name)
		}
		more := ""
		if len(left) > len(names) {
			more = fmt.Sprintf(" and %d more", len(left)-len(names))
		}
		fmt.Fprintf(&b, "%s recovered since the last message: %s%s.\n", countNoun(len(left), r), strings.Join(names, ", "), more)
	}
	if m.Link != "" {
		fmt.Fprintf(&b, "%s\n", m.Link)
	}
	m.Text = b.String()
	m.Annotations = map[string]string{"summary": m.Summary, "tc_reason": reason}
	if r.Description != "" {
		m.Annotations["rule_description"] = r.Description
	}
	return m
}
