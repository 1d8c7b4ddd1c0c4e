package service

import (
	"context"
	"log/slog"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/store"
)

// Settings is the instance-settings service.
type Settings struct {
	Store  *store.Store
	Logger *slog.Logger
}

// SettingsPatch names the settings to change; nil fields keep their value.
type SettingsPatch struct {
	PublicUIURL          *string `json:"publicUiUrl"`
	PublicAPIURL         *string `json:"publicApiUrl"`
	PublicHeartbeatURL   *string `json:"publicHeartbeatUrl"`
	LoginLockoutAttempts *int    `json:"loginLockoutAttempts"`
	LoginLockoutMinutes  *int    `json:"loginLockoutMinutes"`
	PasswordComplexity   *string `json:"passwordComplexity"`
	// AuditLogRetentionHours: see tc.Settings.
	AuditLogRetentionHours *int `json:"auditLogRetentionHours"`
	// AgentHistoryRetentionHours: see tc.Settings.
	AgentHistoryRetentionHours *int `json:"agentHistoryRetentionHours"`
}

// Current returns the settings for the controller's own use (the password
// rules a public page states, the URLs it builds), with no caller.
func (s *Settings) Current() tc.Settings { return s.Store.Settings() }

// Get returns the settings to a caller who may read them.
// Errors: EUNAUTHORIZED, EFORBIDDEN.
func (s *Settings) Get(ctx context.Context) (tc.Settings, error) {
	if _, err := require(ctx, tc.Perm(tc.ResSettings, tc.ActionRead)); err != nil {
		return tc.Settings{}, err
	}
	return s.Store.Settings(), nil
}

// Update changes the given settings, validated together (tc.Settings
// Validate), and returns the result. Errors: EUNAUTHORIZED, EFORBIDDEN,
// EINVALID.
func (s *Settings) Update(ctx context.Context, in SettingsPatch) (tc.Settings, error) {
	c, err := require(ctx, tc.Perm(tc.ResSettings, tc.ActionWrite))
	if err != nil {
		return tc.Settings{}, err
	}
	v, err := s.Store.UpdateSettings(ctx, func(v *tc.Settings) {
		set(&v.PublicUIURL, in.PublicUIURL)
		set(&v.PublicAPIURL, in.PublicAPIURL)
		set(&v.PublicHeartbeatURL, in.PublicHeartbeatURL)
		set(&v.LoginLockoutAttempts, in.LoginLockoutAttempts)
		set(&v.LoginLockoutMinutes, in.LoginLockoutMinutes)
		set(&v.AuditLogRetentionHours, in.AuditLogRetentionHours)
		set(&v.AgentHistoryRetentionHours, in.AgentHistoryRetentionHours)
		if in.PasswordComplexity != nil {
			v.PasswordComplexity = tc.PasswordComplexity(*in.PasswordComplexity)
		}
	})
	if err != nil {
		return tc.Settings{}, err
	}
	if s.Logger != nil {
		s.Logger.Info("settings changed", By(c))
	}
	return v, nil
}

func set[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}
