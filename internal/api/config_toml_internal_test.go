package api

import (
	"sync/atomic"
	"testing"

	"golang.org/x/sync/singleflight"
)

func TestTOMLCacheBoundsAndGenerations(t *testing.T) {
	c := newTOMLCache(2, 10, nil)
	cr := func() *configRenders { return &configRenders{items: map[string]*rendered{}} }
	put := func(id, q string, size int) {
		_, _, gen := c.lookup(id, q)
		c.store(id, q, cr(), &rendered{body: make([]byte, size)}, gen)
	}
	put("a", "x=1", 3)
	put("a", "x=2", 3)
	put("b", "x=1", 3)
	if c.items > 2 {
		t.Errorf("items = %d, want at most 2", c.items)
	}
	put("c", "x=1", 8)
	if c.bytes > 10 || c.items > 2 {
		t.Errorf("bytes = %d, items = %d; want at most 10 and 2", c.bytes, c.items)
	}
	if e, _, _ := c.lookup("c", "x=1"); e == nil {
		t.Errorf("the newest render was not kept")
	}

	// A render computed before an invalidation is not kept.
	_, _, gen := c.lookup("d", "")
	c.invalidate([]string{"d"})
	c.store("d", "", cr(), &rendered{}, gen)
	if e, _, _ := c.lookup("d", ""); e != nil {
		t.Errorf("a render from before an invalidation was kept")
	}
	c.invalidate([]string{"c"})
	if c.items != 0 || c.bytes != 0 {
		t.Errorf("after dropping everything: items %d bytes %d", c.items, c.bytes)
	}
}

func TestTOMLCacheSharesLoads(t *testing.T) {
	c := newTOMLCache(10, 1<<20, nil)
	release := make(chan struct{})
	var calls atomic.Int32
	fn := func() (*configRenders, error) {
		calls.Add(1)
		<-release
		return &configRenders{items: map[string]*rendered{}}, nil
	}
	// Two callers of generation 0 share one read; a caller from a later
	// generation does not join the older read.
	a := c.startLoad("a", 0, fn)
	b := c.startLoad("a", 0, fn)
	c.invalidate([]string{"a"})
	later := c.startLoad("a", 1, fn)
	close(release)
	got := map[*configRenders]int{}
	for _, ch := range []<-chan singleflight.Result{a, b, later} {
		r := <-ch
		got[r.Val.(*configRenders)]++
	}
	if calls.Load() != 2 || len(got) != 2 {
		t.Errorf("reads = %d, distinct results = %d; want 2 and 2 (two callers of generation 0 share one read)", calls.Load(), len(got))
	}
}
