package store

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/telegrafcontroller/tc"
)

const channelColumns = `id, name, kind, enabled, settings, secrets, created_at, updated_at, created_by`

// channelSettings is how a channel's settings are stored: the kind's
// settings without their secrets (tc's MarshalJSON leaves them out).
type channelSettings struct {
	Webhook      *tc.WebhookSettings      `json:"webhook,omitempty"`
	Slack        *tc.ChatSettings         `json:"slack,omitempty"`
	Teams        *tc.ChatSettings         `json:"teams,omitempty"`
	Email        *tc.EmailSettings        `json:"email,omitempty"`
	Alertmanager *tc.AlertmanagerSettings `json:"alertmanager,omitempty"`
}

func (s *Store) scanChannel(row interface{ Scan(...any) error }) (*tc.NotificationChannel, error) {
	var c tc.NotificationChannel
	var settings, secrets string
	var created, updated int64
	if err := row.Scan(&c.ID, &c.Name, &c.Kind, &c.Enabled, &settings, &secrets, &created, &updated, &c.CreatedBy); err != nil {
		return nil, err
	}
	c.CreatedAt, c.UpdatedAt = fromMS(created), fromMS(updated)
	var st channelSettings
	if err := json.Unmarshal([]byte(settings), &st); err != nil {
		return nil, fmt.Errorf("read notification channel %s settings: %w", c.ID, err)
	}
	c.Webhook, c.Slack, c.Teams, c.Email, c.Alertmanager = st.Webhook, st.Slack, st.Teams, st.Email, st.Alertmanager
	// The secrets' fields were left out of settings; give the kind's
	// struct back even when it held nothing else (Slack, Teams).
	switch c.Kind {
	case tc.ChannelSlack:
		if c.Slack == nil {
			c.Slack = &tc.ChatSettings{}
		}
	case tc.ChannelTeams:
		if c.Teams == nil {
			c.Teams = &tc.ChatSettings{}
		}
	}
	if secrets != "" {
		sec, err := s.openSecrets(c.ID, secrets)
		if err != nil {
			c.SecretsUnreadable = true
		} else {
			c.SetSecrets(sec)
		}
	}
	return &c, nil
}

