package api

import (
	"net/http"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/store"
)

// viewUser is a user as the API shows it: never a password hash.
func (s *Server) viewUser(u *tc.User) tc.UserInfo { return u.Info(s.Now()) }

func (s *Server) listUsers(w http.ResponseWriter, r *http.Request) {
	users, err := s.Users.List(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, users)
}

func (s *Server) getUser(w http.ResponseWriter, r *http.Request) {
	u, err := s.Users.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, u)
}

type userPatchInput struct {
	Role     *string `json:"role"`
	Disabled *bool   `json:"disabled"`
}

func (s *Server) patchUser(w http.ResponseWriter, r *http.Request) {
	c, err := caller(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var in userPatchInput
	if err := s.decode(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	var p store.UserPatch
	if in.Role != nil {
		role := tc.Role(*in.Role)
		if err := tc.CanGrantRole(c.User, role); err != nil {
			s.fail(w, r, err)
			return
		}
		p.Role = &role
	}
	p.Disabled = in.Disabled
	u, changed, err := s.Store.UpdateUser(r.Context(), r.PathValue("id"), p, func(target *tc.User) error {
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
		s.fail(w, r, err)
		return
	}
	if changed {
		s.Auth.UserChanged(u.ID)
		s.Logger.Info("user changed", "user_id", u.ID, "role", string(u.Role), "disabled", u.Disabled, by(c))
	}
	WriteJSON(w, http.StatusOK, s.viewUser(u))
}

func (s *Server) deleteUser(w http.ResponseWriter, r *http.Request) {
	c, err := caller(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	id := r.PathValue("id")
	err = s.Store.DeleteUser(r.Context(), id, func(target *tc.User) error { return tc.CanManage(c.User, target, tc.ActDelete) })
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.Auth.UserChanged(id)
	s.Logger.Info("user deleted", "user_id", id, by(c))
	w.WriteHeader(http.StatusNoContent)
}

// transferOwnership makes an active administrator the owner and the owner
// an administrator, atomically; both users' sessions end.
func (s *Server) transferOwnership(w http.ResponseWriter, r *http.Request) {
	c, err := caller(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	id := r.PathValue("id")
	if err := s.Store.TransferOwnership(r.Context(), c.User.ID, id, func(from, to *tc.User) error {
		return tc.CanManage(from, to, tc.ActTransferOwnership)
	}); err != nil {
		s.fail(w, r, err)
		return
	}
	s.Auth.UserChanged(c.User.ID)
	s.Auth.UserChanged(id)
	s.Logger.Info("ownership transferred", "from_user_id", c.User.ID, "to_user_id", id, by(c))
	s.Sessions.ClearCookie(w)
	w.WriteHeader(http.StatusNoContent)
}
