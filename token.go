package tc

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"hash/crc32"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Token format: TokenPrefix, TokenRandomLen base62 characters from crypto/rand
// (≈178.6 bits), then TokenChecksumLen base62 characters encoding the CRC32 of
// the random part, left-padded with '0'. TokenPattern matches exactly that.
const (
	TokenPrefix      = "tc-apiv1_"
	TokenRandomLen   = 30
	TokenChecksumLen = 6
	TokenLen         = len(TokenPrefix) + TokenRandomLen + TokenChecksumLen
	TokenPattern     = `\btc-apiv1_[0-9A-Za-z]{36}\b`
)

// Token status values.
const (
	TokenActive  = "active"
	TokenRevoked = "revoked"
)

// MaxTokenDescription is the longest description, in characters.
const MaxTokenDescription = 255

// Token is an API credential owned by a user. Its secret is never stored: only
// the SHA-256 digest (Hash) and the last four characters (Last4) for display.
// Permissions are the ones granted at creation (the request narrowed to what
// the creator held); what the token may do at a given moment is those ∩ its
// owner's current role (EffectivePermissions).
type Token struct {
	ID          string       `json:"id"`
	Description string       `json:"description"`
	UserID      string       `json:"userId"`
	Permissions []Permission `json:"permissions"`
	Preset      string       `json:"preset,omitempty"`
	Status      string       `json:"status"`
	Hash        string       `json:"-"`
	Last4       string       `json:"last4"`
	CreatedAt   time.Time    `json:"createdAt"`
	ExpiresAt   *time.Time   `json:"expiresAt,omitempty"`
	RevokedAt   *time.Time   `json:"revokedAt,omitempty"`
	LastUsedAt  *time.Time   `json:"lastUsedAt,omitempty"`
	// Owner is filled by reads that list or show tokens, not on the hot path.
	Owner *TokenOwner `json:"owner,omitempty"`
}

// TokenOwner is the part of a user shown beside their tokens.
type TokenOwner struct {
	ID       string `json:"id"`
	Username string `json:"username"`
	Email    string `json:"email"`
	Role     Role   `json:"role"`
	Disabled bool   `json:"disabled"`
}

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// base62Index maps a byte to its base62 value, or -1.
var base62Index = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	for i := 0; i < len(base62); i++ {
		t[base62[i]] = int8(i)
	}
	return t
}()

// NewTokenSecret returns a fresh token value in the published format.
func NewTokenSecret() string {
	b := make([]byte, TokenLen)
	copy(b, TokenPrefix)
	random := b[len(TokenPrefix) : len(TokenPrefix)+TokenRandomLen]
	// Rejection sampling keeps every character uniform over the alphabet.
	var buf [64]byte
	for i := 0; i < TokenRandomLen; {
		rand.Read(buf[:])
		for _, c := range buf {
			if c < 248 && i < TokenRandomLen { // 248 = 4*62
				random[i] = base62[c%62]
				i++
			}
		}
	}
	putChecksum(b[len(TokenPrefix)+TokenRandomLen:], string(random))
	return string(b)
}

func putChecksum(dst []byte, random string) {
	sum := crc32IEEE(random)
	for i := TokenChecksumLen - 1; i >= 0; i-- {
		dst[i] = base62[sum%62]
		sum /= 62
	}
}

// ValidTokenFormat reports whether s has the token prefix, length, alphabet
// and a matching checksum. It does no I/O, so a forged or mistyped value is
// refused before any cache or database work.
func ValidTokenFormat(s string) bool {
	if len(s) != TokenLen || s[:len(TokenPrefix)] != TokenPrefix {
		return false
	}
	body := s[len(TokenPrefix):]
	for i := 0; i < len(body); i++ {
		if base62Index[body[i]] < 0 {
			return false
		}
	}
	var want [TokenChecksumLen]byte
	putChecksum(want[:], body[:TokenRandomLen])
	return string(want[:]) == body[TokenRandomLen:]
}

// crc32IEEE is crc32.ChecksumIEEE over a string, written out so that the
// hot path converts no string to a byte slice (which would allocate).
func crc32IEEE(s string) uint32 {
	crc := ^uint32(0)
	for i := 0; i < len(s); i++ {
		crc = crc32.IEEETable[byte(crc)^s[i]] ^ (crc >> 8)
	}
	return ^crc
}

// SecretDigest is HashSecret's raw SHA-256, computed without allocating
// (the token cache is keyed by it).
func SecretDigest(secret string) [sha256.Size]byte {
	if len(secret) <= TokenLen {
		var buf [TokenLen]byte // a fixed array stays on the stack
		return sha256.Sum256(buf[:copy(buf[:], secret)])
	}
	return sha256.Sum256([]byte(secret))
}

// HashSecret returns the hex SHA-256 digest under which a token (or any other
// high-entropy secret: session ids, invite and reset links) is stored.
func HashSecret(secret string) string {
	sum := SecretDigest(secret)
	return hex.EncodeToString(sum[:])
}

// TokenLast4 returns the last four characters of a secret, kept for display.
func TokenLast4(secret string) string { return secret[len(secret)-4:] }

