// Package oidc signs people in through an OpenID Connect identity provider:
// the authorization-code flow with PKCE (S256), a nonce, and a state that
// is single-use, expires after ten minutes and is bound to the browser that
// started the flow. What the provider vouches for comes back as a
// tc.ExternalIdentity; who that person becomes is tc's provisioning rules'
// business, not this package's.
//
// The flow's state lives in the database (StateStore), not in memory,
// because behind a load balancer the callback may reach another node than
// the one that sent the browser to the provider.
package oidc

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/telegrafcontroller/tc"
)

// CallbackPath is the path every redirect URI ends with: the route the
// provider sends the browser back to.
const CallbackPath = "/api/auth/oidc/callback"

// StateTTL is how long a started sign-in may take: from Begin to the
// callback, including the time the person spends at the provider.
const StateTTL = 10 * time.Minute

// httpTimeout bounds each call to the provider (discovery, keys, token),
// so that a provider that accepts connections and never answers cannot hold
// a sign-in request open.
const httpTimeout = 10 * time.Second

// Config is the provider's configuration, read from the environment at
// start-up (the variable names match the product's documentation).
type Config struct {
	Issuer       string // AUTH_OIDC_ISSUER: exactly as the provider spells it in its discovery document
	ClientID     string // AUTH_OIDC_CLIENT_ID
	ClientSecret string // AUTH_OIDC_CLIENT_SECRET
	RedirectURI  string // AUTH_OIDC_REDIRECT_URI: must end with CallbackPath
	// Scopes is AUTH_OIDC_SCOPES (default openid profile email); openid is
	// added when missing, as without it there is no ID token.
	Scopes        []string
	UsernameClaim string // AUTH_OIDC_USERNAME_CLAIM (default preferred_username)
	GroupsClaim   string // AUTH_OIDC_GROUPS_CLAIM (default groups)
	DisplayName   string // AUTH_OIDC_DISPLAY_NAME (default SSO): the sign-in button's name
	// PostLoginRedirect is AUTH_OIDC_POST_LOGIN_REDIRECT (default /): where
	// the browser goes once signed in. A path on this site, so that the
	// setting cannot become an open redirect.
	PostLoginRedirect string
	// AllowInsecure is AUTH_OIDC_ALLOW_INSECURE (default false): only then
	// may Issuer and RedirectURI be http://, for a test provider on a
	// private network. New logs a warning when it is set.
	AllowInsecure bool
}

// DefaultScopes is AUTH_OIDC_SCOPES when unset.
var DefaultScopes = []string{"openid", "profile", "email"}

// Defaults for the other optional settings.
const (
	DefaultUsernameClaim     = "preferred_username"
	DefaultGroupsClaim       = "groups"
	DefaultDisplayName       = "SSO"
	DefaultPostLoginRedirect = "/"
)

// SplitScopes parses AUTH_OIDC_SCOPES: scopes separated by spaces or
// commas.
func SplitScopes(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' })
}

// StateStore keeps the sign-ins in flight; the store implements it.
type StateStore interface {
	// SaveOIDCState stores a state under its hash.
	SaveOIDCState(ctx context.Context, st tc.OIDCState) error
	// TakeOIDCState deletes and returns the state stored under stateHash,
	// at most once. Errors: ENOTFOUND when it is unknown, taken or expired.
	TakeOIDCState(ctx context.Context, stateHash string) (tc.OIDCState, error)
}

// Provider is one configured identity provider. Its discovery document is
// fetched at the first sign-in (or Check), not by New: the controller must
// start while the provider is down, and a failed fetch is tried again by
// the next sign-in.
type Provider struct {
	cfg    Config
	states StateStore
	logger *slog.Logger
	client *http.Client

	mu   sync.Mutex
	disc *discovery // nil until a fetch succeeds
}

// discovery is what the discovery document yields.
type discovery struct {
	oauth    oauth2.Config
	verifier *oidc.IDTokenVerifier
}

