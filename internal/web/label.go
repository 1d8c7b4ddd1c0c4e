package web

import (
	"net/http"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/store"
)

type labelsData struct {
	Labels []*tc.Label
	// Usage holds each label's agent counts; nil when the visitor may not
	// read agents.
	Usage map[string]*agentUsage
}

func (h *Handler) labelsPage(w http.ResponseWriter, r *http.Request, v *view) error {
	labels, err := h.Labels.List(v.ctx())
	if err != nil {
		return err
	}
	ids := make([]string, len(labels))
	for i, l := range labels {
		ids[i] = l.ID
	}
	usage, err := v.usage(store.UsageLabel, "labelId", ids)
	if err != nil {
		return err
	}
	return v.show(w, "labels", "Labels", "labels", labelsData{Labels: labels, Usage: usage})
}

// labelIndex resolves label ids for display.
type labelIndex map[string]*tc.Label

func indexLabels(labels []*tc.Label) labelIndex {
	idx := make(labelIndex, len(labels))
	for _, l := range labels {
		idx[l.ID] = l
	}
	return idx
}

// of returns the labels of ids that exist, in the order given.
func (idx labelIndex) of(ids []string) []*tc.Label {
	var out []*tc.Label
	for _, id := range ids {
		if l, ok := idx[id]; ok {
			out = append(out, l)
		}
	}
	return out
}

// labelList reads every label for a page that shows them beside what it is
// about (chips, a filter, a picker): a caller who may not read labels sees
// none, any other failure fails the page.
func (v *view) labelList() ([]*tc.Label, labelIndex, error) {
	ls, err := v.h.Labels.List(v.ctx())
	if err = optional(err); err != nil {
		return nil, nil, err
	}
	return ls, indexLabels(ls), nil
}
