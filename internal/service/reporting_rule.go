package service

import (
	"context"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/store"
)

// ReportingRules is the reporting-rule service. There is always exactly
// one default rule, the one new agents get and the one a deleted rule's
// agents move to: a rule becomes the default by being made it (MakeDefault,
// or isDefault on create or update), never by the default giving the flag
// away, and the default cannot be deleted.
type ReportingRules struct {
	Store *store.Store
}

func rulePerm(action string) tc.Permission { return tc.Perm(tc.ResReportingRules, action) }

// List returns every rule, the default first, then by name.
// Errors: EUNAUTHORIZED, EFORBIDDEN.
func (s *ReportingRules) List(ctx context.Context) ([]*tc.ReportingRule, error) {
	if _, err := require(ctx, rulePerm(tc.ActionRead)); err != nil {
		return nil, err
	}
	return s.Store.ReportingRules(ctx)
}

// Get returns one rule. Errors: EUNAUTHORIZED, EFORBIDDEN, ENOTFOUND.
func (s *ReportingRules) Get(ctx context.Context, id string) (*tc.ReportingRule, error) {
	if _, err := require(ctx, rulePerm(tc.ActionRead)); err != nil {
		return nil, err
	}
	return s.Store.ReportingRule(ctx, id)
}

// Create stores a new rule; a new default takes the flag from the old one.
// Errors: EUNAUTHORIZED, EFORBIDDEN, EINVALID, ECONFLICT for a name in use.
func (s *ReportingRules) Create(ctx context.Context, c tc.ReportingRuleChange) (*tc.ReportingRule, error) {
	if _, err := require(ctx, rulePerm(tc.ActionWrite)); err != nil {
		return nil, err
	}
	if c.NotReportingAfterSeconds == nil {
		return nil, tc.FieldErrorf("notReportingAfterSeconds", "notReportingAfterSeconds is required")
	}
	var r tc.ReportingRule
	c.Apply(&r)
	if err := r.Validate(); err != nil {
		return nil, err
	}
	if err := s.Store.CreateReportingRule(ctx, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// Update changes the given fields of rule id. Turning isDefault on makes
// the rule the default; turning it off on the default is refused.
// Errors: EUNAUTHORIZED, EFORBIDDEN, ENOTFOUND, EINVALID, ECONFLICT.
func (s *ReportingRules) Update(ctx context.Context, id string, c tc.ReportingRuleChange) (*tc.ReportingRule, error) {
	if _, err := require(ctx, rulePerm(tc.ActionWrite)); err != nil {
		return nil, err
	}
	return s.update(ctx, id, c)
}

func (s *ReportingRules) update(ctx context.Context, id string, c tc.ReportingRuleChange) (*tc.ReportingRule, error) {
	return s.Store.UpdateReportingRule(ctx, id, func(r *tc.ReportingRule) error {
		wasDefault := r.IsDefault
		c.Apply(r)
		if err := r.Validate(); err != nil {
			return err
		}
		if wasDefault && !r.IsDefault {
			return tc.FieldErrorf("isDefault", "the default rule stays the default until another rule is made the default")
		}
		return nil
	})
}

// MakeDefault makes rule id the default for new agents.
// Errors: EUNAUTHORIZED, EFORBIDDEN, ENOTFOUND.
func (s *ReportingRules) MakeDefault(ctx context.Context, id string) (*tc.ReportingRule, error) {
	if _, err := require(ctx, rulePerm(tc.ActionWrite)); err != nil {
		return nil, err
	}
	yes := true
	return s.update(ctx, id, tc.ReportingRuleChange{IsDefault: &yes})
}

// Delete deletes rule id and moves its agents to the default rule.
// Errors: EUNAUTHORIZED, EFORBIDDEN, ENOTFOUND, ECONFLICT for the default.
func (s *ReportingRules) Delete(ctx context.Context, id string) error {
	if _, err := require(ctx, rulePerm(tc.ActionDelete)); err != nil {
		return err
	}
	return s.Store.DeleteReportingRule(ctx, id)
}
