//go:build unix

package store

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// lockSQLite takes an exclusive flock on <path>.lock, held until the
// returned file is closed (Store.Close) or the process dies, when the kernel
// drops it: a crashed controller leaves no stale lock. A second controller on
// the same file would keep its own caches (tokens, settings, rendered TOML)
// and never see the first one's changes, so it refuses to start instead.
func lockSQLite(path string) (*os.File, error) {
	name := path + ".lock"
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open database: create lock file %s: %w", name, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("open database: %s is in use by another telegraf-controller process (it holds %s); "+
				"run one controller per SQLite database, or use PostgreSQL for several", path, name)
		}
		return nil, fmt.Errorf("open database: lock %s: %w", name, err)
	}
	// The holder's pid, for the operator; the lock is the flock, not this.
	f.Truncate(0)
	fmt.Fprintf(f, "%d\n", os.Getpid())
	return f, nil
}
