package web

import (
	"net/http"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/store"
)

type rulesData struct {
	Rules []*tc.ReportingRule
	// Usage holds each rule's agent counts by status; nil when the visitor
	// may not read agents.
	Usage map[string]*agentUsage
}

// rulesPage reads through the reporting-rule service, as the API does.
func (h *Handler) rulesPage(w http.ResponseWriter, r *http.Request, v *view) error {
	rules, err := h.ReportingRules.List(v.ctx())
	if err != nil {
		return err
	}
	ids := make([]string, len(rules))
	for i, r := range rules {
		ids[i] = r.ID
	}
	usage, err := v.usage(store.UsageRule, "reportingRuleId", ids)
	if err != nil {
		return err
	}
	return v.show(w, "rules", "Reporting Rules", "reporting-rules", rulesData{Rules: rules, Usage: usage})
}
