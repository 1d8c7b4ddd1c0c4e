package tc

import (
	"net/url"
	"slices"
	"strings"
	"time"
)

// Serve kinds: what a served TOML was rendered from. A config group's
// serving records its serves through the same recorder with ServeGroup.
const (
	ServeConfig = "config"
	ServeGroup  = "group"
)

// ConfigServe is one successful GET of a config's TOML: what the client was
// given. HEADs deliver no body and are not serves; they are counted per URL
// as the agent's watcher (ConfigWatch).
type ConfigServe struct {
	Kind     string `json:"kind"`     // ServeConfig or ServeGroup
	SourceID string `json:"sourceId"` // the config's (or group's) id
	// Version is the config's version when it was served; Members the
	// member configs' versions of a group (empty for a config).
	Version      int            `json:"version"`
	Members      []ServedMember `json:"members,omitempty"`
	LastModified time.Time      `json:"lastModified"` // the Last-Modified sent: the render's revision
	Digest       string         `json:"digest"`       // of the rendered TOML (hex of SHA-256, 128 bits)
	// URL is the request's path and query as the agent names it, with the
	// values of secret parameters masked (ServeURL): what a heartbeat's
	// configurations entry is matched against.
	URL      string       `json:"url"`
	Params   []ServeParam `json:"params"`
	TokenID  string       `json:"tokenId"`  // "" when the endpoint needs no token
	ClientIP string       `json:"clientIp"` // behind --trusted-proxies, the client's
	AgentID  string       `json:"agentId"`  // the agent_id parameter, when given
	// Telegraf tells a Telegraf agent's fetch (User-Agent Telegraf/…) from
	// anyone else's (a browser, curl): only Telegraf's count as what an
	// agent runs.
	Telegraf bool `json:"telegraf"`
	// At is when it was served; Count how many like serves (the same
	// render of the same URL to the same client and token) within one
	// write of the recorder this record stands for, At the latest's.
	At    time.Time `json:"servedAt"`
	Count int       `json:"count"`
}

// ServedMember is one member config of a served group and its version.
type ServedMember struct {
	ConfigID string `json:"configId"`
	Version  int    `json:"version"`
}

// ServeParam is one query parameter of a serve; the value of a secret one
// (SecretParamName) is MaskedValue.
type ServeParam struct {
	Name   string `json:"name"`
	Value  string `json:"value"`
	Masked bool   `json:"masked,omitempty"`
}

// MaskedValue stands for a secret parameter's value (Telegraf's own mark
// for a redacted password).
const MaskedValue = "xxxxx"

// secretWords are the parts of a parameter name that mark its value as a
// secret.
var secretWords = []string{"token", "password", "passwd", "pwd", "secret", "key", "credential", "auth", "cert"}

// SecretParamName reports whether a parameter's name suggests its value is
// a secret (token, password, secret, key, ...), case-insensitively: such a
// value is never stored, shown or logged.
func SecretParamName(name string) bool {
	n := strings.ToLower(name)
	for _, w := range secretWords {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

// ServeURL is the URL a serve is recorded and matched under: the escaped
// path and the raw query as requested, with the value of every secret
// parameter replaced by MaskedValue in place (order and encoding kept).
// A heartbeat names the same URL (ServeURLFromSource), so matching stays
// exact except that secret values are compared by name only.
func ServeURL(escapedPath, rawQuery string) string {
	if rawQuery == "" {
		return escapedPath
	}
	var b strings.Builder
	b.Grow(len(escapedPath) + 1 + len(rawQuery))
	b.WriteString(escapedPath)
	b.WriteByte('?')
	for i, part := range strings.Split(rawQuery, "&") {
		if i > 0 {
			b.WriteByte('&')
		}
		rawName, _, hasValue := strings.Cut(part, "=")
		name, err := url.QueryUnescape(rawName)
		if err != nil {
			name = rawName
		}
		if hasValue && SecretParamName(name) {
			b.WriteString(rawName + "=" + MaskedValue)
			continue
		}
		b.WriteString(part)
	}
	return b.String()
}

// ServeURLFromSource is ServeURL of a config source a heartbeat lists (a
// full URL, its password redacted), or false when it is no http(s) URL.
func ServeURLFromSource(src string) (string, bool) {
	u, err := url.Parse(src)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", false
	}
	return ServeURL(u.EscapedPath(), u.RawQuery), true
}

// ServeParams lists a raw query's parameters by name (values in order),
// secret values masked; an undecodable query gives none.
func ServeParams(rawQuery string) []ServeParam {
	out := []ServeParam{}
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return out
	}
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for k := range q {
			if !yield(k) {
				return
			}
		}
	}) {
		secret := SecretParamName(name)
		for _, v := range q[name] {
			if secret {
				v = MaskedValue
			}
			out = append(out, ServeParam{Name: name, Value: v, Masked: secret})
		}
	}
	return out
}

