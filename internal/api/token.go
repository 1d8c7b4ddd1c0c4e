package api

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/auth"
	"github.com/telegrafcontroller/tc/internal/store"
)

// Limits of the token API.
const (
	maxTokenExpiryDays = 3650
	maxBulkTokenIDs    = 500
	maxTokenSearch     = 200
)

// tokenJSON is a token as every response shows it. The secret is never part
// of it; createdTokenJSON adds it, once.
type tokenJSON struct {
	*tc.Token
	// Display is the prefix and the last four characters, for recognising a token.
	Display string `json:"display"`
	// EffectivePermissions is what a request with the token may do now: its
	// permissions ∩ its owner's current role, or nothing when it is revoked,
	// expired or its owner is disabled.
	EffectivePermissions []tc.Permission `json:"effectivePermissions"`
	Expired              bool            `json:"expired"`
}

// createdTokenJSON is the answer to a creation: the only place the secret appears.
type createdTokenJSON struct {
	tokenJSON
	Secret string `json:"token"`
	// DeniedPermissions lists requested permissions the creator does not hold,
	// which the token therefore did not get.
	DeniedPermissions []tc.Permission `json:"deniedPermissions"`
}

func (s *Server) tokenJSON(t *tc.Token) tokenJSON {
	out := tokenJSON{Token: t, Display: tc.TokenDisplay(t.Last4), Expired: t.Expired(s.Now()), EffectivePermissions: []tc.Permission{}}
	if t.Status == tc.TokenActive && !out.Expired && t.Owner != nil && !t.Owner.Disabled {
		out.EffectivePermissions = tc.EffectivePermissions(t.Owner.Role, t.Permissions).List()
	}
	return out
}

// tokenCaller returns the signed-in caller, and the owner id that scopes what
// they see: "" for the owner and administrators (every token), their own id
// for anyone else.
func tokenCaller(r *http.Request) (*tc.Caller, string, error) {
	c := tc.CallerFromContext(r.Context())
	if c == nil || c.User == nil {
		return nil, "", tc.Errorf(tc.EUNAUTHORIZED, auth.MsgMissing)
	}
	if tc.ManagesAllTokens(c.User.Role) {
		return c, "", nil
	}
	return c, c.User.ID, nil
}

// plausibleID reports whether s could be a stored id (token or user). Ids
// are generated UUIDs; anything with a NUL byte, invalid UTF-8 or far too
// long is answered without a query (PostgreSQL refuses NUL in text).
func plausibleID(s string) bool {
	return s != "" && len(s) <= 64 && utf8.ValidString(s) && strings.IndexByte(s, 0) < 0
}

// tokenNotFound is the answer for a token id that names nothing visible.
var tokenNotFound = tc.Errorf(tc.ENOTFOUND, "token not found")

// requireAllTokens refuses callers who may manage only their own tokens.
func requireAllTokens(c *tc.Caller) error {
	if !tc.ManagesAllTokens(c.User.Role) {
		return tc.Errorf(tc.EFORBIDDEN, "Insufficient permissions: only the owner or an administrator can reassign tokens")
	}
	return nil
}

type createTokenRequest struct {
	Description   string   `json:"description"`
	Permissions   []string `json:"permissions"`
	Preset        string   `json:"preset"`
	ExpiresAt     *string  `json:"expiresAt"`
	ExpiresInDays *int     `json:"expiresInDays"`
}

// newToken validates a creation request from c and returns the token to
// store with the permissions it was denied. Requested permissions are
// narrowed to what c holds: a role's set for a session, a token's effective
// set for a token, so no token can mint a stronger one.
func newToken(c *tc.Caller, req createTokenRequest, now time.Time) (*tc.Token, []tc.Permission, error) {
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
	var denied []tc.Permission
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
		if n < 1 || n > maxTokenExpiryDays {
			return nil, nil, tc.FieldErrorf("expiresInDays", "expiresInDays must be between 1 and %d", maxTokenExpiryDays)
		}
		at := now.UTC().Truncate(time.Millisecond).AddDate(0, 0, n)
		t.ExpiresAt = &at
	}
	if denied == nil {
		denied = []tc.Permission{}
	}
	return t, denied, nil
}

