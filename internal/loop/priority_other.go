//go:build !linux

package loop

import "errors"

// setThreadNice fails: only Linux sets one thread's priority.
func setThreadNice(int) error { return errors.ErrUnsupported }
