package api

import (
	"net/http"

	"github.com/telegrafcontroller/tc/internal/httpx"
	"github.com/telegrafcontroller/tc/internal/service"
)

// Link paths in the web UI: /invite/{token} and /reset-password/{token}.
const (
	InviteLinkPath = "/invite/"
	ResetLinkPath  = "/reset-password/"
)

// uiBase is the public UI URL from settings, else the origin the request
// came to.
func (s *Server) uiBase(r *http.Request) string {
	if u := s.Settings.Current().PublicUIURL; u != "" {
		return u
	}
	scheme := "http"
	if s.TLS {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// inviteView is an invite as created: the only answer that carries its link.
type inviteView struct {
	service.InviteInfo
	Link string `json:"link,omitempty"`
}

func (s *Server) createInvite(w http.ResponseWriter, r *http.Request) {
	var in service.InviteRequest
	if err := s.decode(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	inv, secret, err := s.Users.CreateInvite(r.Context(), in)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusCreated, inviteView{InviteInfo: service.InviteInfo{Invite: inv}, Link: s.uiBase(r) + InviteLinkPath + secret})
}

func (s *Server) listInvites(w http.ResponseWriter, r *http.Request) {
	invs, err := s.Users.Invites(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteList(w, invs)
}

func (s *Server) deleteInvite(w http.ResponseWriter, r *http.Request) {
	if err := s.Users.DeleteInvite(r.Context(), r.PathValue("invite")); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// showInvite is public: what the acceptance page displays.
func (s *Server) showInvite(w http.ResponseWriter, r *http.Request) {
	inv, err := s.Users.Invite(r.Context(), r.PathValue("invite"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"username": inv.Username, "email": inv.Email, "role": inv.Role,
		"expiresAt": inv.ExpiresAt, "passwordComplexity": s.Settings.Current().PasswordComplexity})
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
	st, err := s.SignIn.AcceptInvite(r.Context(), r.PathValue("token"), in.Password)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.Sessions.SetCookie(w, st.ID, st.Expires)
	httpx.WriteJSON(w, http.StatusCreated, st.Identity())
}
