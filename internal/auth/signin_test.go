package auth_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/apptest"
	"github.com/telegrafcontroller/tc/internal/auth"
	"github.com/telegrafcontroller/tc/internal/store"
)

const (
	signInPassword = "correct horse battery staple 7"
	lockAttempts   = 3
	lockMinutes    = 10
)

// signInEnv is a SignIn on a real, throwaway store with a settable clock.
type signInEnv struct {
	s     *auth.SignIn
	store *store.Store
	clock *apptest.Clock
}

// mustSignIn builds a SignIn on db whose account lockout is lockAttempts
// failures for lockMinutes, and whose limiter allows burst failures per
// address, one more per minute.
func mustSignIn(t *testing.T, db apptest.DB, burst int) *signInEnv {
	t.Helper()
	ctx := context.Background()
	clock := apptest.NewClock(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	st, err := store.Open(ctx, apptest.NewDSN(t, db), store.Options{Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	set := tc.DefaultSettings
	set.LoginLockoutAttempts, set.LoginLockoutMinutes = lockAttempts, lockMinutes
	if err := st.InitSettings(ctx, set); err != nil {
		t.Fatal(err)
	}
	s := &auth.SignIn{
		Store: st, Passwords: auth.NewHasher(auth.TestArgon2), Now: clock.Now,
		Sessions: &auth.Sessions{Store: st, Now: clock.Now, Idle: time.Hour, Lifetime: 24 * time.Hour},
		Limiter:  auth.NewLoginLimiter(clock.Now, burst, time.Minute),
	}
	return &signInEnv{s: s, store: st, clock: clock}
}

// mustUser stores a user whose password is signInPassword, hashed by h.
func (e *signInEnv) mustUser(t *testing.T, name string, h *auth.Hasher, disabled bool) *tc.User {
	t.Helper()
	hash, err := h.Hash(signInPassword)
	if err != nil {
		t.Fatal(err)
	}
	u := &tc.User{Username: name, Email: name + "@example.test", Role: tc.RoleViewer, PasswordHash: hash, Disabled: disabled}
	if err := e.store.CreateUser(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	return u
}

func (e *signInEnv) login(name, password, addr string) (*auth.Started, error) {
	return e.s.Login(context.Background(), auth.Credentials{Username: name, Password: password}, auth.Origin{Addr: addr})
}

// wantRefused fails t unless err has code and a message containing msg.
func wantRefused(t *testing.T, what string, err error, code, msg string) {
	t.Helper()
	if tc.ErrorCode(err) != code || !strings.Contains(tc.ErrorMessage(err), msg) {
		t.Fatalf("%s: err = %v, want %s containing %q", what, err, code, msg)
	}
}

const lockedMsg = "this account is locked for 10 minutes"

func TestSignInLockout(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		e := mustSignIn(t, db, 100)
		u := e.mustUser(t, "alice", e.s.Passwords, false)
		for i := 1; i < lockAttempts; i++ {
			_, err := e.login("alice", "wrong", "192.0.2.1")
			wantRefused(t, "wrong password", err, tc.EUNAUTHORIZED, auth.MsgBadLogin)
		}
		_, err := e.login("alice", "wrong", "192.0.2.1")
		wantRefused(t, "last allowed failure", err, tc.EUNAUTHORIZED, lockedMsg)
		// The right password no longer helps, and says the same.
		_, err = e.login("ALICE@example.test", signInPassword, "192.0.2.1")
		wantRefused(t, "right password while locked", err, tc.EUNAUTHORIZED, "this account is locked for")

		e.clock.Advance(lockMinutes * time.Minute)
		st, err := e.login("alice", signInPassword, "192.0.2.1")
		if err != nil {
			t.Fatalf("after the lockout: %v", err)
		}
		if st.User.ID != u.ID || st.ID == "" || !st.Expires.Equal(e.clock.Now().Add(24*time.Hour)) {
			t.Fatalf("started = %+v, want a session of %s for 24h", st, u.ID)
		}
		sess, su, err := e.store.SessionWithUser(context.Background(), tc.HashSecret(st.ID))
		if err != nil || su.ID != u.ID || sess == nil {
			t.Fatalf("session stored: %v, %v; want alice's", su, err)
		}
	})
}

func TestSignInUnknownNameLocksLikeAnAccount(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		e := mustSignIn(t, db, 100)
		for i := 1; i < lockAttempts; i++ {
			_, err := e.login("nobody", "wrong", "192.0.2.1")
			wantRefused(t, "unknown name", err, tc.EUNAUTHORIZED, auth.MsgBadLogin)
		}
		_, err := e.login("nobody", "wrong", "192.0.2.1")
		wantRefused(t, "unknown name, last failure", err, tc.EUNAUTHORIZED, lockedMsg)
		_, err = e.login("NOBODY", "wrong", "192.0.2.1")
		wantRefused(t, "unknown name while locked", err, tc.EUNAUTHORIZED, "this account is locked for")
	})
}

