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

// Constant is a named value configs use as ::{name}.
type Constant struct {
	Name        string `json:"name"`
	Value       string `json:"value"`
	Description string `json:"description"`
	Configs     []struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"configs"`
}

type constantsData struct {
	Constants []Constant
}

func (h *Handler) constantsPage(w http.ResponseWriter, r *http.Request, v *view) error {
	var l list[Constant]
	if err := v.get("/api/constants", &l); err != nil {
		return err
	}
	return v.show(w, "constants", "Constants", "constants", constantsData{Constants: l.Items})
}
