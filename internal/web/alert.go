package web

import (
	"net/http"
	"strings"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/service"
	"github.com/telegrafcontroller/tc/internal/store"
)

// eventLabels names the alert rules' events for people.
var eventLabels = map[string]string{
	tc.AlertNotReporting: "Not reporting", tc.AlertFail: "Fail", tc.AlertWarn: "Warn",
	tc.AlertStale: "Stale config", tc.AlertTokenExpiry: "Token expiry",
}

type eventChoice struct{ Value, Label string }

type alertRuleRow struct {
	*tc.AlertRule
	EventLabel string
	// Scope says which agents the rule watches; Channels names its
	// channels; AgentsURL is the agents page filtered to what it watches
	// (tc.AlertRule.AgentsLink, which escapes each value).
	Scope     string
	Channels  []string
	AgentsURL string
	// Counts are its active alerts (nil when the visitor may not read
	// alerts).
	Counts *store.AlertCount
}

type alertRulesData struct {
	Rules          []alertRuleRow
	Events         []eventChoice
	Channels       []service.ChannelChoice
	Labels         []*tc.Label
	ReportingRules []*tc.ReportingRule
	Configs        []*tc.Config
	Groups         []*tc.ConfigGroup
	New            tc.AlertRule
}

// alertRulesPage lists the alert rules with their forms.
func (h *Handler) alertRulesPage(w http.ResponseWriter, r *http.Request, v *view) error {
	ctx := v.ctx()
	rules, err := h.AlertRules.List(ctx)
	if err != nil {
		return err
	}
	d := alertRulesData{New: tc.NewAlertRule()}
	for _, e := range tc.AlertEvents {
		d.Events = append(d.Events, eventChoice{e, eventLabels[e]})
	}
	if d.Channels, err = h.AlertRules.Channels(ctx); err != nil {
		return err
	}
	counts, err := h.Alerts.Counts(ctx)
	if err = optional(err); err != nil {
		return err
	}
	if d.Labels, err = h.Labels.List(ctx); optional(err) != nil {
		return err
	}
	if d.ReportingRules, err = h.ReportingRules.List(ctx); optional(err) != nil {
		return err
	}
	if d.Configs, _, err = h.Configs.List(ctx, tc.ConfigFilter{Limit: 500}); optional(err) != nil {
		return err
	}
	if d.Groups, _, err = h.ConfigGroups.List(ctx, tc.ConfigGroupFilter{Limit: 500}); optional(err) != nil {
		return err
	}
	names := map[string]string{}
	for _, c := range d.Channels {
		names[c.ID] = c.Name
	}
	labels := indexLabels(d.Labels)
	for _, rule := range rules {
		row := alertRuleRow{AlertRule: rule, EventLabel: eventLabels[rule.Event], Scope: scopeText(rule, labels), AgentsURL: rule.AgentsLink()}
		for _, id := range rule.ChannelIDs {
			row.Channels = append(row.Channels, names[id])
		}
		if counts != nil {
			c := counts[rule.ID]
			row.Counts = &c
		}
		d.Rules = append(d.Rules, row)
	}
	return v.show(w, "alert_rules", "Alert rules", "alert-rules", d)
}

// scopeText says which agents (or tokens) rule r watches.
func scopeText(r *tc.AlertRule, labels labelIndex) string {
	if r.Event == tc.AlertTokenExpiry {
		return "active tokens"
	}
	var parts []string
	for _, id := range r.Scope.LabelIDs {
		name := id
		if l := labels[id]; l != nil {
			name = l.Name
		}
		parts = append(parts, "label "+name)
	}
	if r.Scope.ConfigID != "" {
		parts = append(parts, "config "+r.Scope.ConfigID)
	}
	if r.Scope.ConfigGroupID != "" {
		parts = append(parts, "group "+r.Scope.ConfigGroupID)
	}
	if r.Scope.ReportingRuleID != "" {
		parts = append(parts, "reporting rule "+r.Scope.ReportingRuleID)
	}
	if len(parts) == 0 {
		return "every agent"
	}
	return strings.Join(parts, " and ")
}

type alertGroupRow struct {
	Rule            *tc.AlertRule
	EventLabel      string
	Firing, Pending int64
	AgentsURL       string
}

type alertsData struct {
	Groups      []alertGroupRow
	Active      []*tc.Alert
	ActiveTotal int64
	History     []*tc.Alert
	Mutes       []tc.AlertMute
	Deliveries  []tc.NotificationDelivery
	Channels    map[string]string // channel names by id
	ChannelList []service.ChannelChoice
	ChannelID   string // the delivery log's filter
	Rules       []*tc.AlertRule
}

// alertsPage shows what fires now, per rule and per subject, the mutes
// (with a form), the history and the delivery log.
func (h *Handler) alertsPage(w http.ResponseWriter, r *http.Request, v *view) error {
	ctx := v.ctx()
	d := alertsData{Channels: map[string]string{}, ChannelID: r.URL.Query().Get("channelId")}
	var err error
	if d.Active, d.ActiveTotal, err = h.Alerts.List(ctx, tc.AlertFilter{Limit: 200}); err != nil {
		return err
	}
	if d.History, _, err = h.Alerts.List(ctx, tc.AlertFilter{State: tc.AlertResolved, Limit: 50}); err != nil {
		return err
	}
	if d.Mutes, err = h.Alerts.Mutes(ctx); err != nil {
		return err
	}
	if d.Deliveries, _, err = h.Alerts.Deliveries(ctx, tc.DeliveryFilter{ChannelID: d.ChannelID, Limit: 50}); err != nil {
		return err
	}
	counts, err := h.Alerts.Counts(ctx)
	if err != nil {
		return err
	}
	if d.Rules, err = h.AlertRules.List(ctx); optional(err) != nil {
		return err
	}
	if d.ChannelList, err = h.AlertRules.Channels(ctx); optional(err) != nil {
		return err
	}
	for _, c := range d.ChannelList {
		d.Channels[c.ID] = c.Name
	}
	for _, rule := range d.Rules {
		if c := counts[rule.ID]; c.Firing+c.Pending > 0 {
			d.Groups = append(d.Groups, alertGroupRow{Rule: rule, EventLabel: eventLabels[rule.Event], Firing: c.Firing, Pending: c.Pending, AgentsURL: rule.AgentsLink()})
		}
	}
	return v.show(w, "alerts", "Alerts", "alerts", d)
}
