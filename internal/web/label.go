package web

import "net/http"

// Label is a label as the API returns it.
type Label struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Color       string `json:"color"`
	Description string `json:"description"`
}

type labelsData struct {
	Labels []Label
}

func (h *Handler) labelsPage(w http.ResponseWriter, r *http.Request, v *view) error {
	var l list[Label]
	if err := v.get("/api/labels", &l); err != nil {
		return err
	}
	return v.show(w, "labels", "Labels", "labels", labelsData{Labels: l.Items})
}
