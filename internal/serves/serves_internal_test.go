package serves

import (
	"testing"
	"time"
)

// TestWatchInterval infers a watcher's interval from the spacing of its
// HEADs: the median of the last three gaps, so that one long gap (a
// reload, a missed tick) does not move it and a changed interval takes
// over after two gaps.
func TestWatchInterval(t *testing.T) {
	r := &Recorder{MaxWatches: 10}
	r.watches = map[watchKey]*watch{}
	t0 := time.Unix(1_700_000_000, 0)
	at := t0
	head := func(gap time.Duration) time.Duration {
		at = at.Add(gap)
		r.Watch("/api/configs/x/toml", "", "agent_id=a", "10.0.0.1", at)
		return r.watches[watchKey{"/api/configs/x/toml", "", "agent_id=a"}].interval()
	}
	for i, tt := range []struct{ gap, want time.Duration }{
		{0, 0},
		{10 * time.Second, 10 * time.Second},
		{10 * time.Second, 10 * time.Second},
		{45 * time.Second, 10 * time.Second}, // one reload's gap
		{10 * time.Second, 10 * time.Second},
		{10 * time.Second, 10 * time.Second},
		{60 * time.Second, 10 * time.Second}, // restarted with 1m
		{60 * time.Second, 60 * time.Second},
	} {
		if got := head(tt.gap); got != tt.want {
			t.Errorf("HEAD %d: interval %v, want %v", i, got, tt.want)
		}
	}
	// A URL beyond MaxWatches is not tracked.
	for i := range 20 {
		r.Watch("/api/configs/x/toml", "", "n="+string(rune('a'+i)), "", at)
	}
	if len(r.watches) != 10 || r.dropped != 11 {
		t.Errorf("%d watches, %d dropped", len(r.watches), r.dropped)
	}
}
