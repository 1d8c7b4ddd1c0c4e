package app

import (
	"context"
	"fmt"
	"time"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/auth"
	"github.com/telegrafcontroller/tc/internal/loop"
)

// Sign-in limiter per client address: 20 failures, then one more every 15 s.
const (
	loginBurst = 20
	loginEvery = 15 * time.Second
)

// startIdentity seeds the settings, bootstraps the owner and builds the
// password hasher, sessions, sign-in limiter and the sign-in rules.
func (m *Main) startIdentity(ctx context.Context, useTLS bool) error {
	c := m.Config
	seed := tc.DefaultSettings
	if c.LoginLockoutAttempts > 0 {
		seed.LoginLockoutAttempts = c.LoginLockoutAttempts
	}
	if c.LoginLockoutMinutes > 0 {
		seed.LoginLockoutMinutes = c.LoginLockoutMinutes
	}
	if c.PasswordComplexity != "" {
		seed.PasswordComplexity = tc.PasswordComplexity(c.PasswordComplexity)
	}
	seed.AuditLogRetentionHours = c.AuditLogRetention
	if c.AgentHistoryRetention > 0 {
		seed.AgentHistoryRetentionHours = c.AgentHistoryRetention
	}
	if err := m.Store.InitSettings(ctx, seed); err != nil {
		return err
	}
	m.Passwords = auth.NewHasher(m.Argon2)
	idle, life := c.SessionIdleTimeout, c.SessionLifetime
	if idle <= 0 {
		idle = auth.DefaultSessionIdle
	}
	if life <= 0 {
		life = auth.DefaultSessionLifetime
	}
	m.Sessions = &auth.Sessions{Store: m.Store, Now: m.Now, Idle: idle, Lifetime: life, Secure: useTLS}
	m.Limiter = auth.NewLoginLimiter(m.Now, loginBurst, loginEvery)
	m.SignIn = &auth.SignIn{Store: m.Store, Passwords: m.Passwords, Sessions: m.Sessions, Limiter: m.Limiter,
		Now: m.Now, Logger: m.Logger, TrustedProxies: c.TrustedProxies}
	if err := m.bootstrapOwner(ctx); err != nil {
		return err
	}
	if err := m.startSSO(ctx); err != nil {
		return err
	}
	m.startSessionSweep()
	return nil
}

// sessionSweepEvery is how often ended sessions are deleted. Ended sessions
// are refused when presented anyway; the sweep only keeps the table small.
const sessionSweepEvery = time.Hour

func (m *Main) startSessionSweep() {
	m.OnClose(loop.Start(sessionSweepEvery, nil, m.SweepSessions).Stop)
}

// SweepSessions deletes sessions past their lifetime or idle timeout.
func (m *Main) SweepSessions(ctx context.Context) {
	now := m.Now()
	n, err := m.Store.DeleteExpiredSessions(ctx, now, now.Add(-m.Sessions.Idle))
	if err != nil {
		if ctx.Err() == nil {
			m.Logger.Warn("sweep sessions", "error", err)
		}
		return
	}
	if n > 0 {
		m.Logger.Debug("swept ended sessions", "count", n)
	}
}

// bootstrapOwner creates the owner from --owner-* (or OWNER_*) when none
// exists, promoting an administrator of that username if there is one, and
// with --reset-owner-password sets the owner's password at every start.
func (m *Main) bootstrapOwner(ctx context.Context) error {
	c := m.Config
	given := 0
	for _, v := range []string{c.OwnerUsername, c.OwnerEmail, c.OwnerPassword} {
		if v != "" {
			given++
		}
	}
	owner, err := m.Store.Owner(ctx)
	if err != nil && tc.ErrorCode(err) != tc.ENOTFOUND {
		return fmt.Errorf("bootstrap owner: %w", err)
	}
	complexity := m.Store.Settings().PasswordComplexity
	if owner != nil {
		if c.ResetOwnerPassword {
			if c.OwnerPassword == "" {
				return fmt.Errorf("RESET_OWNER_PASSWORD needs OWNER_PASSWORD (or --owner-password)")
			}
			if err := complexity.ValidatePassword("password", c.OwnerPassword); err != nil {
				return fmt.Errorf("OWNER_PASSWORD is too weak for the %s password rule: %s", complexity, tc.ErrorMessage(err))
			}
			hash, err := m.Passwords.Hash(c.OwnerPassword)
			if err != nil {
				return err
			}
			if err := m.Store.SetPassword(ctx, owner.ID, hash, ""); err != nil {
				return fmt.Errorf("reset owner password: %w", err)
			}
			m.Logger.Warn("owner password reset from OWNER_PASSWORD; remove RESET_OWNER_PASSWORD and OWNER_PASSWORD now", "user_id", owner.ID)
		} else if given > 0 {
			m.Logger.Info("an owner exists; OWNER_* bootstrap values are ignored")
		}
		return nil
	}
	if given == 0 {
		m.Logger.Info("no owner account yet: open the web UI to create it, or start with OWNER_USERNAME, OWNER_EMAIL and OWNER_PASSWORD")
		return nil
	}
	if given < 3 {
		return fmt.Errorf("owner bootstrap needs all three of OWNER_USERNAME, OWNER_EMAIL and OWNER_PASSWORD (or --owner-username, --owner-email, --owner-password)")
	}
	if err := tc.ValidateUsername(c.OwnerUsername); err != nil {
		return fmt.Errorf("OWNER_USERNAME: %s", tc.ErrorMessage(err))
	}
	if err := tc.ValidateEmail(c.OwnerEmail); err != nil {
		return fmt.Errorf("OWNER_EMAIL: %s", tc.ErrorMessage(err))
	}
	if err := complexity.ValidatePassword("password", c.OwnerPassword); err != nil {
		return fmt.Errorf("OWNER_PASSWORD is too weak for the %s password rule: %s", complexity, tc.ErrorMessage(err))
	}
	hash, err := m.Passwords.Hash(c.OwnerPassword)
	if err != nil {
		return err
	}
	u := &tc.User{Username: c.OwnerUsername, Email: c.OwnerEmail, Role: tc.RoleOwner, PasswordHash: hash}
	if err := m.Store.CreateOwner(ctx, u); err != nil {
		return fmt.Errorf("bootstrap owner: %s", tc.ErrorMessage(err))
	}
	m.Logger.Info("owner account ready", "user_id", u.ID, "username", u.Username)
	return nil
}
