// Package ldap signs people in against an LDAP directory (OpenLDAP, Active
// Directory, ...): the service account searches for the person's entry, a
// bind as that entry checks the password, and the entry's attributes become
// a tc.ExternalIdentity.
package ldap

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	goldap "github.com/go-ldap/ldap/v3"

	"github.com/telegrafcontroller/tc"
)

// UsernamePlaceholder is replaced in the search filter by the escaped
// username the person typed.
const UsernamePlaceholder = "{{username}}"

// Defaults for the settings the environment leaves empty.
const (
	DefaultUserSearchFilter = "(uid=" + UsernamePlaceholder + ")"
	DefaultAttrUsername     = "sAMAccountName"
	DefaultAttrEmail        = "mail"
	DefaultAttrDisplayName  = "displayName"
	DefaultAttrGroups       = "memberOf"
	DefaultTimeout          = 5 * time.Second
	DefaultPoolSize         = 4
)

// maxUsernameLen bounds what is put in a filter; no directory has longer
// names, and a longer one cannot sign in anyway.
const maxUsernameLen = 256

// Config is how to reach and read the directory; each field names the
// environment variable it comes from.
type Config struct {
	URL              string // AUTH_LDAP_URL: ldap://host[:port] or ldaps://host[:port]
	BindDN           string // AUTH_LDAP_BIND_DN: the service account that searches
	BindPassword     string // AUTH_LDAP_BIND_PASSWORD
	UserSearchBase   string // AUTH_LDAP_USER_SEARCH_BASE
	UserSearchFilter string // AUTH_LDAP_USER_SEARCH_FILTER, containing {{username}}
	StartTLS         bool   // AUTH_LDAP_START_TLS: upgrade ldap:// before binding; ignored for ldaps://
	CACertPath       string // AUTH_LDAP_CA_CERT_PATH: PEM certificates trusted instead of the system's
	// RejectUnauthorized (AUTH_LDAP_REJECT_UNAUTHORIZED) verifies the
	// server's certificate; nil means true, so a zero Config is safe.
	RejectUnauthorized *bool
	AttrUsername       string // AUTH_LDAP_ATTR_USERNAME
	AttrEmail          string // AUTH_LDAP_ATTR_EMAIL
	AttrDisplayName    string // AUTH_LDAP_ATTR_DISPLAY_NAME
	AttrGroups         string // AUTH_LDAP_ATTR_GROUPS: group DNs, one value each
	// Timeout bounds the dial and each operation (no upstream variable).
	Timeout time.Duration
	// PoolSize is how many service-bound connections may be open at once
	// (no upstream variable).
	PoolSize int
}

// SetDefaults fills in every empty setting that has a default.
func (c *Config) SetDefaults() {
	def := func(s *string, v string) {
		if *s = strings.TrimSpace(*s); *s == "" {
			*s = v
		}
	}
	def(&c.UserSearchFilter, DefaultUserSearchFilter)
	def(&c.AttrUsername, DefaultAttrUsername)
	def(&c.AttrEmail, DefaultAttrEmail)
	def(&c.AttrDisplayName, DefaultAttrDisplayName)
	def(&c.AttrGroups, DefaultAttrGroups)
	if c.RejectUnauthorized == nil {
		yes := true
		c.RejectUnauthorized = &yes
	}
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	if c.PoolSize <= 0 {
		c.PoolSize = DefaultPoolSize
	}
}

// Messages of the errors a sign-in returns. The first never says whether
// the user exists, has several entries or typed a wrong password; the
// second hides the cause, which is logged.
const (
	MsgInvalidCredentials = "Invalid username or password"
	MsgUnavailable        = "The directory cannot be reached; try again later"
)

func errBadCredentials() error { return tc.Errorf(tc.EUNAUTHORIZED, MsgInvalidCredentials) }
func errUnavailable() error    { return tc.Errorf(tc.EUNAVAILABLE, MsgUnavailable) }

