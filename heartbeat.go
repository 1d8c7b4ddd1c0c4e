package tc

import (
	"net/url"
	"slices"
	"strings"
	"time"
)

// Heartbeat limits.
const (
	// MaxAgentIDLength is the longest accepted agent id, in characters.
	MaxAgentIDLength = 255
	// MaxAgentLogs is how many reported log entries are kept per agent.
	MaxAgentLogs = 200
	// MaxAgentConfigs is the most config sources one heartbeat may list: an
	// agent loads a handful; tens of thousands would overflow the batch
	// statement that links them and fail every heartbeat written with it.
	MaxAgentConfigs = 1000
)

// HeartbeatStats are the counters one heartbeat reports: deltas since the
// agent's previous successful heartbeat.
type HeartbeatStats struct {
	Errors   int64
	Warnings int64
	Metrics  int64
}

// Add returns the element-wise sum of s and o.
func (s HeartbeatStats) Add(o HeartbeatStats) HeartbeatStats {
	return HeartbeatStats{Errors: s.Errors + o.Errors, Warnings: s.Warnings + o.Warnings, Metrics: s.Metrics + o.Metrics}
}

// AgentBeat is what the controller learned about one agent from one or more
// heartbeats that arrived between two writes to the database: the latest
// values, the summed statistics and the new log entries.
type AgentBeat struct {
	ID       string
	Hostname string // "" when not reported: the stored hostname stays
	IP       string
	Version  string
	Status   string // reported status, lower-case (AgentOK when none was sent)
	// FirstSeen and LastSeen are the times of the earliest and the latest
	// merged heartbeat.
	FirstSeen time.Time
	LastSeen  time.Time
	Last      HeartbeatStats // the latest heartbeat's deltas
	Sum       HeartbeatStats // every merged heartbeat's deltas added up
	Logs      []AgentLog     // new entries, newest first, at most MaxAgentLogs
	// HasConfigs tells whether the heartbeat listed its config sources;
	// without them the stored links stay as they are.
	HasConfigs bool
	Configs    []string
	// Beats counts the heartbeats merged into b (0 counts as one), and
	// Worst is the worst status they reported by StatusRank ("" is
	// Status): the agent's history records both (docs/agents.md).
	Beats int64
	Worst string
}

// BeatCount is how many heartbeats were merged into b.
func (b *AgentBeat) BeatCount() int64 { return max(b.Beats, 1) }

// WorstStatus is the worst status the heartbeats merged into b reported.
func (b *AgentBeat) WorstStatus() string {
	if b.Worst == "" {
		return b.Status
	}
	return b.Worst
}

// Merge folds another not yet written beat of the same agent into b, so
// that writing b alone is the same as writing both, in either order: the
// latest values (hostname, ip, version, status, config sources, Last) are
// those of the beat with the later LastSeen, whichever it is (beats of one
// agent handled concurrently may reach Merge out of order), statistics are
// summed, FirstSeen is the earlier one, logs are newest first, and the
// beats are counted with the worst status any reported.
func (b *AgentBeat) Merge(other *AgentBeat) {
	newer, older := b, other
	if other.LastSeen.After(b.LastSeen) {
		newer, older = other, b
	}
	m := *newer
	m.Sum = newer.Sum.Add(older.Sum)
	m.Beats = newer.BeatCount() + older.BeatCount()
	m.Worst = newer.WorstStatus()
	if StatusRank(older.WorstStatus()) > StatusRank(m.Worst) {
		m.Worst = older.WorstStatus()
	}
	m.FirstSeen = newer.FirstSeen
	if older.FirstSeen.Before(m.FirstSeen) {
		m.FirstSeen = older.FirstSeen
	}
	if m.Hostname == "" {
		m.Hostname = older.Hostname
	}
	if !m.HasConfigs && older.HasConfigs {
		m.HasConfigs, m.Configs = true, older.Configs
	}
	if len(older.Logs) > 0 && len(m.Logs) < MaxAgentLogs {
		n := min(len(older.Logs), MaxAgentLogs-len(m.Logs))
		m.Logs = append(m.Logs[:len(m.Logs):len(m.Logs)], older.Logs[:n]...)
	}
	*b = m
}

// ConfigLinks splits the config sources an agent reported into ids of this
// controller's configs (managed: ConfigIDFromURL) and everything else that
// is not one of its URLs (external), each without duplicates and in
// reported order. A group's URL or a short URL (/c/{alias}) is neither: it
// is a ref (ManagedRefs).
func ConfigLinks(sources []string) (managed, external []string) {
	managed, external = []string{}, []string{}
	for _, src := range sources {
		if id, ok := ConfigIDFromURL(src); ok {
			if !slices.Contains(managed, id) {
				managed = append(managed, id)
			}
		} else if _, ok := ConfigRefFromURL(src); ok {
			continue
		} else if !slices.Contains(external, src) {
			external = append(external, src)
		}
	}
	return managed, external
}

// ConfigIDFromURL returns the config id when src is one of the controller's
// own config URLs: http(s), any host, path ending in /api/configs/{id}/toml,
// with or without a query and (redacted) userinfo.
func ConfigIDFromURL(src string) (string, bool) {
	if !strings.Contains(src, "/api/configs/") {
		return "", false
	}
	u, err := url.Parse(src)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", false
	}
	_, rest, ok := strings.Cut(u.Path, "/api/configs/")
	if !ok {
		return "", false
	}
	id, ok := strings.CutSuffix(rest, "/toml")
	if !ok || id == "" || strings.Contains(id, "/") || len(id) > 255 {
		return "", false
	}
	return id, true
}
