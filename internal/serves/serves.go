// Package serves records what the controller served to agents: every
// successful GET of a config's TOML (a serve) and the HEADs of Telegraf's
// config watcher, kept in memory by the request path in O(1) and written to
// the database in batches off it, like heartbeats (internal/heartbeat).
// Config serving (internal/api) calls Record and Watch; config groups call
// the same two with their own kind.
package serves

import (
	"context"
	"hash/maphash"
	"log/slog"
	"math"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/loop"
	"github.com/telegrafcontroller/tc/internal/metrics"
	"github.com/telegrafcontroller/tc/internal/store"
)

// Serve is what the request path hands over: the request's own strings,
// unparsed (the URL form, the parameters and their masking are worked out
// at the flush).
type Serve struct {
	Kind         string // tc.ServeConfig or tc.ServeGroup
	SourceID     string
	Version      int
	Members      []tc.ServedMember
	LastModified time.Time
	ETag         string // the response's ETag: "<hex digest of the TOML>"
	// Path, RawPath and RawQuery are the request URL's (r.URL.Path,
	// r.URL.RawPath, r.URL.RawQuery).
	Path, RawPath, RawQuery string
	TokenID                 string
	ClientIP                string
	Telegraf                bool // User-Agent Telegraf/…
	At                      time.Time
	// Count is set by Record: how many like serves this one stands for.
	Count int
}

// Defaults of a Recorder's bounds and intervals.
const (
	DefaultInterval   = time.Second
	DefaultMaxQueue   = 10_000
	DefaultMaxWatches = 1_000_000
	// DefaultWatchEvery is how often the HEADs of watched URLs are written:
	// each URL's at most once per period, however often its agents HEAD
	// it (a 1 s watcher costs one row write per 10 s, not ten).
	DefaultWatchEvery = 10 * time.Second
	DefaultPruneEvery = time.Hour
	// watchForget is how long a URL unheard keeps its entry in memory.
	watchForget = 24 * time.Hour
)

// Recorder queues serves and counts HEADs, and writes them in batches.
// Record and Watch take one short lock and never wait for the database;
// a full queue drops the serve and counts it (tc_config_serves_total
// {result="dropped"}). Like serves within one flush (the same render of the
// same URL to the same client and token) are one record with a count, as
// a heartbeat flush keeps one entry per agent: a client fetching in a loop
// costs a counter, not a row per request.
type Recorder struct {
	Store      *store.Store
	Metrics    *metrics.Metrics
	Logger     *slog.Logger
	Interval   time.Duration
	MaxQueue   int
	MaxWatches int
	WatchEvery time.Duration
	PruneEvery time.Duration
	Now        func() time.Time

	mu        sync.Mutex
	queue     []Serve
	pending   map[serveKey]int // index in queue of a serve with that key
	dropped   int64
	heads     int64
	seed      maphash.Seed
	watches   map[uint64]watch // by watchHash of the URL
	dirty     []dirtyWatch     // the URLs HEADed since the last write, in order
	closed    bool
	lastWatch time.Time // when watches were last written
	lastPrune time.Time

	flushMu sync.Mutex
	loop    *loop.Loop
	counts  struct{ recorded, heads, dropped, errors prometheus.Counter }
}

// watchKey is a watched URL as the request gave it.
type watchKey struct{ path, rawPath, rawQuery string }

// watchHash is the 64-bit key of a watched URL in Recorder.watches. Two
// URLs sharing one (about one chance in 10^7 at a million URLs) would
// share an entry: their HEADs are then counted on the first one's row.
func (r *Recorder) watchHash(k watchKey) uint64 {
	var h maphash.Hash
	h.SetSeed(r.seed)
	h.WriteString(k.path)
	h.WriteByte(0)
	h.WriteString(k.rawPath)
	h.WriteByte(0)
	h.WriteString(k.rawQuery)
	return h.Sum64()
}

// serveKey identifies serves that are one record when they fall in one
// flush: the same render of the same URL to the same client and token.
type serveKey struct {
	sourceID, etag, path, rawPath, rawQuery, tokenID, clientIP string
	telegraf                                                   bool
}

// watch is what the HEADs of one URL told since the controller started,
// without a pointer: a million watched URLs are one flat table of about
// 100 bytes each (326 with the URL's strings and a pointer per entry) that
// the garbage collector does not scan. The URL itself and
// the client are kept only from a HEAD to the next write (dirtyWatch).
type watch struct {
	last  int64     // the last HEAD, Unix nanoseconds
	gaps  [3]uint32 // the last gaps between HEADs in milliseconds, a ring
	ngaps uint32
	dirty uint32 // 1 + its index in Recorder.dirty; 0 when written
}

