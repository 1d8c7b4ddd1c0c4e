package api

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/auth"
	"github.com/telegrafcontroller/tc/internal/httpx"
)

// msgBadLogin is the one answer to a wrong username, email or password.
const msgBadLogin = "Invalid username or password"

// authStatus is public: what the sign-in page needs before anyone signs in.
func (s *Server) authStatus(w http.ResponseWriter, r *http.Request) {
	has, err := s.Store.HasOwner(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"setupRequired": !has, "providers": []string{"local"}, "version": s.Version,
		"passwordComplexity": s.Store.Settings().PasswordComplexity})
}

type credentialsInput struct {
	Username string `json:"username"`
	Email    string `json:"email"`
	Password string `json:"password"`
}

// setup creates the owner once, then signs them in. Later calls: 409.
func (s *Server) setup(w http.ResponseWriter, r *http.Request) {
	var in credentialsInput
	if err := s.decode(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	if has, err := s.Store.HasOwner(r.Context()); err != nil {
		s.fail(w, r, err)
		return
	} else if has {
		s.fail(w, r, tc.Errorf(tc.ECONFLICT, "Setup is already complete; sign in instead"))
		return
	}
	if err := s.checkNewAccount(in.Username, in.Email, in.Password, "password"); err != nil {
		s.fail(w, r, err)
		return
	}
	hash, err := s.Passwords.Hash(in.Password)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	u := &tc.User{Username: in.Username, Email: in.Email, Role: tc.RoleOwner, PasswordHash: hash}
	if err := s.Store.CreateOwner(r.Context(), u); err != nil {
		if fe, ok := errors.AsType[*tc.Error](err); ok && fe.Code == tc.ECONFLICT && fe.Field == "" {
			err = tc.Errorf(tc.ECONFLICT, "Setup is already complete; sign in instead")
		}
		s.fail(w, r, err)
		return
	}
	s.Logger.Info("owner account created through setup", "user_id", u.ID, "username", u.Username)
	if err := s.startSession(w, r, u, ""); err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusCreated, s.meBody(u, tc.NewPermissionSet(tc.RolePermissions(u.Role)...), "session"))
}

// checkNewAccount validates a username, email and password (field names
// the password field in errors).
func (s *Server) checkNewAccount(username, email, password, field string) error {
	if err := tc.ValidateUsername(username); err != nil {
		return err
	}
	if err := tc.ValidateEmail(email); err != nil {
		return err
	}
	return s.Store.Settings().PasswordComplexity.CheckPassword(field, password)
}

// login signs in with a username or email and a password. Failures never
// say whether the account exists: unknown names cost the same hashing time,
// and are "locked" after as many failures as a real account would be.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	var in credentialsInput
	if err := s.decode(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	if in.Username == "" {
		in.Username = in.Email
	}
	if in.Username == "" {
		s.fail(w, r, tc.FieldErrorf("username", "Username or email is required"))
		return
	}
	if in.Password == "" {
		s.fail(w, r, tc.FieldErrorf("password", "Password is required"))
		return
	}
	addr := s.clientAddr(r)
	if ok, wait := s.Limiter.Allow(addr); !ok {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
		s.fail(w, r, tc.Errorf(tc.ETOOMANYREQUESTS, "Too many failed sign-in attempts from your address; try again in %s", roundUp(wait)))
		return
	}
	set := s.Store.Settings()
	lockFor := time.Duration(set.LoginLockoutMinutes) * time.Minute
	now := s.Now()
	u, err := s.Store.UserByLogin(r.Context(), in.Username)
	if tc.ErrorCode(err) == tc.ENOTFOUND {
		s.Passwords.Spend(in.Password)
		s.Limiter.Failed(addr)
		if until, locked := s.Limiter.GhostLocked(in.Username); locked {
			s.fail(w, r, lockedError(until.Sub(now)))
			return
		}
		if until, locked := s.Limiter.GhostFailed(in.Username, set.LoginLockoutAttempts, lockFor); locked {
			s.fail(w, r, lockedError(until.Sub(now)))
			return
		}
		s.fail(w, r, tc.Errorf(tc.EUNAUTHORIZED, msgBadLogin))
		return
	} else if err != nil {
		s.fail(w, r, err)
		return
	}
	// A disabled account gets the answer of a wrong password (Verify).
	rehash, err := s.passwordGuard().Verify(r.Context(), u, in.Password, addr, set)
	if locked, ok := errors.AsType[*auth.LockedError](err); ok {
		if locked.New {
			s.Logger.Warn("account locked after failed sign-ins", "user_id", u.ID, "minutes", set.LoginLockoutMinutes, "client", addr)
		}
		s.fail(w, r, lockedError(locked.Until.Sub(now)))
		return
	} else if errors.Is(err, auth.ErrWrongPassword) {
		s.fail(w, r, tc.Errorf(tc.EUNAUTHORIZED, msgBadLogin))
		return
	} else if err != nil {
		s.fail(w, r, err)
		return
	}
	newHash := ""
	if rehash {
		if newHash, err = s.Passwords.Hash(in.Password); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	if err := s.startSession(w, r, u, newHash); err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, s.meBody(u, tc.NewPermissionSet(tc.RolePermissions(u.Role)...), "session"))
}

