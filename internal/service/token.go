package service

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/auth"
	"github.com/telegrafcontroller/tc/internal/store"
)

// Limits of the token service.
const (
	MaxTokenExpiryDays = 3650
	MaxBulkTokenIDs    = 500
	MaxTokenSearch     = 200
)

// Tokens is the API-token service.
type Tokens struct {
	Store  *store.Store
	Now    func() time.Time
	Logger *slog.Logger
}

// tokenNotFound answers an id that names no token the caller may see.
var tokenNotFound = tc.Errorf(tc.ENOTFOUND, "token not found")

// PlausibleID reports whether s could be a stored id (token or user). Ids
// are generated UUIDs; anything with a NUL byte, invalid UTF-8 or far too
// long is answered without a query (PostgreSQL refuses NUL in text).
func PlausibleID(s string) bool {
	return s != "" && len(s) <= 64 && utf8.ValidString(s) && strings.IndexByte(s, 0) < 0
}

// signedIn returns the signed-in user's caller in ctx when they hold perm
// ("" for any signed-in user), and the owner id that scopes which tokens
// they see: "" for those who manage every user's tokens, their own id
// otherwise. Tokens and users are never open to an exempted caller.
// Errors: EUNAUTHORIZED, EFORBIDDEN.
func signedIn(ctx context.Context, perm tc.Permission) (*tc.Caller, string, error) {
	c, err := require(ctx, perm)
	if err != nil {
		return nil, "", err
	}
	if c.User == nil {
		return nil, "", tc.Errorf(tc.EUNAUTHORIZED, auth.MsgMissing)
	}
	if tc.ManagesAllTokens(c.User.Role) {
		return c, "", nil
	}
	return c, c.User.ID, nil
}

// requireAllTokens refuses callers who may manage only their own tokens.
func requireAllTokens(c *tc.Caller) error {
	if !tc.ManagesAllTokens(c.User.Role) {
		return tc.Errorf(tc.EFORBIDDEN, "Insufficient permissions: only the owner or an administrator can reassign tokens")
	}
	return nil
}

// Create validates req, narrows the requested permissions to what the caller
// holds (a role's set for a session, a token's effective set for a token, so
// no token can mint a stronger one), stores the token and returns it with
// its secret (shown this once) and the permissions it was denied.
// Errors: EUNAUTHORIZED, EINVALID.
func (s *Tokens) Create(ctx context.Context, req tc.TokenRequest) (tc.TokenInfo, string, []tc.Permission, error) {
	c, _, err := signedIn(ctx, tc.Perm(tc.ResTokens, tc.ActionWrite))
	if err != nil {
		return tc.TokenInfo{}, "", nil, err
	}
	t, denied, err := newToken(c, req, s.Now())
	if err != nil {
		return tc.TokenInfo{}, "", nil, err
	}
	secret := tc.NewTokenSecret()
	t.Hash, t.Last4 = tc.HashSecret(secret), tc.TokenLast4(secret)
	if err := s.Store.CreateToken(ctx, t); err != nil {
		return tc.TokenInfo{}, "", nil, err
	}
	u := c.User
	t.Owner = &tc.TokenOwner{ID: u.ID, Username: u.Username, Email: u.Email, Role: u.Role, Disabled: u.Disabled}
	return t.Info(s.Now()), secret, denied, nil
}

// newToken validates a creation request from c and returns the token to
// store with the permissions it was denied.
func newToken(c *tc.Caller, req tc.TokenRequest, now time.Time) (*tc.Token, []tc.Permission, error) {
	desc, err := tc.ValidateTokenDescription(req.Description)
	if err != nil {
		return nil, nil, err
	}
	t := &tc.Token{Description: desc, UserID: c.User.ID}
	var requested []tc.Permission
	switch {
	case req.Preset != "" && req.Permissions != nil:
		return nil, nil, tc.FieldErrorf("preset", "give either permissions or preset, not both")
	case req.Preset != "":
		p, err := tc.TokenPresetByName(req.Preset, c.Permissions)
		if err != nil {
			return nil, nil, err
		}
		t.Preset, requested = p.Name, p.Permissions
		if len(requested) == 0 {
			return nil, nil, tc.FieldErrorf("preset", "preset %s grants nothing you hold", p.Name)
		}
	case req.Permissions == nil:
		return nil, nil, tc.FieldErrorf("permissions", "permissions or preset is required")
	default:
		if requested, err = tc.ParsePermissions(req.Permissions); err != nil {
			return nil, nil, err
		}
		if len(requested) == 0 {
			return nil, nil, tc.FieldErrorf("permissions", "at least one permission is required")
		}
	}
	granted := make(tc.PermissionSet, len(requested))
	denied := []tc.Permission{}
	for _, p := range requested {
		if c.Can(p) {
			granted[p] = struct{}{}
		} else {
			denied = append(denied, p)
		}
	}
	if len(granted) == 0 {
		return nil, nil, tc.FieldErrorf("permissions", "none of the requested permissions is within your role (%s)", c.User.Role)
	}
	t.Permissions = granted.List()

	switch {
	case req.ExpiresAt != nil && req.ExpiresInDays != nil:
		return nil, nil, tc.FieldErrorf("expiresAt", "give either expiresAt or expiresInDays, not both")
	case req.ExpiresAt != nil:
		at, err := time.Parse(time.RFC3339, *req.ExpiresAt)
		if err != nil {
			return nil, nil, tc.FieldErrorf("expiresAt", "expiresAt must be an RFC 3339 time such as 2027-01-31T00:00:00Z")
		}
		if !at.After(now) {
			return nil, nil, tc.FieldErrorf("expiresAt", "expiresAt must be in the future")
		}
		at = at.UTC().Truncate(time.Millisecond)
		t.ExpiresAt = &at
	case req.ExpiresInDays != nil:
		n := *req.ExpiresInDays
		if n < 1 || n > MaxTokenExpiryDays {
			return nil, nil, tc.FieldErrorf("expiresInDays", "expiresInDays must be between 1 and %d", MaxTokenExpiryDays)
		}
		at := now.UTC().Truncate(time.Millisecond).AddDate(0, 0, n)
		t.ExpiresAt = &at
	}
	return t, denied, nil
}

