package app_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/telegrafcontroller/tc/internal/app"
	"github.com/telegrafcontroller/tc/internal/apptest"
	"github.com/telegrafcontroller/tc/internal/auth"
)

// startInDataDir runs a controller on the SQLite database of --data-dir dir.
func startInDataDir(t *testing.T, dir string, logs io.Writer) *app.Main {
	t.Helper()
	m := app.NewMain()
	m.Getenv = func(string) string { return "" }
	m.LogOutput = logs
	m.Argon2 = auth.TestArgon2
	cfg, err := app.ParseConfig([]string{"--port", "0", "--heartbeat-port", "0", "--bind", "127.0.0.1", "--drain-period", "0", "--data-dir", dir}, m.Getenv, nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	m.Config = cfg
	if err := m.Run(context.Background()); err != nil {
		m.Close()
		t.Fatalf("start controller: %v", err)
	}
	return m
}

func fileModes(t *testing.T, paths ...string) string {
	t.Helper()
	var out []string
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%s %04o", filepath.Base(p), fi.Mode().Perm()))
	}
	return strings.Join(out, ", ")
}

// TestDataDirectoryPermissions: the SQLite files (database, WAL, shared
// memory) hold password hashes and token digests, so they are 0600 even in a
// data directory that already exists with a wider mode, which is warned
// about; files an older version left wider are narrowed at start-up; a data
// directory the controller creates is 0700.
func TestDataDirectoryPermissions(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("file modes")
	}
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil { // whatever the umask
		t.Fatal(err)
	}
	db := filepath.Join(dir, "sqlite.db")
	files := []string{db, db + "-wal", db + "-shm"}
	want := "sqlite.db 0600, sqlite.db-wal 0600, sqlite.db-shm 0600"

	logs := &apptest.SafeBuffer{}
	m := startInDataDir(t, dir, logs)
	if got := fileModes(t, files...); got != want {
		t.Errorf("new database in an existing directory: %s, want %s", got, want)
	}
	m.Close()
	warning := "level=WARN msg=\"the data directory is open to group or others"
	if !strings.Contains(logs.String(), warning) || !strings.Contains(logs.String(), "dir="+dir+" mode=0755") {
		t.Errorf("start-up logs lack the data directory warning naming %s and 0755:\n%s", dir, logs)
	}

	// Files left readable by an older version are narrowed; a private
	// directory is not warned about.
	if err := os.Chmod(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(db, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, p := range files[1:] { // as a crash would leave them (empty is valid)
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	logs = &apptest.SafeBuffer{}
	m = startInDataDir(t, dir, logs)
	if got := fileModes(t, files...); got != want {
		t.Errorf("existing 0644 database: %s, want %s", got, want)
	}
	m.Close()
	if !strings.Contains(logs.String(), `took their permissions away" path=`+db+" old_mode=0644 mode=0600") {
		t.Errorf("start-up logs do not say the database file was narrowed:\n%s", logs)
	}
	if strings.Contains(logs.String(), "data directory is open") {
		t.Errorf("a 0700 data directory was warned about:\n%s", logs)
	}

	// A data directory the controller creates is private.
	fresh := filepath.Join(t.TempDir(), "new", "data")
	m = startInDataDir(t, fresh, io.Discard)
	defer m.Close()
	if got := fileModes(t, fresh); got != "data 0700" {
		t.Errorf("created data directory: %s, want data 0700", got)
	}
	if got := fileModes(t, filepath.Join(fresh, "sqlite.db")); got != "sqlite.db 0600" {
		t.Errorf("database in a created directory: %s, want sqlite.db 0600", got)
	}
}
