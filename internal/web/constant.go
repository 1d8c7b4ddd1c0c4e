package web

import (
	"net/http"

	"github.com/telegrafcontroller/tc"
)

type constantsData struct {
	Constants []*tc.Constant
}

func (h *Handler) constantsPage(w http.ResponseWriter, r *http.Request, v *view) error {
	constants, err := h.Constants.List(v.ctx())
	if err != nil {
		return err
	}
	return v.show(w, "constants", "Constants", "constants", constantsData{Constants: constants})
}
