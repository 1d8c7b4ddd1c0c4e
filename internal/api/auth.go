package api

import (
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/auth"
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
	WriteJSON(w, http.StatusOK, map[string]any{"setupRequired": !has, "providers": []string{"local"}, "version": s.Version,
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
	WriteJSON(w, http.StatusCreated, s.meBody(u, tc.NewPermissionSet(tc.RolePermissions(u.Role)...), "session"))
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
	WriteJSON(w, http.StatusOK, s.meBody(u, tc.NewPermissionSet(tc.RolePermissions(u.Role)...), "session"))
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
	WriteJSON(w, http.StatusOK, s.meBody(c.User, c.Permissions, method))
}

func (s *Server) meBody(u *tc.User, perms tc.PermissionSet, method string) map[string]any {
	return map[string]any{"user": u, "role": u.Role, "permissions": perms.List(), "authMethod": method}
}

// ClientIP is the client's address: the TCP peer's, or, when the peer is
// one of the trusted proxies, the nearest X-Forwarded-For hop that is not
// (the header is ignored otherwise: any client can send one). Proxies
// append the address they received from, so only the hops from the right
// up to the first untrusted one were written by trusted proxies; everything
// left of it is the client's to choose. Several header lines count as one
// list, in order. All hops trusted: the leftmost. A hop that is not an
// address (with or without a port) ends the walk at the last good one,
// which is a trusted proxy: such clients share its address rather than
// choose their own. Both listeners use it: for an agent's recorded IP and
// for the sign-in limiter's buckets.
func ClientIP(r *http.Request, trusted []netip.Prefix) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if len(trusted) == 0 {
		return host
	}
	peer, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	peer = peer.Unmap()
	if !inPrefixes(trusted, peer) {
		return host
	}
	client := peer
	lines := r.Header.Values("X-Forwarded-For")
	for i := len(lines) - 1; i >= 0; i-- {
		for rest := lines[i]; ; {
			hop := rest
			j := strings.LastIndexByte(rest, ',')
			if j >= 0 {
				hop, rest = rest[j+1:], rest[:j]
			}
			hop = strings.TrimSpace(hop)
			// An empty line or ", ," adds no hop (Header.Values keeps them).
			if hop != "" {
				a, ok := forwardedAddr(hop)
				if !ok {
					return client.String()
				}
				client = a
				if !inPrefixes(trusted, a) {
					return a.String()
				}
			}
			if j < 0 {
				break
			}
		}
	}
	return client.String()
}

func inPrefixes(ps []netip.Prefix, a netip.Addr) bool {
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// forwardedAddr parses one X-Forwarded-For hop: an address, IPv4 with a
// port, or a bracketed IPv6 address with or without a port (some proxies
// append the port).
func forwardedAddr(hop string) (netip.Addr, bool) {
	a, err := netip.ParseAddr(hop)
	if err != nil {
		ap, perr := netip.ParseAddrPort(hop)
		if perr != nil {
			if len(hop) < 2 || hop[0] != '[' || hop[len(hop)-1] != ']' {
				return netip.Addr{}, false
			}
			if a, err = netip.ParseAddr(hop[1 : len(hop)-1]); err != nil {
				return netip.Addr{}, false
			}
		} else {
			a = ap.Addr()
		}
	}
	return a.Unmap().WithZone(""), true
}

// clientAddr is the address the sign-in limiter counts failures by.
func (s *Server) clientAddr(r *http.Request) string {
	return ClientIP(r, s.TrustedProxies)
}

// caller returns the authenticated caller or an EUNAUTHORIZED error.
func caller(r *http.Request) (*tc.Caller, error) {
	c := tc.CallerFromContext(r.Context())
	if c == nil || c.User == nil {
		return nil, errors.New("no caller on a signed-in route")
	}
	return c, nil
}
