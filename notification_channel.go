package tc

import (
	"encoding/json"
	"maps"
	"net"
	"net/mail"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Kinds of notification channel (docs/alerts.md, "Channels").
const (
	ChannelWebhook      = "webhook"
	ChannelSlack        = "slack"
	ChannelTeams        = "teams"
	ChannelEmail        = "email"
	ChannelAlertmanager = "alertmanager"
)

// ActionChannelTest is the audit action of a channel's "send test": the
// controller sent, though nothing changed.
const ActionChannelTest = "notification-channel.test"

// ChannelKinds lists every kind, in display order.
var ChannelKinds = []string{ChannelWebhook, ChannelSlack, ChannelTeams, ChannelEmail, ChannelAlertmanager}

// Email connection security: STARTTLS on a plain connection (port 587 by
// default), TLS from the first byte (465), or none (25; for a relay on
// loopback such as a local Mailpit).
const (
	EmailStartTLS = "starttls"
	EmailTLS      = "tls"
	EmailPlain    = "none"
)

// Limits of notification channel fields.
const (
	MaxChannelNameLen    = 100
	MaxChannelURLLen     = 2000
	MaxChannelSecretLen  = 1024
	MaxChannelHeaders    = 20
	MaxChannelHeaderLen  = 4096
	MaxChannelRecipients = 50
)

// NotificationChannel is somewhere alerts are sent: a signed webhook, a
// Slack or Teams incoming webhook, an SMTP server or an Alertmanager.
// Exactly the settings of its Kind are set.
//
// Secrets (the webhook's signing secret and header values, Slack's and
// Teams' URLs, which carry a token, the SMTP and Alertmanager passwords and
// bearer token) are write-only: they are stored encrypted, and the JSON
// encoding of a channel says only whether each is set (secretSet,
// passwordSet, ...) and, for a secret URL, its host. They never reach a log
// line nor an audit entry.
type NotificationChannel struct {
	ID           string                `json:"id"`
	Name         string                `json:"name"`
	Kind         string                `json:"kind"`
	Enabled      bool                  `json:"enabled"`
	Webhook      *WebhookSettings      `json:"webhook,omitempty"`
	Slack        *ChatSettings         `json:"slack,omitempty"`
	Teams        *ChatSettings         `json:"teams,omitempty"`
	Email        *EmailSettings        `json:"email,omitempty"`
	Alertmanager *AlertmanagerSettings `json:"alertmanager,omitempty"`
	// SecretsUnreadable says the stored secrets could not be decrypted
	// with this controller's key (the key changed): the channel cannot
	// send until its secrets are given again.
	SecretsUnreadable bool      `json:"secretsUnreadable,omitempty"`
	CreatedAt         time.Time `json:"createdAt"`
	UpdatedAt         time.Time `json:"updatedAt"`
	CreatedBy         string    `json:"createdBy,omitempty"` // the creator's user id
}

// WebhookSettings: a JSON POST of the message to URL, signed with Secret
// when one is set (header X-TC-Signature), with extra Headers whose values
// are secret (an Authorization header, an API key).
type WebhookSettings struct {
	URL     string            `json:"url"`
	Secret  string            `json:"-"`
	Headers map[string]string `json:"-"`
}

// MarshalJSON shows the URL, the header names and whether a secret is set.
func (w WebhookSettings) MarshalJSON() ([]byte, error) {
	names := make([]string, 0, len(w.Headers))
	for k := range w.Headers {
		names = append(names, k)
	}
	slices.Sort(names)
	return json.Marshal(struct {
		URL         string   `json:"url"`
		HeaderNames []string `json:"headerNames"`
		SecretSet   bool     `json:"secretSet"`
	}{w.URL, names, w.Secret != ""})
}

// ChatSettings is a Slack or Teams incoming webhook, whose URL is the
// secret.
type ChatSettings struct {
	URL string `json:"-"`
}

// MarshalJSON shows only the URL's host.
func (c ChatSettings) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		URLHost string `json:"urlHost"`
		URLSet  bool   `json:"urlSet"`
	}{URLHost(c.URL), c.URL != ""})
}