// New checks cfg, fills in its defaults and returns a provider. Errors:
// EINVALID naming the environment variable at fault.
func New(cfg Config, states StateStore, logger *slog.Logger) (*Provider, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if err := cfg.normalize(); err != nil {
		return nil, err
	}
	if cfg.AllowInsecure {
		logger.Warn("AUTH_OIDC_ALLOW_INSECURE is set: the OIDC issuer and redirect URI may use plain http, which exposes sign-in codes and tokens on the network",
			"issuer", cfg.Issuer, "redirect_uri", cfg.RedirectURI)
	}
	return &Provider{cfg: cfg, states: states, logger: logger, client: &http.Client{Timeout: httpTimeout}}, nil
}

func (c *Config) normalize() error {
	c.Issuer, c.ClientID, c.RedirectURI = strings.TrimSpace(c.Issuer), strings.TrimSpace(c.ClientID), strings.TrimSpace(c.RedirectURI)
	if err := checkURL("AUTH_OIDC_ISSUER", c.Issuer, c.AllowInsecure); err != nil {
		return err
	}
	if c.ClientID == "" {
		return tc.Errorf(tc.EINVALID, "AUTH_OIDC_CLIENT_ID is required")
	}
	if c.ClientSecret == "" {
		return tc.Errorf(tc.EINVALID, "AUTH_OIDC_CLIENT_SECRET is required")
	}
	if err := checkURL("AUTH_OIDC_REDIRECT_URI", c.RedirectURI, c.AllowInsecure); err != nil {
		return err
	}
	if u, _ := url.Parse(c.RedirectURI); !strings.HasSuffix(u.Path, CallbackPath) || u.RawQuery != "" {
		return tc.Errorf(tc.EINVALID, "AUTH_OIDC_REDIRECT_URI must end with %s, got %q", CallbackPath, c.RedirectURI)
	}
	var scopes []string
	for _, s := range c.Scopes {
		if s = strings.TrimSpace(s); s != "" && !slices.Contains(scopes, s) {
			scopes = append(scopes, s)
		}
	}
	if len(scopes) == 0 {
		scopes = slices.Clone(DefaultScopes)
	}
	if !slices.Contains(scopes, oidc.ScopeOpenID) {
		scopes = append([]string{oidc.ScopeOpenID}, scopes...)
	}
	c.Scopes = scopes
	c.UsernameClaim = orDefault(c.UsernameClaim, DefaultUsernameClaim)
	c.GroupsClaim = orDefault(c.GroupsClaim, DefaultGroupsClaim)
	c.DisplayName = orDefault(c.DisplayName, DefaultDisplayName)
	c.PostLoginRedirect = orDefault(c.PostLoginRedirect, DefaultPostLoginRedirect)
	if !localPath(c.PostLoginRedirect) {
		return tc.Errorf(tc.EINVALID, "AUTH_OIDC_POST_LOGIN_REDIRECT must be a path on this site starting with /, got %q", c.PostLoginRedirect)
	}
	return nil
}

func checkURL(name, v string, allowInsecure bool) error {
	if v == "" {
		return tc.Errorf(tc.EINVALID, "%s is required", name)
	}
	u, err := url.Parse(v)
	if err != nil || u.Host == "" || u.Fragment != "" || u.User != nil {
		return tc.Errorf(tc.EINVALID, "%s must be an absolute https URL, got %q", name, v)
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && allowInsecure:
	case u.Scheme == "http":
		return tc.Errorf(tc.EINVALID, "%s must use https (got %q); set AUTH_OIDC_ALLOW_INSECURE=true only for a test provider", name, v)
	default:
		return tc.Errorf(tc.EINVALID, "%s must be an absolute https URL, got %q", name, v)
	}
	return nil
}

// localPath reports whether p is a path on this site: "//host" and "/\host"
// are read by browsers as another host.
func localPath(p string) bool {
	return strings.HasPrefix(p, "/") && !strings.HasPrefix(p, "//") && !strings.ContainsAny(p, "\\\r\n")
}

func orDefault(v, def string) string {
	if v = strings.TrimSpace(v); v != "" {
		return v
	}
	return def
}

