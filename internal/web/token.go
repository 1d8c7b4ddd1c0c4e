package web

import (
	"net/http"
	"net/url"
	"time"

	"github.com/telegrafcontroller/tc"
)

// Token is an API token as the API lists it (never its secret).
type Token struct {
	ID                   string     `json:"id"`
	Description          string     `json:"description"`
	UserID               string     `json:"userId"`
	Permissions          []string   `json:"permissions"`
	EffectivePermissions []string   `json:"effectivePermissions"`
	Preset               string     `json:"preset"`
	Status               string     `json:"status"`
	Display              string     `json:"display"`
	CreatedAt            time.Time  `json:"createdAt"`
	ExpiresAt            *time.Time `json:"expiresAt"`
	RevokedAt            *time.Time `json:"revokedAt"`
	LastUsedAt           *time.Time `json:"lastUsedAt"`
	Expired              bool       `json:"expired"`
	Owner                *struct {
		ID       string `json:"id"`
		Username string `json:"username"`
	} `json:"owner"`
}

// Preset is a named permission set offered at token creation.
type Preset struct {
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Permissions []string `json:"permissions"`
}

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
	Tokens    []Token
	Presets   []Preset
	Grid      []permRow
	Users     []User
	Status    string
	Search    string
	SeeOwners bool
}

func (h *Handler) tokensPage(w http.ResponseWriter, r *http.Request, v *view) error {
	q := r.URL.Query()
	d := tokensData{Status: q.Get("status"), Search: q.Get("search"), SeeOwners: v.caller.Can("users:read")}
	api := url.Values{}
	if d.Status != "" {
		api.Set("status", d.Status)
	}
	if d.Search != "" {
		api.Set("search", d.Search)
	}
	var tl struct {
		Tokens []Token `json:"tokens"`
	}
	if err := v.get("/api/tokens?"+api.Encode(), &tl); err != nil {
		return err
	}
	d.Tokens = tl.Tokens
	var pl struct {
		Presets []Preset `json:"presets"`
	}
	if err := v.get("/api/tokens/presets", &pl); err == nil {
		d.Presets = pl.Presets
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
		var ul list[User]
		if err := v.get("/api/users", &ul); err == nil {
			d.Users = ul.Items
		}
	}
	return v.show(w, "tokens", "API Tokens", "tokens", d)
}
