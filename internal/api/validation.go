package api

import (
	"net/http"

	"github.com/telegrafcontroller/tc/internal/httpx"
	"github.com/telegrafcontroller/tc/internal/service"
	"github.com/telegrafcontroller/tc/internal/telegraf"
)

// validationResult is the answer of POST /api/configs/validate.
type validationResult struct {
	Valid      bool               `json:"valid"`
	Errors     []telegraf.Problem `json:"errors"`
	Warnings   []telegraf.Problem `json:"warnings"`
	References telegraf.Uses      `json:"references"`
}

// validateConfig checks a TOML document without saving it. A document with
// errors is still a 200: the answer describes it.
func (s *Server) validateConfig(w http.ResponseWriter, r *http.Request) {
	var req service.ValidateRequest
	if err := s.decode(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	rep, err := s.Configs.Validate(r.Context(), req)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, validationResult{Valid: rep.Valid(), Errors: rep.Errors, Warnings: rep.Warnings, References: rep.Uses})
}
