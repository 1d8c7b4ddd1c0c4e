package tc

import (
	"strings"
	"unicode/utf8"
)

// Limits of reporting rule fields.
const (
	MaxRuleNameLen        = 100
	MaxRuleDescriptionLen = 255
	// MaxRuleSeconds bounds thresholds (about 100 years) so that they stay
	// far from overflowing when turned into milliseconds.
	MaxRuleSeconds = 100 * 365 * 24 * 3600
)

// Validate checks r's fields after trimming its name, returning an EINVALID
// error naming the first bad field.
func (r *ReportingRule) Validate() error {
	r.Name = strings.TrimSpace(r.Name)
	switch {
	case r.Name == "":
		return FieldErrorf("name", "name is required")
	case utf8.RuneCountInString(r.Name) > MaxRuleNameLen:
		return FieldErrorf("name", "name must be at most %d characters", MaxRuleNameLen)
	case utf8.RuneCountInString(r.Description) > MaxRuleDescriptionLen:
		return FieldErrorf("description", "description must be at most %d characters", MaxRuleDescriptionLen)
	case r.NotReportingAfterSeconds < 1 || r.NotReportingAfterSeconds > MaxRuleSeconds:
		return FieldErrorf("notReportingAfterSeconds", "notReportingAfterSeconds must be between 1 and %d", MaxRuleSeconds)
	case r.AutoDeleteAfterSeconds != nil && (*r.AutoDeleteAfterSeconds < 1 || *r.AutoDeleteAfterSeconds > MaxRuleSeconds):
		return FieldErrorf("autoDeleteAfterSeconds", "autoDeleteAfterSeconds must be null or between 1 and %d", MaxRuleSeconds)
	}
	return nil
}

// ReportingRuleChange creates a rule or changes some of its fields: nil
// fields stay as they are. SetAutoDelete says the change gives
// AutoDeleteAfterSeconds, whose nil then turns auto-delete off.
type ReportingRuleChange struct {
	Name                     *string
	Description              *string
	NotReportingAfterSeconds *int64
	SetAutoDelete            bool
	AutoDeleteAfterSeconds   *int64
	IsDefault                *bool
}

// Apply copies the given fields onto r.
func (c ReportingRuleChange) Apply(r *ReportingRule) {
	if c.Name != nil {
		r.Name = *c.Name
	}
	if c.Description != nil {
		r.Description = *c.Description
	}
	if c.NotReportingAfterSeconds != nil {
		r.NotReportingAfterSeconds = *c.NotReportingAfterSeconds
	}
	if c.SetAutoDelete {
		r.AutoDeleteAfterSeconds = c.AutoDeleteAfterSeconds
	}
	if c.IsDefault != nil {
		r.IsDefault = *c.IsDefault
	}
}
