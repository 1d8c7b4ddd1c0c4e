package auth

import (
	"context"
	"net/http"
	"time"

	"github.com/telegrafcontroller/tc"
)

// Session defaults (overridable with --session-idle-timeout and
// --session-lifetime).
const (
	DefaultSessionIdle     = 24 * time.Hour
	DefaultSessionLifetime = 7 * 24 * time.Hour
	// sessionTouchEvery bounds last_seen writes: one per session per minute.
	sessionTouchEvery = time.Minute
	sessionIDBytes    = 32 // 256 bits
)

// SessionStore is what sessions need from storage.
type SessionStore interface {
	SessionWithUser(ctx context.Context, idHash string) (*tc.Session, *tc.User, error)
	TouchSession(ctx context.Context, idHash string, at time.Time) error
	DeleteSession(ctx context.Context, idHash string) error
}

// Sessions resolves session cookies to callers and issues cookies. Session
// ids are 256-bit random values; only tc.HashSecret(id) is stored.
type Sessions struct {
	Store    SessionStore
	Now      func() time.Time
	Idle     time.Duration // a session unused this long ends
	Lifetime time.Duration // a session ends this long after sign-in regardless
	Secure   bool          // set the cookie's Secure flag (the listener serves TLS)
}

// NewSessionID returns a fresh session id and its stored hash.
func NewSessionID() (id, hash string) {
	id = tc.NewSecret(sessionIDBytes)
	return id, tc.HashSecret(id)
}

// CallerBySession implements SessionSource: a live session's user with the
// permissions of their role. An unknown, idle or expired session, or one of
// a disabled user, is (nil, nil): the request is anonymous.
func (s *Sessions) CallerBySession(ctx context.Context, sessionID string) (*tc.Caller, error) {
	if len(sessionID) > 128 {
		return nil, nil
	}
	hash := tc.HashSecret(sessionID)
	sess, user, err := s.Store.SessionWithUser(ctx, hash)
	if tc.ErrorCode(err) == tc.ENOTFOUND {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	now := s.Now()
	if !now.Before(sess.ExpiresAt) || now.Sub(sess.LastSeenAt) >= s.Idle {
		s.Store.DeleteSession(ctx, hash)
		return nil, nil
	}
	if user.Disabled {
		return nil, nil
	}
	if now.Sub(sess.LastSeenAt) >= sessionTouchEvery {
		if err := s.Store.TouchSession(ctx, hash, now); err != nil {
			return nil, err
		}
	}
	return &tc.Caller{User: user, SessionHash: hash, Permissions: tc.NewPermissionSet(tc.RolePermissions(user.Role)...)}, nil
}

// Expiry is the absolute end of a session started now.
func (s *Sessions) Expiry(now time.Time) time.Time { return now.Add(s.Lifetime) }

// SetCookie writes the session cookie for id, ending at expires. It uses
// Max-Age (relative) rather than Expires, so a browser whose clock differs
// from the server's keeps the cookie for the right time. The API and the
// UI both set it here.
func (s *Sessions) SetCookie(w http.ResponseWriter, id string, expires time.Time) {
	http.SetCookie(w, s.cookie(id, max(1, int(expires.Sub(s.Now()).Seconds()))))
}

// ClearCookie removes the session cookie from the browser.
func (s *Sessions) ClearCookie(w http.ResponseWriter) {
	http.SetCookie(w, s.cookie("", -1))
}

// cookie is the one definition of the session cookie: its name, scope and
// flags (Secure when the listener serves TLS).
func (s *Sessions) cookie(value string, maxAge int) *http.Cookie {
	return &http.Cookie{
		Name: SessionCookie, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.Secure,
	}
}
