package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/telegrafcontroller/tc/internal/store"
)

// listen LISTENs for the other nodes' changes on a dedicated connection and
// hands them to the store's subscribers. Whenever the connection is (re)made
// the node's caches are reset, as changes may have been missed meanwhile.
func (n *Node) listen(ctx context.Context) {
	for ctx.Err() == nil {
		err := n.listenOnce(ctx)
		if ctx.Err() != nil {
			return
		}
		n.Logger.Warn("cluster: change listener stopped; reconnecting", "error", err)
		if !sleep(ctx, min(n.CheckInterval, time.Second)) {
			return
		}
	}
}

func (n *Node) listenOnce(ctx context.Context) error {
	conn, err := n.connect(ctx)
	if err != nil {
		return err
	}
	defer func() {
		n.mu.Lock()
		n.listening = false
		n.mu.Unlock()
		n.listenPID.Store(0)
		cctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		conn.Close(cctx)
		cancel()
	}()
	if _, err := conn.Exec(ctx, "LISTEN "+store.ChangeChannel+"; LISTEN "+store.AppliedChannel); err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	// Every commit after this read is notified: the caches forget
	// everything up to it and follow notifications from there.
	counter, err := store.ChangeCounter(ctx, conn)
	if err != nil {
		return err
	}
	n.mu.Lock()
	n.reset(counter)
	n.listening = true
	seen := n.seen
	n.mu.Unlock()
	n.listenPID.Store(conn.PgConn().PID())
	// From here on, writers wait for this node's confirmations (confirm.go).
	if err := store.RegisterNode(ctx, conn, n.Store.NodeID(), n.Now().UnixMilli()); err != nil {
		return err
	}
	if err := store.NotifyApplied(ctx, conn, n.Store.NodeID(), seen); err != nil {
		return err
	}
	for {
		msg, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		if msg.Channel == store.AppliedChannel {
			n.confirmed(msg.Payload)
			continue
		}
		var note store.Notification
		if err := json.Unmarshal([]byte(msg.Payload), &note); err != nil {
			n.Logger.Error("cluster: unreadable change notification", "error", err)
			continue
		}
		if seen, ok := n.apply(note); ok {
			if err := store.NotifyApplied(ctx, conn, n.Store.NodeID(), seen); err != nil {
				return err
			}
		}
	}
}

// apply hands one notification's changes to the subscribers, unless it is
// this node's own (already delivered at commit) or already accounted for.
// A gap in the counter means a notification was missed: reset. It reports
// the counter the caches now account for, and whether another node's
// write waits for this node to confirm it.
func (n *Node) apply(note store.Notification) (seen int64, confirm bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	switch {
	case note.Seq <= n.seen:
		return n.seen, false
	case note.Seq > n.seen+1 || note.Reset:
		n.reset(note.Seq)
		return n.seen, note.Node != n.Store.NodeID()
	}
	n.seen = note.Seq
	if note.Node == n.Store.NodeID() {
		return n.seen, false
	}
	n.Store.DeliverRemote(note.Changes)
	n.deliveries.Add(1)
	return n.seen, true
}

// reset forgets every cache and accounts for changes up to counter; n.mu is
// held.
func (n *Node) reset(counter int64) {
	n.Store.Reset()
	n.resets.Add(1)
	n.seen = max(n.seen, counter)
	n.suspect = 0
}

// poll reads the change counter every PollInterval, through the store's
// pool: when it has moved past the notifications received, at two polls in
// a row (a notification may be on its way at the first), or at once while
// the listening connection is down, the caches are reset. It backs up a
// listening connection that silently stopped hearing or was cut.
func (n *Node) poll(ctx context.Context) {
	for sleep(ctx, n.PollInterval) {
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		counter, err := n.Store.ReadChangeCounter(cctx)
		cancel()
		if err != nil {
			if ctx.Err() == nil {
				n.Logger.Warn("cluster: cannot read the change counter", "error", err)
			}
			continue
		}
		n.mu.Lock()
		switch {
		case counter <= n.seen:
			n.suspect = 0
		case !n.listening:
			// Nothing can be heard until the listener is back: a moved
			// counter is a change this node missed.
			n.Logger.Warn("cluster: changes while not listening; resetting caches", "counter", counter, "seen", n.seen)
			n.reset(counter)
		case n.suspect != 0 && n.seen < n.suspect:
			n.Logger.Warn("cluster: changes were not notified; resetting caches", "counter", counter, "seen", n.seen)
			n.reset(counter)
		default:
			n.suspect = counter
		}
		n.mu.Unlock()
	}
}
