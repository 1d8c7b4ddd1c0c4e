package api

import (
	"net/http"

	"github.com/telegrafcontroller/tc/internal/httpx"
	"github.com/telegrafcontroller/tc/internal/service"
)

func (s *Server) listUsers(w http.ResponseWriter, r *http.Request) {
	users, err := s.Users.List(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteList(w, users)
}

func (s *Server) getUser(w http.ResponseWriter, r *http.Request) {
	u, err := s.Users.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, u)
}

func (s *Server) patchUser(w http.ResponseWriter, r *http.Request) {
	var in service.UserPatch
	if err := s.decode(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	u, err := s.Users.Update(r.Context(), r.PathValue("id"), in)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, u)
}

func (s *Server) deleteUser(w http.ResponseWriter, r *http.Request) {
	if err := s.Users.Delete(r.Context(), r.PathValue("id")); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// transferOwnership makes an active administrator the owner and the owner
// an administrator, atomically; both users' sessions end, this one's cookie
// with them.
func (s *Server) transferOwnership(w http.ResponseWriter, r *http.Request) {
	if err := s.Users.TransferOwnership(r.Context(), r.PathValue("id")); err != nil {
		s.fail(w, r, err)
		return
	}
	s.Sessions.ClearCookie(w)
	w.WriteHeader(http.StatusNoContent)
}
