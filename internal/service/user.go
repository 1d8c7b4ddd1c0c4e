package service

import (
	"context"
	"log/slog"
	"time"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/store"
)

// Users is the user-account service: users, invites and password-reset
// links. Who may act on whom is tc.CanManage and tc.CanGrantRole; holding
// users:*, invites:* or password-resets:* is checked where the route or the
// page is declared.
type Users struct {
	Store  *store.Store
	Now    func() time.Time
	Logger *slog.Logger
}

// LinkSecretBytes is the size of an invite or reset link's secret (256 bits).
const LinkSecretBytes = 32

func (s *Users) log() *slog.Logger {
	if s.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Logger
}

// By names who took an action, for its log line: "by" the user's id and,
// when they acted through an API token, "by_token_id" its id, so a token
// misused is told apart from its owner's own actions.
func By(c *tc.Caller) slog.Attr {
	if c == nil || c.User == nil {
		return slog.String("by", "")
	}
	if c.Token == nil {
		return slog.String("by", c.User.ID)
	}
	// A group without a key is inlined: two attributes at the top level.
	return slog.Group("", slog.String("by", c.User.ID), slog.String("by_token_id", c.Token.ID))
}

// List returns every user. Errors: EUNAUTHORIZED.
func (s *Users) List(ctx context.Context) ([]tc.UserInfo, error) {
	if _, _, err := signedIn(ctx, tc.Perm(tc.ResUsers, tc.ActionRead)); err != nil {
		return nil, err
	}
	users, err := s.Store.ListUsers(ctx)
	if err != nil {
		return nil, err
	}
	now := s.Now()
	out := make([]tc.UserInfo, len(users))
	for i, u := range users {
		out[i] = u.Info(now)
	}
	return out, nil
}

// Get returns one user. Errors: EUNAUTHORIZED, ENOTFOUND.
func (s *Users) Get(ctx context.Context, id string) (tc.UserInfo, error) {
	if _, _, err := signedIn(ctx, tc.Perm(tc.ResUsers, tc.ActionRead)); err != nil {
		return tc.UserInfo{}, err
	}
	u, err := s.Store.UserByID(ctx, id)
	if err != nil {
		return tc.UserInfo{}, err
	}
	return u.Info(s.Now()), nil
}

// Account returns the caller's own account. Errors: EUNAUTHORIZED, ENOTFOUND.
func (s *Users) Account(ctx context.Context) (tc.UserInfo, error) {
	c, _, err := signedIn(ctx, "")
	if err != nil {
		return tc.UserInfo{}, err
	}
	u, err := s.Store.UserByID(ctx, c.User.ID)
	if err != nil {
		return tc.UserInfo{}, err
	}
	return u.Info(s.Now()), nil
}

// UserPatch changes a user's role or disabled flag; nil keeps.
type UserPatch struct {
	Role     *string `json:"role"`
	Disabled *bool   `json:"disabled"`
}