// Directory signs people in against one LDAP directory. It is safe for
// concurrent use.
type Directory struct {
	cfg      Config
	logger   *slog.Logger
	tls      *tls.Config
	startTLS bool   // ldap:// with AUTH_LDAP_START_TLS
	shownURL string // URL without any user info, for logs and Summary
	attrs    []string

	// slots holds a token for each service connection in use, so that at
	// most PoolSize are open; idle ones wait in idle.
	slots  chan struct{}
	mu     sync.Mutex
	idle   []*goldap.Conn
	closed bool
}

// New checks cfg (after applying defaults) and returns a Directory; it does
// not connect. Errors are EINVALID and name the environment variable.
func New(cfg Config, logger *slog.Logger) (*Directory, error) {
	cfg.SetDefaults()
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	cfg.URL = strings.TrimSpace(cfg.URL)
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "ldap" && u.Scheme != "ldaps") || u.Hostname() == "" {
		return nil, tc.FieldErrorf("AUTH_LDAP_URL", "AUTH_LDAP_URL must be ldap://host[:port] or ldaps://host[:port]")
	}
	if cfg.BindDN == "" {
		return nil, tc.FieldErrorf("AUTH_LDAP_BIND_DN", "AUTH_LDAP_BIND_DN is required")
	}
	if _, err := goldap.ParseDN(cfg.BindDN); err != nil {
		return nil, tc.FieldErrorf("AUTH_LDAP_BIND_DN", "AUTH_LDAP_BIND_DN is not a DN: %v", err)
	}
	// An empty password would make the service bind an unauthenticated
	// one, which many servers accept and then answer searches as anonymous.
	if cfg.BindPassword == "" {
		return nil, tc.FieldErrorf("AUTH_LDAP_BIND_PASSWORD", "AUTH_LDAP_BIND_PASSWORD is required")
	}
	if cfg.UserSearchBase == "" {
		return nil, tc.FieldErrorf("AUTH_LDAP_USER_SEARCH_BASE", "AUTH_LDAP_USER_SEARCH_BASE is required")
	}
	if _, err := goldap.ParseDN(cfg.UserSearchBase); err != nil {
		return nil, tc.FieldErrorf("AUTH_LDAP_USER_SEARCH_BASE", "AUTH_LDAP_USER_SEARCH_BASE is not a DN: %v", err)
	}
	if !strings.Contains(cfg.UserSearchFilter, UsernamePlaceholder) {
		return nil, tc.FieldErrorf("AUTH_LDAP_USER_SEARCH_FILTER", "AUTH_LDAP_USER_SEARCH_FILTER must contain %s", UsernamePlaceholder)
	}
	if _, err := goldap.CompileFilter(filterFor(cfg.UserSearchFilter, "x")); err != nil {
		return nil, tc.FieldErrorf("AUTH_LDAP_USER_SEARCH_FILTER", "AUTH_LDAP_USER_SEARCH_FILTER is not an LDAP filter: %v", err)
	}

	tlsCfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: u.Hostname()}
	if cfg.CACertPath != "" {
		pem, err := os.ReadFile(cfg.CACertPath)
		if err != nil {
			return nil, tc.FieldErrorf("AUTH_LDAP_CA_CERT_PATH", "AUTH_LDAP_CA_CERT_PATH cannot be read: %v", err)
		}
		tlsCfg.RootCAs = x509.NewCertPool()
		if !tlsCfg.RootCAs.AppendCertsFromPEM(pem) {
			return nil, tc.FieldErrorf("AUTH_LDAP_CA_CERT_PATH", "AUTH_LDAP_CA_CERT_PATH %s holds no PEM certificate", cfg.CACertPath)
		}
	}
	d := &Directory{cfg: cfg, logger: logger, tls: tlsCfg, startTLS: u.Scheme == "ldap" && cfg.StartTLS, shownURL: u.Redacted(),
		attrs: []string{cfg.AttrUsername, cfg.AttrEmail, cfg.AttrDisplayName, cfg.AttrGroups},
		slots: make(chan struct{}, cfg.PoolSize)}
	if !*cfg.RejectUnauthorized {
		tlsCfg.InsecureSkipVerify = true
		if d.tlsMode() != "none" {
			logger.Warn("LDAP server certificate is not verified (AUTH_LDAP_REJECT_UNAUTHORIZED=false): anyone on the path can read passwords", "url", u.Redacted())
		}
	}
	if d.tlsMode() == "none" {
		logger.Warn("LDAP without TLS: passwords cross the network in clear; use ldaps:// or AUTH_LDAP_START_TLS", "url", u.Redacted())
	}
	return d, nil
}

