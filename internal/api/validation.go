package api

import (
	"net/http"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/httpx"
	"github.com/telegrafcontroller/tc/internal/telegraf"
)

// validationResult is the answer of POST /api/configs/validate, and the
// "validation" part of a config create or update answer.
type validationResult struct {
	Valid      bool               `json:"valid"`
	Errors     []telegraf.Problem `json:"errors"`
	Warnings   []telegraf.Problem `json:"warnings"`
	References telegraf.Uses      `json:"references"`
}

func newValidationResult(rep telegraf.Report) validationResult {
	return validationResult{Valid: rep.Valid(), Errors: rep.Errors, Warnings: rep.Warnings, References: rep.Uses}
}

// validateConfig checks a TOML document without saving it. A document with
// errors is still a 200: the answer describes it.
func (s *Server) validateConfig(w http.ResponseWriter, r *http.Request) {
	var req struct {
		TOML *string `json:"toml"`
	}
	if err := s.decode(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	if req.TOML == nil {
		s.fail(w, r, tc.FieldErrorf("toml", "toml is required"))
		return
	}
	httpx.WriteJSON(w, http.StatusOK, newValidationResult(telegraf.Validate(*req.TOML)))
}