// EmailSettings is an SMTP server and the message's sender and recipients.
// Port 0 means the security's usual port.
type EmailSettings struct {
	Host     string   `json:"host"`
	Port     int      `json:"port"`
	Security string   `json:"security"`
	Username string   `json:"username"`
	Password string   `json:"-"`
	From     string   `json:"from"`
	To       []string `json:"to"`
}

// MarshalJSON shows every field but the password, and whether one is set.
func (e EmailSettings) MarshalJSON() ([]byte, error) {
	type plain EmailSettings
	return json.Marshal(struct {
		plain
		PasswordSet bool `json:"passwordSet"`
	}{plain(e), e.Password != ""})
}

// SMTPPort is the port to dial: Port, or the security's usual one.
func (e *EmailSettings) SMTPPort() int {
	switch {
	case e.Port != 0:
		return e.Port
	case e.Security == EmailTLS:
		return 465
	case e.Security == EmailPlain:
		return 25
	}
	return 587
}

// AlertmanagerSettings is an Alertmanager's base URL (the alerts go to
// {URL}/api/v2/alerts) with basic auth or a bearer token, both optional.
type AlertmanagerSettings struct {
	URL         string `json:"url"`
	Username    string `json:"username"`
	Password    string `json:"-"`
	BearerToken string `json:"-"`
}

// MarshalJSON shows the URL and username, and whether the password and
// token are set.
func (a AlertmanagerSettings) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		URL            string `json:"url"`
		Username       string `json:"username"`
		PasswordSet    bool   `json:"passwordSet"`
		BearerTokenSet bool   `json:"bearerTokenSet"`
	}{a.URL, a.Username, a.Password != "", a.BearerToken != ""})
}

// URLHost returns the host of a URL (with its port), or "" when it has
// none: what may be shown of a URL that holds a secret.
func URLHost(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return ""
	}
	return u.Host
}

// reservedWebhookHeaders are set by the controller on every webhook
// request; a channel cannot override them.
var reservedWebhookHeaders = []string{"Content-Type", "Content-Length", "Host", "User-Agent",
	"Idempotency-Key", "X-Tc-Signature", "Transfer-Encoding", "Connection"}

// Validate trims c's name and checks every field of its kind, returning an
// EINVALID error naming the first bad field ("webhook.url",
// "email.to", ...).
func (c *NotificationChannel) Validate() error {
	c.Name = strings.TrimSpace(c.Name)
	switch {
	case c.Name == "":
		return FieldErrorf("name", "name is required")
	case utf8.RuneCountInString(c.Name) > MaxChannelNameLen:
		return FieldErrorf("name", "name must be at most %d characters", MaxChannelNameLen)
	case !slices.Contains(ChannelKinds, c.Kind):
		return FieldErrorf("kind", "kind must be one of %s", strings.Join(ChannelKinds, ", "))
	}
	set := map[string]bool{ChannelWebhook: c.Webhook != nil, ChannelSlack: c.Slack != nil, ChannelTeams: c.Teams != nil,
		ChannelEmail: c.Email != nil, ChannelAlertmanager: c.Alertmanager != nil}
	for _, k := range ChannelKinds {
		if k == c.Kind && !set[k] {
			return FieldErrorf(k, "a %s channel needs its %q settings", k, k)
		}
		if k != c.Kind && set[k] {
			return FieldErrorf(k, "a %s channel takes no %q settings", c.Kind, k)
		}
	}
	switch c.Kind {
	case ChannelWebhook:
		return c.Webhook.validate()
	case ChannelSlack, ChannelTeams:
		s := c.Slack
		if c.Kind == ChannelTeams {
			s = c.Teams
		}
		if s.URL == "" {
			return FieldErrorf(c.Kind+".url", "%s.url is required: the incoming webhook's URL", c.Kind)
		}
		return validateHTTPURL(c.Kind+".url", s.URL)
	case ChannelEmail:
		return c.Email.validate()
	default:
		return c.Alertmanager.validate()
	}
}

