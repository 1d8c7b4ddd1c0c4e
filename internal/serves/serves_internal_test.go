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
	r.init()
	t0 := time.Unix(1_700_000_000, 0)
	at := t0
	head := func(gap time.Duration) time.Duration {
		at = at.Add(gap)
		r.Watch("/api/configs/x/toml", "", "agent_id=a", "10.0.0.1", at)
		w := r.watches[r.watchHash(watchKey{"/api/configs/x/toml", "", "agent_id=a"})]
		return w.interval()
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

// BenchmarkRecordWatch measures what the request path pays: Record of a
// GET (a repeat, coalesced, and a new URL each time) and Watch of a HEAD,
// next to the config handler's ~5 µs per request (BenchmarkConfigTOMLHandler).
func BenchmarkRecordWatch(b *testing.B) {
	at := time.Unix(1_700_000_000, 0)
	newRecorder := func() *Recorder {
		r := &Recorder{MaxQueue: 1 << 30, MaxWatches: 1 << 30}
		r.init()
		return r
	}
	s := Serve{Kind: "config", SourceID: "3f1c9a2e-0000-4000-8000-000000000001", Version: 3, ETag: `"0123456789abcdef0123456789abcdef"`,
		Path: "/api/configs/3f1c9a2e-0000-4000-8000-000000000001/toml", RawQuery: "agent_id=web-1&region=us&dc=dc1",
		TokenID: "tok", ClientIP: "10.0.0.1", Telegraf: true, At: at}
	b.Run("Record/repeat", func(b *testing.B) {
		r := newRecorder()
		for b.Loop() {
			r.Record(s)
		}
	})
	queries := make([]string, 1<<16)
	for i := range queries {
		queries[i] = "agent_id=web-" + string(rune('a'+i%26)) + time.Duration(i).String()
	}
	b.Run("Record/new", func(b *testing.B) {
		r := newRecorder()
		i := 0
		for b.Loop() {
			s.RawQuery = queries[i%len(queries)]
			i++
			r.Record(s)
			if len(r.queue) >= len(queries) {
				r.queue, r.pending = r.queue[:0], map[serveKey]int{}
			}
		}
	})
	b.Run("Watch", func(b *testing.B) {
		r := newRecorder()
		for b.Loop() {
			at = at.Add(time.Second)
			r.Watch(s.Path, "", s.RawQuery, s.ClientIP, at)
		}
	})
}
