package tc

import (
	"slices"
	"strings"
)

// Role is a user's place in the strict order owner > administrator > manager > viewer.
type Role string

const (
	RoleOwner         Role = "owner"
	RoleAdministrator Role = "administrator"
	RoleManager       Role = "manager"
	RoleViewer        Role = "viewer"
)

// Roles lists every role, most powerful first.
var Roles = []Role{RoleOwner, RoleAdministrator, RoleManager, RoleViewer}

// Valid reports whether r is one of the four roles.
func (r Role) Valid() bool { return slices.Contains(Roles, r) }

// Rank orders roles: a higher rank is more powerful. Unknown roles rank 0.
func (r Role) Rank() int {
	switch r {
	case RoleOwner:
		return 4
	case RoleAdministrator:
		return 3
	case RoleManager:
		return 2
	case RoleViewer:
		return 1
	}
	return 0
}

// Permission is a "resource:action" string such as "configs:read".
type Permission string

// Resources that permissions apply to.
const (
	ResConfigs        = "configs"
	ResConfigGroups   = "config-groups"
	ResConstants      = "constants"
	ResAgents         = "agents"
	ResReportingRules = "reporting-rules"
	ResAlertRules     = "alert-rules"
	ResAlerts         = "alerts"
	ResLabels         = "labels"
	ResHeartbeat      = "heartbeat"
	ResTokens         = "tokens"
	ResUsers          = "users"
	ResInvites        = "invites"
	ResPasswordResets = "password-resets"
	ResSettings       = "settings"
	ResAudit          = "audit"
	// ResNotificationChannels: where alerts go (docs/alerts.md). Writing
	// one makes the controller send to any URL or mail server, so only
	// the owner and administrators may; managers read them to pick one.
	ResNotificationChannels = "notification-channels"
	ActionRead              = "read"
	ActionWrite             = "write"
	ActionDelete            = "delete"
	permissionSep           = ":"
	maxPermissionCount      = 64
)

// Resource is a permission target with the actions it supports.
type Resource struct {
	Name    string
	Actions []string
}

// Resources is every resource with its actions, in display order.
var Resources = []Resource{
	{ResConfigs, []string{ActionRead, ActionWrite, ActionDelete}},
	{ResConfigGroups, []string{ActionRead, ActionWrite, ActionDelete}},
	{ResConstants, []string{ActionRead, ActionWrite, ActionDelete}},
	{ResAgents, []string{ActionRead, ActionWrite, ActionDelete}},
	{ResReportingRules, []string{ActionRead, ActionWrite, ActionDelete}},
	{ResAlertRules, []string{ActionRead, ActionWrite, ActionDelete}},
	{ResAlerts, []string{ActionRead, ActionWrite}}, // write: mute and unmute
	{ResLabels, []string{ActionRead, ActionWrite, ActionDelete}},
	{ResHeartbeat, []string{ActionWrite}},
	{ResTokens, []string{ActionRead, ActionWrite, ActionDelete}},
	{ResUsers, []string{ActionRead, ActionWrite, ActionDelete}},
	{ResInvites, []string{ActionRead, ActionWrite, ActionDelete}},
	{ResPasswordResets, []string{ActionRead, ActionWrite, ActionDelete}},
	{ResSettings, []string{ActionRead, ActionWrite}},
	{ResAudit, []string{ActionRead}},
	{ResNotificationChannels, []string{ActionRead, ActionWrite, ActionDelete}},
}

// Perm builds a Permission from a resource and an action.
func Perm(resource, action string) Permission { return Permission(resource + permissionSep + action) }

// Resource returns the resource part of p.
func (p Permission) Resource() string { r, _, _ := strings.Cut(string(p), permissionSep); return r }

// Action returns the action part of p.
func (p Permission) Action() string { _, a, _ := strings.Cut(string(p), permissionSep); return a }

// Valid reports whether p names an existing resource and one of its actions.
func (p Permission) Valid() bool {
	res, act, ok := strings.Cut(string(p), permissionSep)
	if !ok {
		return false
	}
	for _, r := range Resources {
		if r.Name == res {
			return slices.Contains(r.Actions, act)
		}
	}
	return false
}