func TestSignInDisabledIsWrongPassword(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		e := mustSignIn(t, db, 100)
		e.mustUser(t, "bob", e.s.Passwords, true)
		for i := 1; i < lockAttempts; i++ {
			_, err := e.login("bob", signInPassword, "192.0.2.1")
			wantRefused(t, "disabled, right password", err, tc.EUNAUTHORIZED, auth.MsgBadLogin)
		}
		// It counts toward the lockout as a wrong password does.
		_, err := e.login("bob", signInPassword, "192.0.2.1")
		wantRefused(t, "disabled, last failure", err, tc.EUNAUTHORIZED, lockedMsg)
	})
}

func TestSignInLimiterPerAddress(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		e := mustSignIn(t, db, 2)
		e.mustUser(t, "carol", e.s.Passwords, false)
		for _, name := range []string{"x1", "x2"} {
			_, err := e.login(name, "wrong", "192.0.2.1")
			wantRefused(t, "failure within the burst", err, tc.EUNAUTHORIZED, auth.MsgBadLogin)
		}
		// The address is out of tries, even with the right password.
		_, err := e.login("carol", signInPassword, "192.0.2.1")
		wantRefused(t, "over the limit", err, tc.ETOOMANYREQUESTS, "Too many failed sign-in attempts from your address; try again in 1 minute")
		if wait, ok := auth.RetryAfter(err); !ok || wait != time.Minute {
			t.Fatalf("RetryAfter = %v, %v; want 1m, true", wait, ok)
		}
		if _, ok := errors.AsType[*tc.Error](err); !ok {
			t.Fatalf("a RetryError must unwrap to its *tc.Error: %v", err)
		}
		// Another address is not affected; this one recovers with time.
		if _, err := e.login("carol", signInPassword, "198.51.100.7"); err != nil {
			t.Fatalf("another address: %v", err)
		}
		e.clock.Advance(time.Minute)
		if _, err := e.login("carol", signInPassword, "192.0.2.1"); err != nil {
			t.Fatalf("after a minute: %v", err)
		}
	})
}

func TestSignInRehashesOldHashes(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		e := mustSignIn(t, db, 100)
		weaker := auth.TestArgon2
		weaker.Time = 1
		stronger := auth.TestArgon2
		stronger.Time = 2
		e.s.Passwords = auth.NewHasher(stronger)
		u := e.mustUser(t, "dave", auth.NewHasher(weaker), false)
		if _, err := e.login("dave", signInPassword, "192.0.2.1"); err != nil {
			t.Fatal(err)
		}
		got, err := e.store.UserByID(context.Background(), u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.PasswordHash == u.PasswordHash {
			t.Fatal("hash unchanged after sign-in with a stronger cost")
		}
		if ok, rehash := e.s.Passwords.Verify(got.PasswordHash, signInPassword); !ok || rehash {
			t.Fatalf("new hash: Check = %v, %v; want true, false", ok, rehash)
		}
		// A current hash is left alone.
		if _, err := e.login("dave", signInPassword, "192.0.2.1"); err != nil {
			t.Fatal(err)
		}
		again, _ := e.store.UserByID(context.Background(), u.ID)
		if again.PasswordHash != got.PasswordHash {
			t.Fatal("a current hash was replaced")
		}
	})
}

