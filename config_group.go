package tc

import "time"

// ConfigGroup is an ordered list of configs served as one TOML document:
// each member rendered with the request's parameters, in order, after a
// comment naming it. Members are configs, never groups (no nesting); a
// group may be empty. RevisionAt is its Last-Modified: it moves forward by
// at least one second on every change of what feeds its render (its
// members or their order, a member's TOML, a constant a member uses, an
// alias moved onto it), as Config.RevisionAt does for a config.
type ConfigGroup struct {
	ID          string      `json:"id"`
	Name        string      `json:"name"`
	Description string      `json:"description"`
	Members     []ConfigRef `json:"members"` // in serving order
	LabelIDs    []string    `json:"labelIds"`
	CreatedAt   time.Time   `json:"createdAt"`
	UpdatedAt   time.Time   `json:"updatedAt"`
	CreatedBy   string      `json:"createdBy"`
	UpdatedBy   string      `json:"updatedBy"`
	RevisionAt  time.Time   `json:"revisionAt"`
}

// MemberIDs returns the ids of g's members, in order.
func (g *ConfigGroup) MemberIDs() []string {
	ids := make([]string, len(g.Members))
	for i, m := range g.Members {
		ids[i] = m.ID
	}
	return ids
}

// ConfigGroupUpdate is a partial change of a group; nil fields are left
// alone. MemberIDs replaces the members and their order.
type ConfigGroupUpdate struct {
	Name        *string
	Description *string
	MemberIDs   *[]string
	LabelIDs    *[]string
}

// ConfigGroupFilter selects and orders a page of groups.
type ConfigGroupFilter struct {
	Search    string // over name, description and member names, case-insensitive
	LabelID   string
	SortBy    string // "name" or "updatedAt"
	SortOrder string // "asc" or "desc"
	Page      int    // 1-based
	Limit     int
}

// MaxGroupMembers bounds the members of one group.
const MaxGroupMembers = 100

// ValidateGroupMembers checks a member list: config ids, each at most once.
// Whether they exist is the store's to say.
func ValidateGroupMembers(ids []string) error {
	if len(ids) > MaxGroupMembers {
		return FieldErrorf("memberIds", "a group holds at most %d configs", MaxGroupMembers)
	}
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		if id == "" {
			return FieldErrorf("memberIds", "memberIds must not hold an empty id")
		}
		if seen[id] {
			return FieldErrorf("memberIds", "config %q is listed twice: a config is a member of a group at most once", id)
		}
		seen[id] = true
	}
	return nil
}

// GroupMemberHeader is the comment that precedes a member's TOML in a
// served group, naming the config it comes from. A config's name is one
// line (ValidateConfigName), so the comment is too.
func GroupMemberHeader(m ConfigRef) string {
	return "# --- config \"" + m.Name + "\" (" + m.ID + ") ---\n"
}

// GroupAgentState is the state (ConfigStates) of a group for one agent
// whose config URLs name it, and the revision last served to that URL.
type GroupAgentState struct {
	AgentID      string     `json:"agentId"`
	State        string     `json:"state"`
	LastModified *time.Time `json:"lastModified"`
}
