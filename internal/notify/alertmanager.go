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

// newAlertmanagerAlerts is m as Alertmanager alerts: one per subject (so
// Alertmanager groups, silences and routes them by its own rules), labelled
// alertname (the rule's name), tc_rule_id, tc_event and agent_id and agent
// (or token_id and token), plus m.Labels; annotated summary, description
// and link, plus m.Annotations. A message with no subjects (a test) is one
// alert. A resolved message's alerts end at m.EndsAt (now without one); a
// firing message's have no end, so Alertmanager resolves them by itself
// after its resolve_timeout unless they are sent again.
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
	if m.Status == StatusResolved {
		end = m.EndsAt
		if end.IsZero() {
			end = now
		}
	}
	alert := func(s *Subject) amAlert {
		a := amAlert{Labels: maps.Clone(base), Annotations: map[string]string{}, StartsAt: m.StartsAt.UTC(), EndsAt: end.UTC()}
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
	if len(m.Subjects) == 0 {
		return []amAlert{alert(nil)}
	}
	out := make([]amAlert, len(m.Subjects))
	for i := range m.Subjects {
		out[i] = alert(&m.Subjects[i])
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
