package web

import "net/http"

func (h *Handler) todo(w http.ResponseWriter, v *view, title, active string) error {
	return v.show(w, "todo", title, active, nil)
}

func (h *Handler) configsPage(w http.ResponseWriter, r *http.Request, v *view) error {
	return h.todo(w, v, "Configurations", "configs")
}
func (h *Handler) configNewPage(w http.ResponseWriter, r *http.Request, v *view) error {
	return h.todo(w, v, "New configuration", "configs")
}
func (h *Handler) configPage(w http.ResponseWriter, r *http.Request, v *view) error {
	return h.todo(w, v, "Configuration", "configs")
}
func (h *Handler) configVersionsPage(w http.ResponseWriter, r *http.Request, v *view) error {
	return h.todo(w, v, "Configuration", "configs")
}
func (h *Handler) configVersionPage(w http.ResponseWriter, r *http.Request, v *view) error {
	return h.todo(w, v, "Configuration", "configs")
}
func (h *Handler) configComparePage(w http.ResponseWriter, r *http.Request, v *view) error {
	return h.todo(w, v, "Configuration", "configs")
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
func (h *Handler) settingsPage(w http.ResponseWriter, r *http.Request, v *view) error {
	return h.todo(w, v, "Settings", "settings")
}
func (h *Handler) accountPage(w http.ResponseWriter, r *http.Request, v *view) error {
	return h.todo(w, v, "Account", "account")
}
