package api

import (
	"net/http"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/httpx"
	"github.com/telegrafcontroller/tc/internal/store"
)

// createdTokenJSON is the answer to a creation: the only place the secret appears.
type createdTokenJSON struct {
	tc.TokenInfo
	Secret string `json:"token"`
	// DeniedPermissions lists requested permissions the creator does not hold,
	// which the token therefore did not get.
	DeniedPermissions []tc.Permission `json:"deniedPermissions"`
}

// The token handlers translate HTTP to the token service (internal/service),
// where every rule lives.

func (s *Server) createToken(w http.ResponseWriter, r *http.Request) {
	var req tc.TokenRequest
	if err := s.decode(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	t, secret, denied, err := s.Tokens.Create(r.Context(), req)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusCreated, createdTokenJSON{TokenInfo: t, Secret: secret, DeniedPermissions: denied})
}

func (s *Server) listTokens(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	tokens, err := s.Tokens.List(r.Context(), store.TokenFilter{UserID: q.Get("userId"), Status: q.Get("status"), Search: q.Get("search")})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteList(w, tokens)
}

func (s *Server) getToken(w http.ResponseWriter, r *http.Request) {
	t, err := s.Tokens.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, t)
}

func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request) {
	t, err := s.Tokens.Revoke(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, t)
}

type reassignTokenRequest struct {
	UserID string `json:"userId"`
}

func (s *Server) reassignToken(w http.ResponseWriter, r *http.Request) {
	var req reassignTokenRequest
	if err := s.decode(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	t, err := s.Tokens.Reassign(r.Context(), r.PathValue("id"), req.UserID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, t)
}

func (s *Server) deleteToken(w http.ResponseWriter, r *http.Request) {
	if err := s.Tokens.Delete(r.Context(), r.PathValue("id")); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

type bulkTokenRequest struct {
	Action string   `json:"action"`
	IDs    []string `json:"ids"`
	UserID string   `json:"userId"`
}

func (s *Server) bulkTokens(w http.ResponseWriter, r *http.Request) {
	var req bulkTokenRequest
	if err := s.decode(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	results, err := s.Tokens.Bulk(r.Context(), req.Action, req.IDs, req.UserID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	succeeded := 0
	for _, res := range results {
		if res.OK {
			succeeded++
		}
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{
		"action": req.Action, "results": results, "succeeded": succeeded, "failed": len(results) - succeeded,
	})
}

func (s *Server) tokenPresets(w http.ResponseWriter, r *http.Request) {
	presets, err := s.Tokens.Presets(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteList(w, presets)
}