// States of a config an agent runs (AgentConfigRun.State).
const (
	// ConfigCurrent: the agent was served the config's current revision.
	ConfigCurrent = "current"
	// ConfigPending: a newer revision exists, and the agent's watch
	// interval plus ConfigStaleGrace has not passed since it appeared.
	ConfigPending = "pending"
	// ConfigStale: a newer revision exists and the agent has not fetched
	// it in its watch interval plus ConfigStaleGrace.
	ConfigStale = "stale"
	// ConfigUnknown: no serve of the agent's URL was recorded.
	ConfigUnknown = "unknown"
)

// ConfigStates lists the states in display order.
var ConfigStates = []string{ConfigCurrent, ConfigPending, ConfigStale, ConfigUnknown}

// Why a config is stale (AgentConfigRun.StaleReason).
const (
	StaleNotWatching     = "not watching"
	StaleWatchingFailing = "watching but failing"
)

// ConfigStaleGrace is added to an agent's watch interval before a newer
// revision it has not fetched makes it stale: it covers the watcher's tick
// landing just after the change, the reload's GET and the recorder's flush.
const ConfigStaleGrace = 10 * time.Second

// ConfigWatch is what the HEADs of one URL (Telegraf's watcher) tell.
type ConfigWatch struct {
	LastHeadAt time.Time
	// Interval is the watch interval inferred from the spacing of the
	// URL's HEADs (the median of the last three gaps); 0 when unknown.
	Interval time.Duration
}

// AgentConfigRun is what an agent runs of one managed config or config
// group: the latest serve of the URL it reported, and its state. A URL
// naming an alias (/c/{alias}, or an alias in place of an id) is read as
// what the alias names now: after a transfer the agent runs the old
// target's TOML until it fetches again, so the new target is stale or
// pending for it.
type AgentConfigRun struct {
	Kind string `json:"kind"` // ServeConfig or ServeGroup
	// ConfigID and ConfigName name the config (kind config); GroupID and
	// GroupName the group (kind group).
	ConfigID   string `json:"configId,omitempty"`
	ConfigName string `json:"configName,omitempty"`
	GroupID    string `json:"groupId,omitempty"`
	GroupName  string `json:"groupName,omitempty"`
	// Alias is the alias the URL names, when it names one.
	Alias          string `json:"alias,omitempty"`
	URL            string `json:"url"` // the URL it reported, as recorded (ServeURL)
	State          string `json:"state"`
	Stale          bool   `json:"stale"`
	StaleReason    string `json:"staleReason,omitempty"`
	CurrentVersion int    `json:"currentVersion"`
	// The rest describe the serve; zero when the state is unknown.
	Version      int          `json:"version"`
	LastModified *time.Time   `json:"lastModified"`
	FetchedAt    *time.Time   `json:"fetchedAt"`
	Digest       string       `json:"digest"`
	Params       []ServeParam `json:"params"`
	// Watching: the URL was HEADed after the serve; WatchInterval is the
	// inferred interval in seconds (0 unknown), LastWatchAt the last HEAD.
	Watching             bool       `json:"watching"`
	WatchIntervalSeconds float64    `json:"watchIntervalSeconds"`
	LastWatchAt          *time.Time `json:"lastWatchAt"`
	// LoadErrors are the agent's reported errors and warnings about loading
	// or watching this config's URL, newest first.
	LoadErrors []AgentLog `json:"loadErrors"`
	// Members are a group's member configs as served, in order, each with
	// the version served and its current one (kind group; empty before
	// the first serve).
	Members []RunMember `json:"members,omitempty"`
}

