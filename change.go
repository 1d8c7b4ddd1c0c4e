package tc

import "time"

// Change is one committed change of state, as the store announces it on its
// change feed (internal/store change.go): what changed (Entity, Op), which
// records (IDs), who did it (the caller in the writing request's context)
// and when (the transaction's time). Caches subscribe to drop what they
// hold; the audit log records it; the cluster carries it to other nodes, so
// it holds no secret and travels as JSON.
//
// What IDs hold depends on Entity: user, token, label, reporting-rule, agent,
// config, config group and invite ids; constant names; aliases; for a session, the id of the user
// whose sessions began or ended (a session's key is a secret's digest and
// stays out of the feed); for a config version "<config id>/<version>";
// nothing for settings.
type Change struct {
	Entity Entity   `json:"entity"`
	Op     Op       `json:"op"`
	IDs    []string `json:"ids,omitempty"`
	// ActorUserID and ActorTokenID name the caller: a user, and the token
	// they acted through ("" for a session). Both are "" for a change made
	// by no caller: the server itself, start-up, an exempted route without
	// credentials, or a sign-in before it succeeds.
	ActorUserID  string    `json:"actorUserId,omitempty"`
	ActorTokenID string    `json:"actorTokenId,omitempty"`
	At           time.Time `json:"at"`
}

// Entity names what a Change changed.
type Entity string

// The entities the store announces. Heartbeats, agents' liveness, token
// last-use times and session activity are telemetry, not changes, and are
// never announced.
const (
	EntityUser          Entity = "user"
	EntityToken         Entity = "token"
	EntitySession       Entity = "session"
	EntityInvite        Entity = "invite"
	EntityPasswordReset Entity = "password-reset"
	EntitySettings      Entity = "settings"
	EntityConfig        Entity = "config"
	EntityConfigVersion Entity = "config-version"
	EntityConstant      Entity = "constant"
	EntityConfigGroup   Entity = "config-group"
	EntityAlias         Entity = "alias"
	EntityLabel         Entity = "label"
	EntityReportingRule Entity = "reporting-rule"
	EntityAgent         Entity = "agent"
	// EntityNotificationChannel is a channel alerts are sent to (ids);
	// its audit details name the fields changed, never a secret.
	EntityNotificationChannel Entity = "notification-channel"
	// EntityPreferences is one person's UI preferences (the user's id):
	// no cache holds them, but the audit log records the change.
	EntityPreferences Entity = "preferences"
	// EntityAlertRule is an alert rule (docs/alerts.md); EntityAlert is
	// the alerts' mutes, by mute id (OpMute, OpUnmute). The alerts
	// themselves change with the agents they watch: telemetry, never
	// announced.
	EntityAlertRule Entity = "alert-rule"
	EntityAlert     Entity = "alert"
)

// Op names what happened to a Change's records.
type Op string

// The operations. Create, update and delete apply to every entity; the
// others say more where a reader (the audit log, a person) wants to know.
const (
	OpCreate Op = "create"
	OpUpdate Op = "update"
	OpDelete Op = "delete"
	// OpPassword: a user's password was set (sessions other than the
	// caller's end with it).
	OpPassword Op = "password"
	// OpRevoke and OpReassign: a token was revoked, or moved to another
	// owner.
	OpRevoke   Op = "revoke"
	OpReassign Op = "reassign"
	// OpRollback: a config's TOML was set back to an earlier version.
	OpRollback Op = "rollback"
	// OpRender: what serving a config or group returns changed through
	// something it uses (a constant, a member config) while the config or
	// group itself did not.
	OpRender Op = "render"
	// OpTransfer: an alias now names another config or group.
	OpTransfer Op = "transfer"
	// OpMute and OpUnmute: a mute of alerts began, or was lifted before
	// its end.
	OpMute   Op = "mute"
	OpUnmute Op = "unmute"
)