// TokenDisplay renders a token for people who must recognise it without
// seeing it: the prefix, an ellipsis and the last four characters.
func TokenDisplay(last4 string) string { return TokenPrefix + "…" + last4 }

// Expired reports whether t has an expiry at or before now.
func (t *Token) Expired(now time.Time) bool {
	return t.ExpiresAt != nil && !now.Before(*t.ExpiresAt)
}

// ValidateTokenDescription trims d and checks it is present and short enough.
func ValidateTokenDescription(d string) (string, error) {
	d = strings.TrimSpace(d)
	switch {
	case d == "":
		return "", FieldErrorf("description", "description is required")
	case !utf8.ValidString(d):
		return "", FieldErrorf("description", "description must be valid UTF-8")
	case utf8.RuneCountInString(d) > MaxTokenDescription:
		return "", FieldErrorf("description", "description must be at most %d characters", MaxTokenDescription)
	case strings.IndexFunc(d, unicode.IsControl) >= 0:
		return "", FieldErrorf("description", "description must be one line without control characters")
	}
	return d, nil
}

// ManagesAllTokens reports whether role sees and manages every user's tokens
// (owner and administrator); other roles manage only their own.
func ManagesAllTokens(role Role) bool { return role.Rank() >= RoleAdministrator.Rank() }

// Token preset names.
const (
	PresetTelegrafAgent = "telegraf-agent"
	PresetReadOnly      = "read-only"
	PresetFullAccess    = "full-access"
)

// TokenPreset is a named set of permissions offered when creating a token.
type TokenPreset struct {
	Name        string       `json:"name"`
	Description string       `json:"description"`
	Permissions []Permission `json:"permissions"`
}

// TokenPresets returns the presets as they apply to someone holding held:
// each preset's permissions ∩ held, so full-access is exactly held and
// read-only is every :read in it. A preset with nothing left is still listed
// (with no permissions) so that clients can explain why it is unavailable.
func TokenPresets(held PermissionSet) []TokenPreset {
	var reads []Permission
	for _, p := range held.List() {
		if p.Action() == ActionRead {
			reads = append(reads, p)
		}
	}
	agent := NewPermissionSet(Perm(ResConfigs, ActionRead), Perm(ResConfigGroups, ActionRead), Perm(ResHeartbeat, ActionWrite))
	for p := range agent {
		if !held.Has(p) {
			delete(agent, p)
		}
	}
	return []TokenPreset{
		{PresetTelegrafAgent, "For a Telegraf agent: fetch its configuration and send heartbeats.", agent.List()},
		{PresetReadOnly, "Read everything you can read; change nothing.", nonNil(reads)},
		{PresetFullAccess, "Everything you can do.", held.List()},
	}
}

// TokenPresetByName returns the preset called name as it applies to held.
// Errors: EINVALID.
func TokenPresetByName(name string, held PermissionSet) (TokenPreset, error) {
	for _, p := range TokenPresets(held) {
		if p.Name == name {
			return p, nil
		}
	}
	return TokenPreset{}, FieldErrorf("preset", "unknown preset %q: use %s, %s or %s", name, PresetTelegrafAgent, PresetReadOnly, PresetFullAccess)
}

func nonNil(ps []Permission) []Permission {
	if ps == nil {
		return []Permission{}
	}
	return ps
}

// TokenInfo is a token as every adapter shows it: never its secret, with
// what it may do at a given moment.
type TokenInfo struct {
	*Token
	// Display is the prefix and the last four characters, for recognising a token.
	Display string `json:"display"`
	// EffectivePermissions is what a request with the token may do now: its
	// permissions ∩ its owner's current role, or nothing when it is revoked,
	// expired or its owner is disabled.
	EffectivePermissions []Permission `json:"effectivePermissions"`
	Expired              bool         `json:"expired"`
}

// Info describes t as of now.
func (t *Token) Info(now time.Time) TokenInfo {
	out := TokenInfo{Token: t, Display: TokenDisplay(t.Last4), Expired: t.Expired(now), EffectivePermissions: []Permission{}}
	if t.Status == TokenActive && !out.Expired && t.Owner != nil && !t.Owner.Disabled {
		out.EffectivePermissions = EffectivePermissions(t.Owner.Role, t.Permissions).List()
	}
	return out
}

// Bulk token actions.
const (
	TokenBulkRevoke   = "revoke"
	TokenBulkDelete   = "delete"
	TokenBulkReassign = "reassign"
)

// TokenBulkResult reports what happened to one id of a bulk action.
type TokenBulkResult struct {
	ID      string `json:"id"`
	OK      bool   `json:"ok"`
	Error   string `json:"error,omitempty"`
	Message string `json:"message,omitempty"`
}

// TokenRequest asks for a new token: a description, and either permissions
// or a preset, with an optional expiry (expiresAt or expiresInDays).
type TokenRequest struct {
	Description   string   `json:"description"`
	Permissions   []string `json:"permissions"`
	Preset        string   `json:"preset"`
	ExpiresAt     *string  `json:"expiresAt"`
	ExpiresInDays *int     `json:"expiresInDays"`
}
