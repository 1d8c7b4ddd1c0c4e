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
	// MaxPending bounds the agents waiting for a flush. Beyond it a new
	// agent's heartbeat is refused (503): Telegraf keeps its statistics and
	// logs and sends them with its next heartbeat, so nothing is lost, and a
	// database that falls behind cannot grow memory without bound.
	MaxPending int

	mu      sync.Mutex
	pending map[string]*tc.AgentBeat
	closed  bool

	kick chan struct{}
	loop *loop.Loop

	// flushMu serializes flushes; links and seed belong to the flusher.
	flushMu sync.Mutex
	written map[uint64]digests // hash(agent id) -> what was last written
	seed    maphash.Seed
}

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
	g.written = make(map[uint64]digests)
	g.seed = maphash.MakeSeed()
	g.kick = make(chan struct{}, 1)
	// A flush under way at shutdown finishes: Close then flushes the rest.
	g.loop = loop.Start(g.Interval, g.kick, func(ctx context.Context) {
		if err := g.Flush(context.WithoutCancel(ctx)); err != nil {
			g.Logger.Error("flush heartbeats", "error", err)
		}
	})
}

// Add records a heartbeat. Errors: EUNAVAILABLE when shutting down or when
// MaxPending agents already wait for the database.
func (g *Ingester) Add(b *tc.AgentBeat) error {
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		return tc.Errorf(tc.EUNAVAILABLE, "shutting down, try again")
	}
	if old, ok := g.pending[b.ID]; ok {
		b.Merge(old)
	} else if g.MaxPending > 0 && len(g.pending) >= g.MaxPending {
		g.mu.Unlock()
		return tc.Errorf(tc.EUNAVAILABLE, "heartbeat backlog full (%d agents wait for the database), try again", g.MaxPending)
	}
	g.pending[b.ID] = b
	n := len(g.pending)
	g.mu.Unlock()
	if g.Metrics != nil {
		g.Metrics.HeartbeatPending.Set(float64(n))
	}
	if n >= g.BatchSize {
		select {
		case g.kick <- struct{}{}:
		default:
		}
	}
	return nil
}

// Pending returns how many agents wait for the next flush.
func (g *Ingester) Pending() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.pending)
}

// Flush writes every pending heartbeat now. On failure the batch goes back
// to the pending map (under anything newer) and the next flush retries it.
func (g *Ingester) Flush(ctx context.Context) error {
	g.flushMu.Lock()
	defer g.flushMu.Unlock()
	g.mu.Lock()
	batch := g.pending
	g.pending = make(map[string]*tc.AgentBeat, len(batch))
	g.mu.Unlock()
	if len(batch) == 0 {
		return nil
	}
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
	err := g.Store.WriteHeartbeats(ctx, sorted)
	if err != nil {
		g.mu.Lock()
		for id, old := range batch {
			if b, ok := g.pending[id]; ok {
				b.Merge(old)
			} else {
				g.pending[id] = old
			}
		}
		n := len(g.pending)
		g.mu.Unlock()
		if g.Metrics != nil {
			g.Metrics.HeartbeatFlushErrors.Inc()
			g.Metrics.HeartbeatPending.Set(float64(n))
		}
		return err
	}
	for i, key := range keys {
		g.written[key] = digs[i]
	}
	if g.Metrics != nil {
		g.Metrics.HeartbeatFlushSize.Observe(float64(len(batch)))
		g.Metrics.HeartbeatFlushDuration.Observe(time.Since(start).Seconds())
		g.Metrics.HeartbeatPending.Set(float64(g.Pending()))
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

// Close refuses further beats, stops the loop and flushes what is pending:
// every heartbeat answered 204 before Close reaches the database. The final
// flush is not cut short by ctx's deadline (the shutdown timeout bounds the
// draining of requests, not the writing of what they were promised);
// --heartbeat-max-pending bounds how long it can take.
func (g *Ingester) Close(ctx context.Context) error {
	g.mu.Lock()
	already := g.closed
	g.closed = true
	g.mu.Unlock()
	if already {
		return nil
	}
	// Even past the shutdown deadline: every beat answered 204 is written.
	g.loop.Stop(context.WithoutCancel(ctx))
	start := time.Now()
	n := g.Pending()
	if err := g.Flush(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("flush heartbeats at shutdown: %w", err)
	}
	if n > 0 {
		g.Logger.Info("flushed pending heartbeats at shutdown", "agents", n, "duration", time.Since(start))
	}
	return nil
}
