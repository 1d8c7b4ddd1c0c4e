package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/httpx"
	"github.com/telegrafcontroller/tc/internal/service"
)

// The notification channel pages (docs/alerts.md, "Channels"). Unlike the
// other pages, their forms post to the page itself and work without
// JavaScript: a channel's settings differ by kind, its secrets are
// write-only, and a refused form comes back with the message beside its
// field and what was typed kept, secrets excepted. Delete is the JSON API's,
// as on the other pages. Cross-site posts are refused by the listener's
// cross-origin protection (internal/app router.go), as for every write.
//
// The templates never see a tc.NotificationChannel: the service returns
// channels with their secrets in clear (the sender needs them), so each
// page is given a view without a secret's value (channelView,
// channelForm).

// maxChannelForm caps a channel form's body.
const maxChannelForm = 64 << 10

// channelKind is one kind of channel as the pages name it.
type channelKind struct {
	Kind, Label, About string
}

var channelKinds = []channelKind{
	{tc.ChannelWebhook, "Webhook", "A JSON POST to any HTTP endpoint, signed with HMAC-SHA256 when it has a secret, with your own headers."},
	{tc.ChannelSlack, "Slack", "A Slack incoming webhook: a message with the summary, the first agents and a link."},
	{tc.ChannelTeams, "Microsoft Teams", "A Teams Workflows webhook (\"Post to a channel when a webhook request is received\"): an Adaptive Card."},
	{tc.ChannelEmail, "Email", "Mail over SMTP with STARTTLS or TLS, to a list of recipients."},
	{tc.ChannelAlertmanager, "Alertmanager", "Prometheus Alertmanager's /api/v2/alerts, one alert per agent, routed by your own rules."},
}

func channelKindLabel(kind string) string {
	for _, k := range channelKinds {
		if k.Kind == kind {
			return k.Label
		}
	}
	return kind
}

// channelView is a channel as the list shows it: no secret's value, only
// which secrets are set.
type channelView struct {
	ID, Name, Kind, KindLabel string
	Enabled                   bool
	// Target says where it sends: a host, or a mail server and how many
	// recipients.
	Target            string
	SecretsSet        []string
	SecretsUnreadable bool
	CreatedAt         time.Time
	// CreatedBy is the creator's username, when the caller may read users.
	CreatedBy string
}

func viewChannel(c *tc.NotificationChannel, users map[string]string) channelView {
	return channelView{ID: c.ID, Name: c.Name, Kind: c.Kind, KindLabel: channelKindLabel(c.Kind), Enabled: c.Enabled,
		Target: channelTarget(c), SecretsSet: channelSecretsSet(c), SecretsUnreadable: c.SecretsUnreadable,
		CreatedAt: c.CreatedAt, CreatedBy: users[c.CreatedBy]}
}

// channelTarget is what may be shown of where c sends: a URL's host (a
// chat URL holds its token), or the mail server and the number of
// recipients.
func channelTarget(c *tc.NotificationChannel) string {
	switch {
	case c.Webhook != nil:
		return tc.URLHost(c.Webhook.URL)
	case c.Slack != nil:
		return tc.URLHost(c.Slack.URL)
	case c.Teams != nil:
		return tc.URLHost(c.Teams.URL)
	case c.Email != nil:
		n := len(c.Email.To)
		s := "s"
		if n == 1 {
			s = ""
		}
		return fmt.Sprintf("%s:%d, %d recipient%s", c.Email.Host, c.Email.SMTPPort(), n, s)
	case c.Alertmanager != nil:
		return tc.URLHost(c.Alertmanager.URL)
	}
	return ""
}

// channelSecretsSet names the secrets c holds, never their values.
func channelSecretsSet(c *tc.NotificationChannel) []string {
	var out []string
	add := func(set bool, name string) {
		if set {
			out = append(out, name)
		}
	}
	switch {
	case c.Webhook != nil:
		add(c.Webhook.Secret != "", "signing secret")
		for _, name := range headerNames(c.Webhook.Headers) {
			out = append(out, "header "+name)
		}
	case c.Slack != nil:
		add(c.Slack.URL != "", "webhook URL")
	case c.Teams != nil:
		add(c.Teams.URL != "", "webhook URL")
	case c.Email != nil:
		add(c.Email.Password != "", "password")
	case c.Alertmanager != nil:
		add(c.Alertmanager.Password != "", "password")
		add(c.Alertmanager.BearerToken != "", "bearer token")
	}
	return out
}

