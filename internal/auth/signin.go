package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/httpx"
)

// MsgBadLogin is the one answer to a wrong username, email or password.
const MsgBadLogin = "Invalid username or password"

// msgSetupDone refuses a second owner.
const msgSetupDone = "Setup is already complete; sign in instead"

// SignInStore is what signing in needs from storage (the store implements
// it): accounts by login name, the failure count behind the lockout,
// sessions and the settings that set the lockout and password rules.
type SignInStore interface {
	FailureStore
	Settings() tc.Settings
	HasOwner(ctx context.Context) (bool, error)
	UserByLogin(ctx context.Context, login string) (*tc.User, error)
	CreateOwner(ctx context.Context, u *tc.User) error
	CreateSession(ctx context.Context, userID, idHash string, expires time.Time, replaceHash, newPasswordHash string) (*tc.Session, error)
	DeleteSession(ctx context.Context, idHash string) error
	UserByID(ctx context.Context, id string) (*tc.User, error)
	SetPassword(ctx context.Context, userID, hash, keepSession string) error
	InviteByToken(ctx context.Context, tokenHash string) (*tc.Invite, error)
	AcceptInvite(ctx context.Context, tokenHash, passwordHash, idHash string, sessionExpires time.Time) (*tc.User, error)
	PasswordResetByToken(ctx context.Context, tokenHash string) (*tc.PasswordReset, *tc.User, error)
	UsePasswordReset(ctx context.Context, tokenHash, passwordHash string) (string, error)
	// AppendAudit records a refused sign-in and a lockout (the audit log;
	// a successful sign-in is recorded with its session).
	AppendAudit(ctx context.Context, entries ...tc.AuditEntry) error
}

// SignIn holds the sign-in rules every adapter shares (the JSON API and the
// UI's no-JavaScript form): the per-address limiter, the account lockout
// (PasswordGuard), a disabled account answered as a wrong password, unknown
// names locked as real ones would be, the rehash of an old password hash,
// the first owner's creation, and session start and end. It returns domain
// types and errors; adapters set the cookie (Sessions.SetCookie).
type SignIn struct {
	Store     SignInStore
	Passwords *Hasher
	Sessions  *Sessions
	Limiter   *LoginLimiter
	Now       func() time.Time
	Logger    *slog.Logger
	// TrustedProxies are the peers whose X-Forwarded-For names the client
	// (the limiter counts failures by client address).
	TrustedProxies []netip.Prefix
	// External providers (nil: off), where their sign-ins are stored, and
	// where the owner's provisioning changes go (sso.go).
	LDAP     Directory
	OIDC     OIDCProvider
	External ExternalStore
	Settings SettingsUpdater
	// LocalDisabled turns local sign-in and setup off
	// (AUTH_LOCAL_ENABLED=false).
	LocalDisabled bool
}

// Credentials are a sign-in or setup form: a username (or an email in
// either field) and a password.
type Credentials struct {
	Username string `json:"username"`
	Email    string `json:"email"`
	Password string `json:"password"`
}

// Origin is where a sign-in comes from: the client address the limiter
// counts by, and the session id the browser already holds (replaced by the
// new session, so a planted session id never becomes a signed-in one).
type Origin struct {
	Addr       string
	OldSession string
}

// From returns r's origin.
func (s *SignIn) From(r *http.Request) Origin {
	o := Origin{Addr: httpx.ClientIP(r, s.TrustedProxies)}
	if ck, err := r.Cookie(SessionCookie); err == nil && len(ck.Value) <= 128 {
		o.OldSession = ck.Value
	}
	return o
}

// Started is a session just started: its id goes into the cookie
// (Sessions.SetCookie) and is never stored.
type Started struct {
	User    *tc.User
	ID      string
	Expires time.Time
}

// Identity describes a signed-in caller: user, role, effective permissions
// and how they authenticated ("session" or "token"). Fields are in the
// order of their JSON names.
type Identity struct {
	AuthMethod  string          `json:"authMethod"`
	Permissions []tc.Permission `json:"permissions"`
	Role        tc.Role         `json:"role"`
	User        *tc.User        `json:"user"`
}

// SessionIdentity is the identity of u signed in with a session.
func SessionIdentity(u *tc.User) Identity {
	return Identity{AuthMethod: "session", Permissions: tc.NewPermissionSet(tc.RolePermissions(u.Role)...).List(), Role: u.Role, User: u}
}

