package store

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
)

// SQLite's files hold password hashes, token digests and session digests, so
// only the controller's user may read them. SQLite on Unix gives the -wal,
// -shm and -journal files it creates the mode of the database file, so
// creating that file 0600 before the driver opens it covers them all, whatever
// the umask. Files left by an older version with wider modes are narrowed at
// start-up. The data directory is created 0700 (openSQLite); one that exists
// and is open to others is the operator's to fix, so it is only warned about.

// sqliteFileSuffixes name the files SQLite keeps beside the database.
var sqliteFileSuffixes = []string{"", "-wal", "-shm", "-journal"}

// secureSQLiteFiles creates the database file at path with mode 0600 when
// it does not exist, takes group and other permissions away from it and the
// files beside it when it does, and warns when its directory is open to group
// or others. Modes mean little on Windows, where it does nothing.
func secureSQLiteFiles(path string, logger *slog.Logger) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	dir := filepath.Dir(path)
	if fi, err := os.Stat(dir); err == nil && fi.Mode().Perm()&0o077 != 0 {
		logger.Warn("the data directory is open to group or others; restrict it to the controller's user (chmod 700)",
			"dir", dir, "mode", fmt.Sprintf("%04o", fi.Mode().Perm()))
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err == nil {
		return f.Close()
	}
	if !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("open database: create %s: %w", path, err)
	}
	for _, suffix := range sqliteFileSuffixes {
		p := path + suffix
		fi, err := os.Stat(p)
		if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm()&0o077 == 0 {
			continue
		}
		mode := fi.Mode().Perm() &^ 0o077
		if err := os.Chmod(p, mode); err != nil {
			logger.Warn("database file is open to group or others and its mode cannot be changed", "path", p,
				"mode", fmt.Sprintf("%04o", fi.Mode().Perm()), "error", err)
			continue
		}
		logger.Warn("database file was open to group or others; took their permissions away", "path", p,
			"old_mode", fmt.Sprintf("%04o", fi.Mode().Perm()), "mode", fmt.Sprintf("%04o", mode))
	}
	return nil
}