func headerNames(h map[string]string) []string {
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}

// channelNotice is the outcome shown above the list: a save, or a test
// and the receiver's answer.
type channelNotice struct {
	OK   bool
	Text string
}

type channelsData struct {
	Channels []channelView
	Notice   *channelNotice
}

// channelsPage lists the channels; ?saved=<id> says that channel was just
// saved.
func (h *Handler) channelsPage(w http.ResponseWriter, r *http.Request, v *view) error {
	return v.showChannels(w, nil, r.URL.Query().Get("saved"))
}

func (v *view) showChannels(w http.ResponseWriter, notice *channelNotice, saved string) error {
	ctx := v.ctx()
	channels, err := v.h.NotificationChannels.List(ctx)
	if err != nil {
		return err
	}
	users := map[string]string{}
	list, err := v.h.Users.List(ctx)
	if err = optional(err); err != nil {
		return err
	}
	for _, u := range list {
		users[u.ID] = u.Username
	}
	d := channelsData{Channels: make([]channelView, len(channels)), Notice: notice}
	for i, c := range channels {
		d.Channels[i] = viewChannel(c, users)
		if saved != "" && c.ID == saved && notice == nil {
			d.Notice = &channelNotice{OK: true, Text: fmt.Sprintf("Saved the channel “%s”.", c.Name)}
		}
	}
	return v.show(w, "notification_channels", "Notification channels", "notification-channels", d)
}

// testChannel sends a test message through channel id and shows the list
// with the receiver's answer; the service records the test in the audit
// log.
func (h *Handler) testChannel(w http.ResponseWriter, r *http.Request, v *view) error {
	id := r.PathValue("id")
	c, err := h.NotificationChannels.Get(v.ctx(), id)
	if err != nil {
		return err
	}
	err = h.NotificationChannels.Test(v.ctx(), id)
	switch {
	case err == nil:
		return v.showChannels(w, &channelNotice{OK: true, Text: fmt.Sprintf("Test sent: the %s channel “%s” took the test message.",
			channelKindLabel(c.Kind), c.Name)}, "")
	case tc.ErrorCode(err) == tc.EBADGATEWAY:
		return v.showChannels(w, &channelNotice{Text: tc.ErrorMessage(err)}, "")
	}
	return err
}

// toChannels sends a GET of a test's URL (sign-in returning there after
// the session expired under Send test) to the list: a test is sent only
// when asked for.
func (h *Handler) toChannels(w http.ResponseWriter, r *http.Request, v *view) error {
	http.Redirect(w, r, "/notification-channels", http.StatusSeeOther)
	return nil
}

// channelForm is the create and edit form of one kind: the channel's
// settings without a secret's value, whether each secret is set, and after
// a refusal the message, its field and what was typed (secrets excepted).
type channelForm struct {
	ID        string // "" for a new channel
	Kind      string
	KindLabel string
	Name      string
	Enabled   bool
	// URL is a webhook's or an Alertmanager's URL (not a secret).
	URL string
	// ChatURLSet and ChatURLHost: a Slack or Teams URL is set, and its
	// host.
	ChatURLSet  bool
	ChatURLHost string
	SecretSet   bool     // a webhook's signing secret
	Headers     []string // the names of a webhook's stored headers
	// NewHeaders are the names typed in the new header rows of a refused
	// form (their values are not shown again).
	NewHeaders     []string
	RemoveHeaders  []string // stored headers ticked for removal
	Host, Port     string
	Security       string
	Username       string
	PasswordSet    bool
	BearerTokenSet bool
	From, To       string // To: one address a line
	Clear          []string
	// SecretsUnreadable: the stored secrets cannot be decrypted (the key
	// changed); they must be entered again.
	SecretsUnreadable bool
	ReadOnly          bool
	Error, ErrorField string
}