func (w *WebhookSettings) validate() error {
	if w.URL == "" {
		return FieldErrorf("webhook.url", "webhook.url is required")
	}
	if err := validateHTTPURL("webhook.url", w.URL); err != nil {
		return err
	}
	if err := validateSecret("webhook.secret", w.Secret); err != nil {
		return err
	}
	if len(w.Headers) > MaxChannelHeaders {
		return FieldErrorf("webhook.headers", "at most %d headers", MaxChannelHeaders)
	}
	for name, value := range w.Headers {
		if !validHeaderName(name) {
			return FieldErrorf("webhook.headers", "%q is not a valid header name", name)
		}
		if slices.ContainsFunc(reservedWebhookHeaders, func(r string) bool { return strings.EqualFold(r, name) }) {
			return FieldErrorf("webhook.headers", "the controller sets the %s header itself", name)
		}
		if len(value) > MaxChannelHeaderLen || strings.ContainsAny(value, "\r\n\x00") || !utf8.ValidString(value) {
			return FieldErrorf("webhook.headers", "the value of header %s must be one line of at most %d bytes", name, MaxChannelHeaderLen)
		}
	}
	return nil
}

func (e *EmailSettings) validate() error {
	e.Host = strings.TrimSpace(e.Host)
	switch {
	case e.Host == "":
		return FieldErrorf("email.host", "email.host is required: the SMTP server's name or address")
	case len(e.Host) > 253 || strings.ContainsAny(e.Host, " /:@\x00") && net.ParseIP(e.Host) == nil:
		return FieldErrorf("email.host", "email.host must be a host name or an IP address, without a port")
	case e.Port < 0 || e.Port > 65535:
		return FieldErrorf("email.port", "email.port must be between 1 and 65535, or 0 for the usual port")
	}
	if e.Security == "" {
		e.Security = EmailStartTLS
	}
	if e.Security != EmailStartTLS && e.Security != EmailTLS && e.Security != EmailPlain {
		return FieldErrorf("email.security", "email.security must be %s, %s or %s", EmailStartTLS, EmailTLS, EmailPlain)
	}
	if len(e.Username) > 256 || strings.ContainsAny(e.Username, "\r\n\x00") {
		return FieldErrorf("email.username", "email.username must be one line of at most 256 characters")
	}
	if err := validateSecret("email.password", e.Password); err != nil {
		return err
	}
	if e.Username != "" && e.Security == EmailPlain && !IsLoopbackHost(e.Host) {
		return FieldErrorf("email.security", "the password would cross the network in clear: use starttls or tls with a username (security none is for a server on loopback)")
	}
	if _, err := mail.ParseAddress(e.From); err != nil || strings.ContainsAny(e.From, "\r\n") {
		return FieldErrorf("email.from", "email.from must be an email address, such as Telegraf Controller <tc@example.com>")
	}
	if len(e.To) == 0 {
		return FieldErrorf("email.to", "email.to needs at least one recipient")
	}
	if len(e.To) > MaxChannelRecipients {
		return FieldErrorf("email.to", "at most %d recipients", MaxChannelRecipients)
	}
	for i, to := range e.To {
		a, err := mail.ParseAddress(to)
		if err != nil || strings.ContainsAny(to, "\r\n") {
			return FieldErrorf("email.to", "%q is not an email address", to)
		}
		e.To[i] = a.Address
	}
	return nil
}

func (a *AlertmanagerSettings) validate() error {
	if a.URL == "" {
		return FieldErrorf("alertmanager.url", "alertmanager.url is required: the Alertmanager's base URL, such as http://alertmanager:9093")
	}
	if err := validateHTTPURL("alertmanager.url", a.URL); err != nil {
		return err
	}
	if u, _ := url.Parse(a.URL); u.RawQuery != "" || u.Fragment != "" {
		return FieldErrorf("alertmanager.url", "alertmanager.url is a base URL, without a query; the alerts go to its /api/v2/alerts")
	}
	if len(a.Username) > 256 || strings.ContainsAny(a.Username, ":\r\n\x00") {
		return FieldErrorf("alertmanager.username", "alertmanager.username must be one line of at most 256 characters, without a colon")
	}
	if err := validateSecret("alertmanager.password", a.Password); err != nil {
		return err
	}
	if err := validateSecret("alertmanager.bearerToken", a.BearerToken); err != nil {
		return err
	}
	if a.BearerToken != "" && (a.Username != "" || a.Password != "") {
		return FieldErrorf("alertmanager.bearerToken", "use basic auth (username and password) or a bearer token, not both")
	}
	if a.Password != "" && a.Username == "" {
		return FieldErrorf("alertmanager.username", "a password needs a username")
	}
	return nil
}

