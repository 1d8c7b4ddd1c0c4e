package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/crypto/argon2"

	"github.com/telegrafcontroller/tc"
)

// Argon2Params are the argon2id cost parameters.
type Argon2Params struct {
	MemoryKiB uint32
	Time      uint32
	Threads   uint8
	KeyLen    uint32
	SaltLen   int
}

// DefaultArgon2 is the production cost: 19 MiB, 2 passes, 1 lane (the
// OWASP minimum for argon2id). Raising it makes every stored hash with lower
// parameters rehash at its next successful login.
var DefaultArgon2 = Argon2Params{MemoryKiB: 19 * 1024, Time: 2, Threads: 1, KeyLen: 32, SaltLen: 16}

// TestArgon2 is a deliberately cheap cost for tests only (argon2 at the
// production cost is slow under the race detector). Production code uses
// DefaultArgon2; a test asserts that Main's default is DefaultArgon2.
var TestArgon2 = Argon2Params{MemoryKiB: 64, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}

// Hasher hashes and checks passwords at one cost.
type Hasher struct {
	Params Argon2Params

	dummyOnce sync.Once
	dummy     string
}

// NewHasher returns a Hasher at cost p.
func NewHasher(p Argon2Params) *Hasher { return &Hasher{Params: p} }

// Hash returns the argon2id PHC string of password:
// $argon2id$v=19$m=...,t=...,p=...$salt$hash (unpadded standard base64).
// The whole password is hashed; it is never truncated.
func (h *Hasher) Hash(password string) (string, error) {
	if len(password) > 4*tc.PasswordMaxLen {
		return "", tc.FieldErrorf("password", "Password must be at most %d characters", tc.PasswordMaxLen)
	}
	p := h.Params
	salt := make([]byte, p.SaltLen)
	rand.Read(salt)
	key := argon2.IDKey([]byte(password), salt, p.Time, p.MemoryKiB, p.Threads, p.KeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.MemoryKiB, p.Time, p.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// Verify reports whether password matches the PHC string hash, and
// whether the hash should be replaced because its parameters are below the
// current ones. A malformed or empty hash never matches.
func (h *Hasher) Verify(hash, password string) (ok, rehash bool) {
	p, salt, key, err := parsePHC(hash)
	if err != nil || len(password) > 4*tc.PasswordMaxLen {
		return false, false
	}
	got := argon2.IDKey([]byte(password), salt, p.Time, p.MemoryKiB, p.Threads, uint32(len(key)))
	if subtle.ConstantTimeCompare(got, key) != 1 {
		return false, false
	}
	cur := h.Params
	rehash = p.MemoryKiB < cur.MemoryKiB || p.Time < cur.Time || p.Threads < cur.Threads || uint32(len(key)) < cur.KeyLen
	return true, rehash
}

// Spend burns one verification's worth of time against a dummy hash, so an
// unknown or locked account answers as slowly as a wrong password.
func (h *Hasher) Spend(password string) {
	h.dummyOnce.Do(func() { h.dummy, _ = h.Hash("not a real password") })
	h.Verify(h.dummy, password)
}

func parsePHC(s string) (p Argon2Params, salt, key []byte, err error) {
	parts := strings.Split(s, "$")
	// "", "argon2id", "v=19", "m=..,t=..,p=..", salt, key
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" || parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return p, nil, nil, fmt.Errorf("not an argon2id PHC string")
	}
	for _, kv := range strings.Split(parts[3], ",") {
		k, v, _ := strings.Cut(kv, "=")
		n, perr := strconv.ParseUint(v, 10, 32)
		if perr != nil {
			return p, nil, nil, fmt.Errorf("bad parameter %q", kv)
		}
		switch k {
		case "m":
			p.MemoryKiB = uint32(n)
		case "t":
			p.Time = uint32(n)
		case "p":
			if n > 255 {
				return p, nil, nil, fmt.Errorf("bad parallelism")
			}
			p.Threads = uint8(n)
		default:
			return p, nil, nil, fmt.Errorf("unknown parameter %q", k)
		}
	}
	// Refuse absurd stored costs rather than let a tampered row exhaust memory.
	if p.MemoryKiB == 0 || p.MemoryKiB > 1<<22 || p.Time == 0 || p.Time > 64 || p.Threads == 0 {
		return p, nil, nil, fmt.Errorf("parameters out of range")
	}
	b64 := base64.RawStdEncoding
	if salt, err = b64.DecodeString(parts[4]); err != nil || len(salt) < 8 {
		return p, nil, nil, fmt.Errorf("bad salt")
	}
	if key, err = b64.DecodeString(parts[5]); err != nil || len(key) < 16 {
		return p, nil, nil, fmt.Errorf("bad key")
	}
	return p, salt, key, nil
}