func (s *Server) createToken(w http.ResponseWriter, r *http.Request) {
	c, _, err := tokenCaller(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var req createTokenRequest
	if err := s.decode(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	t, denied, err := newToken(c, req, s.Now())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	secret := tc.NewTokenSecret()
	t.Hash, t.Last4 = tc.HashSecret(secret), tc.TokenLast4(secret)
	if err := s.Store.CreateToken(r.Context(), t); err != nil {
		s.fail(w, r, err)
		return
	}
	u := c.User
	t.Owner = &tc.TokenOwner{ID: u.ID, Username: u.Username, Email: u.Email, Role: u.Role, Disabled: u.Disabled}
	WriteJSON(w, http.StatusCreated, createdTokenJSON{tokenJSON: s.tokenJSON(t), Secret: secret, DeniedPermissions: denied})
}

func (s *Server) listTokens(w http.ResponseWriter, r *http.Request) {
	c, scope, err := tokenCaller(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	q := r.URL.Query()
	f := store.TokenFilter{UserID: q.Get("userId"), Status: q.Get("status"), Search: strings.TrimSpace(q.Get("search"))}
	if f.Status != "" && f.Status != tc.TokenActive && f.Status != tc.TokenRevoked {
		s.fail(w, r, tc.FieldErrorf("status", "status must be active or revoked"))
		return
	}
	if len(f.Search) > maxTokenSearch || !utf8.ValidString(f.Search) || strings.IndexByte(f.Search, 0) >= 0 {
		s.fail(w, r, tc.FieldErrorf("search", "search must be UTF-8 text of at most %d bytes", maxTokenSearch))
		return
	}
	if f.UserID != "" && !plausibleID(f.UserID) {
		WriteJSON(w, http.StatusOK, map[string]any{"tokens": []tokenJSON{}}) // no such user
		return
	}
	out := []tokenJSON{}
	if scope != "" && f.UserID != "" && f.UserID != c.User.ID {
		WriteJSON(w, http.StatusOK, map[string]any{"tokens": out}) // another user's tokens: none visible
		return
	}
	if scope != "" {
		f.UserID = scope
	}
	tokens, err := s.Store.Tokens(r.Context(), f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	for _, t := range tokens {
		out = append(out, s.tokenJSON(t))
	}
	WriteJSON(w, http.StatusOK, map[string]any{"tokens": out})
}

func (s *Server) getToken(w http.ResponseWriter, r *http.Request) {
	_, scope, err := tokenCaller(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	id := r.PathValue("id")
	if !plausibleID(id) {
		s.fail(w, r, tokenNotFound)
		return
	}
	t, err := s.Store.TokenByID(r.Context(), id, scope)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, s.tokenJSON(t))
}

func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request) {
	_, scope, err := tokenCaller(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	t, err := s.revokeOne(r.Context(), r.PathValue("id"), scope)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, s.tokenJSON(t))
}

type reassignTokenRequest struct {
	UserID string `json:"userId"`
}

func (s *Server) reassignToken(w http.ResponseWriter, r *http.Request) {
	c, _, err := tokenCaller(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := requireAllTokens(c); err != nil {
		s.fail(w, r, err)
		return
	}
	var req reassignTokenRequest
	if err := s.decode(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	if req.UserID == "" {
		s.fail(w, r, tc.FieldErrorf("userId", "userId is required"))
		return
	}
	t, err := s.reassignOne(r.Context(), c, r.PathValue("id"), req.UserID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, s.tokenJSON(t))
}

func (s *Server) deleteToken(w http.ResponseWriter, r *http.Request) {
	_, scope, err := tokenCaller(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.deleteOne(r.Context(), r.PathValue("id"), scope); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// revokeOne, reassignOne and deleteOne change a token and drop it from the
// token cache before returning, so the next request sees the change.
func (s *Server) revokeOne(ctx context.Context, id, scope string) (*tc.Token, error) {
	if !plausibleID(id) {
		return nil, tokenNotFound
	}
	t, err := s.Store.RevokeToken(ctx, id, scope)
	if err == nil {
		s.Auth.TokenChanged(id)
	}
	return t, err
}

func (s *Server) reassignOne(ctx context.Context, c *tc.Caller, id, userID string) (*tc.Token, error) {
	if !plausibleID(id) {
		return nil, tokenNotFound
	}
	if !plausibleID(userID) {
		return nil, tc.FieldErrorf("userId", "no user with id %q", userID)
	}
	t, err := s.Store.ReassignToken(ctx, id, userID, func(t *tc.Token, from, to *tc.User) error {
		return tc.CanReassignToken(c, t.Permissions, from, to)
	})
	if err == nil {
		s.Auth.TokenChanged(id)
	}
	return t, err
}

func (s *Server) deleteOne(ctx context.Context, id, scope string) error {
	if !plausibleID(id) {
		return tokenNotFound
	}
	err := s.Store.DeleteToken(ctx, id, scope)
	if err == nil {
		s.Auth.TokenChanged(id)
	}
	return err
}

type bulkTokenRequest struct {
	Action string   `json:"action"`
	IDs    []string `json:"ids"`
	UserID string   `json:"userId"`
}

// bulkTokenResult reports what happened to one id of a bulk request.
type bulkTokenResult struct {
	ID      string `json:"id"`
	OK      bool   `json:"ok"`
	Error   string `json:"error,omitempty"`
	Message string `json:"message,omitempty"`
}

// bulkTokens applies one action to many tokens, each in its own transaction,
// and reports per id. Who may do what is as for the single actions: delete
// needs tokens:delete, reassign the owner or administrator role, and a
// manager's ids of other users' tokens are reported not_found.
func (s *Server) bulkTokens(w http.ResponseWriter, r *http.Request) {
	c, scope, err := tokenCaller(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var req bulkTokenRequest
	if err := s.decode(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.checkBulkTokens(r.Context(), c, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	results := make([]bulkTokenResult, 0, len(req.IDs))
	succeeded := 0
	for _, id := range req.IDs {
		var err error
		switch req.Action {
		case "revoke":
			_, err = s.revokeOne(r.Context(), id, scope)
		case "delete":
			err = s.deleteOne(r.Context(), id, scope)
		case "reassign":
			_, err = s.reassignOne(r.Context(), c, id, req.UserID)
		}
		res := bulkTokenResult{ID: id, OK: err == nil}
		if err != nil {
			res.Error, res.Message = tc.ErrorCode(err), tc.ErrorMessage(err)
			if res.Error == tc.EINTERNAL {
				s.Logger.Error("bulk token action failed", "action", req.Action, "token_id", id, "error", err)
			}
		} else {
			succeeded++
		}
		results = append(results, res)
	}
	WriteJSON(w, http.StatusOK, map[string]any{
		"action": req.Action, "results": results, "succeeded": succeeded, "failed": len(results) - succeeded,
	})
}

// checkBulkTokens validates a bulk request and removes duplicate ids.
func (s *Server) checkBulkTokens(ctx context.Context, c *tc.Caller, req *bulkTokenRequest) error {
	switch req.Action {
	case "revoke", "delete", "reassign":
	case "":
		return tc.FieldErrorf("action", "action is required: revoke, delete or reassign")
	default:
		return tc.FieldErrorf("action", "unknown action %q: use revoke, delete or reassign", req.Action)
	}
	if len(req.IDs) == 0 {
		return tc.FieldErrorf("ids", "ids must list at least one token id")
	}
	if len(req.IDs) > maxBulkTokenIDs {
		return tc.FieldErrorf("ids", "at most %d ids per request", maxBulkTokenIDs)
	}
	ids := make([]string, 0, len(req.IDs))
	for _, id := range req.IDs {
		if id == "" {
			return tc.FieldErrorf("ids", "ids must not contain empty strings")
		}
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	req.IDs = ids
	if req.Action != "reassign" && req.UserID != "" {
		return tc.FieldErrorf("userId", "userId applies only to reassign")
	}
	switch req.Action {
	case "delete":
		if p := tc.Perm(tc.ResTokens, tc.ActionDelete); !c.Can(p) {
			return auth.Forbidden(p)
		}
	case "reassign":
		if err := requireAllTokens(c); err != nil {
			return err
		}
		if req.UserID == "" {
			return tc.FieldErrorf("userId", "userId is required to reassign")
		}
		if !plausibleID(req.UserID) {
			return tc.FieldErrorf("userId", "no user with id %q", req.UserID)
		}
		u, err := s.Store.UserByID(ctx, req.UserID)
		if tc.ErrorCode(err) == tc.ENOTFOUND {
			return tc.FieldErrorf("userId", "no user with id %q", req.UserID)
		} else if err != nil {
			return err
		}
		if u.Disabled {
			return tc.FieldErrorf("userId", "user %s is disabled; tokens can only be reassigned to an active user", u.Username)
		}
	}
	return nil
}

// tokenPresets lists the presets as they apply to the caller: what a token
// created with each would hold.
func (s *Server) tokenPresets(w http.ResponseWriter, r *http.Request) {
	c, _, err := tokenCaller(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, map[string]any{"presets": tc.TokenPresets(c.Permissions)})
}
