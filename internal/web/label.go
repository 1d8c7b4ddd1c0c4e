package web

import (
	"net/http"

	"github.com/telegrafcontroller/tc"
)

// Label is tc.Label under the name agent.go still uses until the agents
// pages read through their service; the same type, not a copy.
type Label = tc.Label

type labelsData struct {
	Labels []*tc.Label
}

func (h *Handler) labelsPage(w http.ResponseWriter, r *http.Request, v *view) error {
	labels, err := h.Labels.List(v.ctx())
	if err != nil {
		return err
	}
	return v.show(w, "labels", "Labels", "labels", labelsData{Labels: labels})
}

// labelIndex resolves label ids for display.
type labelIndex map[string]tc.Label

// labelList reads every label for a page that shows them beside what it is
// about (chips, a filter): a caller who may not read labels sees none, any
// other failure fails the page.
func (v *view) labelList() ([]tc.Label, labelIndex, error) {
	ls, err := v.h.Labels.List(v.ctx())
	if tc.ErrorCode(err) == tc.EFORBIDDEN {
		return nil, labelIndex{}, nil
	}
	if err != nil {
		return nil, nil, err
	}
	out := make([]tc.Label, len(ls))
	idx := make(labelIndex, len(ls))
	for i, l := range ls {
		out[i] = *l
		idx[l.ID] = *l
	}
	return out, idx, nil
}

// labels is labelList for agent.go's pages, which show no labels when they
// cannot be read: the failure is logged, not dropped. It goes when the
// agents pages read through their service.
func (v *view) labels() ([]tc.Label, labelIndex) {
	ls, idx, err := v.labelList()
	if err != nil {
		v.h.Logger.Warn("read labels", "route", v.r.Pattern, "error", err)
		return nil, labelIndex{}
	}
	return ls, idx
}

func (idx labelIndex) of(ids []string) []tc.Label {
	var out []tc.Label
	for _, id := range ids {
		if l, ok := idx[id]; ok {
			out = append(out, l)
		}
	}
	return out
}