func TestSignInSetupAndLogout(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		e := mustSignIn(t, db, 100)
		ctx := context.Background()
		if st, err := e.s.Status(ctx); err != nil || !st.SetupRequired {
			t.Fatalf("status before setup = %+v, %v; want setup required", st, err)
		}
		_, err := e.s.Setup(ctx, auth.Credentials{Username: "owner", Email: "owner@example.test", Password: "short"}, auth.Origin{})
		if tc.ErrorCode(err) != tc.EINVALID {
			t.Fatalf("weak password: %v, want %s", err, tc.EINVALID)
		}
		in := auth.Credentials{Username: "owner", Email: "owner@example.test", Password: signInPassword}
		st, err := e.s.Setup(ctx, in, auth.Origin{})
		if err != nil {
			t.Fatal(err)
		}
		if id := st.Identity(); id.Role != tc.RoleOwner || id.AuthMethod != "session" || len(id.Permissions) == 0 {
			t.Fatalf("identity = %+v, want an owner's session", id)
		}
		_, err = e.s.Setup(ctx, in, auth.Origin{})
		wantRefused(t, "second setup", err, tc.ECONFLICT, "Setup is already complete; sign in instead")
		if s, err := e.s.Status(ctx); err != nil || s.SetupRequired {
			t.Fatalf("status after setup = %+v, %v; want no setup", s, err)
		}

		// Signing in again replaces the session the browser held.
		next, err := e.s.Login(ctx, auth.Credentials{Email: "owner@example.test", Password: signInPassword}, auth.Origin{Addr: "192.0.2.1", OldSession: st.ID})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := e.store.SessionWithUser(ctx, tc.HashSecret(st.ID)); tc.ErrorCode(err) != tc.ENOTFOUND {
			t.Fatalf("old session after a new sign-in: %v, want %s", err, tc.ENOTFOUND)
		}
		c, err := e.s.Sessions.CallerBySession(ctx, next.ID)
		if err != nil || c == nil {
			t.Fatalf("caller of the new session: %v, %v", c, err)
		}
		if me, err := e.s.Me(tc.NewContextWithCaller(ctx, c)); err != nil || me.User.ID != st.User.ID {
			t.Fatalf("me = %+v, %v", me, err)
		}
		if _, err := e.s.Me(ctx); tc.ErrorCode(err) != tc.EUNAUTHORIZED {
			t.Fatalf("me without a caller: %v, want %s", err, tc.EUNAUTHORIZED)
		}
		if err := e.s.Logout(tc.NewContextWithCaller(ctx, c)); err != nil {
			t.Fatal(err)
		}
		if c, err := e.s.Sessions.CallerBySession(ctx, next.ID); err != nil || c != nil {
			t.Fatalf("after logout: %v, %v; want no caller", c, err)
		}
	})
}

func TestSignInRequiresBothFields(t *testing.T) {
	e := mustSignIn(t, apptest.DB{Name: "sqlite"}, 100)
	_, err := e.login("", "x", "192.0.2.1")
	wantRefused(t, "no name", err, tc.EINVALID, "Username or email is required")
	_, err = e.login("alice", "", "192.0.2.1")
	wantRefused(t, "no password", err, tc.EINVALID, "Password is required")
}

func TestChangePasswordCountsAsFailedSignIn(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		e := mustSignIn(t, db, 100)
		ctx := context.Background()
		e.mustUser(t, "erin", e.s.Passwords, false)
		st, err := e.login("erin", signInPassword, "192.0.2.1")
		if err != nil {
			t.Fatal(err)
		}
		c, err := e.s.Sessions.CallerBySession(ctx, st.ID)
		if err != nil || c == nil {
			t.Fatalf("caller: %v, %v", c, err)
		}
		ctx = tc.NewContextWithCaller(ctx, c)
		from := auth.Origin{Addr: "192.0.2.1"}
		if err := e.s.ChangePassword(context.Background(), auth.PasswordChange{CurrentPassword: "x", NewPassword: "y"}, from); tc.ErrorCode(err) != tc.EUNAUTHORIZED {
			t.Fatalf("without a caller: %v, want %s", err, tc.EUNAUTHORIZED)
		}
		wrong := auth.PasswordChange{CurrentPassword: "wrong", NewPassword: "A-new-password-42"}
		for i := 1; i < lockAttempts; i++ {
			err := e.s.ChangePassword(ctx, wrong, from)
			wantRefused(t, "wrong current password", err, tc.EINVALID, "Current password is incorrect")
		}
		err = e.s.ChangePassword(ctx, wrong, from)
		wantRefused(t, "last allowed failure", err, tc.ETOOMANYREQUESTS, "Too many failed password attempts; this account is locked for 10 minutes")
		if wait, ok := auth.RetryAfter(err); !ok || wait != lockMinutes*time.Minute {
			t.Fatalf("RetryAfter = %v, %v; want %v", wait, ok, lockMinutes*time.Minute)
		}
		// The lockout holds for sign-in as well.
		_, err = e.login("erin", signInPassword, "192.0.2.1")
		wantRefused(t, "sign-in while locked", err, tc.EUNAUTHORIZED, "this account is locked for")

		e.clock.Advance(lockMinutes * time.Minute)
		right := auth.PasswordChange{CurrentPassword: signInPassword, NewPassword: "A-new-password-42"}
		if err := e.s.ChangePassword(ctx, right, from); err != nil {
			t.Fatal(err)
		}
		if _, err := e.login("erin", "A-new-password-42", "192.0.2.1"); err != nil {
			t.Fatalf("sign-in with the new password: %v", err)
		}
	})
}