func (d *Directory) tlsMode() string {
	switch {
	case strings.HasPrefix(d.cfg.URL, "ldaps:"):
		return "ldaps"
	case d.startTLS:
		return "starttls"
	}
	return "none"
}

func filterFor(filter, username string) string {
	return strings.ReplaceAll(filter, UsernamePlaceholder, goldap.EscapeFilter(username))
}

// Authenticate checks username and password against the directory and
// returns who the directory says the person is. Errors: EUNAUTHORIZED
// "Invalid username or password" for an empty username or password, no
// entry or several, or a refused bind; EUNAVAILABLE for anything else
// (network, timeout, TLS, the service account's bind), whose cause is
// logged.
func (d *Directory) Authenticate(ctx context.Context, username, password string) (tc.ExternalIdentity, error) {
	// An empty password would be an unauthenticated bind, which succeeds
	// on many servers whoever the DN names: refuse before any I/O.
	if username == "" || password == "" || len(username) > maxUsernameLen {
		return tc.ExternalIdentity{}, errBadCredentials()
	}
	req := goldap.NewSearchRequest(d.cfg.UserSearchBase, goldap.ScopeWholeSubtree, goldap.NeverDerefAliases,
		2, int((d.cfg.Timeout+time.Second-1)/time.Second), false, filterFor(d.cfg.UserSearchFilter, username), d.attrs, nil)
	res, err := d.search(ctx, req)
	switch {
	case goldap.IsErrorWithCode(err, goldap.LDAPResultSizeLimitExceeded) || (err == nil && len(res.Entries) > 1):
		d.logger.Warn("LDAP search matched several entries; refusing the sign-in", "filter", req.Filter)
		return tc.ExternalIdentity{}, errBadCredentials()
	case err != nil:
		d.logger.Warn("LDAP user search failed", "url", d.shownURL, "error", err)
		return tc.ExternalIdentity{}, errUnavailable()
	case len(res.Entries) == 0:
		d.logger.Debug("LDAP search matched no entry", "filter", req.Filter)
		return tc.ExternalIdentity{}, errBadCredentials()
	}
	entry := res.Entries[0]

	if err := d.bindAs(ctx, entry.DN, password); err != nil {
		if isRefusal(err) {
			d.logger.Debug("LDAP bind refused", "dn", entry.DN, "error", err)
			return tc.ExternalIdentity{}, errBadCredentials()
		}
		d.logger.Warn("LDAP user bind failed", "url", d.shownURL, "dn", entry.DN, "error", err)
		return tc.ExternalIdentity{}, errUnavailable()
	}

	name := entry.GetEqualFoldAttributeValue(d.cfg.AttrUsername)
	if name == "" {
		name = username
	}
	groups := entry.GetEqualFoldAttributeValues(d.cfg.AttrGroups)
	if groups == nil {
		groups = []string{}
	}
	return tc.ExternalIdentity{
		Provider:      tc.ProviderLDAP,
		Subject:       strings.ToLower(name),
		Username:      name,
		Email:         entry.GetEqualFoldAttributeValue(d.cfg.AttrEmail),
		EmailVerified: true,
		DisplayName:   entry.GetEqualFoldAttributeValue(d.cfg.AttrDisplayName),
		Groups:        groups,
	}, nil
}

