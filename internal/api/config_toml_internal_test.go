package api

import "testing"

func TestTOMLCacheBoundsAndGenerations(t *testing.T) {
	c := newTOMLCache(2, 10)
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
