package app

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/ldap"
	"github.com/telegrafcontroller/tc/internal/oidc"
)

// SSOConfig is the single sign-on part of the start-up options: upstream's
// variable names (docs/sso.md), read once at start-up.
type SSOConfig struct {
	// LocalEnabled is AUTH_LOCAL_ENABLED: false turns local sign-in and
	// setup off (only with an external provider the owner is linked to).
	LocalEnabled bool
	// OwnerAuthProvider and OwnerExternalID link the owner to an external
	// identity at start-up (OWNER_AUTH_PROVIDER, OWNER_EXTERNAL_ID).
	OwnerAuthProvider tc.AuthProvider
	OwnerExternalID   string
	LDAPEnabled       bool
	LDAP              ldap.Config
	OIDCEnabled       bool
	OIDC              oidc.Config
}

// ssoOptions are the options of single sign-on, appended to options().
func ssoOptions() []option {
	str := func(f func(c *Config) *string) func(*Config, string) error {
		return func(c *Config, v string) error { *f(c) = v; return nil }
	}
	return []option{
		{"auth-local-enabled", "AUTH_LOCAL_ENABLED", "true", "local (password) sign-in and setup; false needs an external provider and an owner linked to it (OWNER_AUTH_PROVIDER)", boolSetter(func(c *Config, b bool) { c.SSO.LocalEnabled = b })},
		{"owner-auth-provider", "OWNER_AUTH_PROVIDER", "local", "provider the owner signs in through: local, ldap or oidc (with --owner-external-id; the owner keeps the local password for recovery)", func(c *Config, v string) error {
			p := tc.AuthProvider(v)
			if !p.Valid() {
				return fmt.Errorf("must be local, ldap or oidc, not %q", v)
			}
			c.SSO.OwnerAuthProvider = p
			return nil
		}},
		{"owner-external-id", "OWNER_EXTERNAL_ID", "", "the owner's name at OWNER_AUTH_PROVIDER: the OIDC subject (sub), or the LDAP username attribute's value", str(func(c *Config) *string { return &c.SSO.OwnerExternalID })},
		{"auth-ldap-enabled", "AUTH_LDAP_ENABLED", "false", "sign-in against an LDAP directory (docs/sso.md)", boolSetter(func(c *Config, b bool) { c.SSO.LDAPEnabled = b })},
		{"auth-ldap-url", "AUTH_LDAP_URL", "", "ldap:// or ldaps:// URL of the directory", str(func(c *Config) *string { return &c.SSO.LDAP.URL })},
		{"auth-ldap-bind-dn", "AUTH_LDAP_BIND_DN", "", "DN of the service account that searches for users", str(func(c *Config) *string { return &c.SSO.LDAP.BindDN })},
		{"auth-ldap-bind-password", "AUTH_LDAP_BIND_PASSWORD", "", "password of the service account", str(func(c *Config) *string { return &c.SSO.LDAP.BindPassword })},
		{"auth-ldap-user-search-base", "AUTH_LDAP_USER_SEARCH_BASE", "", "base DN under which users are searched", str(func(c *Config) *string { return &c.SSO.LDAP.UserSearchBase })},
		{"auth-ldap-user-search-filter", "AUTH_LDAP_USER_SEARCH_FILTER", ldap.DefaultUserSearchFilter, "search filter; {{username}} is replaced by the escaped username (RFC 4515)", str(func(c *Config) *string { return &c.SSO.LDAP.UserSearchFilter })},
		{"auth-ldap-start-tls", "AUTH_LDAP_START_TLS", "false", "upgrade ldap:// connections with StartTLS (ignored for ldaps://)", boolSetter(func(c *Config, b bool) { c.SSO.LDAP.StartTLS = b })},
		{"auth-ldap-ca-cert-path", "AUTH_LDAP_CA_CERT_PATH", "", "CA certificate (PEM) that signs the directory's TLS certificate", str(func(c *Config) *string { return &c.SSO.LDAP.CACertPath })},
		{"auth-ldap-reject-unauthorized", "AUTH_LDAP_REJECT_UNAUTHORIZED", "true", "verify the directory's TLS certificate (false: encrypt without verifying, with a warning)", boolSetter(func(c *Config, b bool) { c.SSO.LDAP.RejectUnauthorized = &b })},
		{"auth-ldap-attr-username", "AUTH_LDAP_ATTR_USERNAME", ldap.DefaultAttrUsername, "attribute holding the username", str(func(c *Config) *string { return &c.SSO.LDAP.AttrUsername })},
		{"auth-ldap-attr-email", "AUTH_LDAP_ATTR_EMAIL", ldap.DefaultAttrEmail, "attribute holding the email", str(func(c *Config) *string { return &c.SSO.LDAP.AttrEmail })},
		{"auth-ldap-attr-display-name", "AUTH_LDAP_ATTR_DISPLAY_NAME", ldap.DefaultAttrDisplayName, "attribute holding the display name", str(func(c *Config) *string { return &c.SSO.LDAP.AttrDisplayName })},
		{"auth-ldap-attr-groups", "AUTH_LDAP_ATTR_GROUPS", ldap.DefaultAttrGroups, "attribute listing the user's groups (DNs for memberOf)", str(func(c *Config) *string { return &c.SSO.LDAP.AttrGroups })},
		{"auth-ldap-timeout", "AUTH_LDAP_TIMEOUT", "5s", "limit on connecting to the directory and on each operation", durationSetter(func(c *Config, d time.Duration) { c.SSO.LDAP.Timeout = d })},
		{"auth-oidc-enabled", "AUTH_OIDC_ENABLED", "false", "sign-in through an OpenID Connect provider (docs/sso.md)", boolSetter(func(c *Config, b bool) { c.SSO.OIDCEnabled = b })},
		{"auth-oidc-issuer", "AUTH_OIDC_ISSUER", "", "issuer URL, exactly as the provider's discovery document spells it", str(func(c *Config) *string { return &c.SSO.OIDC.Issuer })},
		{"auth-oidc-client-id", "AUTH_OIDC_CLIENT_ID", "", "client id registered at the provider", str(func(c *Config) *string { return &c.SSO.OIDC.ClientID })},
		{"auth-oidc-client-secret", "AUTH_OIDC_CLIENT_SECRET", "", "client secret registered at the provider", str(func(c *Config) *string { return &c.SSO.OIDC.ClientSecret })},
		{"auth-oidc-redirect-uri", "AUTH_OIDC_REDIRECT_URI", "", "this controller's callback as the provider knows it: https://<host>/api/auth/oidc/callback", str(func(c *Config) *string { return &c.SSO.OIDC.RedirectURI })},
		{"auth-oidc-scopes", "AUTH_OIDC_SCOPES", "openid profile email", "scopes to ask for (openid is always added)", func(c *Config, v string) error { c.SSO.OIDC.Scopes = oidc.SplitScopes(v); return nil }},
		{"auth-oidc-username-claim", "AUTH_OIDC_USERNAME_CLAIM", oidc.DefaultUsernameClaim, "ID token claim holding the username", str(func(c *Config) *string { return &c.SSO.OIDC.UsernameClaim })},
		{"auth-oidc-groups-claim", "AUTH_OIDC_GROUPS_CLAIM", oidc.DefaultGroupsClaim, "ID token claim holding the groups (the provisioning settings may override it)", str(func(c *Config) *string { return &c.SSO.OIDC.GroupsClaim })},
		{"auth-oidc-display-name", "AUTH_OIDC_DISPLAY_NAME", oidc.DefaultDisplayName, "name on the sign-in page's \"Sign in with ...\" button", str(func(c *Config) *string { return &c.SSO.OIDC.DisplayName })},
		{"auth-oidc-post-login-redirect", "AUTH_OIDC_POST_LOGIN_REDIRECT", oidc.DefaultPostLoginRedirect, "path on this site the browser goes to once signed in", str(func(c *Config) *string { return &c.SSO.OIDC.PostLoginRedirect })},
		{"auth-oidc-allow-insecure", "AUTH_OIDC_ALLOW_INSECURE", "false", "allow http:// issuer and callback URLs (a test provider on a private network; warned about at start)", boolSetter(func(c *Config, b bool) { c.SSO.OIDC.AllowInsecure = b })},
		{"auth-ldap-pool-size", "AUTH_LDAP_POOL_SIZE", strconv.Itoa(ldap.DefaultPoolSize), "service-account connections kept open", int64Setter(func(c *Config, n int64) { c.SSO.LDAP.PoolSize = int(min(n, 64)) })},
	}
}

