package service_test

import (
	"context"
	"testing"
	"time"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/apptest"
	"github.com/telegrafcontroller/tc/internal/service"
	"github.com/telegrafcontroller/tc/internal/store"
)

// TestServicesCheckPermissions calls every service method that reads or
// changes something as a signed-in caller holding no permission, and as no
// caller at all: whatever adapter calls it (UI, API, command line), the
// service itself refuses before touching the store.
func TestServicesCheckPermissions(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		st := mustStore(t, db)
		tokens := &service.Tokens{Store: st, Now: time.Now}
		users := &service.Users{Store: st, Now: time.Now}
		configs := &service.Configs{Store: st}
		labels := &service.Labels{Store: st}
		constants := &service.Constants{Store: st}
		agents := &service.Agents{Store: st}
		rules := &service.ReportingRules{Store: st}
		settings := &service.Settings{Store: st}
		alertRules := &service.AlertRules{Store: st}
		alerts := &service.Alerts{Store: st, Now: time.Now}
		calls := map[string]func(ctx context.Context) error{
			"Tokens.List":     func(ctx context.Context) error { _, err := tokens.List(ctx, store.TokenFilter{}); return err },
			"Tokens.Get":      func(ctx context.Context) error { _, err := tokens.Get(ctx, "t1"); return err },
			"Tokens.Create":   func(ctx context.Context) error { _, _, _, err := tokens.Create(ctx, tc.TokenRequest{}); return err },
			"Tokens.Revoke":   func(ctx context.Context) error { _, err := tokens.Revoke(ctx, "t1"); return err },
			"Tokens.Delete":   func(ctx context.Context) error { return tokens.Delete(ctx, "t1") },
			"Tokens.Reassign": func(ctx context.Context) error { _, err := tokens.Reassign(ctx, "t1", "u2"); return err },
			"Tokens.Bulk":     func(ctx context.Context) error { _, err := tokens.Bulk(ctx, "revoke", []string{"t1"}, ""); return err },
			"Tokens.Presets":  func(ctx context.Context) error { _, err := tokens.Presets(ctx); return err },
			"Users.List":      func(ctx context.Context) error { _, err := users.List(ctx); return err },
			"Users.Get":       func(ctx context.Context) error { _, err := users.Get(ctx, "u2"); return err },
			"Users.Update":    func(ctx context.Context) error { _, err := users.Update(ctx, "u2", service.UserPatch{}); return err },
			"Users.Delete":    func(ctx context.Context) error { return users.Delete(ctx, "u2") },
			"Users.Transfer":  func(ctx context.Context) error { return users.TransferOwnership(ctx, "u2") },
			"Users.Invite": func(ctx context.Context) error {
				_, _, err := users.CreateInvite(ctx, service.InviteRequest{})
				return err
			},
			"Users.Invites":   func(ctx context.Context) error { _, err := users.Invites(ctx); return err },
			"Users.DelInvite": func(ctx context.Context) error { return users.DeleteInvite(ctx, "i1") },
			"Users.Reset":     func(ctx context.Context) error { _, _, err := users.CreatePasswordReset(ctx, "u2", nil); return err },
			"Configs.List":    func(ctx context.Context) error { _, _, err := configs.List(ctx, tc.ConfigFilter{}); return err },
			"Labels.List":     func(ctx context.Context) error { _, err := labels.List(ctx); return err },
			"Constants.List":  func(ctx context.Context) error { _, err := constants.List(ctx); return err },
			"Agents.List":     func(ctx context.Context) error { _, err := agents.List(ctx, tc.AgentFilter{}); return err },
			"Rules.List":      func(ctx context.Context) error { _, err := rules.List(ctx); return err },
			"Settings.Get":    func(ctx context.Context) error { _, err := settings.Get(ctx); return err },
			"Settings.Update": func(ctx context.Context) error { _, err := settings.Update(ctx, service.SettingsPatch{}); return err },
			"AlertRules.List": func(ctx context.Context) error { _, err := alertRules.List(ctx); return err },
			"AlertRules.Get":  func(ctx context.Context) error { _, err := alertRules.Get(ctx, "r1"); return err },
			"AlertRules.Create": func(ctx context.Context) error {
				_, err := alertRules.Create(ctx, tc.AlertRuleInput{})
				return err
			},
			"AlertRules.Replace": func(ctx context.Context) error {
				_, err := alertRules.Replace(ctx, "r1", tc.AlertRuleInput{})
				return err
			},
			"AlertRules.Delete": func(ctx context.Context) error { return alertRules.Delete(ctx, "r1") },
			"Alerts.List":       func(ctx context.Context) error { _, _, err := alerts.List(ctx, tc.AlertFilter{}); return err },
			"Alerts.Counts":     func(ctx context.Context) error { _, err := alerts.Counts(ctx); return err },
			"Alerts.Mutes":      func(ctx context.Context) error { _, err := alerts.Mutes(ctx); return err },
			"Alerts.Mute":       func(ctx context.Context) error { _, err := alerts.Mute(ctx, tc.AlertMuteInput{}); return err },
			"Alerts.Unmute":     func(ctx context.Context) error { return alerts.Unmute(ctx, "m1") },
			"Alerts.Deliveries": func(ctx context.Context) error {
				_, _, err := alerts.Deliveries(ctx, tc.DeliveryFilter{})
				return err
			},
		}
		for name, call := range calls {
			wantCode(t, name+" with no permission", call(as()), tc.EFORBIDDEN)
			wantCode(t, name+" with no caller", call(context.Background()), tc.EUNAUTHORIZED)
		}
	})
}
