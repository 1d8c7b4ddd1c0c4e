package tc

import "time"

// Agent status values. Reported statuses come from heartbeats (lower-cased);
// AgentNotReporting is set by the status scheduler.
const (
	AgentOK           = "ok"
	AgentWarn         = "warn"
	AgentFail         = "fail"
	AgentUndefined    = "undefined"
	AgentNotReporting = "not_reporting"
)

// DefaultReportingRuleID is the id of the rule created by the first migration.
const DefaultReportingRuleID = "00000000-0000-4000-8000-000000000001"

// AgentStats are heartbeat statistics: the latest deltas and running totals.
type AgentStats struct {
	LastErrors    int64 `json:"lastErrors"`
	LastWarnings  int64 `json:"lastWarnings"`
	LastMetrics   int64 `json:"lastMetrics"`
	TotalErrors   int64 `json:"totalErrors"`
	TotalWarnings int64 `json:"totalWarnings"`
	TotalMetrics  int64 `json:"totalMetrics"`
}

// AgentLog is one log entry an agent reported.
type AgentLog struct {
	Time       string         `json:"time"`
	Level      string         `json:"level"`
	Source     string         `json:"source"`
	Attributes map[string]any `json:"attributes,omitempty"`
	Message    string         `json:"message"`
}

// Agent is a Telegraf instance known from its heartbeats. StatusSince is
// when Status last changed: the time of the heartbeat that reported a new
// status, or, for AgentNotReporting, the last time the agent was heard; nil
// when not known (a status unchanged since the upgrade that began keeping
// it).
type Agent struct {
	ID              string     `json:"id"`
	Hostname        string     `json:"hostname"`
	IP              string     `json:"ip"`
	Version         string     `json:"version"`
	Status          string     `json:"status"`
	ReportedStatus  string     `json:"reportedStatus"`
	ReportingRuleID string     `json:"reportingRuleId"`
	FirstSeen       time.Time  `json:"firstSeen"`
	LastSeen        time.Time  `json:"lastSeen"`
	StatusSince     *time.Time `json:"statusSince"` // when Status last changed (see above)
	Stats           AgentStats `json:"statistics"`
	LabelIDs        []string   `json:"labelIds"`
	ConfigIDs       []string   `json:"configIds"`       // managed: our own config URLs
	ExternalConfigs []string   `json:"externalConfigs"` // every other config source
	Logs            []AgentLog `json:"logs,omitempty"`
	// ConfigStates is the state of each managed config (the agent list's;
	// the detail has Runs).
	ConfigStates []AgentConfigState `json:"configStates,omitempty"`
}

// ReportingRule decides when an agent counts as not reporting, and when it
// is deleted for silence.
type ReportingRule struct {
	ID                       string    `json:"id"`
	Name                     string    `json:"name"`
	Description              string    `json:"description"`
	NotReportingAfterSeconds int64     `json:"notReportingAfterSeconds"`
	AutoDeleteAfterSeconds   *int64    `json:"autoDeleteAfterSeconds"`
	IsDefault                bool      `json:"isDefault"`
	AgentCount               int64     `json:"agentCount"` // agents assigned to the rule
	CreatedAt                time.Time `json:"createdAt"`
	UpdatedAt                time.Time `json:"updatedAt"`
}

// Label tags configs and agents.
type Label struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Color       string    `json:"color"`
	Description string    `json:"description"`
	CreatedAt   time.Time `json:"createdAt"`
	UpdatedAt   time.Time `json:"updatedAt"`
}

// AgentStatuses lists every status an agent can have, in display order.
var AgentStatuses = []string{AgentOK, AgentWarn, AgentFail, AgentUndefined, AgentNotReporting}

// Sort keys of the agent list.
const (
	AgentSortName     = "name" // the agent id
	AgentSortStatus   = "status"
	AgentSortLastSeen = "lastSeen"
	AgentSortHostname = "hostname"
	// AgentSortSeverity sorts problems first: fail, not reporting, warn,
	// undefined, ok, and within each the longest in that status first
	// (Agent.StatusSince).
	AgentSortSeverity = "severity"
)

// AgentFilter selects and orders a page of agents. Empty fields do not filter.
type AgentFilter struct {
	Search          string // substring of id, hostname or ip, case-insensitive
	Status          string
	ConfigID        string
	ReportingRuleID string
	LabelID         string
	// ConfigState keeps agents with a managed config in that state (one of
	// ConfigStates): ConfigID's when set, any otherwise. ConfigVersion
	// (with ConfigID) keeps agents served that version of it.
	ConfigState   string
	ConfigVersion int
	SortBy        string // one of the AgentSort constants; name by default
	Desc          bool
	Offset, Limit int
}

// AgentList is one page of agents. Total counts every match; when counting
// would take too long (a search, or a config or label filter, matching very
// many agents) it stops at a cap and TotalExact is false.
type AgentList struct {
	Items      []*Agent `json:"items"`
	Total      int64    `json:"total"`
	TotalExact bool     `json:"totalExact"`
}

// AgentSummary counts agents by status.
type AgentSummary struct {
	Total        int64 `json:"total"`
	OK           int64 `json:"ok"`
	Warn         int64 `json:"warn"`
	Fail         int64 `json:"fail"`
	Undefined    int64 `json:"undefined"`
	NotReporting int64 `json:"notReporting"`
	// Stale counts the agents with at least one stale config (ConfigStale).
	Stale int64 `json:"stale"`
}

// Add counts n agents of status.
func (s *AgentSummary) Add(status string, n int64) {
	s.Total += n
	switch status {
	case AgentOK:
		s.OK += n
	case AgentWarn:
		s.Warn += n
	case AgentFail:
		s.Fail += n
	case AgentUndefined:
		s.Undefined += n
	case AgentNotReporting:
		s.NotReporting += n
	}
}

// AgentDetail is an agent with what it refers to, for its detail page.
type AgentDetail struct {
	Agent
	ReportingRule *ReportingRule `json:"reportingRule"`
	Labels        []Label        `json:"labels"`
	Configs       []ConfigRef    `json:"configs"`
	// Runs says, per managed config, what the agent runs and its state.
	Runs []AgentConfigRun `json:"runs"`
}

// AgentUpdate changes what an operator manages on an agent; nil fields stay.
// LabelIDs replaces the agent's whole label set.
type AgentUpdate struct {
	ReportingRuleID *string   `json:"reportingRuleId"`
	LabelIDs        *[]string `json:"labelIds"`
}

// FleetHealthSample is the fleet's status counts at one scheduler tick.
type FleetHealthSample struct {
	At time.Time `json:"at"`
	AgentSummary
	// Stale hides AgentSummary.Stale from the JSON: samples count statuses
	// only.
	Stale *int64 `json:"stale,omitempty"`
}

// Bulk actions on agents (POST /api/agents/bulk).
const (
	AgentBulkDelete      = "delete"
	AgentBulkAssignRule  = "assign-rule"
	AgentBulkAddLabel    = "add-label"
	AgentBulkRemoveLabel = "remove-label"
)

// AgentBulk is one action on many agents: ReportingRuleID is the rule of
// assign-rule, LabelID the label of add-label and remove-label.
type AgentBulk struct {
	Action          string   `json:"action"`
	IDs             []string `json:"ids"`
	ReportingRuleID string   `json:"reportingRuleId"`
	LabelID         string   `json:"labelId"`
}

// AgentBulkResult reports what a bulk action did to one agent id; every
// bulk answer has this shape (TokenBulkResult).
type AgentBulkResult = TokenBulkResult
