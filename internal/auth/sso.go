package auth

import (
	"context"
	"errors"
	"time"

	"github.com/telegrafcontroller/tc"
)

// Directory is an LDAP directory people sign in against (internal/ldap).
type Directory interface {
	// Authenticate binds as the user. Errors: EUNAUTHORIZED (wrong or
	// unknown, never which), EUNAVAILABLE (the directory is down).
	Authenticate(ctx context.Context, username, password string) (tc.ExternalIdentity, error)
	// Check dials and binds the service account.
	Check(ctx context.Context) error
}

// OIDCProvider is an OpenID Connect provider people sign in through
// (internal/oidc).
type OIDCProvider interface {
	// Begin starts a sign-in: the URL to send the browser to and the value
	// of the cookie that binds the flow to that browser.
	Begin(ctx context.Context) (authURL, binding string, err error)
	// Complete finishes it from the callback's code and state. Errors:
	// EUNAUTHORIZED (replayed state, wrong nonce, expired code, ...),
	// EUNAVAILABLE (the provider is down).
	Complete(ctx context.Context, code, state, binding, groupsClaim string) (tc.ExternalIdentity, string, error)
	Check(ctx context.Context) error
	DisplayName() string
}

// ExternalStore is what external sign-in needs from storage.
type ExternalStore interface {
	SignInExternal(ctx context.Context, id tc.ExternalIdentity, p tc.Provisioning, idHash string, expires time.Time) (tc.ExternalSignIn, error)
}

// msgLocalOff refuses local sign-in and setup when AUTH_LOCAL_ENABLED=false.
const msgLocalOff = "Local sign-in is disabled on this controller; sign in through your organisation's identity provider"

var errLocalOff = tc.Errorf(tc.EFORBIDDEN, msgLocalOff)

// LocalEnabled reports whether local passwords sign in.
func (s *SignIn) LocalEnabled() bool { return !s.LocalDisabled }

// LoginLDAP signs in with a directory username and password. A directory
// that is down is a 503, never a fall-back to a local password; wrong
// credentials count toward the per-address limiter as local ones do.
// Errors: EFORBIDDEN (LDAP off, or the provisioning refuses), EINVALID,
// EUNAUTHORIZED, EUNAVAILABLE, ETOOMANYREQUESTS (a *RetryError).
func (s *SignIn) LoginLDAP(ctx context.Context, in Credentials, from Origin) (*Started, error) {
	if s.LDAP == nil {
		return nil, tc.Errorf(tc.EFORBIDDEN, "LDAP sign-in is not enabled on this controller")
	}
	login := in.Username
	if login == "" {
		login = in.Email
	}
	fail := func(err error, reason string) (*Started, error) {
		s.recordRefusal(ctx, tc.ProviderLDAP, login, reason)
		return nil, err
	}
	if login == "" {
		return fail(tc.FieldErrorf("username", "Username is required"), "incomplete")
	}
	if in.Password == "" {
		return fail(tc.FieldErrorf("password", "Password is required"), "incomplete")
	}
	if err := s.allowAddress(from.Addr, "sign-in"); err != nil {
		return fail(err, "rate_limited")
	}
	id, err := s.LDAP.Authenticate(ctx, login, in.Password)
	switch tc.ErrorCode(err) {
	case "":
	case tc.EUNAUTHORIZED:
		s.Limiter.Failed(from.Addr)
		return fail(tc.Errorf(tc.EUNAUTHORIZED, MsgBadLogin), "bad_credentials")
	case tc.EUNAVAILABLE:
		return fail(err, "provider_unavailable")
	default:
		return fail(err, "error")
	}
	return s.signInExternal(ctx, id, from, login)
}

// BeginOIDC starts an OIDC sign-in. Errors: EFORBIDDEN (OIDC off),
// EUNAVAILABLE.
func (s *SignIn) BeginOIDC(ctx context.Context) (authURL, binding string, err error) {
	if s.OIDC == nil {
		return "", "", tc.Errorf(tc.EFORBIDDEN, "OIDC sign-in is not enabled on this controller")
	}
	return s.OIDC.Begin(ctx)
}

// CompleteOIDC finishes an OIDC sign-in from its callback and returns the
// session and where to send the browser. The provider's refusal (the
// person declined, say) arrives as refused. Errors: EFORBIDDEN,
// EUNAUTHORIZED, EUNAVAILABLE.
func (s *SignIn) CompleteOIDC(ctx context.Context, code, state string, refused error, binding string, from Origin) (*Started, string, error) {
	if s.OIDC == nil {
		return nil, "", tc.Errorf(tc.EFORBIDDEN, "OIDC sign-in is not enabled on this controller")
	}
	if refused != nil {
		s.recordRefusal(ctx, tc.ProviderOIDC, "", "provider_refused")
		return nil, "", refused
	}
	id, redirect, err := s.OIDC.Complete(ctx, code, state, binding, s.Store.Settings().OIDC.GroupsClaim)
	if err != nil {
		reason := "bad_credentials"
		if tc.ErrorCode(err) == tc.EUNAVAILABLE {
			reason = "provider_unavailable"
		}
		s.recordRefusal(ctx, tc.ProviderOIDC, "", reason)
		return nil, "", err
	}
	st, err := s.signInExternal(ctx, id, from, id.Username)
	return st, redirect, err
}