// dirtyWatch is a watched URL HEADed since the last write.
type dirtyWatch struct {
	hash  uint64
	key   watchKey
	ip    string
	heads int64 // since the last write
}

// interval is the median of the last three gaps (fewer at first): one
// longer gap (a reload, a restart, a missed tick) does not move it.
func (w *watch) interval() time.Duration {
	n := min(int(w.ngaps), len(w.gaps))
	if n == 0 {
		return 0
	}
	var g [3]uint32
	copy(g[:], w.gaps[:n])
	slices.Sort(g[:n])
	return time.Duration(g[(n-1)/2]) * time.Millisecond
}

// gapMS is a gap between HEADs in whole milliseconds, within uint32.
func gapMS(d time.Duration) uint32 {
	return uint32(min(d.Milliseconds(), math.MaxUint32))
}

// Start sets defaults and starts the flush loop.
func (r *Recorder) Start() {
	if r.Interval <= 0 {
		r.Interval = DefaultInterval
	}
	if r.MaxQueue <= 0 {
		r.MaxQueue = DefaultMaxQueue
	}
	if r.MaxWatches <= 0 {
		r.MaxWatches = DefaultMaxWatches
	}
	if r.WatchEvery <= 0 {
		r.WatchEvery = DefaultWatchEvery
	}
	if r.PruneEvery <= 0 {
		r.PruneEvery = DefaultPruneEvery
	}
	if r.Now == nil {
		r.Now = time.Now
	}
	if r.Logger == nil {
		r.Logger = slog.New(slog.DiscardHandler)
	}
	m := r.Metrics
	if m == nil {
		m = metrics.New()
	}
	r.counts.recorded = m.ConfigServes.WithLabelValues("recorded")
	r.counts.heads = m.ConfigServes.WithLabelValues("heads")
	r.counts.dropped = m.ConfigServes.WithLabelValues("dropped")
	r.counts.errors = m.ConfigServes.WithLabelValues("flush_errors")
	r.init()
	r.lastWatch, r.lastPrune = r.Now(), r.Now()
	r.loop = loop.Start(r.Interval, nil, func(ctx context.Context) {
		if err := r.Flush(context.WithoutCancel(ctx)); err != nil {
			r.Logger.Error("flush config serves", "error", err)
		}
	})
}

// init makes the tables and the hash seed (Start, or a test).
func (r *Recorder) init() {
	r.seed = maphash.MakeSeed()
	r.watches = map[uint64]watch{}
	r.pending = map[serveKey]int{}
}

// Record queues a serve. O(1): a serve like one already queued (serveKey)
// adds to its count instead; a full queue drops it (counted).
func (r *Recorder) Record(s Serve) {
	k := serveKey{s.SourceID, s.ETag, s.Path, s.RawPath, s.RawQuery, s.TokenID, s.ClientIP, s.Telegraf}
	r.mu.Lock()
	if i, ok := r.pending[k]; ok {
		q := &r.queue[i]
		q.Count++
		if s.At.After(q.At) {
			q.At = s.At
		}
		r.mu.Unlock()
		return
	}
	if r.closed || len(r.queue) >= r.MaxQueue {
		r.dropped++
		r.mu.Unlock()
		return
	}
	s.Count = 1
	r.pending[k] = len(r.queue)
	r.queue = append(r.queue, s)
	r.mu.Unlock()
}

// Watch counts a HEAD of a URL (Telegraf's watcher). O(1); beyond
// MaxWatches URLs a new one is not tracked (counted as dropped).
func (r *Recorder) Watch(path, rawPath, rawQuery, clientIP string, at time.Time) {
	k := watchKey{path, rawPath, rawQuery}
	h := r.watchHash(k)
	now := at.UnixNano()
	r.mu.Lock()
	w, ok := r.watches[h]
	if !ok {
		if r.closed || len(r.watches) >= r.MaxWatches {
			r.dropped++
			r.mu.Unlock()
			return
		}
	} else if gap := now - w.last; gap > 0 {
		w.gaps[w.ngaps%uint32(len(w.gaps))] = gapMS(time.Duration(gap))
		if w.ngaps++; w.ngaps == 2*uint32(len(w.gaps)) {
			w.ngaps = uint32(len(w.gaps)) // the same place in the ring, never wrapping
		}
	}
	w.last = now
	if w.dirty == 0 {
		r.dirty = append(r.dirty, dirtyWatch{hash: h, key: k})
		w.dirty = uint32(len(r.dirty))
	}
	d := &r.dirty[w.dirty-1]
	d.ip = clientIP
	d.heads++
	r.watches[h] = w
	r.heads++
	r.mu.Unlock()
}

