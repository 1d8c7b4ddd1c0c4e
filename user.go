package tc

import (
	"crypto/rand"
	"encoding/base64"
	"net/mail"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/mtibben/confusables"
)

// User is a person who signs in to the controller. Exactly one user is the owner.
type User struct {
	ID           string     `json:"id"`
	Username     string     `json:"username"`
	Email        string     `json:"email"`
	Role         Role       `json:"role"`
	Disabled     bool       `json:"disabled"`
	PasswordHash string     `json:"-"`
	FailedLogins int        `json:"-"`
	LockedUntil  *time.Time `json:"lockedUntil,omitempty"`
	CreatedAt    time.Time  `json:"createdAt"`
	UpdatedAt    time.Time  `json:"updatedAt"`
	LastLoginAt  *time.Time `json:"lastLoginAt,omitempty"`
	// AuthProvider is where the user signs in (local: a password here);
	// ExternalID is the provider's name for them (ExternalIdentity.Subject).
	AuthProvider AuthProvider `json:"authProvider"`
	ExternalID   string       `json:"externalId,omitempty"`
}

// Limits on account fields.
const (
	UsernameMinLen     = 3
	UsernameMaxLen     = 50
	EmailMaxLen        = 254
	PasswordMaxLen     = 256
	LinkMinHours       = 1
	LinkMaxHours       = 720
	InviteDefaultHours = 72
	ResetDefaultHours  = 24
)

// ValidateUsername checks length and characters: 3–50 printable characters
// without spaces or '@' (so a login name is never mistaken for an email),
// whose letters all come from one script (see MixedScript). It applies to
// new names only: existing users keep theirs.
func ValidateUsername(s string) error {
	n := utf8.RuneCountInString(s)
	if n < UsernameMinLen || n > UsernameMaxLen {
		return FieldErrorf("username", "Username must be between %d and %d characters", UsernameMinLen, UsernameMaxLen)
	}
	for _, r := range s {
		if unicode.IsSpace(r) || !unicode.IsPrint(r) || r == '@' {
			return FieldErrorf("username", "Username may not contain spaces, control characters or '@'")
		}
	}
	if MixedScript(s) {
		return FieldErrorf("username", "Username may not mix letters of different scripts (such as Latin and Cyrillic)")
	}
	return nil
}

// UsernameSkeleton is the key under which two usernames that look alike
// collide: the Unicode UTS #39 skeleton (confusable characters mapped to
// one prototype: Cyrillic "а" and Latin "a", "0" and "O", "1", "I" and
// "l", "rn" and "m"), taken again after lower-casing so that case does not
// hide a look-alike ("Аdmin" with a Cyrillic "А" and "admin"). Names that
// differ only in case are refused apart, by the case-insensitive unique
// username. The skeleton is for comparison only, never for display.
func UsernameSkeleton(s string) string {
	return confusables.Skeleton(strings.ToLower(confusables.Skeleton(s)))
}

// MixedScript reports whether the letters of s come from more than one
// Unicode script. Characters of the Common and Inherited scripts (digits,
// '-', '_', '.', combining marks) belong to any; so do the scripts written
// together in one language: Han with Hiragana and Katakana (Japanese), with
// Hangul (Korean) or with Bopomofo (UTS #39's augmented script sets).
func MixedScript(s string) bool {
	var seen []string
	for _, r := range s {
		sc := scriptOf(r)
		if sc == "" || sc == "Common" || sc == "Inherited" || slices.Contains(seen, sc) {
			continue
		}
		seen = append(seen, sc)
	}
	if len(seen) < 2 {
		return false
	}
	for _, together := range scriptsWrittenTogether {
		if !slices.ContainsFunc(seen, func(sc string) bool { return !slices.Contains(together, sc) }) {
			return false
		}
	}
	return true
}

var scriptsWrittenTogether = [][]string{
	{"Han", "Hiragana", "Katakana"},
	{"Han", "Hangul"},
	{"Han", "Bopomofo"},
}

// scriptOf names the Unicode script of r ("" when none is assigned).
func scriptOf(r rune) string {
	if r < utf8.RuneSelf {
		if unicode.IsLetter(r) {
			return "Latin"
		}
		return "Common"
	}
	for name, table := range unicode.Scripts {
		if unicode.Is(table, r) {
			return name
		}
	}
	return ""
}

