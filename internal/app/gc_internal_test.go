package app

import (
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

func TestGCHeadroomPercent(t *testing.T) {
	const mib = 1 << 20
	for _, c := range []struct {
		live, headroom uint64
		want           int
	}{
		{20 * mib, 64 * mib, 325},  // 320, rounded up to a step of 25
		{64 * mib, 64 * mib, 100},  // as large as the headroom: Go's default
		{200 * mib, 64 * mib, 100}, // larger: unchanged
		{mib, 64 * mib, 2000},      // capped
		{0, 64 * mib, 2000},
	} {
		if got := gcHeadroomPercent(c.live, c.headroom); got != c.want {
			t.Errorf("gcHeadroomPercent(%d MiB, %d MiB) = %d, want %d", c.live/mib, c.headroom/mib, got, c.want)
		}
	}
}

// TestGCHeadroomFollowsCycles: the percentage is set after each cycle, and
// set back to Go's default once the live heap needs no more.
func TestGCHeadroomFollowsCycles(t *testing.T) {
	old := debug.SetGCPercent(gcBasePercent)
	defer debug.SetGCPercent(old)
	g := newGCHeadroom(1 << 40) // far more than any live heap here
	g.arm()
	defer g.stopped.Store(true)
	deadline := time.Now().Add(10 * time.Second)
	for g.cycles.Load() < 2 && time.Now().Before(deadline) {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	if n := g.cycles.Load(); n < 2 {
		t.Fatalf("adjusted after %d collections, want at least 2", n)
	}
	if p := debug.SetGCPercent(gcBasePercent); p != gcMaxPercent {
		t.Fatalf("GC percent %d after collections with a huge headroom, want %d", p, gcMaxPercent)
	}
	g.headroom = 1
	g.adjust()
	if p := debug.SetGCPercent(gcBasePercent); p != gcBasePercent || g.percent != gcBasePercent {
		t.Fatalf("GC percent %d (recorded %d) with a 1-byte headroom, want %d", p, g.percent, gcBasePercent)
	}
}
