package auth

import (
	"context"
	"errors"
	"time"

	"github.com/telegrafcontroller/tc"
)

// FailureStore counts failed password checks per account and locks it after
// attempts of them (the store's RecordLoginFailure); it returns the lock's
// end once locked.
type FailureStore interface {
	RecordLoginFailure(ctx context.Context, userID string, attempts int, lockFor time.Duration) (*time.Time, error)
}

// PasswordGuard checks a known user's password under the sign-in rules: a
// locked account is refused without a check, and every failure counts
// against the client address (Limiter) and toward the account lockout
// (Failures, with the lockout settings). Signing in and changing one's
// password both go through it, so a password change is no oracle that
// escapes the lockout.
type PasswordGuard struct {
	Passwords *Hasher
	Limiter   *LoginLimiter
	Failures  FailureStore
	Now       func() time.Time
}

// ErrWrongPassword is a failed check that did not (yet) lock the account.
var ErrWrongPassword = errors.New("wrong password")

// LockedError refuses a check because the account is locked until Until.
// New is set when this very failure locked it.
type LockedError struct {
	Until time.Time
	New   bool
}

func (e *LockedError) Error() string { return "account locked until " + e.Until.Format(time.RFC3339) }

// Verify checks password for u, a request from client address addr, under
// the lockout settings set. It returns whether the stored hash should be
// replaced (see Hasher.Check), or ErrWrongPassword, a *LockedError, or a
// store error. The caller checks Limiter.Allow(addr) first.
//
// A disabled account fails exactly as a wrong password does, right password
// or not, and counts toward its lockout alike: neither the answer, nor its
// time, nor when the account locks tells that the password was right.
func (g *PasswordGuard) Verify(ctx context.Context, u *tc.User, password, addr string, set tc.Settings) (rehash bool, err error) {
	now := g.Now()
	if u.LockedUntil != nil && now.Before(*u.LockedUntil) {
		g.Passwords.Spend(password)
		g.Limiter.Failed(addr)
		return false, &LockedError{Until: *u.LockedUntil}
	}
	ok, rehash := g.Passwords.Verify(u.PasswordHash, password)
	if ok && !u.Disabled {
		return rehash, nil
	}
	g.Limiter.Failed(addr)
	lockFor := time.Duration(set.LoginLockoutMinutes) * time.Minute
	until, err := g.Failures.RecordLoginFailure(ctx, u.ID, set.LoginLockoutAttempts, lockFor)
	if err != nil {
		return false, err
	}
	if until != nil {
		return false, &LockedError{Until: *until, New: true}
	}
	return false, ErrWrongPassword
}