// Identity is the identity of the user who just signed in.
func (st *Started) Identity() Identity { return SessionIdentity(st.User) }

// Status is what the sign-in page needs before anyone signs in.
type Status struct {
	SetupRequired      bool
	Providers          []string // "local" (unless off), "ldap", "oidc": the enabled ones
	PasswordComplexity tc.PasswordComplexity
	OIDCDisplayName    string // the OIDC button's "Sign in with ..." name
}

// RetryError is a refusal to try again after After (the limiter's; HTTP
// adapters send it as Retry-After). It unwraps to its *tc.Error.
type RetryError struct {
	Err   *tc.Error
	After time.Duration
}

func (e *RetryError) Error() string { return e.Err.Error() }
func (e *RetryError) Unwrap() error { return e.Err }

// RetryAfter returns the wait of a *RetryError in err's chain.
func RetryAfter(err error) (time.Duration, bool) {
	if e, ok := errors.AsType[*RetryError](err); ok {
		return e.After, true
	}
	return 0, false
}

func (s *SignIn) log() *slog.Logger {
	if s.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Logger
}

// Status reports whether setup is still to be done, the sign-in providers
// and the password rule.
func (s *SignIn) Status(ctx context.Context) (Status, error) {
	has, err := s.Store.HasOwner(ctx)
	if err != nil {
		return Status{}, err
	}
	st := Status{SetupRequired: !has, Providers: []string{}, PasswordComplexity: s.Store.Settings().PasswordComplexity}
	if s.LocalEnabled() {
		st.Providers = append(st.Providers, string(tc.ProviderLocal))
	}
	if s.LDAP != nil {
		st.Providers = append(st.Providers, string(tc.ProviderLDAP))
	}
	if s.OIDC != nil {
		st.Providers = append(st.Providers, string(tc.ProviderOIDC))
		st.OIDCDisplayName = s.OIDC.DisplayName()
		if name := s.Store.Settings().OIDC.DisplayName; name != "" {
			st.OIDCDisplayName = name
		}
	}
	return st, nil
}

// Setup creates the owner once, then signs them in.
// Errors: EINVALID, ECONFLICT once an owner exists.
func (s *SignIn) Setup(ctx context.Context, in Credentials, from Origin) (*Started, error) {
	if !s.LocalEnabled() {
		return nil, tc.Errorf(tc.EFORBIDDEN, msgLocalOff)
	}
	if has, err := s.Store.HasOwner(ctx); err != nil {
		return nil, err
	} else if has {
		return nil, tc.Errorf(tc.ECONFLICT, msgSetupDone)
	}
	if err := s.ValidateNewAccount(in.Username, in.Email, in.Password, "password"); err != nil {
		return nil, err
	}
	hash, err := s.Passwords.Hash(in.Password)
	if err != nil {
		return nil, err
	}
	u := &tc.User{Username: in.Username, Email: in.Email, Role: tc.RoleOwner, PasswordHash: hash}
	if err := s.Store.CreateOwner(ctx, u); err != nil {
		if fe, ok := errors.AsType[*tc.Error](err); ok && fe.Code == tc.ECONFLICT && fe.Field == "" {
			err = tc.Errorf(tc.ECONFLICT, msgSetupDone)
		}
		return nil, err
	}
	s.log().Info("owner account created through setup", "user_id", u.ID, "username", u.Username)
	return s.start(ctx, u, from, "")
}

// ValidateNewAccount validates a username, email and password (field names
// the password field in errors). Errors: EINVALID.
func (s *SignIn) ValidateNewAccount(username, email, password, field string) error {
	if err := tc.ValidateUsername(username); err != nil {
		return err
	}
	if err := tc.ValidateEmail(email); err != nil {
		return err
	}
	return s.Store.Settings().PasswordComplexity.ValidatePassword(field, password)
}

// Login signs in with a username or email and a password. Failures never
// say whether the account exists: unknown names cost the same hashing time,
// and are "locked" after as many failures as a real account would be; a
// disabled account gets the answer of a wrong password (PasswordGuard).
// A hash made at a lower cost is replaced with the session's start.
// Errors: EINVALID, EUNAUTHORIZED, ETOOMANYREQUESTS (a *RetryError).
func (s *SignIn) Login(ctx context.Context, in Credentials, from Origin) (*Started, error) {
	st, err := s.login(ctx, in, from)
	if err != nil {
		s.recordFailure(ctx, in, err)
	}
	return st, err
}

