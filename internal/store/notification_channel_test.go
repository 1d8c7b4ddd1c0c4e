package store_test

import (
	"context"
	"strings"
	"testing"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/apptest"
	"github.com/telegrafcontroller/tc/internal/store"
)

// TestNotificationChannelsSealSecrets stores a channel of each kind with
// its secrets: they read back whole, never appear in clear in the
// database nor in the audit log, an update that omits them keeps them,
// and a store opened with another key (or none) cannot read them and says
// so rather than failing.
func TestNotificationChannelsSealSecrets(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		ctx := tc.NewContextWithCaller(context.Background(), &tc.Caller{User: &tc.User{ID: "u1"}})
		dsn := apptest.NewDSN(t, db)
		open := func(key string) *store.Store {
			s, err := store.Open(context.Background(), dsn, store.Options{SecretKey: key})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		}
		s := open("a key of at least thirty-two characters!")
		s.SetAudit(true)
		secrets := []string{"hmac-secret-value", "Bearer header-secret", "T000/B000/slack-token-value", "smtp-password-value",
			"am-bearer-token-value", "teams-sig-value"}
		channels := []*tc.NotificationChannel{
			{Name: "Ops webhook", Kind: tc.ChannelWebhook, Enabled: true, Webhook: &tc.WebhookSettings{URL: "https://hooks.example.com/tc",
				Secret: secrets[0], Headers: map[string]string{"Authorization": secrets[1]}}},
			{Name: "Slack", Kind: tc.ChannelSlack, Enabled: true, Slack: &tc.ChatSettings{URL: "https://hooks.slack.com/services/" + secrets[2]}},
			{Name: "Teams", Kind: tc.ChannelTeams, Teams: &tc.ChatSettings{URL: "https://prod.example.logic.azure.com/workflows/1?sig=" + secrets[5]}},
			{Name: "Mail", Kind: tc.ChannelEmail, Enabled: true, Email: &tc.EmailSettings{Host: "smtp.example.com", Username: "tc",
				Password: secrets[3], From: "tc@example.com", To: []string{"Ops <ops@example.com>"}}},
			{Name: "AM", Kind: tc.ChannelAlertmanager, Enabled: true, Alertmanager: &tc.AlertmanagerSettings{URL: "http://am:9093", BearerToken: secrets[4]}},
		}
		for _, c := range channels {
			if err := s.CreateNotificationChannel(ctx, c); err != nil {
				t.Fatalf("create %s: %v", c.Name, err)
			}
			if c.CreatedBy != "u1" {
				t.Errorf("%s createdBy = %q, want u1", c.Name, c.CreatedBy)
			}
		}
		if err := s.CreateNotificationChannel(ctx, &tc.NotificationChannel{Name: "slack", Kind: tc.ChannelSlack,
			Slack: &tc.ChatSettings{URL: "https://hooks.slack.com/x"}}); tc.ErrorCode(err) != tc.ECONFLICT {
			t.Errorf("a second channel named slack: %v, want conflict", err)
		}
		got, err := s.NotificationChannel(ctx, channels[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Webhook.Secret != secrets[0] || got.Webhook.Headers["Authorization"] != secrets[1] || got.Webhook.URL != "https://hooks.example.com/tc" {
			t.Errorf("webhook read back as %+v", got.Webhook)
		}
		list, err := s.NotificationChannels(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 5 || list[0].Name != "AM" || list[0].Alertmanager.BearerToken != secrets[4] || list[1].Email.Password != secrets[3] ||
			list[1].Email.To[0] != "ops@example.com" || list[3].Slack.URL != channels[1].Slack.URL || list[4].Teams.URL != channels[2].Teams.URL {
			t.Errorf("list = %+v", list)
		}

		// An update that leaves the secrets out keeps them.
		up, err := s.UpdateNotificationChannel(ctx, channels[0].ID, func(c *tc.NotificationChannel) error {
			old := *c
			c.Name = "Ops hook"
			c.Webhook = &tc.WebhookSettings{URL: "https://hooks.example.com/v2", Headers: map[string]string{"Authorization": ""}}
			return c.KeepSecrets(&old, nil)
		})
		if err != nil {
			t.Fatal(err)
		}
		if up.Webhook.Secret != secrets[0] || up.Webhook.Headers["Authorization"] != secrets[1] {
			t.Errorf("update lost the secrets: %+v", up.Webhook)
		}
		if err := s.DeleteNotificationChannel(ctx, channels[4].ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.NotificationChannel(ctx, channels[4].ID); tc.ErrorCode(err) != tc.ENOTFOUND {
			t.Errorf("deleted channel: %v, want not found", err)
		}
		if err := s.DeleteNotificationChannel(ctx, channels[4].ID); tc.ErrorCode(err) != tc.ENOTFOUND {
			t.Errorf("delete again: %v, want not found", err)
		}

		// Nothing holds a secret in clear: the rows, nor the audit log.
		rows, err := s.ReadDB().QueryContext(ctx, `SELECT settings || secrets FROM notification_channels`)
		if err != nil {
			t.Fatal(err)
		}
		var stored []string
		for rows.Next() {
			var v string
			rows.Scan(&v)
			stored = append(stored, v)
		}
		rows.Close()
		entries, err := s.AuditEntriesAfter(ctx, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, e := range entries {
			stored = append(stored, string(e.Details), e.TargetName)
			actions = append(actions, e.Action)
		}
		for _, v := range stored {
			for _, sec := range secrets {
				if strings.Contains(v, sec) {
					t.Errorf("secret %q stored in clear: %s", sec, v)
				}
			}
		}
		want := "notification-channel.create notification-channel.create notification-channel.create notification-channel.create notification-channel.create notification-channel.update notification-channel.delete"
		if got := strings.Join(actions, " "); got != want {
			t.Errorf("audit actions = %s, want %s", got, want)
		}
		if d := string(entries[5].Details); !strings.Contains(d, `"webhook.url"`) || !strings.Contains(d, `"name"`) || strings.Contains(d, "webhook.secret") {
			t.Errorf("update details = %s, want name and webhook.url changed, not the kept secret", d)
		}

		// Another key, or none: the channels still list, marked unreadable.
		for _, key := range []string{"another key of thirty-two characters!!", ""} {
			other := open(key)
			c, err := other.NotificationChannel(ctx, channels[1].ID)
			if err != nil {
				t.Fatal(err)
			}
			if !c.SecretsUnreadable || c.Slack.URL != "" {
				t.Errorf("key %q: slack channel = %+v, want unreadable secrets", key, c)
			}
		}
		// Without a key a secret is refused, a channel without one is not.
		none := open("")
		if err := none.CreateNotificationChannel(ctx, &tc.NotificationChannel{Name: "s2", Kind: tc.ChannelSlack,
			Slack: &tc.ChatSettings{URL: "https://hooks.slack.com/y"}}); tc.ErrorCode(err) != tc.EINVALID || !strings.Contains(tc.ErrorMessage(err), "--secret-key") {
			t.Errorf("a secret without a key: %v, want invalid naming --secret-key", err)
		}
		if err := none.CreateNotificationChannel(ctx, &tc.NotificationChannel{Name: "plain", Kind: tc.ChannelWebhook,
			Webhook: &tc.WebhookSettings{URL: "http://127.0.0.1:9/x"}}); err != nil {
			t.Errorf("a webhook without secrets and no key: %v", err)
		}
	})
}
