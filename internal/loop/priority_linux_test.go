package loop

import (
	"context"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// threadNice reads the calling thread's nice value from /proc, or -100.
func threadNice() int {
	b, err := os.ReadFile("/proc/thread-self/stat")
	if err != nil {
		return -100
	}
	// The fields after the command's closing parenthesis: state is the
	// third field of stat, nice the nineteenth.
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 17 {
		return -100
	}
	n, err := strconv.Atoi(f[19-3])
	if err != nil {
		return -100
	}
	return n
}

// niceOnThread reads the nice value of the thread a new goroutine runs on.
func niceOnThread() int {
	ch := make(chan int)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		ch <- threadNice()
	}()
	return <-ch
}

func TestSetNiceRunsLoopsBelowRequests(t *testing.T) {
	if Niced() {
		t.Fatal("loops niced before SetNice")
	}
	for _, n := range []int{0, -1, 20} {
		if err := SetNice(n); err == nil {
			t.Errorf("SetNice(%d) = nil, want an error", n)
		}
	}
	if Niced() {
		t.Fatal("a refused SetNice niced the loops")
	}
	before := niceOnThread()
	if before == -100 {
		t.Fatal("cannot read a thread's nice value from /proc/thread-self/stat")
	}
	procs := runtime.GOMAXPROCS(0)
	if err := SetNice(7); err != nil {
		t.Fatalf("SetNice(7): %v", err)
	}
	if !Niced() {
		t.Fatal("Niced() = false after SetNice")
	}
	if got := runtime.GOMAXPROCS(0); got != procs {
		t.Errorf("GOMAXPROCS = %d after SetNice, want %d until a loop's call runs", got, procs)
	}
	if err := SetNice(3); err != nil {
		t.Errorf("second SetNice = %v, want the first's (nil)", err)
	}
	// While a loop's call runs Go has one processor more (unless
	// GOMAXPROCS is set in the environment), and the call runs at nice 7,
	// the first SetNice's value.
	during := procs + 1
	if os.Getenv("GOMAXPROCS") != "" {
		during = procs
	}
	type seen struct{ nice, procs int }
	got := make(chan seen, 4)
	kick := make(chan struct{})
	l := Start(time.Hour, kick, func(context.Context) { got <- seen{threadNice(), runtime.GOMAXPROCS(0)} })
	for range 2 {
		kick <- struct{}{}
		if s := <-got; s.nice != 7 || s.procs != during {
			t.Errorf("a loop's call ran at nice %d with GOMAXPROCS %d, want 7 and %d", s.nice, s.procs, during)
		}
	}
	if err := l.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := runtime.GOMAXPROCS(0); got != procs {
		t.Errorf("GOMAXPROCS = %d after the calls, want %d", got, procs)
	}
	// Promptly, from a loop's call, runs its function beside requests.
	l = Start(time.Hour, kick, func(context.Context) {
		got <- seen{threadNice(), 0}
		Promptly(func() { got <- seen{threadNice(), 0} })
	})
	kick <- struct{}{}
	if loop, prompt := <-got, <-got; loop.nice != 7 || prompt.nice != before {
		t.Errorf("a loop's call at nice %d ran Promptly's function at nice %d, want 7 and %d", loop.nice, prompt.nice, before)
	}
	if err := l.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	// No other goroutine runs at that priority: not on SetNice's probe
	// thread, not on the stopped loop's.
	for range 20 {
		if n := niceOnThread(); n != before {
			t.Fatalf("a goroutine outside any loop ran at nice %d, want %d", n, before)
		}
	}
}
