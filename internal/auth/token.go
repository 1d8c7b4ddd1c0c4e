package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/telegrafcontroller/tc"
)

// maxUnknownDigests bounds the memory spent remembering digests that match
// no token. Anyone can mint well-formed values (the checksum is no secret),
// so the set is a ring: once full, the oldest digest is forgotten.
const maxUnknownDigests = 4096

// Refusals shared by every request, so that a refused token costs no allocation.
var (
	errBadFormat = unauthorized(MsgBadFormat)
	errInvalid   = unauthorized(MsgInvalid)
	errExpired   = unauthorized(MsgExpired)
)

// AuthenticateToken checks a presented token value. The format (prefix,
// length, alphabet, checksum) is checked first, with no I/O; then the token
// cache answers, and only a miss reaches the store. Expiry is compared with
// the clock at every use. The returned Caller is shared by every request of
// the same token until the token or its owner changes: treat it as read-only.
func (a *Authenticator) AuthenticateToken(ctx context.Context, secret string) (*tc.Caller, error) {
	a.once.Do(a.init)
	if !tc.ValidTokenFormat(secret) {
		a.counts.badFormat.Inc()
		return nil, errBadFormat
	}
	d := digest(tc.SecretDigest(secret))
	e, unknown, gen := a.cache.lookup(d)
	switch {
	case e != nil:
		a.counts.hit.Inc()
		return a.use(e)
	case unknown:
		a.counts.unknown.Inc()
		return nil, errInvalid
	}
	e, err := a.load(ctx, d)
	if err != nil {
		return nil, err
	}
	a.cache.fill(d, e, gen)
	if e == nil {
		return nil, errInvalid
	}
	return a.use(e)
}

// use decides a request from a cache entry.
func (a *Authenticator) use(e *tokenEntry) (*tc.Caller, error) {
	if e.refusal != nil {
		return nil, e.refusal
	}
	now := a.now()
	if e.expiresAt != nil && !now.Before(*e.expiresAt) {
		return nil, errExpired
	}
	a.markUsed(e, now)
	return e.caller, nil
}

// load reads the token under d and its owner from the store. A nil entry with
// a nil error means no token has this digest.
func (a *Authenticator) load(ctx context.Context, d digest) (*tokenEntry, error) {
	tok, err := a.Tokens.TokenByHash(ctx, hex.EncodeToString(d[:]))
	switch tc.ErrorCode(err) {
	case "":
		a.counts.dbFound.Inc()
	case tc.ENOTFOUND:
		a.counts.dbNotFound.Inc()
		return nil, nil
	default:
		a.counts.dbError.Inc()
		return nil, err
	}
	e := &tokenEntry{tokenID: tok.ID, userID: tok.UserID, expiresAt: tok.ExpiresAt}
	if tok.Status != tc.TokenActive {
		e.refusal = errInvalid
		return e, nil
	}
	user, err := a.Tokens.UserByID(ctx, tok.UserID)
	if tc.ErrorCode(err) == tc.ENOTFOUND {
		return nil, nil // the owner was just deleted, and the token with it
	} else if err != nil {
		return nil, err
	}
	if user.Disabled {
		e.refusal = errInvalid
		return e, nil
	}
	// The entry lives as long as the token is used: it keeps no password
	// hash (and needs none; a password check reads the user afresh).
	user.PasswordHash = ""
	e.caller = &tc.Caller{User: user, Token: tok, Permissions: tc.EffectivePermissions(user.Role, tok.Permissions)}
	e.lastUsed.Store(a.lastUsedMS(tok))
	return e, nil
}

// UserChanged drops the cached tokens of a user whose row changed (role,
// disabled flag, deletion, profile), so the next request sees the change.
// internal/app calls it from the store's change feed, after the commit and
// before the write returns; nothing else needs to. Safe for concurrent use.
func (a *Authenticator) UserChanged(userID string) { a.cache.dropUser(userID) }

// TokenChanged drops a token that was revoked, deleted or reassigned; it is
// called from the change feed like UserChanged.
func (a *Authenticator) TokenChanged(tokenID string) { a.cache.dropToken(tokenID) }

// TokensReset drops every cached token and unknown digest: a node of a
// cluster that may have missed changes made on another calls it.
func (a *Authenticator) TokensReset() { a.cache.reset() }

// CachedTokens returns how many tokens and unknown digests the cache holds.
func (a *Authenticator) CachedTokens() (tokens, unknown int) {
	a.cache.mu.RLock()
	defer a.cache.mu.RUnlock()
	return len(a.cache.entries), len(a.cache.unknown.members)
}

