package web

import (
	"fmt"
	"net/http"
)

// Rule is a reporting rule as the API returns it.
type Rule struct {
	ID                       string `json:"id"`
	Name                     string `json:"name"`
	Description              string `json:"description"`
	NotReportingAfterSeconds int64  `json:"notReportingAfterSeconds"`
	AutoDeleteAfterSeconds   *int64 `json:"autoDeleteAfterSeconds"`
	IsDefault                bool   `json:"isDefault"`
	AgentCount               int64  `json:"agentCount"`
}

// Threshold says the not-reporting threshold for people.
func (r Rule) Threshold() string { return seconds(r.NotReportingAfterSeconds) }

// AutoDelete says the auto-delete threshold, or "never".
func (r Rule) AutoDelete() string {
	if r.AutoDeleteAfterSeconds == nil {
		return "never"
	}
	return seconds(*r.AutoDeleteAfterSeconds)
}

func seconds(s int64) string {
	switch {
	case s%86400 == 0 && s >= 86400:
		return fmt.Sprintf("%d d", s/86400)
	case s%3600 == 0 && s >= 3600:
		return fmt.Sprintf("%d h", s/3600)
	case s%60 == 0 && s >= 60:
		return fmt.Sprintf("%d min", s/60)
	}
	return fmt.Sprintf("%d s", s)
}

type rulesData struct {
	Rules []Rule
}

func (h *Handler) rulesPage(w http.ResponseWriter, r *http.Request, v *view) error {
	var l list[Rule]
	if err := v.get("/api/reporting-rules", &l); err != nil {
		return err
	}
	return v.show(w, "rules", "Reporting Rules", "reporting-rules", rulesData{Rules: l.Items})
}