// Update applies p to user id: a new role must be one the caller may grant,
// and each change one the caller may make to that user (tc.CanManage).
// Errors: EUNAUTHORIZED, EFORBIDDEN, EINVALID, ENOTFOUND.
func (s *Users) Update(ctx context.Context, id string, in UserPatch) (tc.UserInfo, error) {
	c, _, err := signedIn(ctx, tc.Perm(tc.ResUsers, tc.ActionWrite))
	if err != nil {
		return tc.UserInfo{}, err
	}
	var p store.UserPatch
	if in.Role != nil {
		role := tc.Role(*in.Role)
		if err := tc.CanGrantRole(c.User, role); err != nil {
			return tc.UserInfo{}, err
		}
		p.Role = &role
	}
	p.Disabled = in.Disabled
	u, changed, err := s.Store.UpdateUser(ctx, id, p, func(target *tc.User) error {
		if p.Role != nil && *p.Role != target.Role {
			if err := tc.CanManage(c.User, target, tc.ActChangeRole); err != nil {
				return err
			}
		}
		if p.Disabled != nil && *p.Disabled != target.Disabled {
			if err := tc.CanManage(c.User, target, tc.ActDisable); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return tc.UserInfo{}, err
	}
	if changed {
		s.log().Info("user changed", "user_id", u.ID, "role", string(u.Role), "disabled", u.Disabled, By(c))
	}
	return u.Info(s.Now()), nil
}

// Delete removes user id with their sessions, tokens and links, if the
// caller may (tc.ActDelete). Errors: EUNAUTHORIZED, EFORBIDDEN, ENOTFOUND.
func (s *Users) Delete(ctx context.Context, id string) error {
	c, _, err := signedIn(ctx, tc.Perm(tc.ResUsers, tc.ActionDelete))
	if err != nil {
		return err
	}
	if err := s.Store.DeleteUser(ctx, id, func(target *tc.User) error { return tc.CanManage(c.User, target, tc.ActDelete) }); err != nil {
		return err
	}
	s.log().Info("user deleted", "user_id", id, By(c))
	return nil
}

// TransferOwnership makes the active administrator id the owner and the
// caller an administrator, atomically; both users' sessions end.
// Errors: EUNAUTHORIZED, EFORBIDDEN, EINVALID, ENOTFOUND.
func (s *Users) TransferOwnership(ctx context.Context, id string) error {
	c, _, err := signedIn(ctx, tc.Perm(tc.ResUsers, tc.ActionWrite))
	if err != nil {
		return err
	}
	if err := s.Store.TransferOwnership(ctx, c.User.ID, id, func(from, to *tc.User) error {
		return tc.CanManage(from, to, tc.ActTransferOwnership)
	}); err != nil {
		return err
	}
	s.log().Info("ownership transferred", "from_user_id", c.User.ID, "to_user_id", id, By(c))
	return nil
}

// linkTTL validates an optional expiresInHours.
func linkTTL(v *int, def int) (time.Duration, error) {
	h := def
	if v != nil {
		h = *v
	}
	if h < tc.LinkMinHours || h > tc.LinkMaxHours {
		return 0, tc.FieldErrorf("expiresInHours", "Expiry must be between %d and %d hours", tc.LinkMinHours, tc.LinkMaxHours)
	}
	return time.Duration(h) * time.Hour, nil
}

// InviteRequest asks for an invite of a new user with a role.
type InviteRequest struct {
	Username       string `json:"username"`
	Email          string `json:"email"`
	Role           string `json:"role"`
	ExpiresInHours *int   `json:"expiresInHours"`
	// AuthProvider is how the person will sign in: local (default: the
	// link sets a password), ldap or oidc (the invite admits their email
	// through that provider, under invite-only provisioning).
	AuthProvider string `json:"authProvider"`
}

// InviteInfo is an invite as listed.
type InviteInfo struct {
	*tc.Invite
	Expired bool `json:"expired"`
}

// CreateInvite stores an invite for a role the caller may grant and returns
// it with its link secret (shown this once). Errors: EUNAUTHORIZED,
// EFORBIDDEN, EINVALID, ECONFLICT.
func (s *Users) CreateInvite(ctx context.Context, in InviteRequest) (*tc.Invite, string, error) {
	c, _, err := signedIn(ctx, tc.Perm(tc.ResInvites, tc.ActionWrite))
	if err != nil {
		return nil, "", err
	}
	if err := tc.ValidateUsername(in.Username); err != nil {
		return nil, "", err
	}
	if err := tc.ValidateEmail(in.Email); err != nil {
		return nil, "", err
	}
	if in.Role == "" {
		return nil, "", tc.FieldErrorf("role", "Role is required")
	}
	role := tc.Role(in.Role)
	if err := tc.CanGrantRole(c.User, role); err != nil {
		return nil, "", err
	}
	provider := tc.AuthProvider(in.AuthProvider)
	if provider == "" {
		provider = tc.ProviderLocal
	}
	if !provider.Valid() {
		return nil, "", tc.FieldErrorf("authProvider", "Sign-in provider must be local, ldap or oidc")
	}
	ttl, err := linkTTL(in.ExpiresInHours, tc.InviteDefaultHours)
	if err != nil {
		return nil, "", err
	}
	secret := tc.NewSecret(LinkSecretBytes)
	inv := &tc.Invite{Username: in.Username, Email: in.Email, Role: role, CreatedBy: c.User.ID,
		ExpiresAt: s.Now().Add(ttl).UTC(), TokenHash: tc.HashSecret(secret), AuthProvider: provider}
	if err := s.Store.CreateInvite(ctx, inv); err != nil {
		return nil, "", err
	}
	s.log().Info("invite created", "invite_id", inv.ID, "role", string(role), By(c))
	return inv, secret, nil
}

// Invites lists the invites, pending or not. Errors: EUNAUTHORIZED.
func (s *Users) Invites(ctx context.Context) ([]InviteInfo, error) {
	if _, _, err := signedIn(ctx, tc.Perm(tc.ResInvites, tc.ActionRead)); err != nil {
		return nil, err
	}
	invs, err := s.Store.ListInvites(ctx)
	if err != nil {
		return nil, err
	}
	now := s.Now()
	out := make([]InviteInfo, len(invs))
	for i, inv := range invs {
		out[i] = InviteInfo{Invite: inv, Expired: !now.Before(inv.ExpiresAt)}
	}
	return out, nil
}

// DeleteInvite withdraws invite id. Errors: EUNAUTHORIZED, EFORBIDDEN,
// ENOTFOUND.
func (s *Users) DeleteInvite(ctx context.Context, id string) error {
	c, err := require(ctx, tc.Perm(tc.ResInvites, tc.ActionDelete))
	if err != nil {
		return err
	}
	if err := s.Store.DeleteInvite(ctx, id); err != nil {
		return err
	}
	s.log().Info("invite deleted", "invite_id", id, By(c))
	return nil
}

// CreatePasswordReset stores a one-time link letting user id set a new
// password, if the caller may reset that user's (tc.ActResetPassword), and
// returns it with its secret (shown this once). hours nil takes the default.
// Errors: EUNAUTHORIZED, EFORBIDDEN, EINVALID, ENOTFOUND.
func (s *Users) CreatePasswordReset(ctx context.Context, id string, hours *int) (*tc.PasswordReset, string, error) {
	c, _, err := signedIn(ctx, tc.Perm(tc.ResPasswordResets, tc.ActionWrite))
	if err != nil {
		return nil, "", err
	}
	ttl, err := linkTTL(hours, tc.ResetDefaultHours)
	if err != nil {
		return nil, "", err
	}
	secret := tc.NewSecret(LinkSecretBytes)
	pr := &tc.PasswordReset{UserID: id, CreatedBy: c.User.ID, ExpiresAt: s.Now().Add(ttl).UTC(), TokenHash: tc.HashSecret(secret)}
	if err := s.Store.CreatePasswordReset(ctx, pr, func(target *tc.User) error {
		if err := tc.CanManage(c.User, target, tc.ActResetPassword); err != nil {
			return err
		}
		return tc.CanHaveLocalPassword(target)
	}); err != nil {
		return nil, "", err
	}
	s.log().Info("password reset link created", "user_id", pr.UserID, By(c))
	return pr, secret, nil
}

// Invite returns the pending invite behind a link's secret, for the public
// acceptance page: no caller is needed, the secret is the credential. An
// invite whose creator may no longer grant its role is gone (the store
// re-checks tc.CanGrantRole against the creator as they are now).
// Errors: ENOTFOUND, EGONE.
func (s *Users) Invite(ctx context.Context, secret string) (*tc.Invite, error) {
	return s.Store.InviteByToken(ctx, tc.HashSecret(secret))
}

// PasswordReset returns the pending reset behind a link's secret and the
// user it is for, for the public reset page: no caller is needed, the
// secret is the credential. A link whose creator may no longer reset that
// user's password is gone (the store re-checks tc.CanManage with
// tc.ActResetPassword against the creator as they are now).
// Errors: ENOTFOUND, EGONE.
func (s *Users) PasswordReset(ctx context.Context, secret string) (*tc.PasswordReset, tc.UserInfo, error) {
	pr, u, err := s.Store.PasswordResetByToken(ctx, tc.HashSecret(secret))
	if err != nil {
		return nil, tc.UserInfo{}, err
	}
	return pr, u.Info(s.Now()), nil
}

// AccountPatch changes the caller's own username or email; nil keeps.
type AccountPatch struct {
	Username *string `json:"username"`
	Email    *string `json:"email"`
}

// UpdateAccount changes the caller's own username or email. An unchanged
// username is not checked again: a user whose name predates a rule (mixed
// scripts) can still edit their email. Errors: EUNAUTHORIZED, EINVALID,
// ECONFLICT, ENOTFOUND.
func (s *Users) UpdateAccount(ctx context.Context, in AccountPatch) (tc.UserInfo, error) {
	c, _, err := signedIn(ctx, "")
	if err != nil {
		return tc.UserInfo{}, err
	}
	if in.Username != nil && *in.Username != c.User.Username {
		if err := tc.ValidateUsername(*in.Username); err != nil {
			return tc.UserInfo{}, err
		}
	}
	if in.Email != nil {
		if err := tc.ValidateEmail(*in.Email); err != nil {
			return tc.UserInfo{}, err
		}
	}
	u, err := s.Store.UpdateAccount(ctx, c.User.ID, in.Username, in.Email)
	if err != nil {
		return tc.UserInfo{}, err
	}
	return u.Info(s.Now()), nil
}
