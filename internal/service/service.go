// Package service holds the rules that every adapter shares: the JSON API,
// the web UI, and later the command-line client. A service takes the caller
// from the context (tc.CallerFromContext), decides what that caller may do
// beyond the permission its route already required (who may act on whom
// lives in the domain's policy.go), calls the store, and returns domain
// types and domain errors. Adapters only translate.
package service

// Services is every service, built once by internal/app and shared by the
// adapters (the JSON API and the UI embed it), so each holds the same rules.
type Services struct {
	Tokens         *Tokens
	Users          *Users
	Configs        *Configs
	ConfigGroups   *ConfigGroups
	Aliases        *Aliases
	Labels         *Labels
	Constants      *Constants
	Agents         *Agents
	ReportingRules *ReportingRules
	AlertRules     *AlertRules
	Alerts         *Alerts
	Settings       *Settings
	Audit          *Audit
	Search         *Search
	// NotificationChannels: where alerts are sent (notification_channel.go).
	NotificationChannels *NotificationChannels
}
