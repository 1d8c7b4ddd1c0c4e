package tc

import (
	"regexp"
	"strings"
	"time"
)

// Config is a Telegraf TOML configuration served to agents. TOML is kept
// byte for byte as written. RevisionAt is the time reported as Last-Modified
// when the config is served: it moves forward by at least one second on
// every change of what feeds the render (its TOML, a constant it uses), so
// two changes within one second still give two different HTTP dates.
type Config struct {
	ID             string    `json:"id"`
	Name           string    `json:"name"`
	Description    string    `json:"description"`
	TOML           string    `json:"toml"`
	LabelIDs       []string  `json:"labelIds"`
	CreatedAt      time.Time `json:"createdAt"`
	UpdatedAt      time.Time `json:"updatedAt"`
	CreatedBy      string    `json:"createdBy"`
	UpdatedBy      string    `json:"updatedBy"`
	RevisionAt     time.Time `json:"revisionAt"`
	CurrentVersion int       `json:"currentVersion"`
}

// ConfigUpdate is a partial change of a config; nil fields are left alone.
type ConfigUpdate struct {
	Name        *string
	Description *string
	TOML        *string
	LabelIDs    *[]string
	// ChangeNote is recorded with the new version when TOML changes.
	ChangeNote string
}

// ConfigFilter selects and orders a page of configs.
type ConfigFilter struct {
	Search    string // over name and description, case-insensitive
	LabelID   string
	SortBy    string // "name" or "updatedAt"
	SortOrder string // "asc" or "desc"
	Page      int    // 1-based
	Limit     int
	// WithTOML also reads each config's TOML. Without it the configs come
	// back with TOML "": a config can be megabytes, and lists and drop-downs
	// need names, not TOML.
	WithTOML bool
}

// ConfigVersion is one recorded TOML of a config.
type ConfigVersion struct {
	ConfigID string `json:"configId"`
	Version  int    `json:"version"`
	TOML     string `json:"toml"`
	Note     string `json:"note"`
	AuthorID string `json:"authorId"`
	// AuthorName is the author's username when read back ("" once the user
	// is deleted).
	AuthorName string    `json:"authorName"`
	CreatedAt  time.Time `json:"createdAt"`
}

// Constant is a named value substituted for ::{name} in every config that
// uses it. Its name is immutable.
type Constant struct {
	Name        string      `json:"name"`
	Value       string      `json:"value"`
	Description string      `json:"description"`
	CreatedAt   time.Time   `json:"createdAt"`
	UpdatedAt   time.Time   `json:"updatedAt"`
	Configs     []ConfigRef `json:"configs"` // the configs that use it
}

// ConfigRef names a config.
type ConfigRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Limits on config and constant fields.
const (
	MaxConfigNameLen        = 200
	MaxConfigDescriptionLen = 4000
	MaxChangeNoteLen        = 1000
	MaxConstantValueLen     = 64 << 10
	MaxLabelNameLen         = 100
)

var (
	constantNameRE = regexp.MustCompile(`^[a-z0-9_]{1,64}$`)
	labelColorRE   = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)
)

// ValidConstantName reports whether name fits [a-z0-9_]{1,64}.
func ValidConstantName(name string) bool { return constantNameRE.MatchString(name) }

// ValidLabelColor reports whether c is #rrggbb.
func ValidLabelColor(c string) bool { return labelColorRE.MatchString(c) }

// ValidateConfigName trims and validates a config name.
func ValidateConfigName(name string) (string, error) {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return "", FieldErrorf("name", "name is required")
	case len(name) > MaxConfigNameLen:
		return "", FieldErrorf("name", "name must be at most %d characters", MaxConfigNameLen)
	case strings.ContainsAny(name, "\r\n\x00"):
		return "", FieldErrorf("name", "name must be a single line")
	}
	return name, nil
}

// ValidateChangeNote validates a version note.
func ValidateChangeNote(note string) error {
	if len([]rune(note)) > MaxChangeNoteLen {
		return FieldErrorf("changeNote", "changeNote must be at most %d characters", MaxChangeNoteLen)
	}
	return nil
}
