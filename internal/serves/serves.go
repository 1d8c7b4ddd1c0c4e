// Package serves records what the controller served to agents: every
// successful GET of a config's TOML (a serve) and the HEADs of Telegraf's
// config watcher, kept in memory by the request path in O(1) and written to
// the database in batches off it, like heartbeats (internal/heartbeat).
// Config serving (internal/api) calls Record and Watch; config groups call
// the same two with their own kind.
package serves

import (
	"context"
	"log/slog"
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
	watches   map[watchKey]*watch
	dirty     []*watch
	closed    bool
	lastWatch time.Time // when watches were last written
	lastPrune time.Time

	flushMu sync.Mutex
	loop    *loop.Loop
	counts  struct{ recorded, heads, dropped, errors prometheus.Counter }
}

type watchKey struct{ path, rawPath, rawQuery string }

// serveKey identifies serves that are one record when they fall in one
// flush: the same render of the same URL to the same client and token.
type serveKey struct {
	sourceID, etag, path, rawPath, rawQuery, tokenID, clientIP string
	telegraf                                                   bool
}

// watch is what the HEADs of one URL told since the controller started.
type watch struct {
	key   watchKey
	ip    string
	last  time.Time
	gaps  [3]time.Duration // the last gaps between HEADs, a ring
	ngaps int
	heads int64 // since the last write
	dirty bool
}

// interval is the median of the last three gaps (fewer at first): one
// longer gap (a reload, a restart, a missed tick) does not move it.
func (w *watch) interval() time.Duration {
	n := min(w.ngaps, len(w.gaps))
	if n == 0 {
		return 0
	}
	g := slices.Clone(w.gaps[:n])
	slices.Sort(g)
	return g[(n-1)/2]
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
	r.watches = map[watchKey]*watch{}
	r.pending = map[serveKey]int{}
	r.lastWatch, r.lastPrune = r.Now(), r.Now()
	r.loop = loop.Start(r.Interval, nil, func(ctx context.Context) {
		if err := r.Flush(context.WithoutCancel(ctx)); err != nil {
			r.Logger.Error("flush config serves", "error", err)
		}
	})
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
	r.mu.Lock()
	w := r.watches[k]
	if w == nil {
		if r.closed || len(r.watches) >= r.MaxWatches {
			r.dropped++
			r.mu.Unlock()
			return
		}
		w = &watch{key: k}
		r.watches[k] = w
	} else if gap := at.Sub(w.last); gap > 0 {
		w.gaps[w.ngaps%len(w.gaps)] = gap
		w.ngaps++
	}
	w.last, w.ip = at, clientIP
	w.heads++
	r.heads++
	if !w.dirty {
		w.dirty = true
		r.dirty = append(r.dirty, w)
	}
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
	var written []*watch
	if now.Sub(r.lastWatch) >= r.WatchEvery {
		r.lastWatch = now
		for _, w := range r.dirty {
			ws = append(ws, store.WatchWrite{URL: escapedURL(w.key.path, w.key.rawPath, w.key.rawQuery), LastHeadAt: w.last,
				Interval: w.interval(), Heads: w.heads, ClientIP: w.ip})
			w.heads, w.dirty = 0, false
			written = append(written, w)
		}
		r.dirty = nil
	}
	prune := now.Sub(r.lastPrune) >= r.PruneEvery
	if prune {
		r.lastPrune = now
		for k, w := range r.watches {
			if now.Sub(w.last) > watchForget && !w.dirty {
				delete(r.watches, k)
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
		for i, w := range written {
			w.heads += ws[i].Heads
			if !w.dirty {
				w.dirty = true
				r.dirty = append(r.dirty, w)
			}
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
