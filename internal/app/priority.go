package app

import (
	"errors"
	"runtime"

	"github.com/telegrafcontroller/tc/internal/loop"
)

// lowerBackground runs every loop started from here on below requests
// (--background-nice, loop.SetNice). Before the first loop starts: a loop
// started earlier would keep running beside requests.
func (m *Main) lowerBackground() {
	n := m.Config.BackgroundNice
	if n == 0 {
		return
	}
	err := loop.SetNice(n)
	switch {
	case errors.Is(err, errors.ErrUnsupported):
		m.Logger.Info("background work runs beside requests: this system cannot lower one thread's priority")
	case err != nil:
		m.Logger.Warn("background work runs beside requests: cannot lower its threads' priority", "nice", n, "error", err)
	default:
		m.Logger.Debug("background work runs below requests", "nice", n, "gomaxprocs", runtime.GOMAXPROCS(0))
	}
}
