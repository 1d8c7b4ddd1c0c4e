package auth

import (
	"strings"
	"sync"
	"time"
)

// LoginLimiter bounds failed sign-ins per client address (a token bucket of
// Burst failures refilled at one per Every), so that one address can neither
// lock out every account nor try passwords on many accounts quickly. It also
// keeps lockouts for unknown usernames, so that a locked answer does not
// reveal that an account exists. Everything is in memory and bounded.
type LoginLimiter struct {
	Now   func() time.Time
	Burst int
	Every time.Duration

	mu      sync.Mutex
	buckets map[string]*bucket
	ghosts  map[string]*ghost
}

type bucket struct {
	tokens float64
	at     time.Time
}

type ghost struct {
	failures int
	locked   time.Time
}

// maxTracked caps each map; beyond it the oldest state is dropped wholesale
// (an attacker filling the map only resets their own limits).
const maxTracked = 10000

// NewLoginLimiter allows burst failures per address, refilled one per every.
func NewLoginLimiter(now func() time.Time, burst int, every time.Duration) *LoginLimiter {
	return &LoginLimiter{Now: now, Burst: burst, Every: every, buckets: map[string]*bucket{}, ghosts: map[string]*ghost{}}
}

func (l *LoginLimiter) refill(addr string, now time.Time) *bucket {
	b, ok := l.buckets[addr]
	if !ok {
		if len(l.buckets) >= maxTracked {
			l.buckets = map[string]*bucket{}
		}
		b = &bucket{tokens: float64(l.Burst), at: now}
		l.buckets[addr] = b
	}
	if el := now.Sub(b.at); el > 0 {
		b.tokens = min(float64(l.Burst), b.tokens+float64(el)/float64(l.Every))
		b.at = now
	}
	return b
}

// Allow reports whether addr may try to sign in, and if not, how long
// until it may.
func (l *LoginLimiter) Allow(addr string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.refill(addr, l.Now())
	if b.tokens >= 1 {
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) * float64(l.Every))
}

// Failed records a failed sign-in from addr.
func (l *LoginLimiter) Failed(addr string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.refill(addr, l.Now())
	b.tokens = max(0, b.tokens-1)
}

// GhostLocked reports whether the unknown login name is "locked".
func (l *LoginLimiter) GhostLocked(login string) (time.Time, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	g, ok := l.ghosts[strings.ToLower(login)]
	if !ok || !l.Now().Before(g.locked) {
		return time.Time{}, false
	}
	return g.locked, true
}

// GhostFailed counts a failure for an unknown login name exactly as a
// known account would count it, returning the lock's end once locked.
func (l *LoginLimiter) GhostFailed(login string, attempts int, lockFor time.Duration) (time.Time, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	key := strings.ToLower(login)
	g, ok := l.ghosts[key]
	if !ok {
		if len(l.ghosts) >= maxTracked {
			l.ghosts = map[string]*ghost{}
		}
		g = &ghost{}
		l.ghosts[key] = g
	}
	g.failures++
	if g.failures < attempts {
		return time.Time{}, false
	}
	g.failures = 0
	g.locked = l.Now().Add(lockFor)
	return g.locked, true
}