// formFields are the fields each kind's form shows: an error naming one
// goes beside it, any other above the form.
var formFields = map[string][]string{
	tc.ChannelWebhook:      {"webhook.url", "webhook.secret", "webhook.headers"},
	tc.ChannelSlack:        {"slack.url"},
	tc.ChannelTeams:        {"teams.url"},
	tc.ChannelEmail:        {"email.host", "email.port", "email.security", "email.username", "email.password", "email.from", "email.to"},
	tc.ChannelAlertmanager: {"alertmanager.url", "alertmanager.username", "alertmanager.password", "alertmanager.bearerToken"},
}

// ErrorOn is the error message of field, if the error is about it.
func (f channelForm) ErrorOn(field string) string {
	if f.ErrorField == field {
		return f.Error
	}
	return ""
}

// TopError is the error message when no field of the form shows it.
func (f channelForm) TopError() string {
	if f.ErrorField == "name" || slices.Contains(formFields[f.Kind], f.ErrorField) {
		return ""
	}
	return f.Error
}

// Clears reports whether the secret name was ticked for removal.
func (f channelForm) Clears(name string) bool { return slices.Contains(f.Clear, name) }

// Removes reports whether the stored header name was ticked for removal.
func (f channelForm) Removes(name string) bool { return slices.Contains(f.RemoveHeaders, name) }

// NewHeaderRows are the new header rows to show: the names typed before,
// then empty rows, at least two.
func (f channelForm) NewHeaderRows() []string {
	rows := slices.Clone(f.NewHeaders)
	for len(rows) < 2 || rows[len(rows)-1] != "" {
		rows = append(rows, "")
	}
	return rows
}

// channelFormOf is the form of stored channel c.
func channelFormOf(c *tc.NotificationChannel) channelForm {
	f := channelForm{ID: c.ID, Kind: c.Kind, KindLabel: channelKindLabel(c.Kind), Name: c.Name, Enabled: c.Enabled,
		SecretsUnreadable: c.SecretsUnreadable}
	switch {
	case c.Webhook != nil:
		f.URL, f.SecretSet, f.Headers = c.Webhook.URL, c.Webhook.Secret != "", headerNames(c.Webhook.Headers)
	case c.Slack != nil:
		f.ChatURLSet, f.ChatURLHost = c.Slack.URL != "", tc.URLHost(c.Slack.URL)
	case c.Teams != nil:
		f.ChatURLSet, f.ChatURLHost = c.Teams.URL != "", tc.URLHost(c.Teams.URL)
	case c.Email != nil:
		e := c.Email
		f.Host, f.Security, f.Username, f.PasswordSet, f.From = e.Host, e.Security, e.Username, e.Password != "", e.From
		f.To = strings.Join(e.To, "\n")
		if e.Port != 0 {
			f.Port = strconv.Itoa(e.Port)
		}
	case c.Alertmanager != nil:
		a := c.Alertmanager
		f.URL, f.Username, f.PasswordSet, f.BearerTokenSet = a.URL, a.Username, a.Password != "", a.BearerToken != ""
	}
	return f
}

// channelNewData is the new-channel page without a kind: the choice of
// kinds.
type channelNewData struct {
	Kinds []channelKind
}

// channelNewPage shows the choice of kinds, or with ?kind= that kind's
// empty form.
func (h *Handler) channelNewPage(w http.ResponseWriter, r *http.Request, v *view) error {
	kind := r.URL.Query().Get("kind")
	if kind == "" {
		return v.show(w, "notification_channel_new", "New notification channel", "notification-channels", channelNewData{Kinds: channelKinds})
	}
	if !slices.Contains(tc.ChannelKinds, kind) {
		return tc.Errorf(tc.EINVALID, "There is no kind of channel %q: choose one of %s.", kind, strings.Join(tc.ChannelKinds, ", "))
	}
	f := channelForm{Kind: kind, KindLabel: channelKindLabel(kind), Enabled: true, Security: tc.EmailStartTLS}
	return v.showChannelForm(w, http.StatusOK, f)
}