// ValidateEmail checks that s looks like a single address (local@domain).
func ValidateEmail(s string) error {
	if s == "" {
		return FieldErrorf("email", "Email is required")
	}
	if len(s) > EmailMaxLen {
		return FieldErrorf("email", "Email must be at most %d characters", EmailMaxLen)
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return FieldErrorf("email", "Email is not a valid address")
	}
	local, domain, ok := strings.Cut(s, "@")
	if !ok || local == "" || domain == "" || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") {
		return FieldErrorf("email", "Email is not a valid address")
	}
	return nil
}

// PasswordComplexity is a password policy level.
type PasswordComplexity string

const (
	ComplexityLow    PasswordComplexity = "low"
	ComplexityMedium PasswordComplexity = "medium"
	ComplexityHigh   PasswordComplexity = "high"
)

// Valid reports whether c is a known level.
func (c PasswordComplexity) Valid() bool {
	return c == ComplexityLow || c == ComplexityMedium || c == ComplexityHigh
}

// MinLength is the shortest password the level accepts.
func (c PasswordComplexity) MinLength() int {
	switch c {
	case ComplexityMedium:
		return 10
	case ComplexityHigh:
		return 12
	}
	return 8
}

// ValidatePassword applies level c to password, naming field in the error.
// Low: at least 8 characters. Medium: at least 10 with an upper-case and a
// lower-case letter and a digit. High: at least 12 with all of those and a
// character that is neither letter nor digit. At most 256 characters, never
// truncated. Length counts characters, not bytes. At every level a password
// on the list of common passwords (IsCommonPassword) is refused, as NIST SP
// 800-63B asks; that is checked before the composition rules, so that adding
// a capital and a digit to "password" is not the way out they suggest.
func (c PasswordComplexity) ValidatePassword(field, password string) error {
	n := utf8.RuneCountInString(password)
	if n > PasswordMaxLen {
		return FieldErrorf(field, "Password must be at most %d characters", PasswordMaxLen)
	}
	if !utf8.ValidString(password) {
		return FieldErrorf(field, "Password must be valid UTF-8 text")
	}
	if n < c.MinLength() {
		return FieldErrorf(field, "Password must be at least %d characters", c.MinLength())
	}
	if IsCommonPassword(password) {
		return FieldErrorf(field, "This password is too common; choose another")
	}
	if c == ComplexityLow || !c.Valid() {
		return nil
	}
	var upper, lower, digit, special bool
	for _, r := range password {
		switch {
		case unicode.IsUpper(r):
			upper = true
		case unicode.IsLower(r):
			lower = true
		case unicode.IsDigit(r):
			digit = true
		default:
			special = true
		}
	}
	var missing []string
	if !upper {
		missing = append(missing, "an upper-case letter")
	}
	if !lower {
		missing = append(missing, "a lower-case letter")
	}
	if !digit {
		missing = append(missing, "a digit")
	}
	if c == ComplexityHigh && !special {
		missing = append(missing, "a special character")
	}
	if len(missing) > 0 {
		return FieldErrorf(field, "Password must contain %s", strings.Join(missing, ", "))
	}
	return nil
}

// Settings are the instance-wide options editable by owners and administrators.
type Settings struct {
	PublicUIURL          string             `json:"publicUiUrl"`
	PublicAPIURL         string             `json:"publicApiUrl"`
	PublicHeartbeatURL   string             `json:"publicHeartbeatUrl"`
	LoginLockoutAttempts int                `json:"loginLockoutAttempts"`
	LoginLockoutMinutes  int                `json:"loginLockoutMinutes"`
	PasswordComplexity   PasswordComplexity `json:"passwordComplexity"`
	// AuditLogRetentionHours: how long audit entries are kept, one of
	// AuditRetentionHours (0: forever).
	AuditLogRetentionHours int `json:"auditLogRetentionHours"`
	// AgentHistoryRetentionHours: how long agents' reporting history is
	// kept, 1 to MaxAgentHistoryRetentionHours.
	AgentHistoryRetentionHours int `json:"agentHistoryRetentionHours"`
	// LDAP and OIDC are the external providers' provisioning settings,
	// which only the owner changes (CanEditProviderSettings): they are
	// read and written through the auth settings, not with these.
	LDAP Provisioning `json:"-"`
	OIDC Provisioning `json:"-"`
}

// Provisioning returns the settings of external provider p.
func (s Settings) Provisioning(p AuthProvider) Provisioning {
	if p == ProviderLDAP {
		return s.LDAP
	}
	return s.OIDC
}

// DefaultSettings are used when nothing is stored or seeded.
var DefaultSettings = Settings{LoginLockoutAttempts: 5, LoginLockoutMinutes: 15, PasswordComplexity: ComplexityLow,
	AuditLogRetentionHours: DefaultAuditRetentionHours, AgentHistoryRetentionHours: DefaultAgentHistoryRetentionHours,
	LDAP: DefaultProvisioning, OIDC: DefaultProvisioning}

