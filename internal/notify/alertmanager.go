package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"strings"
	"time"

	"github.com/telegrafcontroller/tc"
)

// amAlert is one alert of Alertmanager's POST /api/v2/alerts.
type amAlert struct {
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     time.Time         `json:"startsAt,omitzero"`
	EndsAt       time.Time         `json:"endsAt,omitzero"`
	GeneratorURL string            `json:"generatorURL,omitempty"`
}

// AlertmanagerGrace is added to a firing message's ValidFor to make its
// alerts' endsAt: room for the engine's evaluation interval and a retried
// delivery, so an alert the controller still fires never lapses between
// two messages.
const AlertmanagerGrace = 5 * time.Minute

// newAlertmanagerAlerts is m as Alertmanager alerts: one per subject (so
// Alertmanager groups, silences and routes them by its own rules), labelled
// alertname (the rule's name), tc_rule_id, tc_event and agent_id and agent
// (or token_id and token), plus m.Labels; annotated summary, description
// and link, plus m.Annotations. A message with no subjects (a test) is one
// alert.
//
// Alertmanager tells alerts apart by their labels, so each subject keeps
// the same labels in every message. A firing message's alerts end at now
// + m.ValidFor + AlertmanagerGrace: the controller tells again before then
// while they fire, and Alertmanager resolves them by itself if it stops
// (without ValidFor they have no end and Alertmanager resolves them after
// its resolve_timeout). m.Resolved's alerts end now. A resolved message's
// alerts end at m.EndsAt (now without one).
func newAlertmanagerAlerts(m Message, now time.Time) []amAlert {
	base := map[string]string{}
	maps.Copy(base, m.Labels)
	name := m.RuleName
	if name == "" {
		name = "TelegrafController"
	}
	base["alertname"] = name
	if m.RuleID != "" {
		base["tc_rule_id"] = m.RuleID
	}
	if m.Event != "" {
		base["tc_event"] = m.Event
	}
	if m.Test {
		base["tc_test"] = "true"
	}
	var end time.Time
	switch {
	case m.Status == StatusResolved:
		end = m.EndsAt
		if end.IsZero() {
			end = now
		}
	case m.ValidFor > 0:
		end = now.Add(m.ValidFor + AlertmanagerGrace)
	}
	alert := func(s *Subject, end time.Time) amAlert {
		a := amAlert{Labels: maps.Clone(base), Annotations: map[string]string{}, StartsAt: m.StartsAt.UTC(), EndsAt: end.UTC()}
		if !a.EndsAt.IsZero() && a.EndsAt.Before(a.StartsAt) {
			a.StartsAt = a.EndsAt // Alertmanager refuses an alert that ends before it starts
		}
		maps.Copy(a.Annotations, m.Annotations)
		a.Annotations["summary"] = m.Summary
		a.GeneratorURL = m.Link
		if s != nil {
			prefix := "agent"
			if s.Kind == "token" {
				prefix = "token"
			}
			a.Labels[prefix+"_id"] = s.ID
			if s.Name != "" {
				a.Labels[prefix] = s.Name
			}
			a.Annotations["description"] = strings.TrimSpace(s.Name + " " + s.Status)
			if s.Link != "" {
				a.GeneratorURL = s.Link
			}
		} else if m.Text != "" {
			a.Annotations["description"] = m.Text
		}
		if a.GeneratorURL != "" {
			a.Annotations["link"] = a.GeneratorURL
		}
		return a
	}
	if len(m.Subjects) == 0 && len(m.Resolved) == 0 {
		return []amAlert{alert(nil, end)}
	}
	out := make([]amAlert, 0, len(m.Subjects)+len(m.Resolved))
	for i := range m.Subjects {
		out = append(out, alert(&m.Subjects[i], end))
	}
	for i := range m.Resolved {
		out = append(out, alert(&m.Resolved[i], now))
	}
	return out
}

// sendAlertmanager POSTs m's alerts to {URL}/api/v2/alerts.
func (d *ChannelDispatcher) sendAlertmanager(ctx context.Context, a *tc.AlertmanagerSettings, m Message) error {
	body, err := json.Marshal(newAlertmanagerAlerts(m, d.now()))
	if err != nil {
		return fmt.Errorf("alertmanager: encode: %w", ErrPermanent)
	}
	h := http.Header{}
	switch {
	case a.BearerToken != "":
		h.Set("Authorization", "Bearer "+a.BearerToken)
	case a.Username != "":
		r, _ := http.NewRequest(http.MethodPost, "http://x", nil)
		r.SetBasicAuth(a.Username, a.Password)
		h.Set("Authorization", r.Header.Get("Authorization"))
	}
	return d.post(ctx, "alertmanager", strings.TrimRight(a.URL, "/")+"/api/v2/alerts", body, h)
}