// AllPermissions is every valid permission, in display order.
var AllPermissions = func() []Permission {
	var all []Permission
	for _, r := range Resources {
		for _, a := range r.Actions {
			all = append(all, Perm(r.Name, a))
		}
	}
	return all
}()

// rolePermissions is the role → permission matrix, the single source of truth
// documented in docs/permissions.md. Owner and administrator hold everything;
// the limits on administrators (the owner account, the administrator role,
// ownership transfer) are rules on targets, enforced where users are managed.
// A manager's tokens:* applies to the manager's own tokens only.
var rolePermissions = map[Role][]Permission{
	RoleOwner:         AllPermissions,
	RoleAdministrator: AllPermissions,
	RoleManager: withResources(
		[]string{ResConfigs, ResConfigGroups, ResConstants, ResAgents, ResReportingRules, ResAlertRules, ResAlerts, ResLabels, ResTokens},
		Perm(ResHeartbeat, ActionWrite), Perm(ResNotificationChannels, ActionRead),
	),
	RoleViewer: []Permission{
		Perm(ResConfigs, ActionRead), Perm(ResConfigGroups, ActionRead), Perm(ResConstants, ActionRead), Perm(ResAgents, ActionRead),
		Perm(ResReportingRules, ActionRead), Perm(ResAlertRules, ActionRead), Perm(ResAlerts, ActionRead), Perm(ResLabels, ActionRead),
	},
}

// withResources is every action on names plus extra, in display order.
func withResources(names []string, extra ...Permission) []Permission {
	var out []Permission
	for _, p := range AllPermissions {
		if slices.Contains(names, p.Resource()) || slices.Contains(extra, p) {
			out = append(out, p)
		}
	}
	return out
}

// RolePermissions returns the permissions granted to role, in display order.
func RolePermissions(role Role) []Permission { return slices.Clone(rolePermissions[role]) }

// PermissionSet is a set of permissions with O(1) membership.
type PermissionSet map[Permission]struct{}

// NewPermissionSet builds a set from a list.
func NewPermissionSet(perms ...Permission) PermissionSet {
	s := make(PermissionSet, len(perms))
	for _, p := range perms {
		s[p] = struct{}{}
	}
	return s
}

// Has reports whether p is in the set.
func (s PermissionSet) Has(p Permission) bool { _, ok := s[p]; return ok }

// List returns the set's members in display order.
func (s PermissionSet) List() []Permission {
	out := make([]Permission, 0, len(s))
	for _, p := range AllPermissions {
		if s.Has(p) {
			out = append(out, p)
		}
	}
	return out
}

// rolePermissionSets caches RolePermissions as sets for the hot path.
var rolePermissionSets = func() map[Role]PermissionSet {
	m := make(map[Role]PermissionSet, len(rolePermissions))
	for r, ps := range rolePermissions {
		m[r] = NewPermissionSet(ps...)
	}
	return m
}()

// RoleHas reports whether role grants p.
func RoleHas(role Role, p Permission) bool { return rolePermissionSets[role].Has(p) }

// EffectivePermissions returns requested ∩ the role's permissions, in display
// order. It is computed at every use so that a role change narrows tokens at once.
func EffectivePermissions(role Role, requested []Permission) PermissionSet {
	out := make(PermissionSet, len(requested))
	for _, p := range requested {
		if RoleHas(role, p) {
			out[p] = struct{}{}
		}
	}
	return out
}

// ParsePermissions validates a list of "resource:action" strings, dropping duplicates.
func ParsePermissions(in []string) ([]Permission, error) {
	if len(in) > maxPermissionCount {
		return nil, FieldErrorf("permissions", "at most %d permissions", maxPermissionCount)
	}
	seen := make(map[Permission]bool, len(in))
	out := make([]Permission, 0, len(in))
	for _, s := range in {
		p := Permission(s)
		if !p.Valid() {
			return nil, FieldErrorf("permissions", "unknown permission %q", s)
		}
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return out, nil
}