type digest [sha256.Size]byte

// tokenEntry is what the cache knows about one token: either the caller it
// authenticates (effective permissions computed from the owner's role when
// the entry was filled) or why it is refused. Expiry is not decided here but
// at every use.
type tokenEntry struct {
	caller    *tc.Caller
	refusal   error // errInvalid: revoked, or the owner is disabled
	expiresAt *time.Time
	tokenID   string
	userID    string
	// lastUsed is the Unix ms last handed to the lastUsedAt writer.
	lastUsed atomic.Int64
}

// tokenCache maps token digests to entries, with indexes by token and by
// owner for invalidation. Correctness rests on the hooks above, never on a
// timer: an entry lives until its token or owner changes.
//
// A request that misses reads the store outside the lock; if a change were
// committed and invalidated meanwhile, storing the stale read would undo the
// invalidation. So lookup hands out the generation, every invalidation bumps
// it, and fill stores nothing unless it is unchanged.
type tokenCache struct {
	mu      sync.RWMutex
	gen     uint64
	entries map[digest]*tokenEntry
	byToken map[string]digest
	byUser  map[string]map[digest]struct{}
	unknown digestRing
}

func (c *tokenCache) lookup(d digest) (e *tokenEntry, unknown bool, gen uint64) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if e := c.entries[d]; e != nil {
		return e, false, c.gen
	}
	_, unknown = c.unknown.members[d]
	return nil, unknown, c.gen
}

// fill stores the result of a store read begun at generation gen: an entry,
// or nil for a digest that matches no token.
func (c *tokenCache) fill(d digest, e *tokenEntry, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen {
		return
	}
	if e == nil {
		c.unknown.add(d)
		return
	}
	if c.entries == nil {
		c.entries, c.byToken, c.byUser = map[digest]*tokenEntry{}, map[string]digest{}, map[string]map[digest]struct{}{}
	}
	if old, ok := c.entries[d]; ok {
		c.remove(d, old)
	}
	c.entries[d] = e
	c.byToken[e.tokenID] = d
	if c.byUser[e.userID] == nil {
		c.byUser[e.userID] = map[digest]struct{}{}
	}
	c.byUser[e.userID][d] = struct{}{}
}

func (c *tokenCache) dropToken(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	if d, ok := c.byToken[id]; ok {
		c.remove(d, c.entries[d])
	}
}

func (c *tokenCache) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.entries, c.byToken, c.byUser = nil, nil, nil
	c.unknown = digestRing{}
}

func (c *tokenCache) dropUser(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	for d := range c.byUser[id] {
		c.remove(d, c.entries[d])
	}
}

func (c *tokenCache) remove(d digest, e *tokenEntry) {
	delete(c.entries, d)
	delete(c.byToken, e.tokenID)
	if set := c.byUser[e.userID]; set != nil {
		delete(set, d)
		if len(set) == 0 {
			delete(c.byUser, e.userID)
		}
	}
}

// digestRing is a set of at most maxUnknownDigests digests that forgets the
// oldest when full.
type digestRing struct {
	members map[digest]struct{}
	ring    []digest
	next    int
}

func (r *digestRing) add(d digest) {
	if _, ok := r.members[d]; ok {
		return
	}
	if r.members == nil {
		r.members = make(map[digest]struct{}, maxUnknownDigests)
		r.ring = make([]digest, 0, maxUnknownDigests)
	}
	if len(r.ring) < maxUnknownDigests {
		r.ring = append(r.ring, d)
	} else {
		delete(r.members, r.ring[r.next])
		r.ring[r.next] = d
		r.next = (r.next + 1) % maxUnknownDigests
	}
	r.members[d] = struct{}{}
}

// lookupCounters are tc_token_lookups_total's series, resolved once.
type lookupCounters struct {
	badFormat, hit, unknown, dbFound, dbNotFound, dbError prometheus.Counter
}

func (a *Authenticator) init() {
	vec := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "unregistered"}, []string{"result"})
	if a.Metrics != nil {
		vec = a.Metrics.TokenLookups
	}
	a.counts = lookupCounters{
		badFormat:  vec.WithLabelValues("bad_format"),
		hit:        vec.WithLabelValues("cache_hit"),
		unknown:    vec.WithLabelValues("cache_unknown"),
		dbFound:    vec.WithLabelValues("db_found"),
		dbNotFound: vec.WithLabelValues("db_not_found"),
		dbError:    vec.WithLabelValues("db_error"),
	}
}