// startSSO builds the enabled external providers into the sign-in rules,
// links the owner when asked, and refuses AUTH_LOCAL_ENABLED=false unless
// the owner can sign in through an enabled provider.
func (m *Main) startSSO(ctx context.Context) error {
	c := m.Config.SSO
	s := m.SignIn
	s.External, s.Settings, s.LocalDisabled = m.Store, m.Store, !c.LocalEnabled
	if c.LDAPEnabled {
		d, err := ldap.New(c.LDAP, m.Logger)
		if err != nil {
			return fmt.Errorf("LDAP: %s", tc.ErrorMessage(err))
		}
		m.OnClose(func(context.Context) error { return d.Close() })
		s.LDAP = d
		m.LDAP = d
	}
	if c.OIDCEnabled {
		p, err := oidc.New(c.OIDC, m.Store, m.Logger)
		if err != nil {
			return fmt.Errorf("OIDC: %s", tc.ErrorMessage(err))
		}
		s.OIDC = p
		m.OIDC = p
	}
	enabled := map[tc.AuthProvider]bool{tc.ProviderLDAP: s.LDAP != nil, tc.ProviderOIDC: s.OIDC != nil}
	if p := c.OwnerAuthProvider; p.External() {
		if c.OwnerExternalID == "" {
			return fmt.Errorf("OWNER_AUTH_PROVIDER=%s needs OWNER_EXTERNAL_ID", p)
		}
		if !enabled[p] {
			return fmt.Errorf("OWNER_AUTH_PROVIDER=%s, but %s sign-in is not enabled", p, p)
		}
		if err := m.Store.LinkOwner(ctx, p, c.OwnerExternalID); err != nil && tc.ErrorCode(err) != tc.ENOTFOUND {
			return fmt.Errorf("link the owner to %s: %s", p, tc.ErrorMessage(err))
		} else if err != nil {
			m.Logger.Warn("OWNER_AUTH_PROVIDER is set but there is no owner yet; it links the owner at the next start")
		}
	}
	if !c.LocalEnabled {
		owner, err := m.Store.Owner(ctx)
		if err != nil {
			return fmt.Errorf("AUTH_LOCAL_ENABLED=false needs an owner linked to an enabled external provider (OWNER_AUTH_PROVIDER, OWNER_EXTERNAL_ID): %s", tc.ErrorMessage(err))
		}
		if !owner.AuthProvider.External() || !enabled[owner.AuthProvider] {
			return fmt.Errorf("AUTH_LOCAL_ENABLED=false needs the owner to sign in through an enabled external provider: set OWNER_AUTH_PROVIDER and OWNER_EXTERNAL_ID (the owner is linked to %q)", owner.AuthProvider)
		}
		m.Logger.Warn("local sign-in is disabled (AUTH_LOCAL_ENABLED=false): only " + string(owner.AuthProvider) + " and any other enabled provider sign in")
	}
	return nil
}

// providerSummaries are the enabled providers' settings as the settings
// page shows them (never a secret).
func (m *Main) providerSummaries() map[tc.AuthProvider]any {
	out := map[tc.AuthProvider]any{}
	if m.LDAP != nil {
		out[tc.ProviderLDAP] = m.LDAP.Summary()
	}
	if m.OIDC != nil {
		out[tc.ProviderOIDC] = m.OIDC.Summary()
	}
	return out
}