// DisplayName is the sign-in button's name from the environment; the
// provisioning settings may override it.
func (p *Provider) DisplayName() string { return p.cfg.DisplayName }

// Summary is the configuration as the settings page shows it: everything
// but the client secret.
type Summary struct {
	Issuer            string   `json:"issuer"`
	ClientID          string   `json:"clientId"`
	RedirectURI       string   `json:"redirectUri"`
	Scopes            []string `json:"scopes"`
	UsernameClaim     string   `json:"usernameClaim"`
	GroupsClaim       string   `json:"groupsClaim"`
	DisplayName       string   `json:"displayName"`
	PostLoginRedirect string   `json:"postLoginRedirect"`
	AllowInsecure     bool     `json:"allowInsecure"`
}

// Summary returns the configuration for display.
func (p *Provider) Summary() Summary {
	c := p.cfg
	return Summary{Issuer: c.Issuer, ClientID: c.ClientID, RedirectURI: c.RedirectURI, Scopes: slices.Clone(c.Scopes),
		UsernameClaim: c.UsernameClaim, GroupsClaim: c.GroupsClaim, DisplayName: c.DisplayName,
		PostLoginRedirect: c.PostLoginRedirect, AllowInsecure: c.AllowInsecure}
}

// Check fetches the discovery document afresh, for the settings page's
// status: nil when the provider answers as configured. Errors: EUNAVAILABLE.
func (p *Provider) Check(ctx context.Context) error {
	_, err := p.discover(ctx, true)
	return err
}

// discover returns the provider's endpoints and keys, fetching the
// discovery document when none was fetched yet or fresh is set. A failed
// fetch keeps what an earlier one found.
func (p *Provider) discover(ctx context.Context, fresh bool) (*discovery, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.disc != nil && !fresh {
		return p.disc, nil
	}
	ctx, cancel := context.WithTimeout(ctx, httpTimeout)
	defer cancel()
	op, err := oidc.NewProvider(oidc.ClientContext(ctx, p.client), p.cfg.Issuer)
	if mismatch, ok := errors.AsType[*oidc.IssuerMismatchError](err); ok {
		p.logger.Error("OIDC issuer mismatch: the provider's discovery document names another issuer than AUTH_OIDC_ISSUER; no one can sign in with OIDC until they agree",
			"configured", mismatch.Provided, "discovered", mismatch.Discovered)
		return nil, &wrapped{tc.Errorf(tc.EUNAVAILABLE, "The identity provider calls itself %q but AUTH_OIDC_ISSUER is %q; they must match exactly",
			mismatch.Discovered, mismatch.Provided), err}
	}
	if err != nil {
		p.logger.Warn("OIDC discovery failed", "issuer", p.cfg.Issuer, "error", err)
		return nil, unavailable("fetch discovery document", err)
	}
	var meta struct {
		JWKS        string   `json:"jwks_uri"`
		Algs        []string `json:"id_token_signing_alg_values_supported"`
		AuthMethods []string `json:"token_endpoint_auth_methods_supported"`
	}
	if err := op.Claims(&meta); err != nil || meta.JWKS == "" {
		p.logger.Warn("OIDC discovery document unusable", "issuer", p.cfg.Issuer, "error", err)
		return nil, unavailable("read discovery document", fmt.Errorf("no jwks_uri (%v)", err))
	}
	// RFC 6749 obliges every server to take the client's credentials in
	// the Authorization header; the parameters are for servers that say
	// they take nothing else. The library's probing would send the code
	// twice when the first attempt fails for another reason, turning an
	// expired code into a misleading "invalid client".
	style := oauth2.AuthStyleInHeader
	if len(meta.AuthMethods) > 0 && !slices.Contains(meta.AuthMethods, "client_secret_basic") && slices.Contains(meta.AuthMethods, "client_secret_post") {
		style = oauth2.AuthStyleInParams
	}
	ep := op.Endpoint()
	ep.AuthStyle = style
	keys := &keySet{remote: oidc.NewRemoteKeySet(oidc.ClientContext(context.Background(), p.client), meta.JWKS)}
	p.disc = &discovery{
		oauth: oauth2.Config{ClientID: p.cfg.ClientID, ClientSecret: p.cfg.ClientSecret, Endpoint: ep,
			RedirectURL: p.cfg.RedirectURI, Scopes: p.cfg.Scopes},
		verifier: oidc.NewVerifier(p.cfg.Issuer, keys, &oidc.Config{ClientID: p.cfg.ClientID, SupportedSigningAlgs: meta.Algs}),
	}
	return p.disc, nil
}

