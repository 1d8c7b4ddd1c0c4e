package api

import (
	"net/http"

	"github.com/telegrafcontroller/tc"
)

func (s *Server) getAccount(w http.ResponseWriter, r *http.Request) {
	c, err := caller(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	u, err := s.Store.UserByID(r.Context(), c.User.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, s.viewUser(u))
}

type accountInput struct {
	Username *string `json:"username"`
	Email    *string `json:"email"`
}

func (s *Server) patchAccount(w http.ResponseWriter, r *http.Request) {
	c, err := caller(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var in accountInput
	if err := s.decode(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	if in.Username != nil {
		if err := tc.ValidateUsername(*in.Username); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	if in.Email != nil {
		if err := tc.ValidateEmail(*in.Email); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	u, err := s.Store.UpdateAccount(r.Context(), c.User.ID, in.Username, in.Email)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.Auth.UserChanged(u.ID) // cached token callers carry the user's name and email
	WriteJSON(w, http.StatusOK, s.viewUser(u))
}

type changePasswordInput struct {
	CurrentPassword string `json:"currentPassword"`
	NewPassword     string `json:"newPassword"`
}

// changePassword needs the current password; it ends the user's other
// sessions (all of them when called with a token).
func (s *Server) changePassword(w http.ResponseWriter, r *http.Request) {
	c, err := caller(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var in changePasswordInput
	if err := s.decode(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	if in.CurrentPassword == "" {
		s.fail(w, r, tc.FieldErrorf("currentPassword", "Current password is required"))
		return
	}
	addr := s.clientAddr(r)
	if ok, _ := s.Limiter.Allow(addr); !ok {
		s.fail(w, r, tc.Errorf(tc.ETOOMANYREQUESTS, "Too many failed password attempts from your address; try again later"))
		return
	}
	u, err := s.Store.UserByID(r.Context(), c.User.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if ok, _ := s.Passwords.Check(u.PasswordHash, in.CurrentPassword); !ok {
		s.Limiter.Failed(addr)
		s.fail(w, r, tc.FieldErrorf("currentPassword", "Current password is incorrect"))
		return
	}
	if err := s.Store.Settings().PasswordComplexity.CheckPassword("newPassword", in.NewPassword); err != nil {
		s.fail(w, r, err)
		return
	}
	hash, err := s.Passwords.Hash(in.NewPassword)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.Store.SetPassword(r.Context(), u.ID, hash, c.SessionHash); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
