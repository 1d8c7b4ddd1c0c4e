package tc

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"hash/crc32"
	"time"
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

// Token is an API credential owned by a user. Its secret is never stored: only
// the SHA-256 digest (Hash) and the last four characters (Last4) for display.
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
	putChecksum(b[len(TokenPrefix)+TokenRandomLen:], random)
	return string(b)
}

func putChecksum(dst, random []byte) {
	sum := crc32.ChecksumIEEE(random)
	for i := TokenChecksumLen - 1; i >= 0; i-- {
		dst[i] = base62[sum%62]
		sum /= 62
	}
}

// CheckTokenFormat reports whether s has the token prefix, length, alphabet
// and a matching checksum. It does no I/O, so a forged or mistyped value is
// refused before any cache or database work.
func CheckTokenFormat(s string) bool {
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
	putChecksum(want[:], []byte(body[:TokenRandomLen]))
	return string(want[:]) == body[TokenRandomLen:]
}

// HashSecret returns the hex SHA-256 digest under which a token (or any other
// high-entropy secret: session ids, invite and reset links) is stored.
func HashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}