func validateHTTPURL(field, s string) error {
	if len(s) > MaxChannelURLLen {
		return FieldErrorf(field, "%s must be at most %d characters", field, MaxChannelURLLen)
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		strings.ContainsAny(s, " \r\n\x00") {
		return FieldErrorf(field, "%s must be an absolute http:// or https:// URL without credentials in it", field)
	}
	return nil
}

func validateSecret(field, s string) error {
	if len(s) > MaxChannelSecretLen || strings.ContainsAny(s, "\r\n\x00") || !utf8.ValidString(s) {
		return FieldErrorf(field, "%s must be one line of at most %d bytes", field, MaxChannelSecretLen)
	}
	return nil
}

// validHeaderName reports whether s is an HTTP header name (RFC 9110
// token).
func validHeaderName(s string) bool {
	if s == "" || len(s) > 100 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}

// IsLoopbackHost reports whether host names this machine: localhost or a
// loopback address.
func IsLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// KeepSecrets fills the secrets c leaves empty from old, the stored
// channel it replaces, when both are of one kind: an update that omits a
// secret keeps it. A webhook header given with an empty value keeps its
// stored value; a nil Headers keeps every stored header. The secrets named
// in clear ("webhook.secret", "webhook.headers", "email.password",
// "alertmanager.password", "alertmanager.bearerToken") are removed instead.
// Errors: EINVALID for an unknown name in clear, or an empty header value
// with no stored value to keep.
func (c *NotificationChannel) KeepSecrets(old *NotificationChannel, clear []string) error {
	for _, name := range clear {
		if !slices.Contains([]string{"webhook.secret", "webhook.headers", "email.password", "alertmanager.password", "alertmanager.bearerToken"}, name) {
			return FieldErrorf("clearSecrets", "%q is not a secret that can be cleared", name)
		}
	}
	cleared := func(name string) bool { return slices.Contains(clear, name) }
	keep := func(dst *string, src, name string) {
		if *dst == "" && !cleared(name) {
			*dst = src
		}
	}
	if old != nil && old.Kind == c.Kind {
		switch {
		case c.Webhook != nil && old.Webhook != nil:
			keep(&c.Webhook.Secret, old.Webhook.Secret, "webhook.secret")
			switch {
			case cleared("webhook.headers"):
				c.Webhook.Headers = nil
			case c.Webhook.Headers == nil:
				c.Webhook.Headers = old.Webhook.Headers
			default:
				for k, v := range c.Webhook.Headers {
					if v == "" {
						c.Webhook.Headers[k] = old.Webhook.Headers[k]
					}
				}
			}
		case c.Slack != nil && old.Slack != nil:
			keep(&c.Slack.URL, old.Slack.URL, "")
		case c.Teams != nil && old.Teams != nil:
			keep(&c.Teams.URL, old.Teams.URL, "")
		case c.Email != nil && old.Email != nil:
			keep(&c.Email.Password, old.Email.Password, "email.password")
		case c.Alertmanager != nil && old.Alertmanager != nil:
			keep(&c.Alertmanager.Password, old.Alertmanager.Password, "alertmanager.password")
			keep(&c.Alertmanager.BearerToken, old.Alertmanager.BearerToken, "alertmanager.bearerToken")
		}
	}
	if c.Webhook != nil {
		for k, v := range c.Webhook.Headers {
			if v == "" {
				return FieldErrorf("webhook.headers", "header %s needs a value", k)
			}
		}
	}
	return nil
}

// HasSecrets reports whether c holds any secret to store.
func (c *NotificationChannel) HasSecrets() bool {
	s := c.Secrets()
	return s.WebhookSecret != "" || len(s.WebhookHeaders) > 0 || s.URL != "" || s.Password != "" || s.AlertmanagerBearerToken != ""
}

// ChangedChannelFields names the fields that differ between old and c,
// for the audit log: "name", "enabled", "kind", a setting ("email.to") or
// a secret ("webhook.secret", "webhook.headers"), never a value.
func ChangedChannelFields(old, c *NotificationChannel) []string {
	var out []string
	add := func(changed bool, name string) {
		if changed {
			out = append(out, name)
		}
	}
	add(old.Name != c.Name, "name")
	add(old.Enabled != c.Enabled, "enabled")
	add(old.Kind != c.Kind, "kind")
	if old.Kind != c.Kind {
		return out
	}
	switch {
	case c.Webhook != nil && old.Webhook != nil:
		add(old.Webhook.URL != c.Webhook.URL, "webhook.url")
		add(old.Webhook.Secret != c.Webhook.Secret, "webhook.secret")
		add(!maps.Equal(old.Webhook.Headers, c.Webhook.Headers), "webhook.headers")
	case c.Slack != nil && old.Slack != nil:
		add(old.Slack.URL != c.Slack.URL, "slack.url")
	case c.Teams != nil && old.Teams != nil:
		add(old.Teams.URL != c.Teams.URL, "teams.url")
	case c.Email != nil && old.Email != nil:
		o, n := old.Email, c.Email
		add(o.Host != n.Host, "email.host")
		add(o.Port != n.Port, "email.port")
		add(o.Security != n.Security, "email.security")
		add(o.Username != n.Username, "email.username")
		add(o.Password != n.Password, "email.password")
		add(o.From != n.From, "email.from")
		add(!slices.Equal(o.To, n.To), "email.to")
	case c.Alertmanager != nil && old.Alertmanager != nil:
		o, n := old.Alertmanager, c.Alertmanager
		add(o.URL != n.URL, "alertmanager.url")
		add(o.Username != n.Username, "alertmanager.username")
		add(o.Password != n.Password, "alertmanager.password")
		add(o.BearerToken != n.BearerToken, "alertmanager.bearerToken")
	}
	return out
}

// ChannelSecrets is every secret of a channel, in one value: what the
// store encrypts.
type ChannelSecrets struct {
	WebhookSecret           string            `json:"webhookSecret,omitempty"`
	WebhookHeaders          map[string]string `json:"webhookHeaders,omitempty"`
	URL                     string            `json:"url,omitempty"` // Slack's or Teams'
	Password                string            `json:"password,omitempty"`
	AlertmanagerBearerToken string            `json:"bearerToken,omitempty"`
}

// Secrets returns c's secrets.
func (c *NotificationChannel) Secrets() ChannelSecrets {
	var s ChannelSecrets
	switch {
	case c.Webhook != nil:
		s.WebhookSecret, s.WebhookHeaders = c.Webhook.Secret, c.Webhook.Headers
	case c.Slack != nil:
		s.URL = c.Slack.URL
	case c.Teams != nil:
		s.URL = c.Teams.URL
	case c.Email != nil:
		s.Password = c.Email.Password
	case c.Alertmanager != nil:
		s.Password, s.AlertmanagerBearerToken = c.Alertmanager.Password, c.Alertmanager.BearerToken
	}
	return s
}

// SetSecrets puts s into c's settings of its kind.
func (c *NotificationChannel) SetSecrets(s ChannelSecrets) {
	switch {
	case c.Webhook != nil:
		c.Webhook.Secret, c.Webhook.Headers = s.WebhookSecret, s.WebhookHeaders
	case c.Slack != nil:
		c.Slack.URL = s.URL
	case c.Teams != nil:
		c.Teams.URL = s.URL
	case c.Email != nil:
		c.Email.Password = s.Password
	case c.Alertmanager != nil:
		c.Alertmanager.Password, c.Alertmanager.BearerToken = s.Password, s.AlertmanagerBearerToken
	}
}
