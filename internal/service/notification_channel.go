package service

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"time"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/notify"
	"github.com/telegrafcontroller/tc/internal/store"
)

// ChannelSender sends to a channel as it is given; notify.ChannelDispatcher
// is one.
type ChannelSender interface {
	SendTo(ctx context.Context, c *tc.NotificationChannel, m notify.Message) error
}

// NotificationChannels is the notification channel service: where alerts
// are sent (docs/alerts.md, "Channels"). Secrets go in and never come out:
// every channel it returns says only whether each is set.
type NotificationChannels struct {
	Store  *store.Store
	Sender ChannelSender
	Logger *slog.Logger
	// TestTimeout bounds a "send test" (default 20 s).
	TestTimeout time.Duration
}

func channelPerm(action string) tc.Permission { return tc.Perm(tc.ResNotificationChannels, action) }

// ChannelRequest is a channel to create, or the whole of one to replace:
// the body of POST /api/notification-channels and PUT .../{id}. A secret
// left empty on replace keeps the stored one (a webhook header given with
// an empty value keeps its stored value; webhook.headers left out keeps
// them all); ClearSecrets names the optional secrets to remove instead
// ("webhook.secret", "webhook.headers", "email.password",
// "alertmanager.password", "alertmanager.bearerToken"). Enabled left out
// is true on create and unchanged on replace.
type ChannelRequest struct {
	Name         string             `json:"name"`
	Kind         string             `json:"kind"`
	Enabled      *bool              `json:"enabled"`
	Webhook      *WebhookInput      `json:"webhook"`
	Slack        *ChatInput         `json:"slack"`
	Teams        *ChatInput         `json:"teams"`
	Email        *EmailInput        `json:"email"`
	Alertmanager *AlertmanagerInput `json:"alertmanager"`
	ClearSecrets []string           `json:"clearSecrets"`
}

// WebhookInput is a webhook channel's settings as written.
type WebhookInput struct {
	URL     string            `json:"url"`
	Secret  string            `json:"secret"`
	Headers map[string]string `json:"headers"`
}

// ChatInput is a Slack or Teams channel's settings as written.
type ChatInput struct {
	URL string `json:"url"`
}

// EmailInput is an email channel's settings as written.
type EmailInput struct {
	Host     string   `json:"host"`
	Port     int      `json:"port"`
	Security string   `json:"security"`
	Username string   `json:"username"`
	Password string   `json:"password"`
	From     string   `json:"from"`
	To       []string `json:"to"`
}

// AlertmanagerInput is an Alertmanager channel's settings as written.
type AlertmanagerInput struct {
	URL         string `json:"url"`
	Username    string `json:"username"`
	Password    string `json:"password"`
	BearerToken string `json:"bearerToken"`
}

// channel is the channel req describes, secrets as given.
func (req *ChannelRequest) channel() *tc.NotificationChannel {
	c := &tc.NotificationChannel{Name: req.Name, Kind: strings.TrimSpace(req.Kind), Enabled: true}
	if req.Enabled != nil {
		c.Enabled = *req.Enabled
	}
	if w := req.Webhook; w != nil {
		c.Webhook = &tc.WebhookSettings{URL: strings.TrimSpace(w.URL), Secret: w.Secret, Headers: w.Headers}
	}
	if s := req.Slack; s != nil {
		c.Slack = &tc.ChatSettings{URL: strings.TrimSpace(s.URL)}
	}
	if s := req.Teams; s != nil {
		c.Teams = &tc.ChatSettings{URL: strings.TrimSpace(s.URL)}
	}
	if e := req.Email; e != nil {
		c.Email = &tc.EmailSettings{Host: e.Host, Port: e.Port, Security: e.Security, Username: e.Username,
			Password: e.Password, From: e.From, To: e.To}
	}
	if a := req.Alertmanager; a != nil {
		c.Alertmanager = &tc.AlertmanagerSettings{URL: strings.TrimSpace(a.URL), Username: a.Username, Password: a.Password,
			BearerToken: a.BearerToken}
	}
	return c
}

// List returns every channel by name. Errors: EUNAUTHORIZED, EFORBIDDEN.
func (s *NotificationChannels) List(ctx context.Context) ([]*tc.NotificationChannel, error) {
	if _, err := require(ctx, channelPerm(tc.ActionRead)); err != nil {
		return nil, err
	}
	return s.Store.NotificationChannels(ctx)
}

// Get returns one channel. Errors: EUNAUTHORIZED, EFORBIDDEN, ENOTFOUND.
func (s *NotificationChannels) Get(ctx context.Context, id string) (*tc.NotificationChannel, error) {
	if _, err := require(ctx, channelPerm(tc.ActionRead)); err != nil {
		return nil, err
	}
	return s.Store.NotificationChannel(ctx, id)
}

