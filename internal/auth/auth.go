// Package auth turns request credentials (an API token in an Authorization
// header, or a session cookie) into a *tc.Caller with effective permissions.
// It serves every listener, so the API, config serving and heartbeats share
// one set of rules and messages.
package auth

import (
	"context"
	"encoding/base64"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/metrics"
)

// Messages shared by every listener (tokens issue, "Authentication everywhere").
const (
	MsgMissing      = "Missing or invalid Authorization header"
	MsgBadFormat    = "Invalid token format"
	MsgInvalid      = "Invalid token"
	MsgExpired      = "Token expired"
	SessionCookie   = "tc_session"
	schemeBearer    = "bearer"
	schemeToken     = "token"
	schemeBasic     = "basic"
	maxHeaderValues = 8
)

// TokenSource is the store behind the token cache: it finds a token and its
// owner by the token's digest (errors: ENOTFOUND) and records when tokens
// were last used.
type TokenSource interface {
	TokenByHash(ctx context.Context, hash string) (*tc.Token, error)
	UserByID(ctx context.Context, id string) (*tc.User, error)
	TouchTokens(ctx context.Context, lastUsed map[string]time.Time) error
}

// Authenticator resolves credentials. Sessions is optional until sessions
// exist; Metrics is optional. An Authenticator must not be copied after first
// use: it holds the token cache (token.go) and the pending lastUsedAt writes
// (usage.go).
type Authenticator struct {
	Tokens   TokenSource
	Sessions SessionSource
	Now      func() time.Time
	Metrics  *metrics.Metrics

	once   sync.Once
	cache  tokenCache
	usage  usageRecorder
	counts lookupCounters
}

// SessionSource resolves a session cookie value to a caller. It returns
// (nil, nil) when the cookie names no live session.
type SessionSource interface {
	CallerBySession(ctx context.Context, sessionID string) (*tc.Caller, error)
}

// Authenticate returns the caller behind r, (nil, nil) when r carries no
// credentials at all, or an EUNAUTHORIZED error with one of the shared
// messages. When several Authorization headers are present (Telegraf sends
// two when a custom one is configured) a valid token in any of them wins.
func (a *Authenticator) Authenticate(r *http.Request) (*tc.Caller, error) {
	if len(r.Header.Values("Authorization")) > 0 {
		return a.AuthenticateHeader(r)
	}
	if a.Sessions != nil {
		if ck, err := r.Cookie(SessionCookie); err == nil && ck.Value != "" {
			return a.Sessions.CallerBySession(r.Context(), ck.Value)
		}
	}
	return nil, nil
}

// AuthenticateHeader is Authenticate by the Authorization header alone: the
// session cookie is never read. Listeners only agents call (heartbeats) use
// it, so a browser's ambient cookie cannot act there on a page's behalf.
func (a *Authenticator) AuthenticateHeader(r *http.Request) (*tc.Caller, error) {
	var firstErr error
	for i, v := range r.Header.Values("Authorization") {
		if i == maxHeaderValues {
			break
		}
		c, err := a.authenticateHeader(r.Context(), v)
		if err == nil {
			return c, nil
		}
		if firstErr == nil || tc.ErrorMessage(firstErr) == MsgMissing {
			firstErr = err
		}
	}
	return nil, firstErr
}

func (a *Authenticator) authenticateHeader(ctx context.Context, v string) (*tc.Caller, error) {
	scheme, cred, _ := strings.Cut(strings.TrimSpace(v), " ")
	cred = strings.TrimSpace(cred)
	switch {
	case strings.EqualFold(scheme, schemeBearer), strings.EqualFold(scheme, schemeToken):
	case strings.EqualFold(scheme, schemeBasic):
		// A config URL with userinfo makes Go send Basic; accept the token as
		// the password (or the username) so such URLs work too. Basic that
		// carries no token (a username and password) is no credential of
		// ours: the same answer as any other scheme.
		raw, err := base64.StdEncoding.DecodeString(cred)
		if err != nil {
			return nil, unauthorized(MsgMissing)
		}
		user, pass, _ := strings.Cut(string(raw), ":")
		switch {
		case strings.HasPrefix(pass, tc.TokenPrefix):
			cred = pass
		case strings.HasPrefix(user, tc.TokenPrefix):
			cred = user
		default:
			return nil, unauthorized(MsgMissing)
		}
	default:
		return nil, unauthorized(MsgMissing)
	}
	if cred == "" {
		return nil, unauthorized(MsgMissing)
	}
	return a.AuthenticateToken(ctx, cred)
}

func (a *Authenticator) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

func unauthorized(msg string) error { return &tc.Error{Code: tc.EUNAUTHORIZED, Message: msg} }

// Forbidden is the error for a caller lacking p.
func Forbidden(p tc.Permission) error {
	return tc.Errorf(tc.EFORBIDDEN, "Insufficient permissions: %s required", p)
}