// passwordGuard checks passwords of known users under the sign-in rules
// (lockout and per-address limiter): sign-in and password change share it.
func (s *Server) passwordGuard() *auth.PasswordGuard {
	return &auth.PasswordGuard{Passwords: s.Passwords, Limiter: s.Limiter, Failures: s.Store, Now: s.Now}
}

func lockedError(left time.Duration) error {
	return tc.Errorf(tc.EUNAUTHORIZED, "Too many failed sign-in attempts; this account is locked for %s", roundUp(left))
}

// roundUp renders a wait as whole minutes (or seconds under a minute).
func roundUp(d time.Duration) string {
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

// startSession creates a session for u (rotating any session the browser
// already holds) and sets its cookie. newPasswordHash, when set, replaces
// the stored hash (rehash at higher cost).
func (s *Server) startSession(w http.ResponseWriter, r *http.Request, u *tc.User, newPasswordHash string) error {
	old := ""
	if ck, err := r.Cookie(auth.SessionCookie); err == nil && ck.Value != "" && len(ck.Value) <= 128 {
		old = tc.HashSecret(ck.Value)
	}
	id, hash := auth.NewSessionID()
	expires := s.Sessions.Expiry(s.Now())
	if _, err := s.Store.CreateSession(r.Context(), u.ID, hash, expires, old, newPasswordHash); err != nil {
		return err
	}
	s.Sessions.SetCookie(w, id, expires)
	return nil
}

// logout ends the caller's session (a token caller has none: 204 anyway).
func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	c := tc.CallerFromContext(r.Context())
	if c != nil && c.SessionHash != "" {
		if err := s.Store.DeleteSession(r.Context(), c.SessionHash); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	s.Sessions.ClearCookie(w)
	w.WriteHeader(http.StatusNoContent)
}

// me describes the caller: user, role, effective permissions and how they
// authenticated.
func (s *Server) me(w http.ResponseWriter, r *http.Request) {
	c := tc.CallerFromContext(r.Context())
	method := "session"
	if c.Token != nil {
		method = "token"
	}
	httpx.WriteJSON(w, http.StatusOK, s.meBody(c.User, c.Permissions, method))
}

func (s *Server) meBody(u *tc.User, perms tc.PermissionSet, method string) map[string]any {
	return map[string]any{"user": u, "role": u.Role, "permissions": perms.List(), "authMethod": method}
}

// clientAddr is the address the sign-in limiter counts failures by.
func (s *Server) clientAddr(r *http.Request) string {
	return httpx.ClientIP(r, s.TrustedProxies)
}

// caller returns the authenticated caller or an EUNAUTHORIZED error.
func caller(r *http.Request) (*tc.Caller, error) {
	c := tc.CallerFromContext(r.Context())
	if c == nil || c.User == nil {
		return nil, errors.New("no caller on a signed-in route")
	}
	return c, nil
}
