package app_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/app"
	"github.com/telegrafcontroller/tc/internal/apptest"
)

// TestSecretKeyFile: a SQLite controller started without --secret-key
// generates secret.key (0600) beside its database and seals channel
// secrets with it; after a restart it reads them back with the same file.
func TestSecretKeyFile(t *testing.T) {
	db := apptest.DB{Name: "sqlite"}
	dsn := apptest.NewDSN(t, db)
	noKey := func(m *app.Main) { m.Config.SecretKey = "" }
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	inst := apptest.MustStartOn(t, db, dsn, apptest.NewClock(start), noKey)
	keyFile := filepath.Join(filepath.Dir(dsn), "secret.key")
	st, err := os.Stat(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("secret.key mode %v, want 0600", st.Mode().Perm())
	}
	ctx := context.Background()
	c := &tc.NotificationChannel{Name: "slack", Kind: tc.ChannelSlack, Slack: &tc.ChatSettings{URL: "https://hooks.slack.com/services/T/B/x"}}
	if err := inst.Store.CreateNotificationChannel(ctx, c); err != nil {
		t.Fatal(err)
	}
	inst.Stop()
	again := apptest.MustStartOn(t, db, dsn, apptest.NewClock(start), noKey)
	got, err := again.Store.NotificationChannel(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.SecretsUnreadable || got.Slack.URL != c.Slack.URL {
		t.Errorf("after a restart: %+v %+v, want the URL read back", got, got.Slack)
	}
}
