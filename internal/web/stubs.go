package web

import "net/http"

func (h *Handler) todo(w http.ResponseWriter, v *view, title, active string) error {
	return v.show(w, "todo", title, active, nil)
}

func (h *Handler) constantsPage(w http.ResponseWriter, r *http.Request, v *view) error {
	return h.todo(w, v, "Constants", "constants")
}
func (h *Handler) agentsPage(w http.ResponseWriter, r *http.Request, v *view) error {
	return h.todo(w, v, "Agents", "agents")
}
func (h *Handler) agentPage(w http.ResponseWriter, r *http.Request, v *view) error {
	return h.todo(w, v, "Agent", "agents")
}
func (h *Handler) rulesPage(w http.ResponseWriter, r *http.Request, v *view) error {
	return h.todo(w, v, "Reporting Rules", "reporting-rules")
}
func (h *Handler) tokensPage(w http.ResponseWriter, r *http.Request, v *view) error {
	return h.todo(w, v, "API Tokens", "tokens")
}
func (h *Handler) usersPage(w http.ResponseWriter, r *http.Request, v *view) error {
	return h.todo(w, v, "Users", "users")
}
func (h *Handler) accountPage(w http.ResponseWriter, r *http.Request, v *view) error {
	return h.todo(w, v, "Account", "account")
}
func (h *Handler) settingsPage(w http.ResponseWriter, r *http.Request, v *view) error {
	return h.todo(w, v, "Settings", "settings")
}

// Settings is GET /api/settings.
type Settings struct {
	PublicUIURL          string `json:"publicUiUrl"`
	PublicAPIURL         string `json:"publicApiUrl"`
	PublicHeartbeatURL   string `json:"publicHeartbeatUrl"`
	LoginLockoutAttempts int    `json:"loginLockoutAttempts"`
	LoginLockoutMinutes  int    `json:"loginLockoutMinutes"`
	PasswordComplexity   string `json:"passwordComplexity"`
}
