package tc

import (
	"slices"
	"strings"
)

// Optional columns of the agents list (the agent id and its status are
// always shown), in display order.
const (
	AgentColumnLastSeen = "lastSeen" // last reported
	AgentColumnProblem  = "problem"  // the last error or warning
	AgentColumnErrors   = "errors"   // errors and warnings in the last heartbeat
	AgentColumnVersion  = "version"
	AgentColumnHostname = "hostname"
	AgentColumnIP       = "ip"
	AgentColumnLabels   = "labels"
)

// AgentColumns lists the agents list's optional columns in display order.
var AgentColumns = []string{AgentColumnLastSeen, AgentColumnProblem, AgentColumnErrors, AgentColumnVersion,
	AgentColumnHostname, AgentColumnIP, AgentColumnLabels}

// DefaultAgentColumns are the columns shown to someone who has not chosen.
var DefaultAgentColumns = []string{AgentColumnLastSeen, AgentColumnProblem, AgentColumnErrors, AgentColumnVersion,
	AgentColumnHostname, AgentColumnLabels}

// Preferences are one person's choices for the UI, kept per user on the
// server so they follow the person from browser to browser.
type Preferences struct {
	// AgentColumns are the optional columns of the agents list to show
	// (AgentColumns); nil shows DefaultAgentColumns, empty none.
	AgentColumns []string `json:"agentColumns"`
	// CompactRows draws the agents list with less space per row.
	CompactRows bool `json:"compactRows"`
}

// Validate reports the first unknown or repeated column.
func (p Preferences) Validate() error {
	for i, c := range p.AgentColumns {
		if !slices.Contains(AgentColumns, c) {
			return FieldErrorf("agentColumns", "unknown column %q: the columns are %s", c, strings.Join(AgentColumns, ", "))
		}
		if slices.Contains(p.AgentColumns[:i], c) {
			return FieldErrorf("agentColumns", "column %q is listed twice", c)
		}
	}
	return nil
}

// Normalized is p with the default columns filled in and the chosen ones in
// display order, as the API answers them.
func (p Preferences) Normalized() Preferences {
	chosen := p.AgentColumns
	if chosen == nil {
		chosen = DefaultAgentColumns
	}
	out := Preferences{AgentColumns: []string{}, CompactRows: p.CompactRows}
	for _, c := range AgentColumns {
		if slices.Contains(chosen, c) {
			out.AgentColumns = append(out.AgentColumns, c)
		}
	}
	return out
}

// ShowsAgentColumn reports whether the agents list shows column c.
func (p Preferences) ShowsAgentColumn(c string) bool {
	if p.AgentColumns == nil {
		return slices.Contains(DefaultAgentColumns, c)
	}
	return slices.Contains(p.AgentColumns, c)
}