// recordFailure writes a refused sign-in to the audit log: the login name
// tried (never the password) and the reason's class.
func (s *SignIn) recordFailure(ctx context.Context, in Credentials, err error) {
	reason := "bad_credentials"
	switch {
	case tc.ErrorCode(err) == tc.EINVALID:
		reason = "incomplete"
	case tc.ErrorCode(err) == tc.ETOOMANYREQUESTS:
		reason = "rate_limited"
	case errors.Is(err, errLocalOff):
		reason = "local_disabled"
	case tc.ErrorCode(err) == tc.EFORBIDDEN || errors.Is(err, errLocked):
		reason = "locked"
	case tc.ErrorCode(err) != tc.EUNAUTHORIZED:
		reason = "error"
	}
	login := in.Username
	if login == "" {
		login = in.Email
	}
	s.recordRefusal(ctx, "", login, reason)
}

// recordRefusal writes a refused sign-in to the audit log: the provider
// (empty for a local password), the login name tried, never the
// password, and the reason's class.
func (s *SignIn) recordRefusal(ctx context.Context, p tc.AuthProvider, login, reason string) {
	d := map[string]string{"reason": reason}
	if p != "" {
		d["provider"] = string(p)
	}
	details, _ := json.Marshal(d)
	e := tc.AuditEntry{Action: tc.ActionLogin, Outcome: tc.OutcomeFailure, TargetType: string(tc.EntityUser),
		TargetName: truncate(login, 256), Details: details}
	if err := s.Store.AppendAudit(context.WithoutCancel(ctx), e); err != nil {
		s.log().Error("audit: cannot record a refused sign-in", "error", err)
	}
}

// allowAddress refuses, with a *RetryError, a client address that failed
// too often lately; what names the attempts ("sign-in", "password").
func (s *SignIn) allowAddress(addr, what string) error {
	if ok, wait := s.Limiter.Allow(addr); !ok {
		return &RetryError{After: wait,
			Err: tc.Errorf(tc.ETOOMANYREQUESTS, "Too many failed %s attempts from your address; try again in %s", what, FormatWait(wait))}
	}
	return nil
}

func (s *SignIn) login(ctx context.Context, in Credentials, from Origin) (*Started, error) {
	if !s.LocalEnabled() {
		return nil, errLocalOff
	}
	login := in.Username
	if login == "" {
		login = in.Email
	}
	if login == "" {
		return nil, tc.FieldErrorf("username", "Username or email is required")
	}
	if in.Password == "" {
		return nil, tc.FieldErrorf("password", "Password is required")
	}
	if err := s.allowAddress(from.Addr, "sign-in"); err != nil {
		return nil, err
	}
	set := s.Store.Settings()
	lockFor := time.Duration(set.LoginLockoutMinutes) * time.Minute
	now := s.Now()
	u, err := s.Store.UserByLogin(ctx, login)
	if tc.ErrorCode(err) == tc.ENOTFOUND {
		s.Passwords.Spend(in.Password)
		s.Limiter.Failed(from.Addr)
		if until, locked := s.Limiter.GhostLocked(login); locked {
			return nil, lockedError(until.Sub(now))
		}
		if until, locked := s.Limiter.GhostFailed(login, set.LoginLockoutAttempts, lockFor); locked {
			return nil, lockedError(until.Sub(now))
		}
		return nil, tc.Errorf(tc.EUNAUTHORIZED, MsgBadLogin)
	} else if err != nil {
		return nil, err
	}
	if tc.CanHaveLocalPassword(u) != nil {
		// An account of a directory or identity provider never signs in
		// with a password kept here: the answer and the time spent are a
		// wrong password's.
		s.Passwords.Spend(in.Password)
		s.Limiter.Failed(from.Addr)
		return nil, tc.Errorf(tc.EUNAUTHORIZED, MsgBadLogin)
	}
	rehash, err := s.Guard().Verify(ctx, u, in.Password, from.Addr, set)
	if locked, ok := errors.AsType[*LockedError](err); ok {
		if locked.New {
			s.log().Warn("account locked after failed sign-ins", "user_id", u.ID, "minutes", set.LoginLockoutMinutes, "client", from.Addr)
			details, _ := json.Marshal(map[string]any{"minutes": set.LoginLockoutMinutes})
			if err := s.Store.AppendAudit(context.WithoutCancel(ctx), tc.AuditEntry{Action: tc.ActionLockout, Outcome: tc.OutcomeSuccess,
				TargetType: string(tc.EntityUser), TargetID: u.ID, TargetName: u.Username, Details: details}); err != nil {
				s.log().Error("audit: cannot record a lockout", "error", err)
			}
		}
		return nil, lockedError(locked.Until.Sub(now))
	} else if errors.Is(err, ErrWrongPassword) {
		return nil, tc.Errorf(tc.EUNAUTHORIZED, MsgBadLogin)
	} else if err != nil {
		return nil, err
	}
	newHash := ""
	if rehash {
		if newHash, err = s.Passwords.Hash(in.Password); err != nil {
			return nil, err
		}
	}
	return s.start(ctx, u, from, newHash)
}

