package heartbeat

import (
	"context"
	"fmt"
	"hash/maphash"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/loop"
	"github.com/telegrafcontroller/tc/internal/metrics"
	"github.com/telegrafcontroller/tc/internal/store"
)

// Ingester keeps heartbeats in memory and writes them to the database in
// batches, off the request path. Add is O(1): it merges the beat into the
// agent's pending entry. A flush swaps the pending map for an empty one and
// writes it in one transaction, every Interval or as soon as BatchSize
// agents are pending, whichever comes first.
//
// It writes through the store directly, not through service.Agents: ingest
// acts for no caller and is the hot path. The one rule it shares with the
// API and UI, which reporting rule a new agent gets, is the store's.
//
// Between flushes memory holds only the agents that beat since the last
// flush. What is kept per known agent is two 64-bit digests of what was last
// written (hostname, ip, version, status; config sources), about 40 bytes
// with the map's overhead: an agent whose digests match gets a narrow
// liveness update, and unchanged links cost nothing.
type Ingester struct {
	Store     *store.Store
	Metrics   *metrics.Metrics
	Logger    *slog.Logger
	Interval  time.Duration
	BatchSize int
	// MaxPending bounds the agents whose heartbeats are not yet written:
	// those waiting for the next flush, those of a flush under way, and
	// those of failed flushes kept for the next. Beyond it a new agent's
	// heartbeat is refused (503); an agent already waiting may update its
	// entry. Telegraf keeps its statistics and logs and sends them with its
	// next heartbeat, so nothing is lost, and a database that falls behind
	// cannot grow memory without bound.
	MaxPending int
	// AckFlush makes Add return only once the flush holding the beat has
	// committed (--heartbeat-ack=flush): a 204 then means the beat is in the
	// database. Each beat starts a flush if none is running (group commit:
	// beats arriving during a flush share the next one).
	AckFlush bool
	// AckGather is how long an AckFlush flush waits, once started, for
	// more beats to join it (group commit): a longer wait makes bigger,
	// cheaper batches and slower answers. Default ackGather; negative: none.
	AckGather time.Duration

	mu sync.Mutex
	// pending waits for the next flush; pendingBeats counts the beats
	// merged into it. inflight is the batch of the flush under way (only
	// read while set), overlap the agents in both maps.
	pending       map[string]*tc.AgentBeat
	pendingBeats  int
	inflight      map[string]*tc.AgentBeat
	inflightBeats int
	overlap       int
	// gen is the flush that will write pending: AckFlush waiters wait for it.
	gen    *flushGen
	closed bool

	kick chan struct{}
	loop *loop.Loop

	// flushMu serializes flushes; links and seed belong to the flusher.
	flushMu sync.Mutex
	written map[uint64]digests // hash(agent id) -> what was last written
	seed    maphash.Seed
}

// ackGather is the default AckGather. A flush of a few agents costs about
// as much as one of a hundred (the transaction, not the rows, dominates), so
// a few milliseconds of waiting multiply the throughput of
// --heartbeat-ack=flush under load (docs/performance.md) while a beat still
// waits well under the 100 ms a flush may take to come.
const ackGather = 5 * time.Millisecond

// flushGen is one flush as seen by the beats it holds: done closes when it
// ended, err says how.
type flushGen struct {
	done chan struct{}
	err  error
}

func newFlushGen() *flushGen { return &flushGen{done: make(chan struct{})} }

// Start begins the flush loop. Close stops it.
func (g *Ingester) Start() {
	if g.Interval <= 0 {
		g.Interval = time.Second
	}
	if g.BatchSize <= 0 {
		g.BatchSize = 10000
	}
	if g.Logger == nil {
		g.Logger = slog.New(slog.DiscardHandler)
	}
	g.pending = make(map[string]*tc.AgentBeat)
	g.gen = newFlushGen()
	g.written = make(map[uint64]digests)
	g.seed = maphash.MakeSeed()
	g.kick = make(chan struct{}, 1)
	if g.AckGather == 0 {
		g.AckGather = ackGather
	}
	// A flush under way at shutdown finishes: Close then flushes the rest.
	g.loop = loop.Start(g.Interval, g.kick, func(ctx context.Context) {
		if g.AckFlush && g.AckGather > 0 {
			time.Sleep(g.AckGather)
		}
		flush := func() {
			if err := g.Flush(context.WithoutCancel(ctx)); err != nil {
				g.Logger.Error("flush heartbeats", "error", err)
			}
		}
		if g.behind() {
			// Below requests (loop.SetNice) a flush gets what they leave
			// of the CPUs; on CPUs they keep busy it would fall further
			// behind, until new agents' beats were refused.
			loop.Promptly(flush)
			return
		}
		flush()
	})
}

