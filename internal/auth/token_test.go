package auth

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/telegrafcontroller/tc"
)

// memSource is an in-memory TokenSource that counts store round trips.
type memSource struct {
	mu      sync.Mutex
	tokens  map[string]*tc.Token // by hash
	users   map[string]*tc.User
	touched map[string]time.Time
	lookups atomic.Int64
	// beforeReturn, when set, runs inside TokenByHash after the read (to
	// interleave a concurrent change).
	beforeReturn func()
}

func newMemSource() *memSource {
	return &memSource{tokens: map[string]*tc.Token{}, users: map[string]*tc.User{}, touched: map[string]time.Time{}}
}

func (m *memSource) TokenByHash(ctx context.Context, hash string) (*tc.Token, error) {
	m.lookups.Add(1)
	m.mu.Lock()
	t, ok := m.tokens[hash]
	var cp tc.Token
	if ok {
		cp = *t
	}
	m.mu.Unlock()
	if m.beforeReturn != nil {
		m.beforeReturn()
	}
	if !ok {
		return nil, tc.Errorf(tc.ENOTFOUND, "token not found")
	}
	return &cp, nil
}

func (m *memSource) UserByID(ctx context.Context, id string) (*tc.User, error) {
	m.lookups.Add(1)
	m.mu.Lock()
	defer m.mu.Unlock()
	u, ok := m.users[id]
	if !ok {
		return nil, tc.Errorf(tc.ENOTFOUND, "user not found")
	}
	cp := *u
	return &cp, nil
}

func (m *memSource) TouchTokens(ctx context.Context, lastUsed map[string]time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for id, t := range lastUsed {
		m.touched[id] = t
	}
	return nil
}

func (m *memSource) addUser(id string, role tc.Role) *tc.User {
	m.mu.Lock()
	defer m.mu.Unlock()
	u := &tc.User{ID: id, Username: id, Role: role}
	m.users[id] = u
	return u
}

func (m *memSource) addToken(id, userID string, perms ...tc.Permission) string {
	secret := tc.NewTokenSecret()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.tokens[tc.HashSecret(secret)] = &tc.Token{ID: id, UserID: userID, Permissions: perms, Status: tc.TokenActive, Hash: tc.HashSecret(secret)}
	return secret
}

func (m *memSource) edit(fn func()) { m.mu.Lock(); fn(); m.mu.Unlock() }

type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) Advance(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

func newTestAuth() (*Authenticator, *memSource, *fakeClock) {
	src := newMemSource()
	clock := &fakeClock{now: time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)}
	return &Authenticator{Tokens: src, Now: clock.Now}, src, clock
}

func wantRefused(t *testing.T, what string, c *tc.Caller, err error, msg string) {
	t.Helper()
	if c != nil || tc.ErrorCode(err) != tc.EUNAUTHORIZED || tc.ErrorMessage(err) != msg {
		t.Fatalf("%s: caller = %v, err = %v; want 401 %q", what, c, err, msg)
	}
}

