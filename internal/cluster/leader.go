package cluster

import (
	"context"
	"time"

	"github.com/telegrafcontroller/tc/internal/store"
)

// elect runs the election every CheckInterval: a follower tries to take
// the leader's lock and, having it, claims a new epoch; the leader checks
// that its connection still holds the lock and steps down at the first
// doubt. Stepping down is immediate in memory (the scheduler stops
// sweeping); a sweep already running is stopped by its fence, not by this
// loop (internal/store cluster.go).
func (n *Node) elect(ctx context.Context) {
	defer n.dropLock()
	for {
		n.electOnce(ctx)
		if !sleep(ctx, n.CheckInterval) {
			return
		}
	}
}

func (n *Node) electOnce(ctx context.Context) {
	if n.lockConn == nil {
		conn, err := n.connect(ctx)
		if err != nil {
			if ctx.Err() == nil {
				n.Logger.Warn("cluster: cannot open the leader lock connection", "error", err)
			}
			return
		}
		n.lockConn = conn
		n.lockPID.Store(conn.PgConn().PID())
	}
	cctx, cancel := context.WithTimeout(ctx, max(n.CheckInterval, 5*time.Second))
	defer cancel()
	if n.Leader() {
		held, err := store.HoldsLeaderLock(cctx, n.lockConn)
		if err == nil && held {
			return
		}
		n.Logger.Warn("cluster: lost leadership", "error", err)
		n.dropLock()
		return
	}
	got, err := store.TryLeaderLock(cctx, n.lockConn)
	if err != nil {
		if ctx.Err() == nil {
			n.Logger.Warn("cluster: leader lock check failed", "error", err)
		}
		n.dropLock()
		return
	}
	if !got {
		return
	}
	// Claiming waits for the previous leader's sweep, if one is still
	// committing: give it longer than a check.
	claimCtx, cancelClaim := context.WithTimeout(ctx, 30*time.Second)
	defer cancelClaim()
	since := n.Now()
	f, err := store.ClaimLeadership(claimCtx, n.lockConn, n.Store.NodeID(), since.UnixMilli())
	if err != nil {
		if ctx.Err() == nil {
			n.Logger.Warn("cluster: claim leadership failed", "error", err)
		}
		n.dropLock()
		return
	}
	n.lead.Store(&leadership{fence: f, since: since})
	n.Logger.Info("cluster: this node is the leader", "node", n.Store.NodeID(), "epoch", f.Epoch)
	if n.OnLeader != nil {
		n.OnLeader(true)
	}
}

// dropLock steps down (when leading) and closes the lock connection, which
// releases the lock if the database still counts it as held.
func (n *Node) dropLock() {
	if n.lead.Swap(nil) != nil && n.OnLeader != nil {
		n.OnLeader(false)
	}
	if n.lockConn != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		n.lockConn.Close(ctx)
		cancel()
		n.lockConn = nil
		n.lockPID.Store(0)
	}
}