// signInExternal applies the provider's provisioning settings to id and
// starts a session. A refusal is a 403 with its reason in words, and an
// audit entry with its reason class.
func (s *SignIn) signInExternal(ctx context.Context, id tc.ExternalIdentity, from Origin, login string) (*Started, error) {
	sid, hash := NewSessionID()
	expires := s.Sessions.Expiry(s.Now())
	out, err := s.External.SignInExternal(ctx, id, s.Store.Settings().Provisioning(id.Provider), hash, expires)
	if err != nil {
		s.recordRefusal(ctx, id.Provider, login, "error")
		return nil, err
	}
	if d := out.Decision; d.Refused() {
		s.log().Info("external sign-in refused", "provider", string(id.Provider), "reason", d.Refusal, "username", id.Username)
		s.recordRefusal(ctx, id.Provider, login, d.Refusal)
		return nil, tc.Errorf(tc.EFORBIDDEN, "%s", tc.RefusalMessage(d.Refusal))
	}
	if from.OldSession != "" {
		// The browser's previous session ends: ids rotate at every sign-in.
		if err := s.Store.DeleteSession(ctx, tc.HashSecret(from.OldSession)); err != nil {
			s.log().Warn("cannot end the previous session", "error", err)
		}
	}
	s.log().Info("external sign-in", "provider", string(id.Provider), "user_id", out.User.ID, "action", string(out.Decision.Action),
		"role", string(out.User.Role), "role_from", out.Decision.RoleFrom)
	return &Started{User: out.User, ID: sid, Expires: expires}, nil
}

// ProviderStatus is an external provider's state for the settings page.
type ProviderStatus struct {
	Enabled   bool   `json:"enabled"`
	Connected bool   `json:"connected"`
	Error     string `json:"error,omitempty"`
}

// ProviderStatuses checks each enabled provider (discovery reachable, the
// service bind works), each within timeout.
func (s *SignIn) ProviderStatuses(ctx context.Context, timeout time.Duration) map[tc.AuthProvider]ProviderStatus {
	out := map[tc.AuthProvider]ProviderStatus{tc.ProviderLDAP: {}, tc.ProviderOIDC: {}}
	check := func(p tc.AuthProvider, fn func(context.Context) error) {
		cctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		st := ProviderStatus{Enabled: true, Connected: true}
		if err := fn(cctx); err != nil {
			st.Connected, st.Error = false, errorMessage(err)
		}
		out[p] = st
	}
	if s.LDAP != nil {
		check(tc.ProviderLDAP, s.LDAP.Check)
	}
	if s.OIDC != nil {
		check(tc.ProviderOIDC, s.OIDC.Check)
	}
	return out
}

// UpdateProvisioning changes provider p's provisioning settings as the
// caller in ctx, who must be the owner (tc.CanEditProviderSettings).
// Errors: EFORBIDDEN, EINVALID.
func (s *SignIn) UpdateProvisioning(ctx context.Context, p tc.AuthProvider, change func(*tc.Provisioning)) (tc.Provisioning, error) {
	c := tc.CallerFromContext(ctx)
	var actor *tc.User
	if c != nil {
		actor = c.User
	}
	if err := tc.CanEditProviderSettings(actor); err != nil {
		return tc.Provisioning{}, err
	}
	if !p.External() {
		return tc.Provisioning{}, tc.Errorf(tc.EINVALID, "No such identity provider: %q", p)
	}
	set, err := s.Settings.UpdateSettings(ctx, func(v *tc.Settings) {
		target := &v.OIDC
		if p == tc.ProviderLDAP {
			target = &v.LDAP
		}
		next := *target
		next.AllowedDomains = append([]string(nil), next.AllowedDomains...)
		next.GroupMappings = append([]tc.GroupMapping(nil), next.GroupMappings...)
		change(&next)
		next.Normalize()
		*target = next
	})
	if err != nil {
		return tc.Provisioning{}, err
	}
	return set.Provisioning(p), nil
}

// SettingsUpdater changes the instance settings (the store).
type SettingsUpdater interface {
	UpdateSettings(ctx context.Context, change func(*tc.Settings)) (tc.Settings, error)
}

func errorMessage(err error) string {
	if e, ok := errors.AsType[*tc.Error](err); ok {
		return e.Message
	}
	return "unreachable"
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