// Settings limits.
const (
	PublicURLMaxLen  = 2048
	LockoutMaxCount  = 1000
	LockoutMaxMinute = 7 * 24 * 60
)

// Validate checks every field, naming the first bad one.
func (s Settings) Validate() error {
	for _, f := range []struct{ name, v string }{
		{"publicUiUrl", s.PublicUIURL}, {"publicApiUrl", s.PublicAPIURL}, {"publicHeartbeatUrl", s.PublicHeartbeatURL},
	} {
		if err := ValidatePublicURL(f.name, f.v); err != nil {
			return err
		}
	}
	if s.LoginLockoutAttempts < 1 || s.LoginLockoutAttempts > LockoutMaxCount {
		return FieldErrorf("loginLockoutAttempts", "Login attempts must be between 1 and %d", LockoutMaxCount)
	}
	if s.LoginLockoutMinutes < 1 || s.LoginLockoutMinutes > LockoutMaxMinute {
		return FieldErrorf("loginLockoutMinutes", "Lockout duration must be between 1 and %d minutes", LockoutMaxMinute)
	}
	if !s.PasswordComplexity.Valid() {
		return FieldErrorf("passwordComplexity", "Password complexity must be low, medium or high")
	}
	if !ValidAuditRetention(s.AuditLogRetentionHours) {
		return FieldErrorf("auditLogRetentionHours", "Audit log retention must be one of 720, 2160, 4320, 8760 or 17520 hours, or 0 to keep entries forever")
	}
	if !ValidAgentHistoryRetention(s.AgentHistoryRetentionHours) {
		return FieldErrorf("agentHistoryRetentionHours", "Agent history retention must be between 1 and %d hours", MaxAgentHistoryRetentionHours)
	}
	for _, p := range []Provisioning{s.LDAP, s.OIDC} {
		if err := p.Validate(); err != nil {
			return err
		}
	}
	return nil
}

// ValidatePublicURL accepts "" (auto-detect) or an absolute http(s) URL
// with a host, no trailing slash, no query or fragment, at most 2048 characters.
func ValidatePublicURL(field, v string) error {
	if v == "" {
		return nil
	}
	if len(v) > PublicURLMaxLen {
		return FieldErrorf(field, "URL must be at most %d characters", PublicURLMaxLen)
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return FieldErrorf(field, "URL must be an absolute http:// or https:// URL with a host, such as https://tc.example.com")
	}
	if strings.HasSuffix(v, "/") {
		return FieldErrorf(field, "URL must not end with a slash")
	}
	if u.RawQuery != "" || u.Fragment != "" || strings.ContainsAny(v, "?# ") {
		return FieldErrorf(field, "URL must not contain a query, a fragment or spaces")
	}
	return nil
}

// Invite is a pending invitation to create an account with a role.
type Invite struct {
	ID        string    `json:"id"`
	Username  string    `json:"username"`
	Email     string    `json:"email"`
	Role      Role      `json:"role"`
	CreatedBy string    `json:"createdBy"`
	CreatedAt time.Time `json:"createdAt"`
	ExpiresAt time.Time `json:"expiresAt"`
	TokenHash string    `json:"-"`
	// AuthProvider is how the invited person will sign in: local (the
	// link sets a password) or an external provider (the invite admits
	// the person with this email through it).
	AuthProvider AuthProvider `json:"authProvider"`
}

// PasswordReset is a one-time link letting a user set a new password.
type PasswordReset struct {
	ID        string    `json:"id"`
	UserID    string    `json:"userId"`
	CreatedBy string    `json:"createdBy"`
	CreatedAt time.Time `json:"createdAt"`
	ExpiresAt time.Time `json:"expiresAt"`
	TokenHash string    `json:"-"`
}

// Session is a signed-in browser. Its id is a 256-bit random value held only
// by the client; the store keeps HashSecret(id).
type Session struct {
	IDHash     string
	UserID     string
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time // absolute lifetime end
}

// NewSecret returns n random bytes as unpadded URL-safe base64: session ids
// and link tokens.
func NewSecret(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// UserInfo is a user as every adapter shows them: never a password hash,
// with whether they are locked out at a given moment.
type UserInfo struct {
	*User
	Locked bool `json:"locked"`
}

// Info describes u as of now.
func (u *User) Info(now time.Time) UserInfo {
	return UserInfo{User: u, Locked: u.LockedUntil != nil && now.Before(*u.LockedUntil)}
}
