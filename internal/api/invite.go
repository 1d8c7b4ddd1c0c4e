package api

import (
	"net/http"
	"time"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/auth"
)

// Link paths in the web UI: /invite/{token} and /reset-password/{token}.
const (
	InviteLinkPath = "/invite/"
	ResetLinkPath  = "/reset-password/"
	linkTokenBytes = 32 // 256 bits
)

// uiBase is the public UI URL from settings, else the origin the request
// came to.
func (s *Server) uiBase(r *http.Request) string {
	if u := s.Store.Settings().PublicUIURL; u != "" {
		return u
	}
	scheme := "http"
	if s.TLS {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// linkHours validates an optional expiresInHours.
func linkHours(v *int, def int) (time.Duration, error) {
	h := def
	if v != nil {
		h = *v
	}
	if h < tc.LinkMinHours || h > tc.LinkMaxHours {
		return 0, tc.FieldErrorf("expiresInHours", "Expiry must be between %d and %d hours", tc.LinkMinHours, tc.LinkMaxHours)
	}
	return time.Duration(h) * time.Hour, nil
}

type inviteInput struct {
	Username       string `json:"username"`
	Email          string `json:"email"`
	Role           string `json:"role"`
	ExpiresInHours *int   `json:"expiresInHours"`
}

// inviteView is an invite as listed; Link appears only in the creation answer.
type inviteView struct {
	*tc.Invite
	Expired bool   `json:"expired"`
	Link    string `json:"link,omitempty"`
}

func (s *Server) createInvite(w http.ResponseWriter, r *http.Request) {
	c, err := caller(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var in inviteInput
	if err := s.decode(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := tc.ValidateUsername(in.Username); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := tc.ValidateEmail(in.Email); err != nil {
		s.fail(w, r, err)
		return
	}
	role := tc.Role(in.Role)
	if in.Role == "" {
		s.fail(w, r, tc.FieldErrorf("role", "Role is required"))
		return
	}
	if err := tc.CanGrantRole(c.User, role); err != nil {
		s.fail(w, r, err)
		return
	}
	ttl, err := linkHours(in.ExpiresInHours, tc.InviteDefaultHours)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	token := tc.NewSecret(linkTokenBytes)
	inv := &tc.Invite{Username: in.Username, Email: in.Email, Role: role, CreatedBy: c.User.ID,
		ExpiresAt: s.Now().Add(ttl).UTC(), TokenHash: tc.HashSecret(token)}
	if err := s.Store.CreateInvite(r.Context(), inv); err != nil {
		s.fail(w, r, err)
		return
	}
	s.Logger.Info("invite created", "invite_id", inv.ID, "role", string(role), by(c))
	WriteJSON(w, http.StatusCreated, inviteView{Invite: inv, Link: s.uiBase(r) + InviteLinkPath + token})
}

func (s *Server) listInvites(w http.ResponseWriter, r *http.Request) {
	invs, err := s.Store.ListInvites(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	now := s.Now()
	out := make([]inviteView, len(invs))
	for i, inv := range invs {
		out[i] = inviteView{Invite: inv, Expired: !now.Before(inv.ExpiresAt)}
	}
	WriteJSON(w, http.StatusOK, out)
}

func (s *Server) deleteInvite(w http.ResponseWriter, r *http.Request) {
	if err := s.Store.DeleteInvite(r.Context(), r.PathValue("invite")); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// showInvite is public: what the acceptance page displays.
func (s *Server) showInvite(w http.ResponseWriter, r *http.Request) {
	inv, err := s.Store.InviteByToken(r.Context(), tc.HashSecret(r.PathValue("invite")))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, map[string]any{"username": inv.Username, "email": inv.Email, "role": inv.Role,
		"expiresAt": inv.ExpiresAt, "passwordComplexity": s.Store.Settings().PasswordComplexity})
}

type passwordInput struct {
	Password string `json:"password"`
}

// acceptInvite is public: it creates the invited account and signs it in.
func (s *Server) acceptInvite(w http.ResponseWriter, r *http.Request) {
	var in passwordInput
	if err := s.decode(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	hash := tc.HashSecret(r.PathValue("token"))
	if _, err := s.Store.InviteByToken(r.Context(), hash); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.Store.Settings().PasswordComplexity.CheckPassword("password", in.Password); err != nil {
		s.fail(w, r, err)
		return
	}
	pwHash, err := s.Passwords.Hash(in.Password)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	id, idHash := auth.NewSessionID()
	expires := s.Sessions.Expiry(s.Now())
	u, err := s.Store.AcceptInvite(r.Context(), hash, pwHash, idHash, expires)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.Sessions.SetCookie(w, id, expires)
	s.Logger.Info("invite accepted", "user_id", u.ID, "role", string(u.Role))
	WriteJSON(w, http.StatusCreated, s.meBody(u, tc.NewPermissionSet(tc.RolePermissions(u.Role)...), "session"))
}
