package web

import (
	"net/http"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/store"
)

// permRow is one resource of the permissions grid with the actions the
// caller may grant.
type permRow struct {
	Resource string
	Actions  []permCell
}

type permCell struct {
	Action  string
	Perm    string
	Allowed bool
}

type tokensData struct {
	Tokens    []tc.TokenInfo
	Presets   []tc.TokenPreset
	Grid      []permRow
	Users     []*tc.User // the reassign choices
	Status    string
	Search    string
	SeeOwners bool
}

// tokensPage reads through the token and user services, with the visitor
// as the caller, exactly as the API does.
func (h *Handler) tokensPage(w http.ResponseWriter, r *http.Request, v *view) error {
	q := r.URL.Query()
	d := tokensData{Status: q.Get("status"), Search: q.Get("search"), SeeOwners: v.caller.Can("users:read")}
	ctx := v.ctx()
	var err error
	if d.Tokens, err = h.Tokens.List(ctx, store.TokenFilter{Status: d.Status, Search: d.Search}); err != nil {
		return err
	}
	if d.Presets, err = h.Tokens.Presets(ctx); err != nil {
		return err
	}
	for _, res := range tc.Resources {
		row := permRow{Resource: res.Name}
		for _, a := range []string{tc.ActionRead, tc.ActionWrite, tc.ActionDelete} {
			p := tc.Perm(res.Name, a)
			row.Actions = append(row.Actions, permCell{Action: a, Perm: string(p), Allowed: p.Valid() && v.caller.Can(p)})
		}
		d.Grid = append(d.Grid, row)
	}
	if d.SeeOwners {
		users, err := h.Users.List(ctx)
		if err != nil {
			return err
		}
		// Plain users: the page lists every user once per token, and a
		// template reads fields of a struct with an embedded one (UserInfo)
		// through reflect's slow, allocating search.
		for _, u := range users {
			d.Users = append(d.Users, u.User)
		}
	}
	return v.show(w, "tokens", "API Tokens", "tokens", d)
}