// behind reports whether more agents wait for the database than two
// flushes' worth: flushes are not keeping up.
func (g *Ingester) behind() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.unwrittenLocked() >= 2*g.BatchSize
}

// Add records a heartbeat. With AckFlush it returns once the beat is
// written, or when ctx ends. Errors: EUNAVAILABLE when shutting down, when
// MaxPending agents already wait for the database, and (AckFlush) when the
// flush holding the beat failed or ctx ended first.
func (g *Ingester) Add(ctx context.Context, b *tc.AgentBeat) error {
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		return tc.Errorf(tc.EUNAVAILABLE, "shutting down, try again")
	}
	if old, ok := g.pending[b.ID]; ok {
		b.Merge(old)
	} else {
		// An agent of the flush under way is already counted: it will be
		// one entry again if that flush fails.
		_, inflight := g.inflight[b.ID]
		if !inflight && g.MaxPending > 0 && g.unwrittenLocked() >= g.MaxPending {
			g.mu.Unlock()
			return tc.Errorf(tc.EUNAVAILABLE, "heartbeat backlog full (%d agents wait for the database), try again", g.MaxPending)
		}
		if inflight {
			g.overlap++
		}
	}
	g.pending[b.ID] = b
	g.pendingBeats++
	n, waiting, gen := g.unwrittenLocked(), len(g.pending), g.gen
	g.mu.Unlock()
	if g.Metrics != nil {
		g.Metrics.HeartbeatPending.Set(float64(n))
	}
	if g.AckFlush || waiting >= g.BatchSize {
		select {
		case g.kick <- struct{}{}:
		default:
		}
	}
	if !g.AckFlush {
		return nil
	}
	select {
	case <-gen.done:
		if gen.err != nil {
			if tc.ErrorCode(gen.err) == tc.EUNAVAILABLE {
				return gen.err
			}
			return &flushError{tc.Errorf(tc.EUNAVAILABLE, "heartbeat not written yet: the database failed, try again"), gen.err}
		}
		return nil
	case <-ctx.Done():
		return tc.Errorf(tc.EUNAVAILABLE, "heartbeat not written yet, try again")
	}
}

// flushError keeps the cause of a failed flush for logs.
type flushError struct {
	domain *tc.Error
	cause  error
}

func (e *flushError) Error() string   { return e.domain.Error() + ": " + e.cause.Error() }
func (e *flushError) Unwrap() []error { return []error{e.domain, e.cause} }

// unwrittenLocked counts the agents whose heartbeats are not written yet.
func (g *Ingester) unwrittenLocked() int { return len(g.pending) + len(g.inflight) - g.overlap }

// Pending returns how many agents have heartbeats not yet written (waiting
// for a flush, or in one under way).
func (g *Ingester) Pending() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.unwrittenLocked()
}

// unwritten returns the agents and the acknowledged beats not yet written.
func (g *Ingester) unwritten() (agents, beats int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.unwrittenLocked(), g.pendingBeats + g.inflightBeats
}

// Flush writes every pending heartbeat now. On failure the batch goes back
// to the pending map (under anything newer) and the next flush retries it.
func (g *Ingester) Flush(ctx context.Context) error {
	g.flushMu.Lock()
	defer g.flushMu.Unlock()
	g.mu.Lock()
	batch, beats, gen := g.pending, g.pendingBeats, g.gen
	if len(batch) == 0 {
		g.mu.Unlock()
		return nil
	}
	g.pending, g.pendingBeats, g.gen = make(map[string]*tc.AgentBeat, len(batch)), 0, newFlushGen()
	g.inflight, g.inflightBeats, g.overlap = batch, beats, 0
	g.mu.Unlock()
	err := g.write(ctx, batch)
	g.mu.Lock()
	if err != nil {
		for id, old := range batch {
			if b, ok := g.pending[id]; ok {
				b.Merge(old)
			} else {
				g.pending[id] = old
			}
		}
		g.pendingBeats += beats
	}
	g.inflight, g.inflightBeats, g.overlap = nil, 0, 0
	n := g.unwrittenLocked()
	g.mu.Unlock()
	gen.err = err
	close(gen.done)
	if g.Metrics != nil {
		g.Metrics.HeartbeatPending.Set(float64(n))
		if err != nil {
			g.Metrics.HeartbeatFlushErrors.Inc()
		}
	}
	return err
}

