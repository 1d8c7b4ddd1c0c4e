package web

import (
	"bytes"
	"encoding/json"
)

// list decodes an API list answer: either a bare JSON array or an object
// {"items": [...], "total": n}.
type list[T any] struct {
	Items []T
	Total int
}

func (l *list[T]) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '[' {
		if err := json.Unmarshal(b, &l.Items); err != nil {
			return err
		}
		l.Total = len(l.Items)
		return nil
	}
	var obj struct {
		Items []T  `json:"items"`
		Total *int `json:"total"`
	}
	if err := json.Unmarshal(b, &obj); err != nil {
		return err
	}
	l.Items = obj.Items
	l.Total = len(obj.Items)
	if obj.Total != nil {
		l.Total = *obj.Total
	}
	return nil
}
