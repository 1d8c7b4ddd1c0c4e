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
// first, update or repeat) naming the firing subjects, or resolved naming
// the subjects of the last message. base is the UI's public URL ("" when
// unknown: no links).
func buildMessage(r *tc.AlertRule, reason string, subjects []*tc.Alert, count int, g tc.AlertGroup, now time.Time, base string) notify.Message {
	base = strings.TrimRight(base, "/")
	status := notify.StatusFiring
	if reason == tc.NotifyResolved {
		status = notify.StatusResolved
	}
	m := notify.Message{
		RuleID: r.ID, RuleName: r.Name, Event: r.Event, Status: status, Count: count,
		Summary:  fmt.Sprintf("%s %s (rule %s)", countNoun(count, r), eventPhrase(r), r.Name),
		Labels:   map[string]string{"source": "telegraf-controller", "tc_reason": reason},
		StartsAt: g.Since,
	}
	if m.StartsAt.IsZero() {
		m.StartsAt = now
	}
	if status == notify.StatusResolved {
		m.EndsAt = now
	}
	if base != "" {
		m.Link = base + r.AgentsLink()
	}
	for i, a := range subjects {
		if i == maxSubjects {
			break
		}
		s := notify.Subject{Kind: a.SubjectKind, ID: a.SubjectID, Name: a.SubjectName, Status: a.Detail}
		if status == notify.StatusResolved {
			s.Status = tc.AlertResolved
		}
		if base != "" {
			if a.SubjectKind == tc.SubjectToken {
				s.Link = base + "/tokens"
			} else {
				s.Link = base + "/agents/" + url.PathEscape(a.SubjectID)
			}
		}
		m.Subjects = append(m.Subjects, s)
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
	if m.Link != "" {
		fmt.Fprintf(&b, "%s\n", m.Link)
	}
	m.Text = b.String()
	m.Annotations = map[string]string{"summary": m.Summary}
	if r.Description != "" {
		m.Annotations["rule_description"] = r.Description
	}
	return m
}