// Create stores a new channel. Errors: EUNAUTHORIZED, EFORBIDDEN,
// EINVALID (a secret with no key to seal it included), ECONFLICT for a
// name in use.
func (s *NotificationChannels) Create(ctx context.Context, req ChannelRequest) (*tc.NotificationChannel, error) {
	if _, err := require(ctx, channelPerm(tc.ActionWrite)); err != nil {
		return nil, err
	}
	c := req.channel()
	if err := c.KeepSecrets(nil, req.ClearSecrets); err != nil {
		return nil, err
	}
	if err := s.Store.CreateNotificationChannel(ctx, c); err != nil {
		return nil, err
	}
	return c, nil
}

// Replace replaces channel id with req, keeping the secrets req leaves
// empty. Errors: EUNAUTHORIZED, EFORBIDDEN, ENOTFOUND, EINVALID,
// ECONFLICT.
func (s *NotificationChannels) Replace(ctx context.Context, id string, req ChannelRequest) (*tc.NotificationChannel, error) {
	if _, err := require(ctx, channelPerm(tc.ActionWrite)); err != nil {
		return nil, err
	}
	return s.Store.UpdateNotificationChannel(ctx, id, func(c *tc.NotificationChannel) error {
		old := *c
		next := req.channel()
		if req.Enabled == nil {
			next.Enabled = old.Enabled
		}
		if err := next.KeepSecrets(&old, req.ClearSecrets); err != nil {
			return err
		}
		*c = *next
		return nil
	})
}

// Delete deletes channel id. Errors: EUNAUTHORIZED, EFORBIDDEN, ENOTFOUND.
func (s *NotificationChannels) Delete(ctx context.Context, id string) error {
	if _, err := require(ctx, channelPerm(tc.ActionDelete)); err != nil {
		return err
	}
	return s.Store.DeleteNotificationChannel(ctx, id)
}

// Test sends a test message (Test set) to channel id, enabled or not, and
// waits for the receiver's answer. It needs the write permission: it makes
// the controller send. Errors: EUNAUTHORIZED, EFORBIDDEN, ENOTFOUND,
// EBADGATEWAY with the receiver's refusal (never a secret: no URL of a
// chat channel, no credential).
func (s *NotificationChannels) Test(ctx context.Context, id string) error {
	if _, err := require(ctx, channelPerm(tc.ActionWrite)); err != nil {
		return err
	}
	c, err := s.Store.NotificationChannel(ctx, id)
	if err != nil {
		return err
	}
	wait := s.TestTimeout
	if wait <= 0 {
		wait = 20 * time.Second
	}
	sendCtx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	sent := s.Sender.SendTo(sendCtx, c, TestMessage(c, s.Store.Settings().PublicUIURL, time.Now()))
	entry := tc.AuditEntry{Action: tc.ActionChannelTest, Outcome: tc.OutcomeSuccess, TargetType: string(tc.EntityNotificationChannel),
		TargetID: c.ID, TargetName: c.Name}
	details := map[string]string{"kind": c.Kind}
	if sent != nil {
		entry.Outcome, details["error"] = tc.OutcomeFailure, sent.Error()
	}
	entry.Details, _ = json.Marshal(details)
	if err := s.Store.AppendAudit(ctx, entry); err != nil {
		return err
	}
	if sent != nil {
		if s.Logger != nil {
			s.Logger.Info("notification channel test failed", "channel_id", c.ID, "kind", c.Kind, "error", sent.Error())
		}
		return tc.Errorf(tc.EBADGATEWAY, "The %s channel %q failed the test: %s", c.Kind, c.Name, sent.Error())
	}
	return nil
}

// TestMessage is what "send test" sends to c: a firing message marked
// Test, about no agent, linking to the channels page when the public UI
// URL is known.
func TestMessage(c *tc.NotificationChannel, publicUIURL string, now time.Time) notify.Message {
	m := notify.Message{
		IdempotencyKey: "test-" + c.ID + "-" + now.UTC().Format("20060102T150405.000000000"),
		RuleName:       "Telegraf Controller test",
		Event:          "test",
		Status:         notify.StatusFiring,
		Summary:        "Test notification from Telegraf Controller (channel " + c.Name + ")",
		Text:           "This is a test of the notification channel " + c.Name + ". Alerts will arrive like this.",
		StartsAt:       now,
		Test:           true,
	}
	if publicUIURL != "" {
		m.Link = strings.TrimRight(publicUIURL, "/") + "/notification-channels"
	}
	return m
}