// NotificationChannels returns every channel by name, with its secrets.
func (s *Store) NotificationChannels(ctx context.Context) ([]*tc.NotificationChannel, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+channelColumns+` FROM notification_channels ORDER BY lower(name), id`)
	if err != nil {
		return nil, fmt.Errorf("list notification channels: %w", err)
	}
	defer rows.Close()
	out := []*tc.NotificationChannel{}
	for rows.Next() {
		c, err := s.scanChannel(rows)
		if err != nil {
			return nil, fmt.Errorf("list notification channels: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// NotificationChannel returns one channel, with its secrets (a
// notify.Dispatcher reads it so). Errors: ENOTFOUND.
func (s *Store) NotificationChannel(ctx context.Context, id string) (*tc.NotificationChannel, error) {
	return s.channelByID(ctx, s.read, id)
}

func (s *Store) channelByID(ctx context.Context, q queryer, id string) (*tc.NotificationChannel, error) {
	c, err := s.scanChannel(q.QueryRowContext(ctx, `SELECT `+channelColumns+` FROM notification_channels WHERE id = $1`, id))
	if err == sql.ErrNoRows {
		return nil, notFound("notification channel")
	}
	if err != nil {
		return nil, fmt.Errorf("get notification channel: %w", err)
	}
	return c, nil
}

// CreateNotificationChannel validates and inserts c, assigning its id,
// times and creator (the caller in ctx). Errors: EINVALID (a secret and no
// key to seal it with), ECONFLICT for a name in use.
func (s *Store) CreateNotificationChannel(ctx context.Context, c *tc.NotificationChannel) error {
	if err := c.Validate(); err != nil {
		return err
	}
	return s.withTx(ctx, func(tx *Tx) error {
		c.ID = uuid.NewString()
		c.CreatedAt, c.UpdatedAt = tx.now, tx.now
		c.CreatedBy = ""
		if caller := tc.CallerFromContext(ctx); caller != nil && caller.User != nil {
			c.CreatedBy = caller.User.ID
		}
		settings, secrets, err := s.channelColumnsOf(c)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO notification_channels (`+channelColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			c.ID, c.Name, c.Kind, c.Enabled, settings, secrets, ms(c.CreatedAt), ms(c.UpdatedAt), c.CreatedBy)
		if err := channelNameConflict(err, c.Name); err != nil {
			return err
		}
		tx.announce(ctx, tc.EntityNotificationChannel, tc.OpCreate, c.ID)
		tx.describe(tc.EntityNotificationChannel, c.ID, c.Name, map[string]any{"kind": c.Kind, "enabled": c.Enabled})
		return nil
	})
}

// UpdateNotificationChannel reads channel id, lets fn change it (the
// service keeps the secrets an update omits), validates and stores the
// result in one transaction. The audit entry names the fields that
// changed, never a secret's value. Errors: ENOTFOUND, EINVALID, ECONFLICT,
// and whatever fn returns.
func (s *Store) UpdateNotificationChannel(ctx context.Context, id string, fn func(c *tc.NotificationChannel) error) (*tc.NotificationChannel, error) {
	var out *tc.NotificationChannel
	err := s.withTx(ctx, func(tx *Tx) error {
		old, err := s.channelByID(ctx, tx, id)
		if err != nil {
			return err
		}
		c, err := s.channelByID(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := fn(c); err != nil {
			return err
		}
		c.ID, c.CreatedAt, c.CreatedBy = id, old.CreatedAt, old.CreatedBy
		if err := c.Validate(); err != nil {
			return err
		}
		fields := tc.ChangedChannelFields(old, c)
		if len(fields) == 0 && !old.SecretsUnreadable {
			out = old
			return nil
		}
		c.SecretsUnreadable = false
		settings, secrets, err := s.channelColumnsOf(c)
		if err != nil {
			return err
		}
		c.UpdatedAt = tx.now
		_, err = tx.ExecContext(ctx, `UPDATE notification_channels SET name = $2, kind = $3, enabled = $4, settings = $5,
			secrets = $6, updated_at = $7 WHERE id = $1`, id, c.Name, c.Kind, c.Enabled, settings, secrets, ms(c.UpdatedAt))
		if err := channelNameConflict(err, c.Name); err != nil {
			return err
		}
		tx.announce(ctx, tc.EntityNotificationChannel, tc.OpUpdate, id)
		details := map[string]any{"fields": fields}
		if old.Name != c.Name {
			details["name"] = [2]string{old.Name, c.Name}
		}
		if old.Enabled != c.Enabled {
			details["enabled"] = c.Enabled
		}
		tx.describe(tc.EntityNotificationChannel, id, c.Name, details)
		out = c
		return nil
	})
	return out, err
}

// DeleteNotificationChannel deletes channel id. Errors: ENOTFOUND.
func (s *Store) DeleteNotificationChannel(ctx context.Context, id string) error {
	return s.withTx(ctx, func(tx *Tx) error {
		var name, kind string
		err := tx.QueryRowContext(ctx, `DELETE FROM notification_channels WHERE id = $1 RETURNING name, kind`, id).Scan(&name, &kind)
		if err == sql.ErrNoRows {
			return notFound("notification channel")
		}
		if err != nil {
			return fmt.Errorf("delete notification channel: %w", err)
		}
		tx.announce(ctx, tc.EntityNotificationChannel, tc.OpDelete, id)
		tx.describe(tc.EntityNotificationChannel, id, name, map[string]any{"kind": kind})
		return nil
	})
}

// channelColumnsOf returns c's settings column and its sealed secrets.
func (s *Store) channelColumnsOf(c *tc.NotificationChannel) (settings, secrets string, err error) {
	b, err := json.Marshal(channelSettings{Webhook: c.Webhook, Email: c.Email, Alertmanager: c.Alertmanager})
	if err != nil {
		return "", "", fmt.Errorf("encode notification channel settings: %w", err)
	}
	if !c.HasSecrets() {
		return string(b), "", nil
	}
	secrets, err = s.sealSecrets(c.ID, c.Secrets())
	return string(b), secrets, err
}

func channelNameConflict(err error, name string) error {
	if err == nil {
		return nil
	}
	if IsConflict(err) {
		return &tc.Error{Code: tc.ECONFLICT, Field: "name", Message: fmt.Sprintf("a notification channel named %q already exists", name)}
	}
	return fmt.Errorf("store notification channel: %w", err)
}

// ErrNoSecretKey refuses a channel secret when the controller has no key
// to seal it with (PostgreSQL without --secret-key).
var ErrNoSecretKey = tc.Errorf(tc.EINVALID, "this controller has no secret key to encrypt channel secrets with (URLs of Slack and Teams, passwords, tokens, webhook secrets and headers); start it with --secret-key (SECRET_KEY), see docs/alerts.md")

const sealedPrefix = "v1:"

// SetSecretKey seals channel secrets under key material from now on; call
// it before the store serves (app.Main does, with a key file's content
// when the operator gave no key).
func (s *Store) SetSecretKey(material string) { s.sealer = newSealer(material) }

// newSealer derives the AES-256-GCM key that seals channel secrets from
// the operator's key material.
func newSealer(material string) cipher.AEAD {
	key, err := hkdf.Key(sha256.New, []byte(material), nil, "telegraf-controller notification channel secrets v1", 32)
	if err != nil {
		panic(err) // only for a length over 255*32
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		panic(err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		panic(err)
	}
	return aead
}

// sealSecrets encrypts sec under the store's key, bound to the channel's
// id (a sealed value copied to another row does not open).
func (s *Store) sealSecrets(id string, sec tc.ChannelSecrets) (string, error) {
	if s.sealer == nil {
		return "", ErrNoSecretKey
	}
	plain, err := json.Marshal(sec)
	if err != nil {
		return "", fmt.Errorf("encode channel secrets: %w", err)
	}
	nonce := make([]byte, s.sealer.NonceSize(), s.sealer.NonceSize()+len(plain)+s.sealer.Overhead())
	rand.Read(nonce)
	return sealedPrefix + base64.StdEncoding.EncodeToString(s.sealer.Seal(nonce, nonce, plain, []byte(id))), nil
}

func (s *Store) openSecrets(id, sealed string) (tc.ChannelSecrets, error) {
	var sec tc.ChannelSecrets
	if s.sealer == nil {
		return sec, errors.New("no secret key")
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(sealed, sealedPrefix))
	if err != nil || !strings.HasPrefix(sealed, sealedPrefix) || len(raw) < s.sealer.NonceSize() {
		return sec, errors.New("malformed sealed secrets")
	}
	n := s.sealer.NonceSize()
	plain, err := s.sealer.Open(nil, raw[:n], raw[n:], []byte(id))
	if err != nil {
		return sec, err
	}
	err = json.Unmarshal(plain, &sec)
	return sec, err
}
