package loop

import (
	"errors"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
)

// Background work can run below requests. Go's scheduler has no
// priorities: a heartbeat flush that holds one of two processors for a
// quarter of a second shares it with the requests queued there in 10-ms
// slices, and the requests' tail follows the flushes. The operating system
// has priorities. With SetNice every Loop's calls run on an OS thread of
// their own at a higher nice value, and while one runs Go has one more
// processor than before, so that the requests keep as many as there are
// CPUs while a flush holds its own: the kernel runs the flush on what the
// requests leave of the CPUs, and a request that wakes takes a CPU from it
// at once (docs/performance.md, "Background work below requests"). The
// processor is added only while a call runs: one more processor than CPUs
// all the time cost Go's scheduler about 5 % more CPU, in processors going
// idle and waking.

// errNiceRange is SetNice's error for a value out of range.
var errNiceRange = errors.New("nice value must be from 1 to 19")

var (
	nice    atomic.Int32
	setOnce sync.Once
	setErr  error

	// procsMu guards the processors background calls add: add says they
	// are, calls counts the loop calls under way and base is GOMAXPROCS
	// without them, read when the first started.
	procsMu sync.Mutex
	add     bool
	calls   int
	base    int
)

// SetNice makes the calls of every Loop started after it run on a thread of
// their own at nice value n, from 1 (a little below requests) to 19 (only
// what requests leave), and, unless GOMAXPROCS is set in the environment,
// adds one to GOMAXPROCS for each call under way (background). The first
// call in a process with a value in range decides; later ones change
// nothing and return its error. It fails, changing nothing, where one
// thread's priority cannot be set (every system but Linux).
//
// Nice values are the whole machine's: other processes' threads at a
// lower nice value also come before the loops' (PostgreSQL on the same
// machine, for one), unless the controller runs in a control group of
// its own, as a systemd service does.
func SetNice(n int) error {
	if n < 1 || n > 19 {
		return errNiceRange
	}
	setOnce.Do(func() {
		if setErr = probeThreadNice(n); setErr != nil {
			return
		}
		nice.Store(int32(n))
		if os.Getenv("GOMAXPROCS") == "" {
			procsMu.Lock()
			add = true
			procsMu.Unlock()
		}
	})
	return setErr
}

// Niced reports whether loops run on threads of their own at a lower
// priority. Work they do need not yield to requests (runtime.Gosched), and
// is better off not: a yield of a goroutine locked to its thread hands the
// processor to another thread and back.
func Niced() bool { return nice.Load() > 0 }

// lowerThisThread locks the calling goroutine to its thread for good and
// lowers that thread's priority, when SetNice asked for it. The thread
// ends with the goroutine (Go does not reuse a thread whose goroutine
// exited locked to it), so no other goroutine ever runs at that priority.
func lowerThisThread() {
	n := nice.Load()
	if n == 0 {
		return
	}
	runtime.LockOSThread()
	if setThreadNice(int(n)) != nil {
		// SetNice's probe succeeded, so this is not expected; the loop
		// then runs as any goroutine does.
		runtime.UnlockOSThread()
	}
}

// probeThreadNice checks that a thread's nice value can be set, on a
// thread that ends with the check.
func probeThreadNice(n int) error {
	done := make(chan error)
	go func() {
		runtime.LockOSThread() // not unlocked: the thread ends here
		done <- setThreadNice(n)
	}()
	return <-done
}

// Promptly runs fn beside requests, on a goroutine of its own, and waits
// for it: for a call of a loop's that must not wait for what requests
// leave of the CPUs, such as a heartbeat flush that fell behind. Without
// SetNice it just calls fn.
func Promptly(fn func()) {
	if !Niced() {
		fn()
		return
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn()
	}()
	<-done
}

// background runs one call of a loop's with a processor of its own added
// (SetNice), and gives it back after. Once no call runs Go's own setting
// is back, following the container's CPU limit as before.
func background(fn func()) {
	procsMu.Lock()
	if add {
		if calls == 0 {
			base = runtime.GOMAXPROCS(0)
		}
		calls++
		runtime.GOMAXPROCS(base + calls)
	}
	procsMu.Unlock()
	defer func() {
		procsMu.Lock()
		if add {
			calls--
			if calls == 0 {
				runtime.SetDefaultGOMAXPROCS()
			} else {
				runtime.GOMAXPROCS(base + calls)
			}
		}
		procsMu.Unlock()
	}()
	fn()
}
