package tc

import (
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Events an alert rule watches (docs/alerts.md). The first four are states
// of agents; AlertTokenExpiry watches API tokens.
const (
	AlertNotReporting = AgentNotReporting // the status sweep marked the agent silent
	AlertFail         = AgentFail         // the agent reports fail
	AlertWarn         = AgentWarn         // the agent reports warn
	AlertStale        = "stale"           // one of the agent's managed configs is stale (ConfigStale)
	AlertTokenExpiry  = "token_expiry"    // an active token expires within TokenExpiryDays
)

// AlertEvents lists every event, in display order.
var AlertEvents = []string{AlertNotReporting, AlertFail, AlertWarn, AlertStale, AlertTokenExpiry}

// AgentEvent reports whether event is about agents (and so takes a scope).
func AgentEvent(event string) bool {
	return event != AlertTokenExpiry && slices.Contains(AlertEvents, event)
}

// Defaults and limits of alert rule fields. The grouping defaults are
// Alertmanager's: wait 30 s for more subjects before the first message,
// 5 min between updates of a group, 4 h between repeats of an unchanged one.
const (
	DefaultAlertForSeconds            = 60
	DefaultAlertGroupWaitSeconds      = 30
	DefaultAlertGroupIntervalSeconds  = 5 * 60
	DefaultAlertRepeatIntervalSeconds = 4 * 3600

	MaxAlertRuleNameLen        = 100
	MaxAlertRuleDescriptionLen = 255
	MaxAlertForSeconds         = 7 * 24 * 3600
	MaxAlertGroupWaitSeconds   = 24 * 3600
	MaxAlertGroupIntervalSecs  = 24 * 3600
	MinAlertRepeatSeconds      = 60
	MaxAlertRepeatSeconds      = 30 * 24 * 3600
	MaxAlertTokenExpiryDays    = 365
	MaxAlertRuleChannels       = 20
	MaxAlertScopeLabels        = 20
)

// AlertScope narrows an agent rule to the agents that match every field
// given: all the labels, the config, the config group and the reporting
// rule. An empty scope is every agent.
type AlertScope struct {
	LabelIDs        []string `json:"labelIds"`
	ConfigID        string   `json:"configId"`
	ConfigGroupID   string   `json:"configGroupId"`
	ReportingRuleID string   `json:"reportingRuleId"`
}

// Empty reports whether the scope selects every agent.
func (s AlertScope) Empty() bool {
	return len(s.LabelIDs) == 0 && s.ConfigID == "" && s.ConfigGroupID == "" && s.ReportingRuleID == ""
}

// AlertRule says when to tell whom: agents (or tokens) in Event's state
// within Scope for at least ForSeconds fire; the firing subjects of one rule
// form one group, of which each channel gets one message, after
// GroupWaitSeconds, updated at most every GroupIntervalSeconds and repeated
// every RepeatIntervalSeconds while unchanged (Alertmanager's meanings); a
// group that clears sends one resolved message when SendResolved.
type AlertRule struct {
	ID                    string     `json:"id"`
	Name                  string     `json:"name"`
	Description           string     `json:"description"`
	Enabled               bool       `json:"enabled"`
	Event                 string     `json:"event"`
	Scope                 AlertScope `json:"scope"`
	ForSeconds            int64      `json:"forSeconds"`
	GroupWaitSeconds      int64      `json:"groupWaitSeconds"`
	GroupIntervalSeconds  int64      `json:"groupIntervalSeconds"`
	RepeatIntervalSeconds int64      `json:"repeatIntervalSeconds"`
	SendResolved          bool       `json:"sendResolved"`
	// TokenExpiryDays is how close to its expiry an active token fires a
	// token_expiry rule (1 to MaxAlertTokenExpiryDays); 0 for other events.
	TokenExpiryDays int       `json:"tokenExpiryDays"`
	ChannelIDs      []string  `json:"channelIds"`
	CreatedAt       time.Time `json:"createdAt"`
	UpdatedAt       time.Time `json:"updatedAt"`
}

// NewAlertRule returns a rule with the defaults: enabled, sending resolved
// messages, Alertmanager's grouping times and a 60 s for-duration.
func NewAlertRule() AlertRule {
	return AlertRule{Enabled: true, SendResolved: true, ForSeconds: DefaultAlertForSeconds,
		GroupWaitSeconds: DefaultAlertGroupWaitSeconds, GroupIntervalSeconds: DefaultAlertGroupIntervalSeconds,
		RepeatIntervalSeconds: DefaultAlertRepeatIntervalSeconds, ChannelIDs: []string{}, Scope: AlertScope{LabelIDs: []string{}}}
}

// For, GroupWait, GroupInterval and Repeat are the rule's times.
func (r *AlertRule) For() time.Duration       { return time.Duration(r.ForSeconds) * time.Second }
func (r *AlertRule) GroupWait() time.Duration { return time.Duration(r.GroupWaitSeconds) * time.Second }
func (r *AlertRule) GroupInterval() time.Duration {
	return time.Duration(r.GroupIntervalSeconds) * time.Second
}
func (r *AlertRule) Repeat() time.Duration {
	return time.Duration(r.RepeatIntervalSeconds) * time.Second
}

// Validate trims r's name and ids, drops duplicate ids, and returns an
// EINVALID error naming the first bad field.
func (r *AlertRule) Validate() error {
	r.Name = strings.TrimSpace(r.Name)
	r.Description = strings.TrimSpace(r.Description)
	r.Scope.ConfigID = strings.TrimSpace(r.Scope.ConfigID)
	r.Scope.ConfigGroupID = strings.TrimSpace(r.Scope.ConfigGroupID)
	r.Scope.ReportingRuleID = strings.TrimSpace(r.Scope.ReportingRuleID)
	var err error
	if r.Scope.LabelIDs, err = cleanIDs("scope.labelIds", r.Scope.LabelIDs, MaxAlertScopeLabels); err != nil {
		return err
	}
	if r.ChannelIDs, err = cleanIDs("channelIds", r.ChannelIDs, MaxAlertRuleChannels); err != nil {
		return err
	}
	switch {
	case r.Name == "":
		return FieldErrorf("name", "name is required")
	case utf8.RuneCountInString(r.Name) > MaxAlertRuleNameLen:
		return FieldErrorf("name", "name must be at most %d characters", MaxAlertRuleNameLen)
	case utf8.RuneCountInString(r.Description) > MaxAlertRuleDescriptionLen:
		return FieldErrorf("description", "description must be at most %d characters", MaxAlertRuleDescriptionLen)
	case !slices.Contains(AlertEvents, r.Event):
		return FieldErrorf("event", "event must be one of %s", strings.Join(AlertEvents, ", "))
	case r.ForSeconds < 0 || r.ForSeconds > MaxAlertForSeconds:
		return FieldErrorf("forSeconds", "forSeconds must be between 0 and %d (7 days)", MaxAlertForSeconds)
	case r.GroupWaitSeconds < 0 || r.GroupWaitSeconds > MaxAlertGroupWaitSeconds:
		return FieldErrorf("groupWaitSeconds", "groupWaitSeconds must be between 0 and %d (1 day)", MaxAlertGroupWaitSeconds)
	case r.GroupIntervalSeconds < 1 || r.GroupIntervalSeconds > MaxAlertGroupIntervalSecs:
		return FieldErrorf("groupIntervalSeconds", "groupIntervalSeconds must be between 1 and %d (1 day)", MaxAlertGroupIntervalSecs)
	case r.RepeatIntervalSeconds < MinAlertRepeatSeconds || r.RepeatIntervalSeconds > MaxAlertRepeatSeconds:
		return FieldErrorf("repeatIntervalSeconds", "repeatIntervalSeconds must be between %d and %d (30 days)", MinAlertRepeatSeconds, MaxAlertRepeatSeconds)
	case r.Event == AlertTokenExpiry && (r.TokenExpiryDays < 1 || r.TokenExpiryDays > MaxAlertTokenExpiryDays):
		return FieldErrorf("tokenExpiryDays", "tokenExpiryDays must be between 1 and %d for a token_expiry rule", MaxAlertTokenExpiryDays)
	case r.Event != AlertTokenExpiry && r.TokenExpiryDays != 0:
		return FieldErrorf("tokenExpiryDays", "tokenExpiryDays applies to token_expiry rules only; leave it 0")
	case r.Event == AlertTokenExpiry && !r.Scope.Empty():
		return FieldErrorf("scope", "a token_expiry rule watches every active token: its scope must be empty")
	}
	return nil
}

// cleanIDs trims ids, refuses empty, over-long and too many, and drops
// duplicates, keeping the first order.
func cleanIDs(field string, ids []string, limit int) ([]string, error) {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		id = strings.TrimSpace(id)
		switch {
		case id == "":
			return nil, FieldErrorf(field, "%s must not hold an empty id", field)
		case len(id) > 255:
			return nil, FieldErrorf(field, "%s holds an id longer than 255 bytes", field)
		}
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	if len(out) > limit {
		return nil, FieldErrorf(field, "%s may hold at most %d ids", field, limit)
	}
	return out, nil
}

// AgentsLink is the agents page filtered as closely as its filters allow
// to what rule r watches (a path and query, relative to the UI's base):
// the status (or stale configs), the first label, the config and the
// reporting rule. A token rule links to the tokens page.
func (r *AlertRule) AgentsLink() string {
	if r.Event == AlertTokenExpiry {
		return "/tokens"
	}
	q := []string{}
	if r.Event == AlertStale {
		q = append(q, "configState="+ConfigStale)
	} else {
		q = append(q, "status="+r.Event)
	}
	if len(r.Scope.LabelIDs) > 0 {
		q = append(q, "labelId="+url.QueryEscape(r.Scope.LabelIDs[0]))
	}
	if r.Scope.ConfigID != "" {
		q = append(q, "configId="+url.QueryEscape(r.Scope.ConfigID))
	}
	if r.Scope.ReportingRuleID != "" {
		q = append(q, "reportingRuleId="+url.QueryEscape(r.Scope.ReportingRuleID))
	}
	return "/agents?" + strings.Join(q, "&")
}

// AlertRuleInput is the body of POST and PUT /api/alert-rules: a whole
// rule, whose absent fields take NewAlertRule's defaults.
type AlertRuleInput struct {
	Name                  *string     `json:"name"`
	Description           *string     `json:"description"`
	Enabled               *bool       `json:"enabled"`
	Event                 *string     `json:"event"`
	Scope                 *AlertScope `json:"scope"`
	ForSeconds            *int64      `json:"forSeconds"`
	GroupWaitSeconds      *int64      `json:"groupWaitSeconds"`
	GroupIntervalSeconds  *int64      `json:"groupIntervalSeconds"`
	RepeatIntervalSeconds *int64      `json:"repeatIntervalSeconds"`
	SendResolved          *bool       `json:"sendResolved"`
	TokenExpiryDays       *int        `json:"tokenExpiryDays"`
	ChannelIDs            *[]string   `json:"channelIds"`
}

// Rule is the rule the input describes, defaults filled in.
func (in *AlertRuleInput) Rule() AlertRule {
	r := NewAlertRule()
	if in.Name != nil {
		r.Name = *in.Name
	}
	if in.Description != nil {
		r.Description = *in.Description
	}
	if in.Enabled != nil {
		r.Enabled = *in.Enabled
	}
	if in.Event != nil {
		r.Event = *in.Event
	}
	if in.Scope != nil {
		r.Scope = *in.Scope
		if r.Scope.LabelIDs == nil {
			r.Scope.LabelIDs = []string{}
		}
	}
	for _, f := range []struct {
		dst *int64
		src *int64
	}{{&r.ForSeconds, in.ForSeconds}, {&r.GroupWaitSeconds, in.GroupWaitSeconds},
		{&r.GroupIntervalSeconds, in.GroupIntervalSeconds}, {&r.RepeatIntervalSeconds, in.RepeatIntervalSeconds}} {
		if f.src != nil {
			*f.dst = *f.src
		}
	}
	if in.SendResolved != nil {
		r.SendResolved = *in.SendResolved
	}
	if in.TokenExpiryDays != nil {
		r.TokenExpiryDays = *in.TokenExpiryDays
	}
	if in.ChannelIDs != nil && *in.ChannelIDs != nil {
		r.ChannelIDs = *in.ChannelIDs
	}
	return r
}