// List returns the tokens the caller may see that match f: every user's for
// the owner and administrators, their own for anyone else (another user's
// id in f finds nothing). Errors: EUNAUTHORIZED, EINVALID.
func (s *Tokens) List(ctx context.Context, f store.TokenFilter) ([]tc.TokenInfo, error) {
	c, scope, err := signedIn(ctx, tc.Perm(tc.ResTokens, tc.ActionRead))
	if err != nil {
		return nil, err
	}
	f.Search = strings.TrimSpace(f.Search)
	if f.Status != "" && f.Status != tc.TokenActive && f.Status != tc.TokenRevoked {
		return nil, tc.FieldErrorf("status", "status must be active or revoked")
	}
	if len(f.Search) > MaxTokenSearch || !utf8.ValidString(f.Search) || strings.IndexByte(f.Search, 0) >= 0 {
		return nil, tc.FieldErrorf("search", "search must be UTF-8 text of at most %d bytes", MaxTokenSearch)
	}
	out := []tc.TokenInfo{}
	if f.UserID != "" && !PlausibleID(f.UserID) {
		return out, nil // no such user
	}
	if scope != "" && f.UserID != "" && f.UserID != c.User.ID {
		return out, nil // another user's tokens: none visible
	}
	if scope != "" {
		f.UserID = scope
	}
	tokens, err := s.Store.Tokens(ctx, f)
	if err != nil {
		return nil, err
	}
	now := s.Now()
	for _, t := range tokens {
		out = append(out, t.Info(now))
	}
	return out, nil
}

// Get returns one token the caller may see. Errors: EUNAUTHORIZED, ENOTFOUND.
func (s *Tokens) Get(ctx context.Context, id string) (tc.TokenInfo, error) {
	_, scope, err := signedIn(ctx, tc.Perm(tc.ResTokens, tc.ActionRead))
	if err != nil {
		return tc.TokenInfo{}, err
	}
	if !PlausibleID(id) {
		return tc.TokenInfo{}, tokenNotFound
	}
	t, err := s.Store.TokenByID(ctx, id, scope)
	if err != nil {
		return tc.TokenInfo{}, err
	}
	return t.Info(s.Now()), nil
}

// Revoke stops a token for good. The owner and administrators may revoke
// anyone's (tc.ActRevokeToken); others only their own.
// Errors: EUNAUTHORIZED, ENOTFOUND, ECONFLICT when already revoked.
func (s *Tokens) Revoke(ctx context.Context, id string) (tc.TokenInfo, error) {
	_, scope, err := signedIn(ctx, tc.Perm(tc.ResTokens, tc.ActionWrite))
	if err != nil {
		return tc.TokenInfo{}, err
	}
	t, err := s.revoke(ctx, id, scope)
	if err != nil {
		return tc.TokenInfo{}, err
	}
	return t.Info(s.Now()), nil
}

func (s *Tokens) revoke(ctx context.Context, id, scope string) (*tc.Token, error) {
	if !PlausibleID(id) {
		return nil, tokenNotFound
	}
	return s.Store.RevokeToken(ctx, id, scope)
}

// Delete removes a token's record, under the rule of Revoke.
// Errors: EUNAUTHORIZED, ENOTFOUND.
func (s *Tokens) Delete(ctx context.Context, id string) error {
	_, scope, err := signedIn(ctx, tc.Perm(tc.ResTokens, tc.ActionDelete))
	if err != nil {
		return err
	}
	return s.delete(ctx, id, scope)
}

func (s *Tokens) delete(ctx context.Context, id, scope string) error {
	if !PlausibleID(id) {
		return tokenNotFound
	}
	return s.Store.DeleteToken(ctx, id, scope)
}

