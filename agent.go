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

// Agent is a Telegraf instance known from its heartbeats.
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
	Stats           AgentStats `json:"statistics"`
	LabelIDs        []string   `json:"labelIds"`
	ConfigIDs       []string   `json:"configIds"`       // managed: our own config URLs
	ExternalConfigs []string   `json:"externalConfigs"` // every other config source
	Logs            []AgentLog `json:"logs,omitempty"`
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
