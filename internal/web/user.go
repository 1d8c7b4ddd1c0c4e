package web

import (
	"net/http"
	"time"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/auth"
	"github.com/telegrafcontroller/tc/internal/service"
)

type usersData struct {
	Users   []tc.UserInfo
	Invites []service.InviteInfo
	Me      string
	IsOwner bool
	// Roles the caller may assign (administrators cannot make administrators).
	Roles []string
	// Providers are the enabled external sign-in providers an invite may name.
	Providers []string
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
	if st, err := h.SignIn.Status(ctx); err == nil {
		for _, p := range st.Providers {
			if tc.AuthProvider(p).External() {
				d.Providers = append(d.Providers, p)
			}
		}
	}
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

// settingsData is the settings page: the instance settings and the sign-in
// providers' state.
type settingsData struct {
	tc.Settings
	LocalEnabled bool
	Providers    []providerView
}

// providerView is an external provider on the settings page.
type providerView struct {
	ID, Name     string
	Status       auth.ProviderStatus
	Provisioning tc.Provisioning
	// CanEdit: only the owner changes provisioning (tc.CanEditProviderSettings).
	CanEdit bool
}

func (h *Handler) settingsPage(w http.ResponseWriter, r *http.Request, v *view) error {
	settings, err := h.Settings.Get(v.ctx())
	if err != nil {
		return err
	}
	d := settingsData{Settings: settings, LocalEnabled: h.SignIn.LocalEnabled()}
	statuses := h.SignIn.ProviderStatuses(v.ctx(), 2*time.Second)
	canEdit := tc.CanEditProviderSettings(v.caller.User) == nil
	for _, p := range []struct {
		id   tc.AuthProvider
		name string
	}{{tc.ProviderLDAP, "LDAP"}, {tc.ProviderOIDC, "OIDC"}} {
		if st := statuses[p.id]; st.Enabled {
			d.Providers = append(d.Providers, providerView{ID: string(p.id), Name: p.name, Status: st,
				Provisioning: settings.Provisioning(p.id), CanEdit: canEdit})
		}
	}
	return v.show(w, "settings", "Settings", "settings", d)
}