// SourceID is the id of the config or group r is a run of.
func (r *AgentConfigRun) SourceID() string {
	if r.Kind == ServeGroup {
		return r.GroupID
	}
	return r.ConfigID
}

// RunMember is one member config of a group an agent runs.
type RunMember struct {
	ConfigID       string `json:"configId"`
	ConfigName     string `json:"configName"` // "" when the config is gone
	Version        int    `json:"version"`    // served
	CurrentVersion int    `json:"currentVersion"`
}

// AgentConfigState is an agent's state of one managed config or group, as
// the agent list returns it.
type AgentConfigState struct {
	Kind        string `json:"kind"`               // ServeConfig or ServeGroup
	ConfigID    string `json:"configId,omitempty"` // kind config
	GroupID     string `json:"groupId,omitempty"`  // kind group
	State       string `json:"state"`
	Version     int    `json:"version"`
	StaleReason string `json:"staleReason,omitempty"`
}

// ConfigRunState decides the state of a config an agent runs, and why it is
// stale: served is the latest serve of its URL (nil for none), revision the
// config's current revision (Last-Modified), watch the URL's HEADs,
// loadErrors whether the agent reported errors loading it. The store's SQL
// filter (configStateSQL) computes the same state.
func ConfigRunState(served *ConfigServe, revision time.Time, watch ConfigWatch, loadErrors bool, now time.Time) (state, reason string) {
	if served == nil {
		return ConfigUnknown, ""
	}
	if !served.LastModified.Before(revision) {
		return ConfigCurrent, ""
	}
	watching := watch.LastHeadAt.After(served.At)
	var interval time.Duration
	if watching {
		interval = watch.Interval
	}
	if now.Before(revision.Add(interval + ConfigStaleGrace)) {
		return ConfigPending, ""
	}
	if watching || loadErrors {
		return ConfigStale, StaleWatchingFailing
	}
	return ConfigStale, StaleNotWatching
}

// ConfigLoadErrors picks from an agent's reported logs (newest first) the
// errors and warnings that name a config URL's path: Telegraf's messages
// about fetching, loading and watching a URL config quote the URL.
func ConfigLoadErrors(logs []AgentLog, path string) []AgentLog {
	out := []AgentLog{}
	if path == "" {
		return out
	}
	for _, l := range logs {
		switch strings.ToUpper(l.Level) {
		case "ERROR", "WARN":
		default:
			continue
		}
		if strings.Contains(l.Message, path) {
			out = append(out, l)
		}
	}
	return out
}

// ConfigVersionCount is how many agents run one version of a config, for
// the config page's bars; Version 0 counts agents whose URL has no serve
// recorded. Current counts those served the current revision.
type ConfigVersionCount struct {
	Version int   `json:"version"`
	Agents  int64 `json:"agents"`
	Current int64 `json:"current"`
}

// ManagedConfig is one of the controller's configs (or, from ManagedRefs,
// a group id or an alias) an agent reported and the URL it reported it
// under (ServeURL's form).
type ManagedConfig struct {
	ID, URL string
}

// ManagedConfigs is ConfigLinks' managed part with each config's URL: that
// of the first source naming it. A config URL naming an alias in place of
// the id is both a config link (naming no config) and a ref (ManagedRefs):
// the ref is what its runs are read from.
func ManagedConfigs(sources []string) []ManagedConfig {
	return managed(sources, ConfigIDFromURL)
}

// ManagedRefs are the group ids and aliases an agent's config sources name
// (ConfigRefs), each with the URL of the first source naming it. They are
// stored as they are named and resolved when read, so that an alias
// transferred since names its new target.
func ManagedRefs(sources []string) []ManagedConfig {
	return managed(sources, ConfigRefFromURL)
}

func managed(sources []string, idOf func(string) (string, bool)) []ManagedConfig {
	out := []ManagedConfig{}
	for _, src := range sources {
		id, ok := idOf(src)
		if !ok || slices.ContainsFunc(out, func(m ManagedConfig) bool { return m.ID == id }) {
			continue
		}
		u, _ := ServeURLFromSource(src)
		out = append(out, ManagedConfig{ID: id, URL: u})
	}
	return out
}
