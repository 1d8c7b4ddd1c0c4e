package api

import "github.com/telegrafcontroller/tc"

// registerRoutes is the map of the main listener: every endpoint with the
// permission it requires. Handlers live in files named after their resource.
func (s *Server) registerRoutes() {
	// Health and reference (health.go, openapi.go).
	s.handle("GET /health/live", Public, s.live)
	s.handle("GET /health/ready", Public, s.ready)
	s.handle("GET /health/leader", Public, s.leader)
	s.handle("GET /api/openapi.json", Public, s.openAPI)
	s.handle("GET /api/docs", Public, s.apiDocs)

	// Configs, labels and constants (config.go, config_toml.go, label.go, constant.go).
	s.handle("GET /api/configs", tc.Perm(tc.ResConfigs, tc.ActionRead), s.listConfigs)
	s.handle("POST /api/configs", tc.Perm(tc.ResConfigs, tc.ActionWrite), s.createConfig)
	s.handle("POST /api/configs/bulk-delete", tc.Perm(tc.ResConfigs, tc.ActionDelete), s.bulkDeleteConfigs)
	s.handle("GET /api/configs/{id}", tc.Perm(tc.ResConfigs, tc.ActionRead), s.getConfig)
	s.handle("PATCH /api/configs/{id}", tc.Perm(tc.ResConfigs, tc.ActionWrite), s.patchConfig)
	s.handle("DELETE /api/configs/{id}", tc.Perm(tc.ResConfigs, tc.ActionDelete), s.deleteConfig)
	s.handle("GET /api/configs/{id}/toml", tc.Perm(tc.ResConfigs, tc.ActionRead), s.configTOML)
	s.handle("GET /api/labels", tc.Perm(tc.ResLabels, tc.ActionRead), s.listLabels)
	s.handle("POST /api/labels", tc.Perm(tc.ResLabels, tc.ActionWrite), s.createLabel)
	s.handle("PATCH /api/labels/{id}", tc.Perm(tc.ResLabels, tc.ActionWrite), s.patchLabel)
	s.handle("DELETE /api/labels/{id}", tc.Perm(tc.ResLabels, tc.ActionDelete), s.deleteLabel)
	s.handle("GET /api/constants", tc.Perm(tc.ResConstants, tc.ActionRead), s.listConstants)
	s.handle("POST /api/constants", tc.Perm(tc.ResConstants, tc.ActionWrite), s.createConstant)
	s.handle("PATCH /api/constants/{name}", tc.Perm(tc.ResConstants, tc.ActionWrite), s.patchConstant)
	s.handle("DELETE /api/constants/{name}", tc.Perm(tc.ResConstants, tc.ActionDelete), s.deleteConstant)

	// Config groups and aliases (config_group.go, config_group_toml.go,
	// alias.go). A config's or group's {id} may be one of its aliases.
	groupsRead, groupsWrite := tc.Perm(tc.ResConfigGroups, tc.ActionRead), tc.Perm(tc.ResConfigGroups, tc.ActionWrite)
	s.handle("GET /api/config-groups", groupsRead, s.listConfigGroups)
	s.handle("POST /api/config-groups", groupsWrite, s.createConfigGroup)
	s.handle("POST /api/config-groups/merge", groupsRead, s.mergeConfigGroup)
	s.handle("GET /api/config-groups/{id}", groupsRead, s.getConfigGroup)
	s.handle("PATCH /api/config-groups/{id}", groupsWrite, s.patchConfigGroup)
	s.handle("DELETE /api/config-groups/{id}", tc.Perm(tc.ResConfigGroups, tc.ActionDelete), s.deleteConfigGroup)
	s.handle("GET /api/config-groups/{id}/toml", groupsRead, s.groupTOML)
	s.handle("GET /api/config-groups/{id}/aliases", groupsRead, s.listAliases(tc.AliasGroup))
	s.handle("POST /api/config-groups/{id}/aliases", groupsWrite, s.addAlias(tc.AliasGroup))
	s.handle("DELETE /api/config-groups/{id}/aliases/{alias}", groupsWrite, s.deleteAlias(tc.AliasGroup))
	s.handle("GET /api/configs/{id}/aliases", tc.Perm(tc.ResConfigs, tc.ActionRead), s.listAliases(tc.AliasConfig))
	s.handle("POST /api/configs/{id}/aliases", tc.Perm(tc.ResConfigs, tc.ActionWrite), s.addAlias(tc.AliasConfig))
	s.handle("DELETE /api/configs/{id}/aliases/{alias}", tc.Perm(tc.ResConfigs, tc.ActionWrite), s.deleteAlias(tc.AliasConfig))
	s.handleShortURL() // GET /c/{alias}

	// Notification channels: where alerts go (notification_channel.go).
	channelsRead, channelsWrite := tc.Perm(tc.ResNotificationChannels, tc.ActionRead), tc.Perm(tc.ResNotificationChannels, tc.ActionWrite)
	s.handle("GET /api/notification-channels", channelsRead, s.listNotificationChannels)
	s.handle("POST /api/notification-channels", channelsWrite, s.createNotificationChannel)
	s.handle("GET /api/notification-channels/{id}", channelsRead, s.getNotificationChannel)
	s.handle("PUT /api/notification-channels/{id}", channelsWrite, s.replaceNotificationChannel)
	s.handle("DELETE /api/notification-channels/{id}", tc.Perm(tc.ResNotificationChannels, tc.ActionDelete), s.deleteNotificationChannel)
	s.handle("POST /api/notification-channels/{id}/test", channelsWrite, s.testNotificationChannel)

	// Search across kinds; each kind needs its own read permission (search.go).
	s.handle("GET /api/search", SignedIn, s.search)

	// Config authoring: validation, the plugin catalogue, versions
	// (validation.go, plugin.go, config_version.go).
	s.handle("POST /api/configs/validate", tc.Perm(tc.ResConfigs, tc.ActionRead), s.validateConfig)
	s.handle("GET /api/plugins", tc.Perm(tc.ResConfigs, tc.ActionRead), s.listPlugins)
	s.handle("GET /api/plugins/{type}/{name}", tc.Perm(tc.ResConfigs, tc.ActionRead), s.getPlugin)
	s.handle("GET /api/configs/{id}/versions", tc.Perm(tc.ResConfigs, tc.ActionRead), s.listConfigVersions)
	s.handle("GET /api/configs/{id}/versions/diff", tc.Perm(tc.ResConfigs, tc.ActionRead), s.diffConfigVersions)
	s.handle("GET /api/configs/{id}/versions/{version}", tc.Perm(tc.ResConfigs, tc.ActionRead), s.getConfigVersion)
	s.handle("PATCH /api/configs/{id}/versions/{version}", tc.Perm(tc.ResConfigs, tc.ActionWrite), s.patchConfigVersion)
	s.handle("POST /api/configs/{id}/versions/{version}/rollback", tc.Perm(tc.ResConfigs, tc.ActionWrite), s.rollbackConfigVersion)
	s.handle("DELETE /api/configs/{id}/versions/{version}", tc.Perm(tc.ResConfigs, tc.ActionDelete), s.deleteConfigVersion)
	s.handle("POST /api/configs/{id}/versions/prune", tc.Perm(tc.ResConfigs, tc.ActionDelete), s.pruneConfigVersions)

	// Identity: sign-in and sessions (auth.go), users (user.go), invites
	// (invite.go), password resets (password_reset.go), own account
	// (account.go: a session's only, never a token's), settings (settings.go).
	s.handle("GET /api/auth/status", Public, s.authStatus)
	// The audit log (audit.go).
	s.handle("GET /api/audit-logger", tc.Perm(tc.ResAudit, tc.ActionRead), s.listAudit)
	s.handle("GET /api/audit-logger/export", tc.Perm(tc.ResAudit, tc.ActionRead), s.exportAudit)
	s.handle("GET /api/audit-logger/verify", tc.Perm(tc.ResAudit, tc.ActionRead), s.verifyAudit)
	s.handle("POST /api/auth/setup", Public, s.setup)
	s.handle("POST /api/auth/login/local", Public, s.login)
	s.handle("POST /api/auth/login/ldap", Public, s.loginLDAP) // sso.go
	s.handle("GET /api/auth/oidc/login", Public, s.oidcLogin)
	s.handle("GET /api/auth/oidc/callback", Public, s.oidcCallback)
	s.handle("GET /api/auth/settings", tc.Perm(tc.ResSettings, tc.ActionRead), s.getAuthSettings)
	s.handle("PATCH /api/auth/settings", tc.Perm(tc.ResSettings, tc.ActionWrite), s.patchAuthSettings) // owner only (tc.CanEditProviderSettings)
	s.handle("POST /api/auth/logout", SignedIn, s.logout)
	s.handle("GET /api/auth/me", SignedIn, s.me)
	s.handle("GET /api/users", tc.Perm(tc.ResUsers, tc.ActionRead), s.listUsers)
	s.handle("GET /api/users/{id}", tc.Perm(tc.ResUsers, tc.ActionRead), s.getUser)
	s.handle("PATCH /api/users/{id}", tc.Perm(tc.ResUsers, tc.ActionWrite), s.patchUser)
	s.handle("DELETE /api/users/{id}", tc.Perm(tc.ResUsers, tc.ActionDelete), s.deleteUser)
	s.handleSession("POST /api/users/{id}/transfer-ownership", tc.Perm(tc.ResUsers, tc.ActionWrite), s.transferOwnership)
	s.handle("POST /api/users/{id}/password-reset", tc.Perm(tc.ResPasswordResets, tc.ActionWrite), s.createPasswordReset)
	s.handle("GET /api/password-resets/{token}", Public, s.showPasswordReset)
	s.handle("POST /api/password-resets/{token}", Public, s.usePasswordReset)
	s.handle("GET /api/invites", tc.Perm(tc.ResInvites, tc.ActionRead), s.listInvites)
	s.handle("POST /api/invites", tc.Perm(tc.ResInvites, tc.ActionWrite), s.createInvite)
	s.handle("DELETE /api/invites/{invite}", tc.Perm(tc.ResInvites, tc.ActionDelete), s.deleteInvite)
	s.handle("GET /api/invites/{invite}", Public, s.showInvite)
	s.handle("POST /api/invites/{token}/accept", Public, s.acceptInvite)
	s.handle("GET /api/account", SessionOnly, s.getAccount)
	s.handle("PATCH /api/account", SessionOnly, s.patchAccount)
	s.handle("POST /api/account/password", SessionOnly, s.changePassword)
	s.handle("GET /api/account/preferences", SessionOnly, s.getPreferences)
	s.handle("PUT /api/account/preferences", SessionOnly, s.putPreferences)
	s.handle("GET /api/settings", tc.Perm(tc.ResSettings, tc.ActionRead), s.getSettings)
	s.handle("PATCH /api/settings", tc.Perm(tc.ResSettings, tc.ActionWrite), s.patchSettings)

	// Agents (agent.go) and reporting rules (reporting_rule.go).
	s.handle("GET /api/agents", tc.Perm(tc.ResAgents, tc.ActionRead), s.listAgents)
	s.handle("GET /api/agents/summary", tc.Perm(tc.ResAgents, tc.ActionRead), s.agentSummary)
	s.handle("GET /api/agents/export", tc.Perm(tc.ResAgents, tc.ActionRead), s.exportAgents)
	s.handle("GET /api/agents/fleet-health", tc.Perm(tc.ResAgents, tc.ActionRead), s.fleetHealth)
	s.handle("GET /api/agents/{id}/history", tc.Perm(tc.ResAgents, tc.ActionRead), s.agentHistory)
	s.handle("GET /api/agents/{id}", tc.Perm(tc.ResAgents, tc.ActionRead), s.getAgent)
	s.handle("PATCH /api/agents/{id}", tc.Perm(tc.ResAgents, tc.ActionWrite), s.updateAgent)
	s.handle("DELETE /api/agents/{id}", tc.Perm(tc.ResAgents, tc.ActionDelete), s.deleteAgent)
	s.handle("POST /api/agents/bulk", tc.Perm(tc.ResAgents, tc.ActionWrite), s.bulkAgents) // delete also needs agents:delete
	s.handle("GET /api/configs/{id}/agent-versions", tc.Perm(tc.ResAgents, tc.ActionRead), s.configAgentVersions)
	s.handle("GET /api/reporting-rules", tc.Perm(tc.ResReportingRules, tc.ActionRead), s.listReportingRules)
	s.handle("POST /api/reporting-rules", tc.Perm(tc.ResReportingRules, tc.ActionWrite), s.createReportingRule)
	s.handle("GET /api/reporting-rules/{id}", tc.Perm(tc.ResReportingRules, tc.ActionRead), s.getReportingRule)
	s.handle("PATCH /api/reporting-rules/{id}", tc.Perm(tc.ResReportingRules, tc.ActionWrite), s.updateReportingRule)
	s.handle("DELETE /api/reporting-rules/{id}", tc.Perm(tc.ResReportingRules, tc.ActionDelete), s.deleteReportingRule)
	s.handle("POST /api/reporting-rules/{id}/make-default", tc.Perm(tc.ResReportingRules, tc.ActionWrite), s.makeDefaultReportingRule)

	// Alert rules and alerts (alert_rule.go, alert.go; docs/alerts.md).
	s.handle("GET /api/alert-rules", tc.Perm(tc.ResAlertRules, tc.ActionRead), s.listAlertRules)
	s.handle("POST /api/alert-rules", tc.Perm(tc.ResAlertRules, tc.ActionWrite), s.createAlertRule)
	s.handle("GET /api/alert-rules/{id}", tc.Perm(tc.ResAlertRules, tc.ActionRead), s.getAlertRule)
	s.handle("PUT /api/alert-rules/{id}", tc.Perm(tc.ResAlertRules, tc.ActionWrite), s.replaceAlertRule)
	s.handle("DELETE /api/alert-rules/{id}", tc.Perm(tc.ResAlertRules, tc.ActionDelete), s.deleteAlertRule)
	s.handle("GET /api/alerts", tc.Perm(tc.ResAlerts, tc.ActionRead), s.listAlerts)
	s.handle("GET /api/alerts/mutes", tc.Perm(tc.ResAlerts, tc.ActionRead), s.listMutes)
	s.handle("POST /api/alerts/mutes", tc.Perm(tc.ResAlerts, tc.ActionWrite), s.createMute)
	s.handle("DELETE /api/alerts/mutes/{id}", tc.Perm(tc.ResAlerts, tc.ActionWrite), s.deleteMute)
	s.handle("GET /api/alerts/deliveries", tc.Perm(tc.ResAlerts, tc.ActionRead), s.listDeliveries)

	// API tokens (token.go). Managers act on their own tokens only; the owner
	// and administrators on everyone's, and only they may reassign.
	tokensRead, tokensWrite, tokensDelete := tc.Perm(tc.ResTokens, tc.ActionRead), tc.Perm(tc.ResTokens, tc.ActionWrite), tc.Perm(tc.ResTokens, tc.ActionDelete)
	s.handle("GET /api/tokens/presets", tokensRead, s.tokenPresets)
	s.handle("GET /api/tokens", tokensRead, s.listTokens)
	s.handle("POST /api/tokens", tokensWrite, s.createToken)
	s.handle("POST /api/tokens/bulk", tokensWrite, s.bulkTokens)
	s.handle("GET /api/tokens/{id}", tokensRead, s.getToken)
	s.handle("POST /api/tokens/{id}/revoke", tokensWrite, s.revokeToken)
	s.handle("POST /api/tokens/{id}/reassign", tokensWrite, s.reassignToken)
	s.handle("DELETE /api/tokens/{id}", tokensDelete, s.deleteToken)
}