// write writes one batch and remembers what it wrote.
func (g *Ingester) write(ctx context.Context, batch map[string]*tc.AgentBeat) error {
	start := time.Now()
	writes := make([]store.HeartbeatWrite, 0, len(batch))
	keys := make([]uint64, 0, len(batch))
	digs := make([]digests, 0, len(batch))
	for _, b := range batch {
		w := store.HeartbeatWrite{AgentBeat: b}
		key := maphash.String(g.seed, b.ID)
		d := g.digest(b)
		old, known := g.written[key]
		if b.HasConfigs {
			w.WriteLinks = !known || old.links != d.links
		} else {
			d.links = old.links
		}
		w.LivenessOnly = known && old == d
		writes = append(writes, w)
		keys = append(keys, key)
		digs = append(digs, d)
	}
	// Sorted by id: rows go into the B-trees in key order, and concurrent
	// writers on PostgreSQL lock rows in one order.
	order := make([]int, len(writes))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return strings.Compare(writes[a].ID, writes[b].ID) })
	sorted := make([]store.HeartbeatWrite, len(writes))
	for i, j := range order {
		sorted[i] = writes[j]
	}
	if err := g.Store.WriteHeartbeats(ctx, sorted); err != nil {
		return err
	}
	for i, key := range keys {
		g.written[key] = digs[i]
	}
	if g.Metrics != nil {
		g.Metrics.HeartbeatFlushSize.Observe(float64(len(batch)))
		g.Metrics.HeartbeatFlushDuration.Observe(time.Since(start).Seconds())
	}
	return nil
}

// digests identify what a full write stores for an agent, apart from
// last_seen and the statistics.
type digests struct {
	meta  uint64 // hostname, ip, version, status
	links uint64 // config sources; 0 when never reported
}

func (g *Ingester) digest(b *tc.AgentBeat) digests {
	var h maphash.Hash
	h.SetSeed(g.seed)
	for _, s := range []string{b.Hostname, b.IP, b.Version, b.Status} {
		h.WriteString(s)
		h.WriteByte(0)
	}
	d := digests{meta: h.Sum64()}
	if b.HasConfigs {
		h.Reset()
		h.WriteByte(1) // so that an empty list differs from none
		for _, s := range b.Configs {
			h.WriteString(s)
			h.WriteByte(0)
		}
		d.links = h.Sum64()
	}
	return d
}

// Close refuses further beats, stops the loop and flushes what is pending,
// so that every heartbeat answered 204 before Close reaches the database.
// A failing flush is tried again, with growing pauses, until ctx ends (the
// shutdown budget); then Close logs and returns exactly how many
// acknowledged beats, of how many agents, could not be written.
func (g *Ingester) Close(ctx context.Context) error {
	g.mu.Lock()
	already := g.closed
	g.closed = true
	g.mu.Unlock()
	if already {
		return nil
	}
	// A flush under way finishes, even past the deadline: it holds beats
	// answered 204.
	g.loop.Stop(context.WithoutCancel(ctx))
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, defaultCloseBudget)
		defer cancel()
	}
	start := time.Now()
	agents, beats := g.unwritten()
	pause := closeRetryFirst
	for attempt := 1; ; attempt++ {
		// An attempt is not cut short by the deadline: one that is writing
		// finishes (--heartbeat-max-pending bounds how long it can take;
		// connect_timeout how long a dead PostgreSQL holds it). The
		// deadline only stops the retries.
		err := g.Flush(context.WithoutCancel(ctx))
		if err == nil {
			if agents > 0 {
				g.Logger.Info("flushed pending heartbeats at shutdown", "agents", agents, "beats", beats,
					"attempts", attempt, "duration", time.Since(start))
			}
			return nil
		}
		left := time.Until(deadline(ctx))
		if ctx.Err() != nil || left <= 0 {
			agents, beats := g.unwritten()
			g.Logger.Error("heartbeats acknowledged but not written: the database failed for the whole shutdown budget",
				"beats", beats, "agents", agents, "attempts", attempt, "duration", time.Since(start), "error", err)
			g.mu.Lock()
			gen := g.gen
			g.mu.Unlock()
			gen.err = err
			close(gen.done) // no flush will come: AckFlush waiters (none by now) are told
			return fmt.Errorf("flush heartbeats at shutdown: %d acknowledged heartbeats of %d agents not written after %d attempts: %w",
				beats, agents, attempt, err)
		}
		g.Logger.Warn("flush heartbeats at shutdown failed; trying again", "attempt", attempt, "retry_in", min(pause, left), "error", err)
		select {
		case <-time.After(min(pause, left)):
		case <-ctx.Done():
		}
		pause = min(2*pause, closeRetryMax)
	}
}

// Pauses between the flush attempts of Close, and its budget when ctx has no
// deadline.
const (
	closeRetryFirst    = 100 * time.Millisecond
	closeRetryMax      = 2 * time.Second
	defaultCloseBudget = 15 * time.Second
)

func deadline(ctx context.Context) time.Time {
	d, _ := ctx.Deadline()
	return d
}