// Reassign moves a token to another user under tc.CanReassignToken.
// Errors: EUNAUTHORIZED, EFORBIDDEN, ENOTFOUND, EINVALID.
func (s *Tokens) Reassign(ctx context.Context, id, userID string) (tc.TokenInfo, error) {
	c, _, err := signedIn(ctx, tc.Perm(tc.ResTokens, tc.ActionWrite))
	if err != nil {
		return tc.TokenInfo{}, err
	}
	if err := requireAllTokens(c); err != nil {
		return tc.TokenInfo{}, err
	}
	if userID == "" {
		return tc.TokenInfo{}, tc.FieldErrorf("userId", "userId is required")
	}
	t, err := s.reassign(ctx, c, id, userID)
	if err != nil {
		return tc.TokenInfo{}, err
	}
	return t.Info(s.Now()), nil
}

func (s *Tokens) reassign(ctx context.Context, c *tc.Caller, id, userID string) (*tc.Token, error) {
	if !PlausibleID(id) {
		return nil, tokenNotFound
	}
	if !PlausibleID(userID) {
		return nil, tc.FieldErrorf("userId", "no user with id %q", userID)
	}
	return s.Store.ReassignToken(ctx, id, userID, func(t *tc.Token, from, to *tc.User) error {
		return tc.CanReassignToken(c, t.Permissions, from, to)
	})
}

// Bulk applies one action to many tokens, each in its own transaction, and
// reports per id. Who may do what is as for the single actions: delete needs
// tokens:delete, reassign the owner or administrator role, and a manager's
// ids of other users' tokens are reported not_found.
// Errors (for the whole request): EUNAUTHORIZED, EFORBIDDEN, EINVALID.
func (s *Tokens) Bulk(ctx context.Context, action string, ids []string, userID string) ([]tc.TokenBulkResult, error) {
	c, scope, err := signedIn(ctx, tc.Perm(tc.ResTokens, tc.ActionWrite))
	if err != nil {
		return nil, err
	}
	ids, err = s.checkBulk(ctx, c, action, ids, userID)
	if err != nil {
		return nil, err
	}
	results := make([]tc.TokenBulkResult, 0, len(ids))
	for _, id := range ids {
		var err error
		switch action {
		case tc.TokenBulkRevoke:
			_, err = s.revoke(ctx, id, scope)
		case tc.TokenBulkDelete:
			err = s.delete(ctx, id, scope)
		case tc.TokenBulkReassign:
			_, err = s.reassign(ctx, c, id, userID)
		}
		res := tc.TokenBulkResult{ID: id, OK: err == nil}
		if err != nil {
			res.Error, res.Message = tc.ErrorCode(err), tc.ErrorMessage(err)
			if res.Error == tc.EINTERNAL && s.Logger != nil {
				s.Logger.Error("bulk token action failed", "action", action, "token_id", id, "error", err)
			}
		}
		results = append(results, res)
	}
	return results, nil
}

// checkBulk validates a bulk request and returns its ids without duplicates.
func (s *Tokens) checkBulk(ctx context.Context, c *tc.Caller, action string, ids []string, userID string) ([]string, error) {
	switch action {
	case tc.TokenBulkRevoke, tc.TokenBulkDelete, tc.TokenBulkReassign:
	case "":
		return nil, tc.FieldErrorf("action", "action is required: revoke, delete or reassign")
	default:
		return nil, tc.FieldErrorf("action", "unknown action %q: use revoke, delete or reassign", action)
	}
	if len(ids) == 0 {
		return nil, tc.FieldErrorf("ids", "ids must list at least one token id")
	}
	if len(ids) > MaxBulkTokenIDs {
		return nil, tc.FieldErrorf("ids", "at most %d ids per request", MaxBulkTokenIDs)
	}
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if id == "" {
			return nil, tc.FieldErrorf("ids", "ids must not contain empty strings")
		}
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	if action != tc.TokenBulkReassign && userID != "" {
		return nil, tc.FieldErrorf("userId", "userId applies only to reassign")
	}
	switch action {
	case tc.TokenBulkDelete:
		if p := tc.Perm(tc.ResTokens, tc.ActionDelete); !c.Can(p) {
			return nil, auth.Forbidden(p)
		}
	case tc.TokenBulkReassign:
		if err := requireAllTokens(c); err != nil {
			return nil, err
		}
		if userID == "" {
			return nil, tc.FieldErrorf("userId", "userId is required to reassign")
		}
		if !PlausibleID(userID) {
			return nil, tc.FieldErrorf("userId", "no user with id %q", userID)
		}
		u, err := s.Store.UserByID(ctx, userID)
		if tc.ErrorCode(err) == tc.ENOTFOUND {
			return nil, tc.FieldErrorf("userId", "no user with id %q", userID)
		} else if err != nil {
			return nil, err
		}
		if u.Disabled {
			return nil, tc.FieldErrorf("userId", "user %s is disabled; tokens can only be reassigned to an active user", u.Username)
		}
	}
	return out, nil
}

// Presets lists the presets as they apply to the caller: what a token
// created with each would hold. Errors: EUNAUTHORIZED.
func (s *Tokens) Presets(ctx context.Context) ([]tc.TokenPreset, error) {
	c, _, err := signedIn(ctx, tc.Perm(tc.ResTokens, tc.ActionRead))
	if err != nil {
		return nil, err
	}
	return tc.TokenPresets(c.Permissions), nil
}
