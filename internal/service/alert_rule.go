package service

import (
	"context"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/store"
)

// AlertRules is the alert-rule service (docs/alerts.md): who may see and
// change the rules the alerting engine evaluates.
type AlertRules struct {
	Store *store.Store
}

func alertRulePerm(action string) tc.Permission { return tc.Perm(tc.ResAlertRules, action) }

// List returns every rule by name. Errors: EUNAUTHORIZED, EFORBIDDEN.
func (s *AlertRules) List(ctx context.Context) ([]*tc.AlertRule, error) {
	if _, err := require(ctx, alertRulePerm(tc.ActionRead)); err != nil {
		return nil, err
	}
	return s.Store.AlertRules(ctx)
}

// Get returns one rule. Errors: EUNAUTHORIZED, EFORBIDDEN, ENOTFOUND.
func (s *AlertRules) Get(ctx context.Context, id string) (*tc.AlertRule, error) {
	if _, err := require(ctx, alertRulePerm(tc.ActionRead)); err != nil {
		return nil, err
	}
	return s.Store.AlertRule(ctx, id)
}

// Create stores a new rule from in, defaults filled in. Errors:
// EUNAUTHORIZED, EFORBIDDEN, EINVALID, ECONFLICT for a name in use.
func (s *AlertRules) Create(ctx context.Context, in tc.AlertRuleInput) (*tc.AlertRule, error) {
	if _, err := require(ctx, alertRulePerm(tc.ActionWrite)); err != nil {
		return nil, err
	}
	r := in.Rule()
	if err := r.Validate(); err != nil {
		return nil, err
	}
	if err := s.Store.CreateAlertRule(ctx, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// Replace sets rule id to in (absent fields take the defaults). Turning a
// rule off, or changing its event, ends its alerts without a message.
// Errors: EUNAUTHORIZED, EFORBIDDEN, ENOTFOUND, EINVALID, ECONFLICT.
func (s *AlertRules) Replace(ctx context.Context, id string, in tc.AlertRuleInput) (*tc.AlertRule, error) {
	if _, err := require(ctx, alertRulePerm(tc.ActionWrite)); err != nil {
		return nil, err
	}
	next := in.Rule()
	if err := next.Validate(); err != nil {
		return nil, err
	}
	return s.Store.UpdateAlertRule(ctx, id, func(r *tc.AlertRule) error {
		created := r.CreatedAt
		*r = next
		r.CreatedAt = created
		return nil
	})
}

// Delete deletes rule id with its alerts; its queued messages are
// dropped. Errors: EUNAUTHORIZED, EFORBIDDEN, ENOTFOUND.
func (s *AlertRules) Delete(ctx context.Context, id string) error {
	if _, err := require(ctx, alertRulePerm(tc.ActionDelete)); err != nil {
		return err
	}
	return s.Store.DeleteAlertRule(ctx, id)
}

// ChannelChoice is a notification channel as an alert rule's form offers
// it: what it is called, never its settings.
type ChannelChoice struct {
	ID, Name, Kind string
	Enabled        bool
}

// Channels lists the channels a rule may send to, by name, for whoever
// may read the rules (the channels' settings stay behind their own
// permission). Errors: EUNAUTHORIZED, EFORBIDDEN.
func (s *AlertRules) Channels(ctx context.Context) ([]ChannelChoice, error) {
	if _, err := require(ctx, alertRulePerm(tc.ActionRead)); err != nil {
		return nil, err
	}
	cs, err := s.Store.NotificationChannels(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]ChannelChoice, len(cs))
	for i, c := range cs {
		out[i] = ChannelChoice{ID: c.ID, Name: c.Name, Kind: c.Kind, Enabled: c.Enabled}
	}
	return out, nil
}
