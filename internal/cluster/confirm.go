package cluster

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/telegrafcontroller/tc/internal/store"
)

// DefaultConfirmTimeout bounds how long a write waits for the other nodes
// to confirm its changes before it returns anyway.
const DefaultConfirmTimeout = time.Second

// confirmations are what the other nodes confirmed on AppliedChannel: the
// change counter each one's caches account for. changed is closed and
// replaced at every confirmation, waking the waiting writers.
type confirmations struct {
	mu      sync.Mutex
	applied map[string]int64
	changed chan struct{}
}

// confirmed records a confirmation heard on the listening connection.
func (n *Node) confirmed(payload string) {
	node, counter, ok := store.ParseApplied(payload)
	if !ok {
		n.Logger.Error("cluster: unreadable confirmation", "payload", payload)
		return
	}
	c := &n.confirms
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.applied == nil {
		c.applied = map[string]int64{}
	}
	if counter > c.applied[node] {
		c.applied[node] = counter
	}
	if c.changed != nil {
		close(c.changed)
		c.changed = nil
	}
}

// waitPeers is the store's peer wait (store.SetPeerWait): it returns when
// every other live node confirmed the change counter seq, or after
// ConfirmTimeout, or at once while this node cannot hear confirmations
// (its own listener is down; the others still apply the change).
func (n *Node) waitPeers(ctx context.Context, seq int64) {
	if !n.Listening() {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, n.ConfirmTimeout)
	defer cancel()
	peers, err := n.Store.LivePeers(ctx)
	if err != nil {
		n.Logger.Warn("cluster: cannot list the nodes to confirm a change", "counter", seq, "error", err)
		return
	}
	for {
		missing, changed := n.unconfirmedBy(peers, seq)
		if len(missing) == 0 {
			return
		}
		select {
		case <-changed:
		case <-ctx.Done():
			n.unconfirmed.Add(1)
			n.Logger.Warn("cluster: change not confirmed by every node in time", "counter", seq, "nodes", missing, "timeout", n.ConfirmTimeout)
			return
		}
	}
}

// unconfirmedBy returns those of peers that have not confirmed seq, and a
// channel closed at the next confirmation.
func (n *Node) unconfirmedBy(peers []string, seq int64) ([]string, <-chan struct{}) {
	c := &n.confirms
	c.mu.Lock()
	defer c.mu.Unlock()
	missing := slices.DeleteFunc(slices.Clone(peers), func(p string) bool { return c.applied[p] >= seq })
	if c.changed == nil {
		c.changed = make(chan struct{})
	}
	return missing, c.changed
}