// keySet is the provider's remote key set, noting a failure to fetch the
// keys in the context (keyFetchKey), because the verifier reports it as
// text: an unreachable provider is then told apart from a bad signature.
type keySet struct{ remote *oidc.RemoteKeySet }

type keyFetchKey struct{}

func (k *keySet) VerifySignature(ctx context.Context, jwt string) ([]byte, error) {
	payload, err := k.remote.VerifySignature(ctx, jwt)
	if errp, ok := ctx.Value(keyFetchKey{}).(*error); ok && err != nil && networkError(err) {
		*errp = err
	}
	return payload, err
}

// Begin starts a sign-in: it stores a new state with its nonce and PKCE
// verifier, and returns the provider's URL to send the browser to and the
// browser binding, a secret the caller sets as the browser's cookie
// (SetBindingCookie) and hands back to Complete. Errors: EUNAVAILABLE.
func (p *Provider) Begin(ctx context.Context) (authURL, browserBinding string, err error) {
	d, err := p.discover(ctx, false)
	if err != nil {
		return "", "", err
	}
	state, nonce, verifier, binding := rand.Text(), rand.Text(), oauth2.GenerateVerifier(), rand.Text()
	st := tc.OIDCState{StateHash: tc.HashSecret(state), Nonce: nonce, Verifier: verifier, BindingHash: tc.HashSecret(binding),
		ExpiresAt: time.Now().Add(StateTTL)}
	if err := p.states.SaveOIDCState(ctx, st); err != nil {
		return "", "", fmt.Errorf("begin oidc sign-in: %w", err)
	}
	return d.oauth.AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier)), binding, nil
}

// Messages for refusals a person can act on.
const (
	msgStateGone    = "This sign-in link has expired or was already used; start again"
	msgOtherBrowser = "This sign-in was started in another browser or the sign-in cookie is missing; start again"
	msgCodeRefused  = "The identity provider did not accept the sign-in code (it expired or was already used); start again"
	msgTokenInvalid = "The identity provider's ID token could not be verified; start again"
)

