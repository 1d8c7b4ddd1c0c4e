package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/telegrafcontroller/tc"
)

// Settings keys in the settings table.
const (
	setPublicUIURL        = "publicUiUrl"
	setPublicAPIURL       = "publicApiUrl"
	setPublicHeartbeatURL = "publicHeartbeatUrl"
	setLockoutAttempts    = "loginLockoutAttempts"
	setLockoutMinutes     = "loginLockoutMinutes"
	setPasswordComplexity = "passwordComplexity"
	setAuditRetention     = "auditLogRetentionHours"
	setHistoryRetention   = "agentHistoryRetentionHours"
	setLDAP               = "ldapProvisioning" // JSON of tc.Provisioning
	setOIDC               = "oidcProvisioning"
)

func settingsRows(v tc.Settings) map[string]string {
	return map[string]string{
		setPublicUIURL:        v.PublicUIURL,
		setPublicAPIURL:       v.PublicAPIURL,
		setPublicHeartbeatURL: v.PublicHeartbeatURL,
		setLockoutAttempts:    strconv.Itoa(v.LoginLockoutAttempts),
		setLockoutMinutes:     strconv.Itoa(v.LoginLockoutMinutes),
		setPasswordComplexity: string(v.PasswordComplexity),
		setAuditRetention:     strconv.Itoa(v.AuditLogRetentionHours),
		setHistoryRetention:   strconv.Itoa(v.AgentHistoryRetentionHours),
		setLDAP:               provisioningJSON(v.LDAP),
		setOIDC:               provisioningJSON(v.OIDC),
	}
}

func provisioningJSON(p tc.Provisioning) string {
	b, _ := json.Marshal(p)
	return string(b)
}

// parseProvisioning reads a stored provider's settings over the defaults.
func parseProvisioning(val string) tc.Provisioning {
	p := tc.DefaultProvisioning
	p.AllowedDomains, p.GroupMappings = nil, nil
	if json.Unmarshal([]byte(val), &p) != nil {
		return tc.DefaultProvisioning
	}
	p.Normalize()
	return p
}

// InitSettings stores seed for every setting not stored yet (first start:
// environment seeds apply once, the database wins afterwards) and loads
// the settings into memory.
func (s *Store) InitSettings(ctx context.Context, seed tc.Settings) error {
	err := s.withTx(ctx, func(tx *Tx) error {
		for k, v := range settingsRows(seed) {
			if _, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING`, k, v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("seed settings: %w", err)
	}
	return s.loadSettings(ctx)
}

func (s *Store) loadSettings(ctx context.Context) error {
	s.settingsMu.RLock()
	gen := s.settingsGen
	s.settingsMu.RUnlock()
	rows, err := s.read.QueryContext(ctx, `SELECT key, value FROM settings`)
	if err != nil {
		return fmt.Errorf("load settings: %w", err)
	}
	defer rows.Close()
	v := tc.DefaultSettings
	for rows.Next() {
		var k, val string
		if err := rows.Scan(&k, &val); err != nil {
			return fmt.Errorf("load settings: %w", err)
		}
		switch k {
		case setPublicUIURL:
			v.PublicUIURL = val
		case setPublicAPIURL:
			v.PublicAPIURL = val
		case setPublicHeartbeatURL:
			v.PublicHeartbeatURL = val
		case setLockoutAttempts:
			if n, err := strconv.Atoi(val); err == nil {
				v.LoginLockoutAttempts = n
			}
		case setLockoutMinutes:
			if n, err := strconv.Atoi(val); err == nil {
				v.LoginLockoutMinutes = n
			}
		case setPasswordComplexity:
			v.PasswordComplexity = tc.PasswordComplexity(val)
		case setAuditRetention:
			if n, err := strconv.Atoi(val); err == nil {
				v.AuditLogRetentionHours = n
			}
		case setHistoryRetention:
			if n, err := strconv.Atoi(val); err == nil && tc.ValidAgentHistoryRetention(n) {
				v.AgentHistoryRetentionHours = n
			}
		case setLDAP:
			v.LDAP = parseProvisioning(val)
		case setOIDC:
			v.OIDC = parseProvisioning(val)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("load settings: %w", err)
	}
	s.settingsMu.Lock()
	if s.settingsGen == gen { // else dropped meanwhile: what was read may predate the change
		s.settings, s.settingsLoaded = v, true
	}
	s.settingsMu.Unlock()
	return nil
}

// DropSettings forgets the settings held in memory; the next Settings call
// reads them again. It is the settings cache's subscription to the change
// feed (internal/app), for changes UpdateSettings did not make itself
// (another node's, in a cluster), and does no I/O, as a subscriber must
// not. It takes only the cache's lock, for a moment, never the writers'.
func (s *Store) DropSettings() {
	s.settingsMu.Lock()
	s.settingsGen++
	s.settingsLoaded = false
	s.settingsMu.Unlock()
}

// Settings returns the instance settings from memory (no I/O once loaded).
// Before InitSettings it reads them once, falling back to the defaults.
func (s *Store) Settings() tc.Settings {
	s.settingsMu.RLock()
	v, ok := s.settings, s.settingsLoaded
	s.settingsMu.RUnlock()
	if ok {
		return v
	}
	if err := s.loadSettings(context.Background()); err != nil {
		return tc.DefaultSettings
	}
	return s.Settings()
}

// UpdateSettings applies change to the current settings, validates the
// result, stores every field and refreshes the cache, and returns the
// settings now in force. Writers are serialised (settingsWriteMu) and each
// change applies to what the previous one committed, so two concurrent
// updates of different fields both stay; readers of Settings, such as
// every sign-in, never wait for the write. Errors: EINVALID naming the
// field.
func (s *Store) UpdateSettings(ctx context.Context, change func(*tc.Settings)) (tc.Settings, error) {
	current := s.Settings() // loads them once if needed, before taking the lock
	s.settingsWriteMu.Lock()
	defer s.settingsWriteMu.Unlock()
	s.settingsMu.RLock()
	if s.settingsLoaded {
		current = s.settings
	}
	s.settingsMu.RUnlock()
	v := current
	change(&v)
	if err := v.Validate(); err != nil {
		return current, err
	}
	err := s.withTx(ctx, func(tx *Tx) error {
		for k, val := range settingsRows(v) {
			if _, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, k, val); err != nil {
				return err
			}
		}
		tx.announce(ctx, tc.EntitySettings, tc.OpUpdate)
		tx.describe(tc.EntitySettings, "", "", settingsDiff(current, v))
		return nil
	})
	if err != nil {
		return current, fmt.Errorf("update settings: %w", err)
	}
	s.settingsMu.Lock()
	s.settings, s.settingsLoaded = v, true
	s.settingsMu.Unlock()
	return v, nil
}

// settingsDiff is what an update changed, by setting: its old and new
// values (the audit entry's details; settings hold no secret).
func settingsDiff(old, new tc.Settings) map[string][2]string {
	a, b := settingsRows(old), settingsRows(new)
	out := map[string][2]string{}
	for k, v := range b {
		if a[k] != v {
			out[k] = [2]string{a[k], v}
		}
	}
	return out
}