// channelPage shows a channel's form: to edit with the write permission,
// read-only without it.
func (h *Handler) channelPage(w http.ResponseWriter, r *http.Request, v *view) error {
	c, err := h.NotificationChannels.Get(v.ctx(), r.PathValue("id"))
	if err != nil {
		return err
	}
	f := channelFormOf(c)
	f.ReadOnly = !v.caller.Can(tc.Perm(tc.ResNotificationChannels, tc.ActionWrite))
	return v.showChannelForm(w, http.StatusOK, f)
}

func (v *view) showChannelForm(w http.ResponseWriter, status int, f channelForm) error {
	title := "New " + f.KindLabel + " channel"
	if f.ID != "" {
		title = f.Name
	}
	return v.h.render(w, v.r, status, "notification_channel", Page{Title: title, Active: "notification-channels", Caller: v.caller, Data: f})
}

// createChannel creates a channel from the new-channel form and goes to
// the list; a refusal shows the form again.
func (h *Handler) createChannel(w http.ResponseWriter, r *http.Request, v *view) error {
	in, err := readChannelForm(w, r)
	if err != nil {
		return err
	}
	kind := in.Get("kind")
	if !slices.Contains(tc.ChannelKinds, kind) {
		return tc.Errorf(tc.EINVALID, "There is no kind of channel %q: choose one of %s.", kind, strings.Join(tc.ChannelKinds, ", "))
	}
	f := channelForm{Kind: kind, KindLabel: channelKindLabel(kind)}
	req, err := f.request(in)
	if err == nil {
		var c *tc.NotificationChannel
		if c, err = h.NotificationChannels.Create(v.ctx(), req); err == nil {
			http.Redirect(w, r, "/notification-channels?saved="+url.QueryEscape(c.ID), http.StatusSeeOther)
			return nil
		}
	}
	return v.refuseChannelForm(w, f, err)
}

// saveChannel replaces channel id with the edit form (its kind stays) and
// goes to the list; a refusal shows the form again.
func (h *Handler) saveChannel(w http.ResponseWriter, r *http.Request, v *view) error {
	in, err := readChannelForm(w, r)
	if err != nil {
		return err
	}
	old, err := h.NotificationChannels.Get(v.ctx(), r.PathValue("id"))
	if err != nil {
		return err
	}
	f := channelFormOf(old)
	req, err := f.request(in)
	if err == nil {
		if _, err = h.NotificationChannels.Replace(v.ctx(), old.ID, req); err == nil {
			http.Redirect(w, r, "/notification-channels?saved="+url.QueryEscape(old.ID), http.StatusSeeOther)
			return nil
		}
	}
	return v.refuseChannelForm(w, f, err)
}

// refuseChannelForm shows f again with the service's refusal of it (bad
// input, a name in use); any other error is the page's.
func (v *view) refuseChannelForm(w http.ResponseWriter, f channelForm, err error) error {
	if c := tc.ErrorCode(err); c != tc.EINVALID && c != tc.ECONFLICT {
		return err
	}
	f.Error = tc.ErrorMessage(err)
	if e, ok := errors.AsType[*tc.Error](err); ok {
		f.ErrorField = e.Field
	}
	return v.showChannelForm(w, httpx.StatusOf(err), f)
}

func readChannelForm(w http.ResponseWriter, r *http.Request) (url.Values, error) {
	r.Body = http.MaxBytesReader(w, r.Body, maxChannelForm)
	if err := r.ParseForm(); err != nil {
		return nil, tc.Errorf(tc.EINVALID, "The form could not be read.")
	}
	return r.PostForm, nil
}