// isRefusal reports whether the server turned a bind down on the
// credentials (rather than failing): a wrong password (49), or a locked,
// disabled or otherwise barred account.
func isRefusal(err error) bool {
	return goldap.IsErrorAnyOf(err, goldap.LDAPResultInvalidCredentials, goldap.LDAPResultInappropriateAuthentication,
		goldap.LDAPResultInsufficientAccessRights, goldap.LDAPResultUnwillingToPerform)
}

// serverAnswered reports whether err is a result the server sent, which
// leaves the connection usable, rather than a failure of the connection.
func serverAnswered(err error) bool {
	var e *goldap.Error
	return errors.As(err, &e) && e.ResultCode < goldap.LDAPResultOther
}

// Check dials the directory and binds as the service account, for the
// settings page's status. Its EUNAVAILABLE message carries the cause, which
// holds no secret and tells the owner what to fix.
func (d *Directory) Check(ctx context.Context) error {
	c, err := d.dialService(ctx)
	if err != nil {
		d.logger.Info("LDAP check failed", "url", d.shownURL, "error", err)
		return tc.Errorf(tc.EUNAVAILABLE, "The directory cannot be reached: %v", err)
	}
	c.Close()
	return nil
}

// Close closes the idle connections; those in use close when released.
func (d *Directory) Close() error {
	d.mu.Lock()
	idle := d.idle
	d.idle, d.closed = nil, true
	d.mu.Unlock()
	for _, c := range idle {
		c.Close()
	}
	return nil
}

// search runs req on a pooled service connection. A pooled connection the
// server has dropped since (a restart, an idle timeout) fails with a
// network error; the search is then tried once more on a new one.
func (d *Directory) search(ctx context.Context, req *goldap.SearchRequest) (*goldap.SearchResult, error) {
	for attempt := 1; ; attempt++ {
		c, reused, err := d.acquire(ctx)
		if err != nil {
			return nil, err
		}
		var res *goldap.SearchResult
		err = d.guard(ctx, c, func() (err error) { res, err = c.Search(req); return err })
		healthy := err == nil || serverAnswered(err)
		d.release(c, healthy)
		if !healthy && reused && attempt == 1 && ctx.Err() == nil {
			d.logger.Debug("LDAP pooled connection failed; retrying on a new one", "error", err)
			continue
		}
		return res, err
	}
}