func TestTokenCacheHitsAndInvalidation(t *testing.T) {
	a, src, _ := newTestAuth()
	ctx := context.Background()
	user := src.addUser("u1", tc.RoleManager)
	secret := src.addToken("t1", "u1", "configs:read", "users:write")

	src.edit(func() { user.PasswordHash = "$argon2id$secret" })
	c, err := a.AuthenticateToken(ctx, secret)
	if err != nil || !c.Can("configs:read") || c.Can("users:write") {
		t.Fatalf("first use: caller = %+v, err = %v; want configs:read only", c, err)
	}
	if c.User.PasswordHash != "" {
		t.Errorf("the cached caller keeps the password hash")
	}
	before := src.lookups.Load()
	for range 10 {
		if _, err := a.AuthenticateToken(ctx, secret); err != nil {
			t.Fatal(err)
		}
	}
	if got := src.lookups.Load() - before; got != 0 {
		t.Fatalf("cache hits made %d store lookups, want 0", got)
	}

	// A role change is seen at once through UserChanged.
	src.edit(func() { user.Role = tc.RoleViewer })
	a.UserChanged("u1")
	if c, err := a.AuthenticateToken(ctx, secret); err != nil || c.Can("configs:read") == false || c.Can("heartbeat:write") {
		t.Fatalf("after demotion: caller = %+v, err = %v", c, err)
	}

	// Disabling the owner refuses the token; enabling it again restores it.
	src.edit(func() { user.Disabled = true })
	a.UserChanged("u1")
	c, err = a.AuthenticateToken(ctx, secret)
	wantRefused(t, "owner disabled", c, err, MsgInvalid)
	src.edit(func() { user.Disabled = false })
	a.UserChanged("u1")
	if _, err := a.AuthenticateToken(ctx, secret); err != nil {
		t.Fatalf("owner enabled again: %v", err)
	}

	// Revocation through TokenChanged.
	src.edit(func() { src.tokens[tc.HashSecret(secret)].Status = tc.TokenRevoked })
	a.TokenChanged("t1")
	c, err = a.AuthenticateToken(ctx, secret)
	wantRefused(t, "revoked", c, err, MsgInvalid)

	// Deletion.
	other := src.addToken("t2", "u1", "configs:read")
	if _, err := a.AuthenticateToken(ctx, other); err != nil {
		t.Fatal(err)
	}
	src.edit(func() { delete(src.tokens, tc.HashSecret(other)) })
	a.TokenChanged("t2")
	c, err = a.AuthenticateToken(ctx, other)
	wantRefused(t, "deleted", c, err, MsgInvalid)
}

func TestTokenExpiryIsDecidedAtEachUse(t *testing.T) {
	a, src, clock := newTestAuth()
	src.addUser("u1", tc.RoleAdministrator)
	secret := src.addToken("t1", "u1", "configs:read")
	exp := clock.Now().Add(time.Hour)
	src.edit(func() { src.tokens[tc.HashSecret(secret)].ExpiresAt = &exp })
	if _, err := a.AuthenticateToken(context.Background(), secret); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Hour)
	before := src.lookups.Load()
	c, err := a.AuthenticateToken(context.Background(), secret)
	wantRefused(t, "expired", c, err, MsgExpired)
	if src.lookups.Load() != before {
		t.Fatal("expiry needed a store lookup; it is decided from the cached entry")
	}
}

func TestTamperedTokenNeverReachesStore(t *testing.T) {
	a, src, _ := newTestAuth()
	src.addUser("u1", tc.RoleManager)
	secret := src.addToken("t1", "u1", "configs:read")
	b := []byte(secret)
	last := len(b) - 1
	if b[last] == 'A' {
		b[last] = 'B'
	} else {
		b[last] = 'A'
	}
	for _, bad := range []string{string(b), secret[:len(secret)-1], "tc-apiv2_" + secret[9:], strings.ToUpper(secret)} {
		c, err := a.AuthenticateToken(context.Background(), bad)
		wantRefused(t, bad, c, err, MsgBadFormat)
	}
	if n := src.lookups.Load(); n != 0 {
		t.Fatalf("malformed tokens made %d store lookups, want 0", n)
	}
}

func TestUnknownDigestsAreBounded(t *testing.T) {
	a, src, _ := newTestAuth()
	ctx := context.Background()
	first := tc.NewTokenSecret()
	c, err := a.AuthenticateToken(ctx, first)
	wantRefused(t, "unknown", c, err, MsgInvalid)
	// The same unknown value again is answered from memory.
	before := src.lookups.Load()
	a.AuthenticateToken(ctx, first)
	if src.lookups.Load() != before {
		t.Fatal("a repeated unknown token reached the store")
	}
	for range maxUnknownDigests + 100 {
		a.AuthenticateToken(ctx, tc.NewTokenSecret())
	}
	if _, unknown := a.CachedTokens(); unknown != maxUnknownDigests {
		t.Fatalf("unknown digests held = %d, want the bound %d", unknown, maxUnknownDigests)
	}
	// The oldest was forgotten and is looked up again (still refused).
	before = src.lookups.Load()
	c, err = a.AuthenticateToken(ctx, first)
	wantRefused(t, "forgotten unknown", c, err, MsgInvalid)
	if src.lookups.Load() != before+1 {
		t.Fatal("the oldest unknown digest was not forgotten")
	}
}

