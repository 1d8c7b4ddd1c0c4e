package tc

import "fmt"

// Action is something one principal does to another user: the unit of the
// policy below. Holding the route's permission (users:write, tokens:write,
// ...) is checked at the edge; whether the actor may do the action to that
// particular target is decided here, and only here.
type Action string

// Actions on another principal.
const (
	ActChangeRole        Action = "change-role"        // PATCH /api/users/{id} {"role"}
	ActDisable           Action = "disable"            // PATCH /api/users/{id} {"disabled"}, both ways
	ActDelete            Action = "delete"             // DELETE /api/users/{id}
	ActResetPassword     Action = "reset-password"     // create a reset link, and use it later
	ActTransferOwnership Action = "transfer-ownership" // make the target the owner
	ActTakeToken         Action = "take-token"         // reassign a token away from the target
	ActGiveToken         Action = "give-token"         // reassign a token to the target
	ActRevokeToken       Action = "revoke-token"       // revoke or delete the target's token
)

// Actions lists every action, for walks and documentation.
var Actions = []Action{ActChangeRole, ActDisable, ActDelete, ActResetPassword, ActTransferOwnership,
	ActTakeToken, ActGiveToken, ActRevokeToken}

// actionRule is one row of the policy.
type actionRule struct {
	self    bool   // the actor may do it to themselves
	anyone  bool   // an actor who manages all tokens may do it to anyone (the emergency brake)
	verb    string // for messages: "change the role of"
	ownerTo bool   // only the owner acts, and only on an administrator (ownership)
}

// policy is the whole rule set beyond "holds the route's permission". For
// every other case the actor must manage the target (Manages).
var policy = map[Action]actionRule{
	ActChangeRole:        {verb: "change the role of"},
	ActDisable:           {verb: "disable or enable"},
	ActDelete:            {verb: "delete"},
	ActResetPassword:     {self: true, verb: "create a password reset link for"},
	ActTransferOwnership: {ownerTo: true, verb: "transfer ownership to"},
	ActTakeToken:         {self: true, verb: "take a token from"},
	ActGiveToken:         {self: true, verb: "hand a token to"},
	ActRevokeToken:       {self: true, anyone: true, verb: "revoke or delete a token of"},
}

// Manages reports whether actor stands above target: the owner manages
// everyone else, an administrator manages managers and viewers, and managers
// and viewers manage nobody. Nobody manages themselves through this.
func Manages(actor, target *User) bool {
	if actor == nil || target == nil || actor.ID == target.ID || actor.Disabled {
		return false
	}
	switch actor.Role {
	case RoleOwner:
		return true
	case RoleAdministrator:
		return target.Role == RoleManager || target.Role == RoleViewer
	}
	return false
}

// CanManage decides whether actor may do a to target. It returns nil or an
// EFORBIDDEN error that says why. Errors: EFORBIDDEN, EINVALID for an
// unknown action.
func CanManage(actor, target *User, a Action) error {
	rule, ok := policy[a]
	if !ok {
		return Errorf(EINVALID, "unknown action %q", a)
	}
	if actor == nil || target == nil {
		return Errorf(EFORBIDDEN, "You cannot %s this user", rule.verb)
	}
	self := actor.ID == target.ID
	switch {
	case rule.ownerTo:
		if actor.Role != RoleOwner {
			return Errorf(EFORBIDDEN, "Only the owner can transfer ownership")
		}
		if self {
			return Errorf(EINVALID, "You already are the owner")
		}
		return nil
	case self && rule.self:
		return nil
	case self:
		return Errorf(EFORBIDDEN, "You cannot %s your own account here", rule.verb)
	case rule.anyone && ManagesAllTokens(actor.Role):
		return nil
	case Manages(actor, target):
		return nil
	case target.Role == RoleOwner:
		return Errorf(EFORBIDDEN, "Only the owner can %s the owner account", rule.verb)
	case target.Role == RoleAdministrator:
		return Errorf(EFORBIDDEN, "Only the owner can %s an administrator", rule.verb)
	}
	return Errorf(EFORBIDDEN, "Your role (%s) cannot %s a %s", actor.Role, rule.verb, target.Role)
}

// CanGrantRole decides whether actor may give role to someone, by invite or
// by a role change: the owner grants administrator, manager and viewer; an
// administrator grants manager and viewer; nobody grants owner (ownership is
// transferred, not granted). Errors: EINVALID, EFORBIDDEN.
func CanGrantRole(actor *User, role Role) error {
	switch {
	case role == RoleOwner:
		return FieldErrorf("role", "The owner role changes hands only by transferring ownership")
	case !role.Valid():
		return FieldErrorf("role", "Role must be administrator, manager or viewer")
	case actor == nil || actor.Disabled:
		return Errorf(EFORBIDDEN, "You cannot grant roles")
	case actor.Role == RoleOwner:
		return nil
	case actor.Role == RoleAdministrator && role != RoleAdministrator:
		return nil
	case role == RoleAdministrator:
		return Errorf(EFORBIDDEN, "Only the owner can grant the administrator role")
	}
	return Errorf(EFORBIDDEN, "Your role (%s) cannot grant the %s role", actor.Role, role)
}

// CanReassignToken decides whether caller c may move a token holding perms
// from one user to another. Reassignment keeps the secret working (agents
// keep running when a person leaves), so whoever may know the secret must
// not gain through it: c must manage both users (or be either one), and
// what the token may do for its new owner (perms ∩ the new owner's role)
// must be within what c holds, so it never exceeds what c could have
// granted with a new token. Errors: EFORBIDDEN, EINVALID.
func CanReassignToken(c *Caller, perms []Permission, from, to *User) error {
	if c == nil || c.User == nil {
		return Errorf(EUNAUTHORIZED, "Missing or invalid Authorization header")
	}
	if !ManagesAllTokens(c.User.Role) {
		return Errorf(EFORBIDDEN, "Insufficient permissions: only the owner or an administrator can reassign tokens")
	}
	if err := CanManage(c.User, from, ActTakeToken); err != nil {
		return err
	}
	if err := CanManage(c.User, to, ActGiveToken); err != nil {
		return err
	}
	var beyond []Permission
	for _, p := range EffectivePermissions(to.Role, perms).List() {
		if !c.Can(p) {
			beyond = append(beyond, p)
		}
	}
	if len(beyond) > 0 {
		return Errorf(EFORBIDDEN, "You cannot hand over a token that would hold permissions you do not hold: %s", fmt.Sprint(beyond))
	}
	return nil
}
