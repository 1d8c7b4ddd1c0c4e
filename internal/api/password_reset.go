package api

import (
	"net/http"

	"github.com/telegrafcontroller/tc/internal/httpx"
)

type resetInput struct {
	ExpiresInHours *int `json:"expiresInHours"`
}

// createPasswordReset returns a one-time link that lets the user set a new
// password, if the caller may reset that user's (the user service decides).
func (s *Server) createPasswordReset(w http.ResponseWriter, r *http.Request) {
	var in resetInput
	if r.ContentLength != 0 {
		if err := s.decode(w, r, &in); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	pr, secret, err := s.Users.CreatePasswordReset(r.Context(), r.PathValue("id"), in.ExpiresInHours)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusCreated, map[string]any{"id": pr.ID, "userId": pr.UserID, "expiresAt": pr.ExpiresAt,
		"link": s.uiBase(r) + ResetLinkPath + secret})
}

// showPasswordReset is public: what the reset page displays.
func (s *Server) showPasswordReset(w http.ResponseWriter, r *http.Request) {
	pr, u, err := s.Users.PasswordReset(r.Context(), r.PathValue("token"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"username": u.Username, "expiresAt": pr.ExpiresAt,
		"passwordComplexity": s.Settings.Current().PasswordComplexity})
}

// usePasswordReset is public: it sets the password, clears any lockout and
// ends every session of the user. The user is not signed in.
func (s *Server) usePasswordReset(w http.ResponseWriter, r *http.Request) {
	var in passwordInput
	if err := s.decode(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.SignIn.UsePasswordReset(r.Context(), r.PathValue("token"), in.Password); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
