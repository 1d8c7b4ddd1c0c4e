package web

import (
	"net/http"

	"github.com/telegrafcontroller/tc"
)

type rulesData struct {
	Rules []*tc.ReportingRule
}

// rulesPage reads through the reporting-rule service, as the API does.
func (h *Handler) rulesPage(w http.ResponseWriter, r *http.Request, v *view) error {
	rules, err := h.ReportingRules.List(v.ctx())
	if err != nil {
		return err
	}
	return v.show(w, "rules", "Reporting Rules", "reporting-rules", rulesData{Rules: rules})
}
