package app

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/telegrafcontroller/tc/internal/notify"
	"github.com/telegrafcontroller/tc/internal/service"
)

// secretKeyFile is the key generated beside a SQLite database when the
// operator gave no --secret-key.
const secretKeyFile = "secret.key"

// startChannels gives the store the key that seals notification channel
// secrets and builds the channels' service and dispatcher. The key is
// --secret-key; else, with SQLite, the content of secret.key beside the
// database, generated (mode 0600) on the first start; else (PostgreSQL
// without a key) none: a channel that holds a secret is refused with a
// message that names --secret-key.
func (m *Main) startChannels() (*service.NotificationChannels, error) {
	key := m.Config.SecretKey
	if key == "" && m.Store.Path() != "" {
		var err error
		if key, err = readOrCreateKey(filepath.Join(filepath.Dir(m.Store.Path()), secretKeyFile)); err != nil {
			return nil, err
		}
	}
	if key != "" {
		m.Store.SetSecretKey(key)
	} else {
		m.Logger.Warn("no --secret-key (SECRET_KEY): notification channels that hold a secret cannot be saved; see docs/alerts.md")
	}
	m.Notify = notify.NewDispatcher(m.Store, notify.Options{Now: m.Now})
	return &service.NotificationChannels{Store: m.Store, Sender: m.Notify, Logger: m.Logger}, nil
}

// readOrCreateKey returns the key in path, writing a new random one there
// first when the file does not exist.
func readOrCreateKey(path string) (string, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		raw := make([]byte, 32)
		rand.Read(raw)
		key := base64.StdEncoding.EncodeToString(raw)
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return "", fmt.Errorf("create the secret key file %s: %w", path, err)
		}
		_, err = f.WriteString(key + "\n")
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return "", fmt.Errorf("write the secret key file %s: %w", path, err)
		}
		return key, nil
	}
	if err != nil {
		return "", fmt.Errorf("read the secret key file %s: %w", path, err)
	}
	key := strings.TrimSpace(string(b))
	if len(key) < 32 {
		return "", fmt.Errorf("the secret key file %s holds fewer than 32 characters", path)
	}
	return key, nil
}
