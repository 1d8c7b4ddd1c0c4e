// Package cluster runs a controller as one node of several on one
// PostgreSQL database (docs/cluster.md): it elects the leader that alone
// runs the status sweep, and carries the store's change feed between the
// nodes. The SQL and the reasoning behind fencing are in internal/store
// cluster.go; this package holds the loops and the dedicated connections.
package cluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/telegrafcontroller/tc/internal/store"
)

// DefaultCheckInterval is how often the leader re-checks its lock, a
// follower tries to take it, and the change counter is polled.
const DefaultCheckInterval = 3 * time.Second

// DefaultPollInterval is how often the change counter is polled: a node
// whose listening connection silently stopped hearing notices within two
// polls, so a missed change reaches its caches in well under a second.
const DefaultPollInterval = 250 * time.Millisecond

// NewNodeID returns a random name for a node, fresh at every start.
func NewNodeID() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// Node is this process's membership in the cluster: the elector and the
// change listener. Start it after the store's subscribers are registered.
type Node struct {
	Store  *store.Store
	Logger *slog.Logger
	Now    func() time.Time
	// CheckInterval: see DefaultCheckInterval.
	CheckInterval time.Duration
	// PollInterval: see DefaultPollInterval.
	PollInterval time.Duration
	// ConfirmTimeout: see DefaultConfirmTimeout.
	ConfirmTimeout time.Duration
	// OnLeader is called with true when the node becomes leader and with
	// false when it stops being leader (the tc_leader gauge).
	OnLeader func(bool)

	cancel context.CancelFunc
	wg     sync.WaitGroup

	// Elector state: lockConn is touched only by the elector goroutine;
	// lead is read by everyone.
	lockConn *pgx.Conn
	lead     atomic.Pointer[leadership]
	lockPID  atomic.Uint32

	// Listener state, under mu: seen is the highest change counter this
	// node's caches account for; suspect is a counter value a poll found
	// ahead of seen, reset to if still ahead at the next poll.
	mu         sync.Mutex
	seen       int64
	suspect    int64
	listening  bool
	listenPID  atomic.Uint32
	resets     atomic.Int64
	deliveries atomic.Int64

	// confirms and unconfirmed serve the writers waiting for the other
	// nodes (confirm.go).
	confirms    confirmations
	unconfirmed atomic.Int64
}

// leadership is one term as leader.
type leadership struct {
	fence store.Fence
	since time.Time
}

// Start runs the elector, the listener and the counter poll until Close.
func (n *Node) Start() {
	if n.Logger == nil {
		n.Logger = slog.New(slog.DiscardHandler)
	}
	if n.Now == nil {
		n.Now = time.Now
	}
	if n.CheckInterval <= 0 {
		n.CheckInterval = DefaultCheckInterval
	}
	if n.PollInterval <= 0 {
		n.PollInterval = DefaultPollInterval
	}
	if n.ConfirmTimeout <= 0 {
		n.ConfirmTimeout = DefaultConfirmTimeout
	}
	n.Store.SetPeerWait(n.waitPeers)
	ctx, cancel := context.WithCancel(context.Background())
	n.cancel = cancel
	n.wg.Add(3)
	go func() { defer n.wg.Done(); n.elect(ctx) }()
	go func() { defer n.wg.Done(); n.listen(ctx) }()
	go func() { defer n.wg.Done(); n.poll(ctx) }()
}

// Close stops the loops and closes the dedicated connections, which gives
// up the leader's lock at once.
func (n *Node) Close(ctx context.Context) error {
	if n.cancel == nil {
		return nil
	}
	n.cancel()
	done := make(chan struct{})
	go func() { n.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("stop cluster node: %w", ctx.Err())
	}
}

// Leader reports whether this node is the leader, as of its last check.
func (n *Node) Leader() bool { return n.lead.Load() != nil }

// Fence returns the current leadership's fence, which every leader-only
// transaction proves, and when it began; ok is false on a follower.
func (n *Node) Fence() (f *store.Fence, since time.Time, ok bool) {
	l := n.lead.Load()
	if l == nil {
		return nil, time.Time{}, false
	}
	fence := l.fence
	return &fence, l.since, true
}

// LockPID and ListenPID are the backend pids of the dedicated connections
// (0 when not connected), for tests that kill them.
func (n *Node) LockPID() uint32   { return n.lockPID.Load() }
func (n *Node) ListenPID() uint32 { return n.listenPID.Load() }

// Seen is the change counter this node's caches account for.
func (n *Node) Seen() int64 {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.seen
}

// Listening reports whether the node's listening connection is up.
func (n *Node) Listening() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.listening
}

// Unconfirmed counts the writes of this node that returned without every
// other node's confirmation (ConfirmTimeout passed).
func (n *Node) Unconfirmed() int64 { return n.unconfirmed.Load() }

// Resets counts how often this node's caches were reset because it may
// have missed changes; Deliveries how many remote notifications it applied.
func (n *Node) Resets() int64     { return n.resets.Load() }
func (n *Node) Deliveries() int64 { return n.deliveries.Load() }

// connect opens a dedicated connection, outside the store's pool.
func (n *Node) connect(ctx context.Context) (*pgx.Conn, error) {
	cfg := n.Store.PostgresConfig()
	if cfg == nil {
		return nil, errors.New("cluster mode needs PostgreSQL")
	}
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return pgx.ConnectConfig(cctx, cfg)
}

// sleep waits d or until ctx ends, reporting whether to go on.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
