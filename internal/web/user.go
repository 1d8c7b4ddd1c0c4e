package web

import (
	"net/http"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/service"
)

type usersData struct {
	Users   []tc.UserInfo
	Invites []service.InviteInfo
	Me      string
	IsOwner bool
	// Roles the caller may assign (administrators cannot make administrators).
	Roles []string
}

func (h *Handler) usersPage(w http.ResponseWriter, r *http.Request, v *view) error {
	ctx := v.ctx()
	users, err := h.Users.List(ctx)
	if err != nil {
		return err
	}
	d := usersData{Users: users, Me: v.caller.User.ID, IsOwner: v.caller.User.Role == tc.RoleOwner}
	if v.caller.Can("invites:read") {
		if d.Invites, err = h.Users.Invites(ctx); err != nil {
			return err
		}
	}
	if d.IsOwner {
		d.Roles = append(d.Roles, string(tc.RoleAdministrator))
	}
	d.Roles = append(d.Roles, string(tc.RoleManager), string(tc.RoleViewer))
	return v.show(w, "users", "Users", "users", d)
}

type accountData struct {
	User         tc.UserInfo
	PasswordHelp string
}

func (h *Handler) accountPage(w http.ResponseWriter, r *http.Request, v *view) error {
	u, err := h.Users.Account(v.ctx())
	if err != nil {
		return err
	}
	return v.show(w, "account", "Account", "account", accountData{User: u, PasswordHelp: h.passwordHelp()})
}

func (h *Handler) settingsPage(w http.ResponseWriter, r *http.Request, v *view) error {
	settings, err := h.Settings.Get(v.ctx())
	if err != nil {
		return err
	}
	return v.show(w, "settings", "Settings", "settings", settings)
}
