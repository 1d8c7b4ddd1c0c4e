package api

import (
	"errors"
	"math"
	"net/http"
	"strconv"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/auth"
	"github.com/telegrafcontroller/tc/internal/httpx"
)

func (s *Server) getAccount(w http.ResponseWriter, r *http.Request) {
	u, err := s.Users.Account(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, u)
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
	// An unchanged username is not checked again: a user whose name
	// predates a rule (mixed scripts) can still edit their email.
	if in.Username != nil && *in.Username != c.User.Username {
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
	httpx.WriteJSON(w, http.StatusOK, s.viewUser(u))
}

type changePasswordInput struct {
	CurrentPassword string `json:"currentPassword"`
	NewPassword     string `json:"newPassword"`
}

// changePassword needs the current password; it ends the user's other
// sessions. A wrong current password is a failed sign-in: it counts toward
// the account lockout and the per-address limiter (passwordGuard), and a
// locked account cannot change its password.
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
	if ok, wait := s.Limiter.Allow(addr); !ok {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
		s.fail(w, r, tc.Errorf(tc.ETOOMANYREQUESTS, "Too many failed password attempts from your address; try again in %s", roundUp(wait)))
		return
	}
	u, err := s.Store.UserByID(r.Context(), c.User.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	set := s.Store.Settings()
	_, err = s.passwordGuard().Verify(r.Context(), u, in.CurrentPassword, addr, set)
	if locked, ok := errors.AsType[*auth.LockedError](err); ok {
		if locked.New {
			s.Logger.Warn("account locked after failed password changes", "user_id", u.ID, "minutes", set.LoginLockoutMinutes, "client", addr)
		}
		// 429, not 401: the session stays valid, only password checks wait.
		left := locked.Until.Sub(s.Now())
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(left.Seconds()))))
		s.fail(w, r, tc.Errorf(tc.ETOOMANYREQUESTS, "Too many failed password attempts; this account is locked for %s", roundUp(left)))
		return
	} else if errors.Is(err, auth.ErrWrongPassword) {
		s.fail(w, r, tc.FieldErrorf("currentPassword", "Current password is incorrect"))
		return
	} else if err != nil {
		s.fail(w, r, err)
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