// TestInvalidationDuringMissIsNotUndone interleaves a revocation between a
// cache miss's store read and its fill: the stale read must not be cached.
func TestInvalidationDuringMissIsNotUndone(t *testing.T) {
	a, src, _ := newTestAuth()
	src.addUser("u1", tc.RoleManager)
	secret := src.addToken("t1", "u1", "configs:read")
	src.beforeReturn = func() {
		src.beforeReturn = nil
		src.edit(func() { src.tokens[tc.HashSecret(secret)].Status = tc.TokenRevoked })
		a.TokenChanged("t1")
	}
	// This request raced the revocation; it may pass, but must not be remembered.
	a.AuthenticateToken(context.Background(), secret)
	c, err := a.AuthenticateToken(context.Background(), secret)
	wantRefused(t, "after revocation", c, err, MsgInvalid)
}

func TestLastUsedAtAtMostOncePerMinute(t *testing.T) {
	a, src, clock := newTestAuth()
	ctx := context.Background()
	src.addUser("u1", tc.RoleManager)
	secret := src.addToken("t1", "u1", "configs:read")
	first := clock.Now()
	for range 5 {
		a.AuthenticateToken(ctx, secret)
		clock.Advance(10 * time.Second)
	}
	if err := a.FlushUsage(ctx); err != nil {
		t.Fatal(err)
	}
	if got := src.touched["t1"]; !got.Equal(first) {
		t.Fatalf("lastUsedAt = %v, want the first use %v", got, first)
	}
	clock.Advance(10 * time.Second) // 60s after the first use
	a.AuthenticateToken(ctx, secret)
	a.FlushUsage(ctx)
	if got, want := src.touched["t1"], first.Add(time.Minute); !got.Equal(want) {
		t.Fatalf("lastUsedAt = %v, want %v", got, want)
	}
}

// BenchmarkAuthenticate measures authenticating one request by token on a
// cache hit (header parse, format check, SHA-256, cache lookup, expiry and
// lastUsedAt throttle), next to a baseline of a bare header parse and map
// lookup in the same run. Results: docs/performance.md.
func BenchmarkAuthenticate(b *testing.B) {
	a, src, _ := newTestAuth()
	src.addUser("u1", tc.RoleManager)
	secret := src.addToken("t1", "u1", "configs:read", "heartbeat:write")
	req, _ := http.NewRequest("POST", "/agents/heartbeat", nil)
	req.Header.Set("Authorization", "Bearer "+secret)
	if _, err := a.Authenticate(req); err != nil {
		b.Fatal(err)
	}

	b.Run("baseline_header_parse_map_lookup", func(b *testing.B) {
		m := map[string]*tc.Caller{secret: {}}
		b.ReportAllocs()
		for b.Loop() {
			v := req.Header.Values("Authorization")[0]
			_, cred, _ := strings.Cut(v, " ")
			if m[cred] == nil {
				b.Fatal("miss")
			}
		}
	})
	b.Run("token_cache_hit", func(b *testing.B) {
		before := src.lookups.Load()
		b.ReportAllocs()
		for b.Loop() {
			if c, err := a.Authenticate(req); err != nil || c == nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(src.lookups.Load()-before)/float64(b.N), "db-lookups/op")
	})
}

// TestRevocationUnderLoad revokes a token while goroutines authenticate with
// it: every request that starts after TokenChanged returned must be refused.
func TestRevocationUnderLoad(t *testing.T) {
	a, src, _ := newTestAuth()
	src.addUser("u1", tc.RoleManager)
	secret := src.addToken("t1", "u1", "heartbeat:write")
	ctx := context.Background()
	var revoked atomic.Bool
	var wg sync.WaitGroup
	var late atomic.Int64
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 2000 {
				after := revoked.Load()
				if _, err := a.AuthenticateToken(ctx, secret); err == nil && after {
					late.Add(1)
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < 500; i++ {
			a.UserChanged("u1") // churn: drops and refills
		}
		src.edit(func() { src.tokens[tc.HashSecret(secret)].Status = tc.TokenRevoked })
		a.TokenChanged("t1")
		revoked.Store(true)
	}()
	wg.Wait()
	if n := late.Load(); n != 0 {
		t.Fatalf("%d requests that started after the revocation were accepted", n)
	}
	c, err := a.AuthenticateToken(ctx, secret)
	wantRefused(t, "after revocation", c, err, MsgInvalid)
}