// Guard checks passwords of known users under the sign-in rules (lockout
// and per-address limiter): sign-in and password change share it.
func (s *SignIn) Guard() *PasswordGuard {
	return &PasswordGuard{Passwords: s.Passwords, Limiter: s.Limiter, Failures: s.Store, Now: s.Now}
}

// start creates a session for u, replacing the one the browser already
// holds. newPasswordHash, when set, replaces the stored hash (rehash at
// higher cost) in the same transaction.
func (s *SignIn) start(ctx context.Context, u *tc.User, from Origin, newPasswordHash string) (*Started, error) {
	old := ""
	if from.OldSession != "" {
		old = tc.HashSecret(from.OldSession)
	}
	id, hash := NewSessionID()
	expires := s.Sessions.Expiry(s.Now())
	// The session's start is the user's own act (the audit log's
	// user.login names them).
	ctx = tc.NewContextWithCaller(ctx, &tc.Caller{User: u})
	if _, err := s.Store.CreateSession(ctx, u.ID, hash, expires, old, newPasswordHash); err != nil {
		return nil, err
	}
	return &Started{User: u, ID: id, Expires: expires}, nil
}

// Logout ends the session of the caller in ctx; a token caller, or none,
// has no session to end.
func (s *SignIn) Logout(ctx context.Context) error {
	c := tc.CallerFromContext(ctx)
	if c == nil || c.SessionHash == "" {
		return nil
	}
	return s.Store.DeleteSession(ctx, c.SessionHash)
}

// Me describes the caller in ctx. Errors: EUNAUTHORIZED.
func (s *SignIn) Me(ctx context.Context) (Identity, error) {
	c := tc.CallerFromContext(ctx)
	if c == nil || c.User == nil {
		return Identity{}, unauthorized(MsgMissing)
	}
	method := "session"
	if c.Token != nil {
		method = "token"
	}
	return Identity{AuthMethod: method, Permissions: c.Permissions.List(), Role: c.User.Role, User: c.User}, nil
}

// PasswordChange is a signed-in person's request to change their password.
type PasswordChange struct {
	CurrentPassword string `json:"currentPassword"`
	NewPassword     string `json:"newPassword"`
}

// ChangePassword sets the caller's new password when the current one is
// right; it ends the user's other sessions. A wrong current password is a
// failed sign-in: it counts toward the account lockout and the per-address
// limiter (Guard), and a locked account cannot change its password: 429,
// not 401, for the session stays valid and only password checks wait.
// Errors: EUNAUTHORIZED, EINVALID, ETOOMANYREQUESTS (a *RetryError).
func (s *SignIn) ChangePassword(ctx context.Context, in PasswordChange, from Origin) error {
	c := tc.CallerFromContext(ctx)
	if c == nil || c.User == nil {
		return unauthorized(MsgMissing)
	}
	if in.CurrentPassword == "" {
		return tc.FieldErrorf("currentPassword", "Current password is required")
	}
	if err := s.allowAddress(from.Addr, "password"); err != nil {
		return err
	}
	u, err := s.Store.UserByID(ctx, c.User.ID)
	if err != nil {
		return err
	}
	set := s.Store.Settings()
	_, err = s.Guard().Verify(ctx, u, in.CurrentPassword, from.Addr, set)
	if locked, ok := errors.AsType[*LockedError](err); ok {
		if locked.New {
			s.log().Warn("account locked after failed password changes", "user_id", u.ID, "minutes", set.LoginLockoutMinutes, "client", from.Addr)
		}
		left := locked.Until.Sub(s.Now())
		return &RetryError{After: left,
			Err: tc.Errorf(tc.ETOOMANYREQUESTS, "Too many failed password attempts; this account is locked for %s", FormatWait(left))}
	} else if errors.Is(err, ErrWrongPassword) {
		return tc.FieldErrorf("currentPassword", "Current password is incorrect")
	} else if err != nil {
		return err
	}
	if err := s.Store.Settings().PasswordComplexity.ValidatePassword("newPassword", in.NewPassword); err != nil {
		return err
	}
	hash, err := s.Passwords.Hash(in.NewPassword)
	if err != nil {
		return err
	}
	return s.Store.SetPassword(ctx, u.ID, hash, c.SessionHash)
}

