package web

import (
	"github.com/telegrafcontroller/tc"
)

func read(res string) tc.Permission { return tc.Perm(res, tc.ActionRead) }

// routes is the map of the UI: every page with the permission it needs.
// Pages only read; writes go from the browser to /api/, but for the forms
// that must work without JavaScript (sign-in, sign-out, preferences, the
// notification channels' forms and test).
func (h *Handler) routes() {
	m := h.mux
	m.HandleFunc("GET /static/{file}", h.static.serve)
	m.HandleFunc("GET /{$}", h.home)

	// Public pages (public.go).
	m.HandleFunc("GET /login", h.loginPage)
	m.HandleFunc("POST /login", h.login)
	m.HandleFunc("POST /login/ldap", h.loginLDAP)
	m.HandleFunc("POST /logout", h.logout)
	m.HandleFunc("GET /setup", h.setupPage)
	m.HandleFunc("GET /invite/{token}", h.invitePage)
	m.HandleFunc("GET /reset-password/{token}", h.resetPage)

	// Signed-in pages, in navigation order.
	m.HandleFunc("GET /configs", h.signedIn(read(tc.ResConfigs), h.configsPage))
	m.HandleFunc("GET /configs/new", h.signedIn(tc.Perm(tc.ResConfigs, tc.ActionWrite), h.configNewPage))
	m.HandleFunc("GET /configs/{id}", h.signedIn(read(tc.ResConfigs), h.configPage))
	m.HandleFunc("GET /configs/{id}/versions", h.signedIn(read(tc.ResConfigs), h.configVersionsPage))
	m.HandleFunc("GET /configs/{id}/versions/{n}", h.signedIn(read(tc.ResConfigs), h.configVersionPage))
	m.HandleFunc("GET /configs/{id}/compare", h.signedIn(read(tc.ResConfigs), h.configComparePage))
	m.HandleFunc("GET /config-groups", h.signedIn(read(tc.ResConfigGroups), h.configGroupsPage))
	m.HandleFunc("GET /config-groups/new", h.signedIn(tc.Perm(tc.ResConfigGroups, tc.ActionWrite), h.configGroupNewPage))
	m.HandleFunc("GET /config-groups/{id}", h.signedIn(read(tc.ResConfigGroups), h.configGroupPage))
	m.HandleFunc("GET /constants", h.signedIn(read(tc.ResConstants), h.constantsPage))
	m.HandleFunc("GET /agents", h.signedIn(read(tc.ResAgents), h.agentsPage))
	m.HandleFunc("GET /agents/{id}", h.signedIn(read(tc.ResAgents), h.agentPage))
	m.HandleFunc("GET /reporting-rules", h.signedIn(read(tc.ResReportingRules), h.rulesPage))
	m.HandleFunc("GET /alerts", h.signedIn(read(tc.ResAlerts), h.alertsPage))
	m.HandleFunc("GET /alert-rules", h.signedIn(read(tc.ResAlertRules), h.alertRulesPage))
	// Notification channels, forms without JavaScript (notification_channel.go).
	m.HandleFunc("GET /notification-channels", h.signedIn(read(tc.ResNotificationChannels), h.channelsPage))
	m.HandleFunc("POST /notification-channels", h.signedIn(tc.Perm(tc.ResNotificationChannels, tc.ActionWrite), h.createChannel))
	m.HandleFunc("GET /notification-channels/new", h.signedIn(tc.Perm(tc.ResNotificationChannels, tc.ActionWrite), h.channelNewPage))
	m.HandleFunc("GET /notification-channels/{id}", h.signedIn(read(tc.ResNotificationChannels), h.channelPage))
	m.HandleFunc("POST /notification-channels/{id}", h.signedIn(tc.Perm(tc.ResNotificationChannels, tc.ActionWrite), h.saveChannel))
	m.HandleFunc("POST /notification-channels/{id}/test", h.signedIn(tc.Perm(tc.ResNotificationChannels, tc.ActionWrite), h.testChannel))
	// Where sign-in returns after a session expired under Send test.
	m.HandleFunc("GET /notification-channels/{id}/test", h.signedIn(read(tc.ResNotificationChannels), h.toChannels))
	m.HandleFunc("GET /labels", h.signedIn(read(tc.ResLabels), h.labelsPage))
	m.HandleFunc("GET /tokens", h.signedIn(read(tc.ResTokens), h.tokensPage))
	m.HandleFunc("GET /users", h.signedIn(read(tc.ResUsers), h.usersPage))
	m.HandleFunc("GET /settings", h.signedIn(read(tc.ResSettings), h.settingsPage))
	m.HandleFunc("GET /audit", h.signedIn(read(tc.ResAudit), h.auditPage))
	m.HandleFunc("GET /audit/verify", h.signedIn(read(tc.ResAudit), h.auditVerifyPage))
	m.HandleFunc("GET /audit/{seq}", h.signedIn(read(tc.ResAudit), h.auditEntryPage))
	m.HandleFunc("GET /account", h.signedIn("", h.accountPage))
	// The agents list's column chooser without JavaScript (preferences.go).
	m.HandleFunc("POST /account/preferences", h.signedIn("", h.savePreferences))

	m.HandleFunc("/", h.notFound)
}