// bindAs binds as dn on a connection of its own, so that the pooled ones
// stay bound as the service account.
func (d *Directory) bindAs(ctx context.Context, dn, password string) error {
	c, err := d.dial(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	return d.guard(ctx, c, func() error { return c.Bind(dn, password) })
}

// acquire returns a service-bound connection, idle or new, once fewer than
// PoolSize are in use; reused says whether it had served before.
func (d *Directory) acquire(ctx context.Context) (c *goldap.Conn, reused bool, err error) {
	wait, cancel := context.WithTimeout(ctx, d.cfg.Timeout)
	defer cancel()
	select {
	case d.slots <- struct{}{}:
	case <-wait.Done():
		return nil, false, fmt.Errorf("wait for a pooled LDAP connection: %w", context.Cause(wait))
	}
	d.mu.Lock()
	closed := d.closed
	for !closed && len(d.idle) > 0 {
		c = d.idle[len(d.idle)-1]
		d.idle = d.idle[:len(d.idle)-1]
		if !c.IsClosing() {
			d.mu.Unlock()
			return c, true, nil
		}
	}
	d.mu.Unlock()
	if closed {
		<-d.slots
		return nil, false, errors.New("LDAP directory closed")
	}
	if c, err = d.dialService(ctx); err != nil {
		<-d.slots
		return nil, false, err
	}
	return c, false, nil
}

// release returns c to the pool, or closes it when it failed or the
// directory is closed.
func (d *Directory) release(c *goldap.Conn, healthy bool) {
	d.mu.Lock()
	keep := healthy && !d.closed && !c.IsClosing() && len(d.idle) < d.cfg.PoolSize
	if keep {
		d.idle = append(d.idle, c)
	}
	d.mu.Unlock()
	if !keep {
		c.Close()
	}
	<-d.slots
}

// dialService dials and binds as the service account.
func (d *Directory) dialService(ctx context.Context) (*goldap.Conn, error) {
	c, err := d.dial(ctx)
	if err != nil {
		return nil, err
	}
	if err := d.guard(ctx, c, func() error { return c.Bind(d.cfg.BindDN, d.cfg.BindPassword) }); err != nil {
		c.Close()
		return nil, fmt.Errorf("bind as %s: %w", d.cfg.BindDN, err)
	}
	return c, nil
}

// dial connects (and upgrades with StartTLS when configured) within
// Timeout and ctx's deadline.
func (d *Directory) dial(ctx context.Context) (*goldap.Conn, error) {
	dialer := &net.Dialer{Timeout: d.cfg.Timeout}
	if dl, ok := ctx.Deadline(); ok {
		dialer.Deadline = dl
	}
	c, err := goldap.DialURL(d.cfg.URL, goldap.DialWithDialer(dialer), goldap.DialWithTLSConfig(d.tls))
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", d.shownURL, err)
	}
	c.SetTimeout(d.cfg.Timeout)
	if d.startTLS {
		if err := d.guard(ctx, c, func() error { return c.StartTLS(d.tls) }); err != nil {
			c.Close()
			return nil, fmt.Errorf("start TLS with %s: %w", d.shownURL, err)
		}
	}
	return c, nil
}

// guard runs op on c, closing c if ctx ends or Timeout passes first: the
// library's own timeout covers waiting for a response, not a stalled TLS
// handshake or write, and knows nothing of ctx. Closing makes op return.
func (d *Directory) guard(ctx context.Context, c *goldap.Conn, op func() error) error {
	ctx, cancel := context.WithTimeout(ctx, d.cfg.Timeout)
	defer cancel()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	err := op()
	if !stop() {
		// The connection was closed under op; say why.
		return fmt.Errorf("%w (%w)", context.Cause(ctx), errOrClosed(err))
	}
	return err
}

func errOrClosed(err error) error {
	if err == nil {
		return errors.New("connection closed")
	}
	return err
}

// Summary is the directory's settings without secrets, for display.
type Summary struct {
	URL                string `json:"url"`
	BindDN             string `json:"bindDn"`
	UserSearchBase     string `json:"userSearchBase"`
	UserSearchFilter   string `json:"userSearchFilter"`
	TLS                string `json:"tls"` // "ldaps", "starttls" or "none"
	VerifyCertificates bool   `json:"verifyCertificates"`
	CACertPath         string `json:"caCertPath,omitempty"`
	AttrUsername       string `json:"attrUsername"`
	AttrEmail          string `json:"attrEmail"`
	AttrDisplayName    string `json:"attrDisplayName"`
	AttrGroups         string `json:"attrGroups"`
}

// Summary returns the settings fit to show; never the bind password.
func (d *Directory) Summary() Summary {
	return Summary{URL: d.shownURL, BindDN: d.cfg.BindDN, UserSearchBase: d.cfg.UserSearchBase, UserSearchFilter: d.cfg.UserSearchFilter,
		TLS: d.tlsMode(), VerifyCertificates: *d.cfg.RejectUnauthorized, CACertPath: d.cfg.CACertPath,
		AttrUsername: d.cfg.AttrUsername, AttrEmail: d.cfg.AttrEmail, AttrDisplayName: d.cfg.AttrDisplayName, AttrGroups: d.cfg.AttrGroups}
}
