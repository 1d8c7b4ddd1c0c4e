package notify

import (
	"context"
	"crypto/tls"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/telegrafcontroller/tc"
)

// ChannelStore is where the dispatcher reads channels, secrets included;
// *store.Store is one.
type ChannelStore interface {
	NotificationChannel(ctx context.Context, id string) (*tc.NotificationChannel, error)
}

// Options tune a ChannelDispatcher; the zero value is ready.
type Options struct {
	// HTTPClient sends to the webhook, Slack, Teams and Alertmanager
	// channels (default: a 10 s timeout, no redirects followed).
	HTTPClient *http.Client
	// TLSConfig is the base of the SMTP connections' TLS settings (the
	// server name is set per channel); nil trusts the system's roots.
	TLSConfig *tls.Config
	// SMTPTimeout bounds one email delivery, connection to QUIT (default
	// 30 s).
	SMTPTimeout time.Duration
	// Now reads the clock: signatures' timestamps, Retry-After dates and a
	// resolved alert's end without one (default time.Now).
	Now func() time.Time
	// Hostname is what the SMTP client says in EHLO (default "localhost").
	Hostname string
}

// ChannelDispatcher is the Dispatcher of the channels in the database: it
// reads the channel by id and sends with the sender of its kind.
type ChannelDispatcher struct {
	store    ChannelStore
	client   *http.Client
	tls      *tls.Config
	smtpWait time.Duration
	now      func() time.Time
	hostname string
}

var _ Dispatcher = (*ChannelDispatcher)(nil)

// NewDispatcher returns a dispatcher that reads channels from st.
func NewDispatcher(st ChannelStore, o Options) *ChannelDispatcher {
	d := &ChannelDispatcher{store: st, client: o.HTTPClient, tls: o.TLSConfig, smtpWait: o.SMTPTimeout, now: o.Now, hostname: o.Hostname}
	if d.client == nil {
		d.client = newHTTPClient()
	}
	if d.smtpWait <= 0 {
		d.smtpWait = 30 * time.Second
	}
	if d.now == nil {
		d.now = time.Now
	}
	if d.hostname == "" {
		d.hostname = "localhost"
	}
	return d
}

// Send sends m to channel id. A deleted or disabled channel, or one whose
// secrets cannot be read, is ErrPermanent; a database error is returned as
// it is (retryable).
func (d *ChannelDispatcher) Send(ctx context.Context, id string, m Message) error {
	c, err := d.store.NotificationChannel(ctx, id)
	if tc.ErrorCode(err) == tc.ENOTFOUND {
		return fmt.Errorf("notification channel %s no longer exists: %w", id, ErrPermanent)
	}
	if err != nil {
		return fmt.Errorf("read notification channel %s: %w", id, err)
	}
	if !c.Enabled {
		return fmt.Errorf("notification channel %q is disabled: %w", c.Name, ErrPermanent)
	}
	return d.SendTo(ctx, c, m)
}

// SendTo sends m to c, enabled or not (the "send test" button tries a
// channel before it is enabled).
func (d *ChannelDispatcher) SendTo(ctx context.Context, c *tc.NotificationChannel, m Message) error {
	if c.SecretsUnreadable {
		return fmt.Errorf("the secrets of notification channel %q cannot be decrypted with this controller's secret key; enter them again: %w", c.Name, ErrPermanent)
	}
	switch {
	case c.Kind == tc.ChannelWebhook && c.Webhook != nil:
		return d.sendWebhook(ctx, c.Webhook, m)
	case c.Kind == tc.ChannelSlack && c.Slack != nil:
		return d.sendSlack(ctx, c.Slack, m)
	case c.Kind == tc.ChannelTeams && c.Teams != nil:
		return d.sendTeams(ctx, c.Teams, m)
	case c.Kind == tc.ChannelEmail && c.Email != nil:
		return d.sendEmail(ctx, c.Email, m)
	case c.Kind == tc.ChannelAlertmanager && c.Alertmanager != nil:
		return d.sendAlertmanager(ctx, c.Alertmanager, m)
	}
	return fmt.Errorf("notification channel %q has no settings for its kind %q: %w", c.Name, c.Kind, ErrPermanent)
}

// title is a message's first line: "[FIRING] <summary>",
// "[RESOLVED] <summary>" or "[TEST] <summary>".
func title(m Message) string {
	tag := "[FIRING] "
	switch {
	case m.Test:
		tag = "[TEST] "
	case m.Status == StatusResolved:
		tag = "[RESOLVED] "
	}
	return tag + m.Summary
}

// chatSubjects is how many subjects chat and email messages list.
const chatSubjects = 10

// firstSubjects returns up to n of m's subjects and how many more there
// are (of m.Count, or of the list when Count is short).
func firstSubjects(m Message, n int) ([]Subject, int) {
	total := max(m.Count, len(m.Subjects))
	if len(m.Subjects) <= n {
		return m.Subjects, total - len(m.Subjects)
	}
	return m.Subjects[:n], total - n
}

// recoveredNames is how many of an update's recovered subjects chat and
// email messages name.
const recoveredNames = 5

// recovered returns how many subjects left a still-firing group since
// its last message and the first few names ("web1, web2 and 3 more"); 0
// on resolved messages, which name them all.
func recovered(m Message) (int, string) {
	n := len(m.Resolved)
	if n == 0 || m.Status == StatusResolved {
		return 0, ""
	}
	names := make([]string, 0, min(n, recoveredNames))
	for _, s := range m.Resolved[:min(n, recoveredNames)] {
		names = append(names, s.Name)
	}
	list := strings.Join(names, ", ")
	if n > recoveredNames {
		list += fmt.Sprintf(" and %d more", n-recoveredNames)
	}
	return n, list
}
