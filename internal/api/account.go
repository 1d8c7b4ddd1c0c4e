package api

import (
	"net/http"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/auth"
	"github.com/telegrafcontroller/tc/internal/httpx"
	"github.com/telegrafcontroller/tc/internal/service"
)

func (s *Server) getAccount(w http.ResponseWriter, r *http.Request) {
	u, err := s.Users.Account(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, u)
}

func (s *Server) patchAccount(w http.ResponseWriter, r *http.Request) {
	var in service.AccountPatch
	if err := s.decode(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	u, err := s.Users.UpdateAccount(r.Context(), in)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, u)
}

// changePassword needs the current password; it ends the user's other
// sessions (auth.SignIn.ChangePassword has the rules).
func (s *Server) changePassword(w http.ResponseWriter, r *http.Request) {
	var in auth.PasswordChange
	if err := s.decode(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.SignIn.ChangePassword(r.Context(), in, s.SignIn.From(r)); err != nil {
		s.failRetry(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// getPreferences answers the caller's UI preferences (a session's only).
func (s *Server) getPreferences(w http.ResponseWriter, r *http.Request) {
	p, err := s.Users.Preferences(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, p)
}

// putPreferences replaces the caller's UI preferences.
func (s *Server) putPreferences(w http.ResponseWriter, r *http.Request) {
	var in tc.Preferences
	if err := s.decode(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	p, err := s.Users.SetPreferences(r.Context(), in)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, p)
}
