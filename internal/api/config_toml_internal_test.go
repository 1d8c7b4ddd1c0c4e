package api

import (
	"net/url"
	"strconv"
	"sync/atomic"
	"testing"

	"golang.org/x/sync/singleflight"
)

func TestTOMLCacheBoundsAndGenerations(t *testing.T) {
	c := newTOMLCache(2, 10, nil)
	cr := func() *configRenders { return &configRenders{items: map[string]*rendered{}} }
	put := func(id, q string, size int) {
		_, gen := c.config(id)
		c.store(id, q, cr(), &rendered{body: make([]byte, size)}, gen)
	}
	kept := func(id, q string) bool {
		cr, _ := c.config(id)
		return cr != nil && c.lookup(cr, q) != nil
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
	if !kept("c", "x=1") {
		t.Errorf("the newest render was not kept")
	}

	// A render computed before an invalidation is not kept.
	_, gen := c.config("d")
	c.invalidate([]string{"d"})
	c.store("d", "", cr(), &rendered{}, gen)
	if kept("d", "") {
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

// A config keeps at most perConfig renders; past that its renders are
// served but not kept, and the renders it kept stay.
func TestTOMLCachePerConfigBound(t *testing.T) {
	c := newTOMLCache(100, 1<<20, nil)
	c.perConfig = 3
	cr := &configRenders{items: map[string]*rendered{}}
	for i := range 5 {
		_, gen := c.config("a")
		c.store("a", strconv.Itoa(i), cr, &rendered{body: []byte("x")}, gen)
	}
	if c.items != 3 || len(cr.items) != 3 {
		t.Fatalf("items = %d (config %d), want 3", c.items, len(cr.items))
	}
	for i := range 3 {
		if c.lookup(cr, strconv.Itoa(i)) == nil {
			t.Errorf("render %d was dropped", i)
		}
	}
	if c.lookup(cr, "4") != nil {
		t.Errorf("a render past the bound was kept")
	}
}

// The key of a render holds the values of the parameters the config uses
// and nothing else, and tells apart lists that join alike.
func TestRenderKey(t *testing.T) {
	cr := &configRenders{params: []string{"region", "tag"}}
	key := func(q string) string {
		v, err := url.ParseQuery(q)
		if err != nil {
			t.Fatal(err)
		}
		return cr.renderKey(v)
	}
	if key("region=eu&agent_id=1") != key("agent_id=2&region=eu") {
		t.Errorf("a parameter the config does not use changed the key")
	}
	for _, pair := range [][2]string{
		{"region=eu", "region=us"},
		{"region=eu", ""},
		{"region=", ""},
		{"tag=a&tag=b", "tag=a%3Bb"},
		{"tag=1:a", "tag=1&tag=a"},
		{"region=eu&tag=x", "region=x&tag=eu"},
	} {
		if key(pair[0]) == key(pair[1]) {
			t.Errorf("%q and %q share a key", pair[0], pair[1])
		}
	}
	if (&configRenders{}).renderKey(url.Values{"a": {"1"}}) != "" {
		t.Errorf("a config without parameters has more than one key")
	}
}