// Complete finishes a sign-in at the callback: code and state are the
// callback's parameters, browserBinding the cookie Begin's binding was set
// in, and groupsClaim (when not empty) overrides the configured groups
// claim. It returns the person the provider vouches for and where to send
// the browser. Errors: EUNAUTHORIZED when the state is unknown, used,
// expired or from another browser, the code is refused or the ID token
// fails verification; EUNAVAILABLE when the provider cannot be reached or
// disagrees with the configuration.
func (p *Provider) Complete(ctx context.Context, code, state, browserBinding, groupsClaim string) (tc.ExternalIdentity, string, error) {
	var none tc.ExternalIdentity
	if state == "" {
		return none, "", tc.Errorf(tc.EUNAUTHORIZED, msgStateGone)
	}
	st, err := p.states.TakeOIDCState(ctx, tc.HashSecret(state))
	if tc.ErrorCode(err) == tc.ENOTFOUND {
		return none, "", &wrapped{tc.Errorf(tc.EUNAUTHORIZED, msgStateGone), err}
	}
	if err != nil {
		return none, "", fmt.Errorf("complete oidc sign-in: %w", err)
	}
	if browserBinding == "" || subtle.ConstantTimeCompare([]byte(tc.HashSecret(browserBinding)), []byte(st.BindingHash)) != 1 {
		return none, "", tc.Errorf(tc.EUNAUTHORIZED, msgOtherBrowser)
	}
	if code == "" {
		return none, "", tc.Errorf(tc.EUNAUTHORIZED, "The identity provider sent no sign-in code; start again")
	}
	d, err := p.discover(ctx, false)
	if err != nil {
		return none, "", err
	}

	hctx, cancel := context.WithTimeout(oidc.ClientContext(ctx, p.client), httpTimeout)
	defer cancel()
	tok, err := d.oauth.Exchange(hctx, code, oauth2.VerifierOption(st.Verifier))
	if err != nil {
		return none, "", p.exchangeError(err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		p.logger.Error("OIDC token response has no ID token; is the openid scope allowed for the client?", "issuer", p.cfg.Issuer)
		return none, "", tc.Errorf(tc.EUNAVAILABLE, "The identity provider returned no ID token")
	}
	var keyErr error
	idt, err := d.verifier.Verify(context.WithValue(hctx, keyFetchKey{}, &keyErr), raw)
	if keyErr != nil {
		p.logger.Warn("OIDC keys unreachable", "issuer", p.cfg.Issuer, "error", keyErr)
		return none, "", unavailable("fetch signing keys", keyErr)
	}
	if err != nil {
		p.logger.Warn("OIDC ID token refused", "issuer", p.cfg.Issuer, "error", err)
		return none, "", &wrapped{tc.Errorf(tc.EUNAUTHORIZED, msgTokenInvalid), err}
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(st.Nonce)) != 1 {
		p.logger.Warn("OIDC ID token nonce does not match the sign-in's", "issuer", p.cfg.Issuer, "subject", idt.Subject)
		return none, "", tc.Errorf(tc.EUNAUTHORIZED, msgTokenInvalid)
	}
	if idt.Subject == "" {
		return none, "", tc.Errorf(tc.EUNAUTHORIZED, "The identity provider's ID token names no subject")
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		return none, "", &wrapped{tc.Errorf(tc.EUNAUTHORIZED, msgTokenInvalid), err}
	}
	if groupsClaim = strings.TrimSpace(groupsClaim); groupsClaim == "" {
		groupsClaim = p.cfg.GroupsClaim
	}
	id := tc.ExternalIdentity{
		Provider:      tc.ProviderOIDC,
		Subject:       idt.Subject,
		Username:      stringClaim(claims, p.cfg.UsernameClaim),
		Email:         stringClaim(claims, "email"),
		EmailVerified: boolClaim(claims, "email_verified"),
		DisplayName:   stringClaim(claims, "name"),
		Groups:        stringsClaim(claims, groupsClaim),
	}
	return id, p.cfg.PostLoginRedirect, nil
}

// exchangeError turns a failed code exchange into a domain error. The
// provider's answer is logged, never the code.
func (p *Provider) exchangeError(err error) error {
	re, ok := errors.AsType[*oauth2.RetrieveError](err)
	switch {
	case ok && re.ErrorCode == "invalid_grant":
		p.logger.Info("OIDC code refused", "issuer", p.cfg.Issuer, "error", re.ErrorCode, "description", re.ErrorDescription)
		return &wrapped{tc.Errorf(tc.EUNAUTHORIZED, msgCodeRefused), err}
	case ok && (re.ErrorCode == "invalid_client" || re.ErrorCode == "unauthorized_client"):
		p.logger.Error("OIDC provider refused the controller's client credentials; check AUTH_OIDC_CLIENT_ID and AUTH_OIDC_CLIENT_SECRET",
			"issuer", p.cfg.Issuer, "error", re.ErrorCode, "description", re.ErrorDescription)
		return &wrapped{tc.Errorf(tc.EUNAVAILABLE, "The identity provider refused the controller's client credentials"), err}
	case ok && re.Response != nil && re.Response.StatusCode < 500:
		p.logger.Warn("OIDC code exchange refused", "issuer", p.cfg.Issuer, "status", re.Response.StatusCode, "error", re.ErrorCode, "description", re.ErrorDescription)
		return &wrapped{tc.Errorf(tc.EUNAUTHORIZED, "The identity provider refused the sign-in (%s); start again", re.ErrorCode), err}
	default:
		p.logger.Warn("OIDC code exchange failed", "issuer", p.cfg.Issuer, "error", err)
		return unavailable("exchange code", err)
	}
}

func stringClaim(claims map[string]any, name string) string {
	s, _ := claims[name].(string)
	return strings.TrimSpace(s)
}

// boolClaim reads a boolean claim; some providers send "true" as a string.
func boolClaim(claims map[string]any, name string) bool {
	switch v := claims[name].(type) {
	case bool:
		return v
	case string:
		return strings.EqualFold(v, "true")
	}
	return false
}

// stringsClaim reads a claim holding one string or an array of strings
// (other values in an array are skipped).
func stringsClaim(claims map[string]any, name string) []string {
	var out []string
	switch v := claims[name].(type) {
	case string:
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	case []any:
		for _, e := range v {
			if s, ok := e.(string); ok && strings.TrimSpace(s) != "" {
				out = append(out, strings.TrimSpace(s))
			}
		}
	}
	return out
}

// wrapped is a domain error that keeps its cause for logs: the code and
// message for the caller, the cause's text for whoever logs err.
type wrapped struct {
	domain *tc.Error
	cause  error
}

func (w *wrapped) Error() string   { return w.domain.Error() + ": " + w.cause.Error() }
func (w *wrapped) Unwrap() []error { return []error{w.domain, w.cause} }

func unavailable(what string, err error) error {
	return &wrapped{tc.Errorf(tc.EUNAVAILABLE, "The identity provider cannot be reached; try again later"), fmt.Errorf("%s: %w", what, err)}
}

// networkError reports whether err is a failure to reach the provider
// rather than an answer from it.
func networkError(err error) bool {
	if _, ok := errors.AsType[net.Error](err); ok {
		return true
	}
	if _, ok := errors.AsType[*url.Error](err); ok {
		return true
	}
	return errors.Is(err, context.DeadlineExceeded)
}

// BindingCookie is the cookie holding the browser binding between Begin
// and the callback. It is scoped to the OIDC routes and lives as long as
// the state; SameSite=Lax, because the provider's redirect back is a
// top-level cross-site navigation that Strict would strip it from.
const BindingCookie = "tc_oidc"

// bindingCookiePath limits the cookie to the login and callback routes.
const bindingCookiePath = "/api/auth/oidc"

// SetBindingCookie sets the browser binding Begin returned on w. It is
// Secure when the redirect URI is https (a plain-http test set-up cannot
// send Secure cookies back).
func (p *Provider) SetBindingCookie(w http.ResponseWriter, binding string) {
	http.SetCookie(w, &http.Cookie{Name: BindingCookie, Value: binding, Path: bindingCookiePath, MaxAge: int(StateTTL / time.Second),
		HttpOnly: true, Secure: p.secureCookie(), SameSite: http.SameSiteLaxMode})
}

// ClearBindingCookie removes the binding cookie; the callback calls it
// whatever the outcome, since a binding serves one sign-in.
func (p *Provider) ClearBindingCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: BindingCookie, Value: "", Path: bindingCookiePath, MaxAge: -1,
		HttpOnly: true, Secure: p.secureCookie(), SameSite: http.SameSiteLaxMode})
}

func (p *Provider) secureCookie() bool { return strings.HasPrefix(p.cfg.RedirectURI, "https://") }

// BindingFromRequest returns the binding cookie's value, "" without one.
func BindingFromRequest(r *http.Request) string {
	c, err := r.Cookie(BindingCookie)
	if err != nil {
		return ""
	}
	return c.Value
}

// CallbackParams reads the callback's query: the code and state, or the
// provider's refusal (error=access_denied and the like) as EUNAUTHORIZED
// with the provider's reason, cut short.
func CallbackParams(r *http.Request) (code, state string, err error) {
	q := r.URL.Query()
	if e := q.Get("error"); e != "" {
		reason := e
		if d := q.Get("error_description"); d != "" {
			reason = d
		}
		if len(reason) > 200 {
			reason = reason[:200]
		}
		return "", "", tc.Errorf(tc.EUNAUTHORIZED, "The identity provider did not sign you in: %s", strings.ToValidUTF8(reason, ""))
	}
	return q.Get("code"), q.Get("state"), nil
}
