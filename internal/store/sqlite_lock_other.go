//go:build !unix

package store

import "os"

// lockSQLite does nothing where flock does not exist (Windows): one
// controller per database is then the operator's to ensure.
func lockSQLite(path string) (*os.File, error) { return nil, nil }