// Flush writes the queued serves, and the HEADs of watched URLs when
// WatchEvery has passed since they were last written; prunes old serves
// every PruneEvery. A failed write keeps what it held for the next.
func (r *Recorder) Flush(ctx context.Context) error {
	r.flushMu.Lock()
	defer r.flushMu.Unlock()
	now := r.Now()
	r.mu.Lock()
	batch := r.queue
	r.queue = nil
	clear(r.pending)
	dropped, heads := r.dropped, r.heads
	r.dropped, r.heads = 0, 0
	var ws []store.WatchWrite
	var written []dirtyWatch
	if now.Sub(r.lastWatch) >= r.WatchEvery {
		r.lastWatch = now
		written = r.dirty
		ws = make([]store.WatchWrite, len(written))
		for i, d := range written {
			w := r.watches[d.hash]
			ws[i] = store.WatchWrite{URL: escapedURL(d.key.path, d.key.rawPath, d.key.rawQuery), LastHeadAt: time.Unix(0, w.last),
				Interval: w.interval(), Heads: d.heads, ClientIP: d.ip}
			w.dirty = 0
			r.watches[d.hash] = w
		}
		r.dirty = nil
	}
	prune := now.Sub(r.lastPrune) >= r.PruneEvery
	if prune {
		r.lastPrune = now
		forget := now.Add(-watchForget).UnixNano()
		for h, w := range r.watches {
			if w.last < forget && w.dirty == 0 {
				delete(r.watches, h)
			}
		}
	}
	r.mu.Unlock()
	r.counts.dropped.Add(float64(dropped))
	r.counts.heads.Add(float64(heads))

	serves := make([]tc.ConfigServe, len(batch))
	for i, s := range batch {
		serves[i] = toServe(s)
	}
	if err := r.Store.WriteServes(ctx, serves, ws); err != nil {
		r.counts.errors.Inc()
		r.mu.Lock()
		// Back in front of what came meanwhile, within the bound.
		// (No longer coalesced with them: a retry is rare.)
		keep := batch[:min(len(batch), max(r.MaxQueue-len(r.queue), 0))]
		r.dropped += int64(len(batch) - len(keep))
		r.queue = append(keep, r.queue...)
		clear(r.pending)
		for _, d := range written {
			w, ok := r.watches[d.hash]
			if !ok { // pruned meanwhile: it will not be tracked again
				continue
			}
			if w.dirty == 0 {
				r.dirty = append(r.dirty, d)
				w.dirty = uint32(len(r.dirty))
				r.watches[d.hash] = w
				continue
			}
			r.dirty[w.dirty-1].heads += d.heads
		}
		r.lastWatch = time.Time{}
		r.mu.Unlock()
		return err
	}
	var n int
	for _, s := range batch {
		n += s.Count
	}
	r.counts.recorded.Add(float64(n))
	if prune {
		if _, err := r.Store.PruneServes(ctx); err != nil {
			return err
		}
	}
	return nil
}

// Close stops the loop and writes what is queued, the HEADs included. A
// failed write is logged with what it held, not returned: serves are
// telemetry, and no answer promised an agent its record (an acknowledged
// heartbeat is another matter: heartbeat.Ingester.Close retries).
func (r *Recorder) Close(ctx context.Context) error {
	r.mu.Lock()
	already := r.closed
	r.closed = true
	r.mu.Unlock()
	if already {
		return nil
	}
	r.loop.Stop(ctx)
	r.mu.Lock()
	r.lastWatch = time.Time{}
	r.mu.Unlock()
	if err := r.Flush(context.WithoutCancel(ctx)); err != nil {
		r.mu.Lock()
		n := len(r.queue)
		r.mu.Unlock()
		r.Logger.Warn("config serves not recorded at shutdown", "serves", n, "error", err)
	}
	return nil
}

// escapedURL is tc.ServeURL of a request URL's parts.
func escapedURL(path, rawPath, rawQuery string) string {
	u := url.URL{Path: path, RawPath: rawPath}
	return tc.ServeURL(u.EscapedPath(), rawQuery)
}

// toServe turns what the request path kept into the record.
func toServe(s Serve) tc.ConfigServe {
	v := tc.ConfigServe{
		Kind: s.Kind, SourceID: s.SourceID, Version: s.Version, Members: s.Members, LastModified: s.LastModified,
		Digest: strings.Trim(s.ETag, `"`), URL: escapedURL(s.Path, s.RawPath, s.RawQuery), Params: tc.ServeParams(s.RawQuery),
		TokenID: s.TokenID, ClientIP: s.ClientIP, Telegraf: s.Telegraf, At: s.At, Count: max(s.Count, 1),
	}
	for _, p := range v.Params {
		if p.Name == "agent_id" {
			v.AgentID = p.Value
			break
		}
	}
	return v
}
