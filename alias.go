package tc

import (
	"net/url"
	"slices"
	"strings"
	"time"
)

// Alias is a short, stable name of a config or a group, usable wherever
// the config's or group's id is, and in the short URL /c/{alias}. The
// namespace is shared by configs and groups: exactly one of ConfigID and
// GroupID is set. An alias can be moved (transferred) to another config or
// group; agents that fetch through it follow at their next watch.
type Alias struct {
	Alias     string    `json:"alias"`
	Kind      string    `json:"kind"` // AliasConfig or AliasGroup
	TargetID  string    `json:"targetId"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
	CreatedBy string    `json:"createdBy"`
	// AgentCount is how many agents report a config URL naming the alias
	// (in their heartbeats' configurations); Agents lists some of them.
	AgentCount int      `json:"agentCount"`
	Agents     []string `json:"agents"`
}

// What an alias names.
const (
	AliasConfig = "config"
	AliasGroup  = "config-group"
)

// Alias rules: upstream 1.1's.
const (
	MinAliasLen = 3
	MaxAliasLen = 63
)

// ReservedAliases are words that name routes beside ids.
var ReservedAliases = []string{"bulk", "duplicate", "many"}

// ValidateAlias reports why a is not a usable alias, or nil: 3 to 63
// characters of a-z, 0-9 and '-', a letter or digit at both ends, not
// shaped like a UUID (ids are), and not a reserved word.
func ValidateAlias(a string) error {
	if len(a) < MinAliasLen || len(a) > MaxAliasLen {
		return FieldErrorf("alias", "an alias is %d to %d characters long", MinAliasLen, MaxAliasLen)
	}
	for i := 0; i < len(a); i++ {
		c := a[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return FieldErrorf("alias", "an alias holds only lower-case letters a-z, digits and '-'")
		}
	}
	if a[0] == '-' || a[len(a)-1] == '-' {
		return FieldErrorf("alias", "an alias starts and ends with a letter or a digit")
	}
	if IsUUIDShaped(a) {
		return FieldErrorf("alias", "an alias must not look like an id (a UUID)")
	}
	if slices.Contains(ReservedAliases, a) {
		return FieldErrorf("alias", "%q is reserved: choose another alias", a)
	}
	return nil
}

// IsUUIDShaped reports whether s is written like a UUID: 8-4-4-4-12
// hexadecimal digits, either case. Config and group ids are, aliases never.
func IsUUIDShaped(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
				return false
			}
		}
	}
	return true
}

// ConfigRefFromURL returns what a config source names when it is one of the
// controller's own URLs that a config list does not hold: a group's id or
// alias (/api/config-groups/{ref}/toml), an alias in the short URL
// (/c/{ref}), or an alias in a config URL (/api/configs/{alias}/toml;
// ConfigIDFromURL gives the config ids). Like ConfigIDFromURL it takes any
// http(s) host, a query and (redacted) userinfo.
func ConfigRefFromURL(src string) (string, bool) {
	if !strings.Contains(src, "/api/config") && !strings.Contains(src, "/c/") {
		return "", false
	}
	u, err := url.Parse(src)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", false
	}
	var ref string
	switch {
	case strings.Contains(u.Path, "/api/config-groups/"):
		_, rest, _ := strings.Cut(u.Path, "/api/config-groups/")
		var ok bool
		if ref, ok = strings.CutSuffix(rest, "/toml"); !ok {
			return "", false
		}
	case strings.Contains(u.Path, "/api/configs/"):
		id, ok := ConfigIDFromURL(src)
		if !ok || IsUUIDShaped(id) {
			return "", false
		}
		ref = id
	case strings.HasSuffix(strings.TrimSuffix(u.Path, "/"+lastSegment(u.Path)), "/c"):
		ref = lastSegment(u.Path)
	default:
		return "", false
	}
	if ref == "" || strings.Contains(ref, "/") || len(ref) > 255 {
		return "", false
	}
	return ref, true
}

func lastSegment(p string) string {
	i := strings.LastIndexByte(p, '/')
	return p[i+1:]
}

// ConfigRefs returns the refs (ConfigRefFromURL) an agent's config sources
// name, without duplicates, in reported order.
func ConfigRefs(sources []string) []string {
	out := []string{}
	for _, src := range sources {
		if ref, ok := ConfigRefFromURL(src); ok && !slices.Contains(out, ref) {
			out = append(out, ref)
		}
	}
	return out
}