// request reads the posted form in into the service's request for f's
// kind, and puts what was typed (never a secret) into f to show again.
// f holds the stored channel's form on an edit: a secret left empty keeps
// the stored one, a header's value left empty keeps its value. Errors:
// EINVALID for input that makes no request (a port that is no number, a
// header value without a name, a header given twice).
func (f *channelForm) request(in url.Values) (service.ChannelRequest, error) {
	var first error
	fail := func(err error) {
		if first == nil {
			first = err
		}
	}
	f.Name, f.Enabled, f.Clear = in.Get("name"), in.Get("enabled") != "", in["clearSecrets"]
	req := service.ChannelRequest{Name: f.Name, Kind: f.Kind, Enabled: &f.Enabled, ClearSecrets: f.Clear}
	switch f.Kind {
	case tc.ChannelWebhook:
		f.URL = in.Get("webhook.url")
		req.Webhook = &service.WebhookInput{URL: f.URL, Secret: in.Get("webhook.secret")}
		headers, err := f.headers(in)
		if err != nil {
			fail(err)
		}
		switch {
		case len(headers) > 0:
			req.Webhook.Headers = headers
		case len(f.Headers) > 0: // every stored header removed
			req.ClearSecrets = append(slices.Clone(req.ClearSecrets), "webhook.headers")
		}
	case tc.ChannelSlack:
		req.Slack = &service.ChatInput{URL: in.Get("slack.url")}
	case tc.ChannelTeams:
		req.Teams = &service.ChatInput{URL: in.Get("teams.url")}
	case tc.ChannelEmail:
		f.Host, f.Port, f.Security, f.Username, f.From = in.Get("email.host"), strings.TrimSpace(in.Get("email.port")),
			in.Get("email.security"), in.Get("email.username"), in.Get("email.from")
		to := strings.FieldsFunc(in.Get("email.to"), func(r rune) bool { return r == '\n' || r == '\r' || r == ',' || r == ';' })
		var list []string
		for _, a := range to {
			if a = strings.TrimSpace(a); a != "" {
				list = append(list, a)
			}
		}
		f.To = strings.Join(list, "\n")
		port := 0
		if f.Port != "" {
			n, err := strconv.Atoi(f.Port)
			if err != nil {
				fail(tc.FieldErrorf("email.port", "email.port must be a number between 1 and 65535, or empty for the usual port"))
			}
			port = n
		}
		req.Email = &service.EmailInput{Host: f.Host, Port: port, Security: f.Security, Username: f.Username,
			Password: in.Get("email.password"), From: f.From, To: list}
	case tc.ChannelAlertmanager:
		f.URL, f.Username = in.Get("alertmanager.url"), in.Get("alertmanager.username")
		req.Alertmanager = &service.AlertmanagerInput{URL: f.URL, Username: f.Username,
			Password: in.Get("alertmanager.password"), BearerToken: in.Get("alertmanager.bearerToken")}
	}
	return req, first
}

// headers reads a webhook's header rows: the stored ones (an empty value
// keeps the stored value) but those ticked for removal, and the new rows
// that have a name or a value.
func (f *channelForm) headers(in url.Values) (map[string]string, error) {
	var first error
	out := map[string]string{}
	seen := map[string]bool{}
	add := func(name, value string) {
		if seen[strings.ToLower(name)] && first == nil {
			first = tc.FieldErrorf("webhook.headers", "the header %s is given twice", name)
		}
		seen[strings.ToLower(name)] = true
		out[name] = value
	}
	f.RemoveHeaders = in["webhook.removeHeader"]
	values := in["webhook.storedHeaderValue"]
	for i, name := range in["webhook.storedHeader"] {
		if !slices.Contains(f.Headers, name) || slices.Contains(f.RemoveHeaders, name) {
			continue
		}
		add(name, at(values, i))
	}
	values = in["webhook.headerValue"]
	f.NewHeaders = nil
	for i, name := range in["webhook.headerName"] {
		name, value := strings.TrimSpace(name), at(values, i)
		if name == "" && value == "" {
			continue
		}
		f.NewHeaders = append(f.NewHeaders, name)
		switch {
		case name == "":
			if first == nil {
				first = tc.FieldErrorf("webhook.headers", "a header value needs the header's name")
			}
		case value == "":
			if first == nil {
				first = tc.FieldErrorf("webhook.headers", "header %s needs a value", name)
			}
		default:
			add(name, value)
		}
	}
	return out, first
}

func at(list []string, i int) string {
	if i < len(list) {
		return list[i]
	}
	return ""
}
