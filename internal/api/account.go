package api

import (
	"net/http"

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