// AcceptInvite creates the account an invite link (its secret) is for,
// with password, and signs it in. Errors: ENOTFOUND, EGONE (also when the
// invite's creator may no longer grant its role), EINVALID, ECONFLICT.
func (s *SignIn) AcceptInvite(ctx context.Context, secret, password string) (*Started, error) {
	hash := tc.HashSecret(secret)
	if inv, err := s.Store.InviteByToken(ctx, hash); err != nil {
		return nil, err
	} else if inv.AuthProvider.External() {
		return nil, tc.Errorf(tc.EINVALID, "This invite is for signing in through %s: use that option on the sign-in page", strings.ToUpper(string(inv.AuthProvider)))
	}
	if err := s.Store.Settings().PasswordComplexity.ValidatePassword("password", password); err != nil {
		return nil, err
	}
	pwHash, err := s.Passwords.Hash(password)
	if err != nil {
		return nil, err
	}
	id, idHash := NewSessionID()
	expires := s.Sessions.Expiry(s.Now())
	u, err := s.Store.AcceptInvite(ctx, hash, pwHash, idHash, expires)
	if err != nil {
		return nil, err
	}
	s.log().Info("invite accepted", "user_id", u.ID, "role", string(u.Role))
	return &Started{User: u, ID: id, Expires: expires}, nil
}

// UsePasswordReset sets the password of the user a reset link (its secret)
// is for, clears any lockout and ends every session of the user; it does
// not sign them in. Errors: ENOTFOUND, EGONE (also when the link's creator
// may no longer reset that password), EINVALID.
func (s *SignIn) UsePasswordReset(ctx context.Context, secret, password string) error {
	hash := tc.HashSecret(secret)
	if _, _, err := s.Store.PasswordResetByToken(ctx, hash); err != nil {
		return err
	}
	if err := s.Store.Settings().PasswordComplexity.ValidatePassword("password", password); err != nil {
		return err
	}
	pwHash, err := s.Passwords.Hash(password)
	if err != nil {
		return err
	}
	userID, err := s.Store.UsePasswordReset(ctx, hash, pwHash)
	if err != nil {
		return err
	}
	s.log().Info("password reset completed", "user_id", userID)
	return nil
}

func lockedError(left time.Duration) error {
	return &lockedRefusal{err: tc.Errorf(tc.EUNAUTHORIZED, "Too many failed sign-in attempts; this account is locked for %s", FormatWait(left))}
}

// lockedRefusal is a sign-in refused because the account is locked: an
// EUNAUTHORIZED to the client, errLocked to the audit log.
type lockedRefusal struct{ err *tc.Error }

var errLocked = errors.New("account locked")

func (e *lockedRefusal) Error() string   { return e.err.Error() }
func (e *lockedRefusal) Unwrap() []error { return []error{e.err, errLocked} }

// FormatWait renders a wait as whole minutes (or seconds under a minute),
// rounded up.
func FormatWait(d time.Duration) string {
	if d < time.Minute {
		n := max(1, int(math.Ceil(d.Seconds())))
		return plural(n, "second")
	}
	return plural(int(math.Ceil(d.Minutes())), "minute")
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}

// RetryAfterSeconds is a wait as the Retry-After header's whole seconds.
func RetryAfterSeconds(d time.Duration) int { return int(math.Ceil(d.Seconds())) }
