package web

import (
	"net/http"
	"time"

	"github.com/telegrafcontroller/tc"
)

// User is a user as the API returns it.
type User struct {
	ID          string     `json:"id"`
	Username    string     `json:"username"`
	Email       string     `json:"email"`
	Role        string     `json:"role"`
	Disabled    bool       `json:"disabled"`
	Locked      bool       `json:"locked"`
	CreatedAt   time.Time  `json:"createdAt"`
	LastLoginAt *time.Time `json:"lastLoginAt"`
}

// Invite is a pending invitation.
type Invite struct {
	ID        string    `json:"id"`
	Username  string    `json:"username"`
	Email     string    `json:"email"`
	Role      string    `json:"role"`
	CreatedAt time.Time `json:"createdAt"`
	ExpiresAt time.Time `json:"expiresAt"`
	Expired   bool      `json:"expired"`
}

type usersData struct {
	Users   []User
	Invites []Invite
	Me      string
	IsOwner bool
	// Roles the caller may assign (administrators cannot make administrators).
	Roles []string
}

func (h *Handler) usersPage(w http.ResponseWriter, r *http.Request, v *view) error {
	var ul list[User]
	if err := v.get("/api/users", &ul); err != nil {
		return err
	}
	d := usersData{Users: ul.Items, Me: v.caller.User.ID, IsOwner: v.caller.User.Role == tc.RoleOwner}
	if v.caller.Can("invites:read") {
		var il list[Invite]
		if err := v.get("/api/invites", &il); err == nil {
			d.Invites = il.Items
		}
	}
	if d.IsOwner {
		d.Roles = append(d.Roles, string(tc.RoleAdministrator))
	}
	d.Roles = append(d.Roles, string(tc.RoleManager), string(tc.RoleViewer))
	return v.show(w, "users", "Users", "users", d)
}

type accountData struct {
	User         User
	PasswordHelp string
}

func (h *Handler) accountPage(w http.ResponseWriter, r *http.Request, v *view) error {
	var u User
	if err := v.get("/api/account", &u); err != nil {
		return err
	}
	return v.show(w, "account", "Account", "account", accountData{User: u, PasswordHelp: h.passwordHelp(r)})
}

// Settings is GET /api/settings.
type Settings struct {
	PublicUIURL          string `json:"publicUiUrl"`
	PublicAPIURL         string `json:"publicApiUrl"`
	PublicHeartbeatURL   string `json:"publicHeartbeatUrl"`
	LoginLockoutAttempts int    `json:"loginLockoutAttempts"`
	LoginLockoutMinutes  int    `json:"loginLockoutMinutes"`
	PasswordComplexity   string `json:"passwordComplexity"`
}

func (h *Handler) settingsPage(w http.ResponseWriter, r *http.Request, v *view) error {
	var s Settings
	if err := v.get("/api/settings", &s); err != nil {
		return err
	}
	return v.show(w, "settings", "Settings", "settings", s)
}
