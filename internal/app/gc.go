package app

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"sync/atomic"
)

// gcHeadroom keeps the heap size at which Go's garbage collector starts a
// cycle at least headroom bytes past the live heap (--gc-headroom-mb).
// With Go's default (GOGC=100) the next cycle starts when the heap has
// doubled: a controller whose live heap is 20 MiB collects at 40 MiB, and
// at 25,000 heartbeats/s (100 MiB allocated a second) that is eight cycles
// a second, each with its fixed costs (docs/performance.md). After every
// cycle this raises the GC percentage just enough for the headroom when
// the live heap is small, and leaves it at 100 once the live heap is
// larger than the headroom: a large fleet's memory is unchanged.
type gcHeadroom struct {
	headroom uint64
	percent  int
	live     []metrics.Sample
	// cycles counts the adjustments made; stopped ends the chain of
	// cleanups (tests).
	cycles  atomic.Int64
	stopped atomic.Bool
}

// gcBasePercent is Go's default GC percentage, the least this sets.
const gcBasePercent = 100

// gcMaxPercent bounds the percentage on a nearly empty heap.
const gcMaxPercent = 2000

var gcHeadroomOnce sync.Once

// startGCHeadroom starts keeping headroom bytes of GC headroom, once per
// process (the GC is the process's). GOGC in the environment, or a
// headroom of 0, leaves Go's own setting alone.
func startGCHeadroom(headroom uint64) {
	if headroom == 0 || os.Getenv("GOGC") != "" {
		return
	}
	gcHeadroomOnce.Do(func() {
		g := newGCHeadroom(headroom)
		g.adjust()
		g.arm()
	})
}

func newGCHeadroom(headroom uint64) *gcHeadroom {
	return &gcHeadroom{headroom: headroom, percent: gcBasePercent, live: []metrics.Sample{{Name: "/gc/heap/live:bytes"}}}
}

// arm runs adjust after the next GC cycle: the cleanup of an object
// nothing refers to runs once a cycle has found it unreachable, and arms
// the next.
func (g *gcHeadroom) arm() {
	runtime.AddCleanup(new(gcSentinel), func(g *gcHeadroom) {
		if g.stopped.Load() {
			return
		}
		g.adjust()
		g.arm()
	}, g)
}

// gcSentinel is the object whose collection marks a cycle: large enough
// not to share a block with other small objects (Go's tiny allocator).
type gcSentinel struct{ _ [32]byte }

// adjust sets the GC percentage that puts the next cycle headroom bytes
// past the live heap the last cycle marked.
func (g *gcHeadroom) adjust() {
	metrics.Read(g.live)
	p := gcHeadroomPercent(g.live[0].Value.Uint64(), g.headroom)
	if p != g.percent {
		debug.SetGCPercent(p)
		g.percent = p
	}
	g.cycles.Add(1)
}

// gcHeadroomPercent is the GC percentage that leaves headroom bytes past
// a live heap of live bytes, between gcBasePercent and gcMaxPercent, in
// steps of 25 so that small moves of the live heap change nothing.
func gcHeadroomPercent(live, headroom uint64) int {
	if live == 0 {
		return gcMaxPercent
	}
	p := headroom * 100 / live
	p = (p + 24) / 25 * 25
	return int(max(gcBasePercent, min(p, gcMaxPercent)))
}
