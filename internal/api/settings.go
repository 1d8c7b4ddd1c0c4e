package api

import (
	"net/http"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/httpx"
)

func (s *Server) getSettings(w http.ResponseWriter, r *http.Request) {
	httpx.WriteJSON(w, http.StatusOK, s.Store.Settings())
}

type settingsInput struct {
	PublicUIURL          *string `json:"publicUiUrl"`
	PublicAPIURL         *string `json:"publicApiUrl"`
	PublicHeartbeatURL   *string `json:"publicHeartbeatUrl"`
	LoginLockoutAttempts *int    `json:"loginLockoutAttempts"`
	LoginLockoutMinutes  *int    `json:"loginLockoutMinutes"`
	PasswordComplexity   *string `json:"passwordComplexity"`
}

// patchSettings changes the given fields; the others keep their values.
func (s *Server) patchSettings(w http.ResponseWriter, r *http.Request) {
	var in settingsInput
	if err := s.decode(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	v, err := s.Store.UpdateSettings(r.Context(), func(v *tc.Settings) {
		set(&v.PublicUIURL, in.PublicUIURL)
		set(&v.PublicAPIURL, in.PublicAPIURL)
		set(&v.PublicHeartbeatURL, in.PublicHeartbeatURL)
		set(&v.LoginLockoutAttempts, in.LoginLockoutAttempts)
		set(&v.LoginLockoutMinutes, in.LoginLockoutMinutes)
		if in.PasswordComplexity != nil {
			v.PasswordComplexity = tc.PasswordComplexity(*in.PasswordComplexity)
		}
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, v)
}

func set[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}
