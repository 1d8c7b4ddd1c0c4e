package api

import (
	"net/http"
	"strconv"

	"github.com/telegrafcontroller/tc/internal/auth"
	"github.com/telegrafcontroller/tc/internal/httpx"
)

// Sign-in, setup and sessions: the rules are auth.SignIn's; these handlers
// decode, call it, set the cookie and encode.

// authStatus is public: what the sign-in page needs before anyone signs in.
func (s *Server) authStatus(w http.ResponseWriter, r *http.Request) {
	st, err := s.SignIn.Status(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := map[string]any{"setupRequired": st.SetupRequired, "providers": st.Providers, "version": s.Version,
		"passwordComplexity": st.PasswordComplexity}
	if st.OIDCDisplayName != "" {
		out["oidcDisplayName"] = st.OIDCDisplayName
	}
	httpx.WriteJSON(w, http.StatusOK, out)
}

// setup creates the owner once, then signs them in. Later calls: 409.
func (s *Server) setup(w http.ResponseWriter, r *http.Request) {
	var in auth.Credentials
	if err := s.decode(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	st, err := s.SignIn.Setup(r.Context(), in, s.SignIn.From(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.Sessions.SetCookie(w, st.ID, st.Expires)
	httpx.WriteJSON(w, http.StatusCreated, st.Identity())
}

// login signs in with a username or email and a password.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	var in auth.Credentials
	if err := s.decode(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	st, err := s.SignIn.Login(r.Context(), in, s.SignIn.From(r))
	if err != nil {
		s.failRetry(w, r, err)
		return
	}
	s.Sessions.SetCookie(w, st.ID, st.Expires)
	httpx.WriteJSON(w, http.StatusOK, st.Identity())
}

// logout ends the caller's session (a token caller has none: 204 anyway).
func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	if err := s.SignIn.Logout(r.Context()); err != nil {
		s.fail(w, r, err)
		return
	}
	s.Sessions.ClearCookie(w)
	w.WriteHeader(http.StatusNoContent)
}

// me describes the caller: user, role, effective permissions and how they
// authenticated.
func (s *Server) me(w http.ResponseWriter, r *http.Request) {
	id, err := s.SignIn.Me(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, id)
}

// failRetry is fail that also sends Retry-After when err carries a wait
// (auth.RetryError).
func (s *Server) failRetry(w http.ResponseWriter, r *http.Request, err error) {
	if wait, ok := auth.RetryAfter(err); ok {
		w.Header().Set("Retry-After", strconv.Itoa(auth.RetryAfterSeconds(wait)))
	}
	s.fail(w, r, err)
}
