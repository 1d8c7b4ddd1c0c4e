package apptest

import (
	"context"
	"testing"
	"time"
)

// MustStartCluster starts n controllers in cluster mode (--ha) on one new
// PostgreSQL database, sharing one clock, and registers their shutdown. It
// skips (fails under CI) without PostgreSQL. opts apply to every node, after
// --ha and a check interval of 200ms (--ha-check-interval overrides it);
// the nodes are returned in start order, the first one usually the leader.
// An option with flags replaces these (WithArgs parses anew): pass extra
// flags through WithClusterArgs. A test that puts a proxy in front
// (HAProxy) uses each node's URL and HeartbeatURL as its backends.
func MustStartCluster(tb testing.TB, n int, opts ...Option) []*Instance {
	tb.Helper()
	db := DB{"postgres"}
	RequirePostgres(tb)
	dsn := NewDSN(tb, db)
	clock := NewClock(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	nodes := make([]*Instance, n)
	for i := range nodes {
		nodes[i] = MustStartOn(tb, db, dsn, clock, append([]Option{WithClusterArgs()}, opts...)...)
	}
	// A writer waits for the confirmations of the nodes registered when it
	// writes; a node registers once it listens. Return once the cluster has
	// formed, so that a test's first write already waits for every node.
	deadline := time.Now().Add(15 * time.Second)
	for _, inst := range nodes {
		for {
			peers, err := inst.Store.LivePeers(context.Background())
			if err == nil && inst.Cluster != nil && inst.Cluster.Listening() && len(peers) == n-1 {
				break
			}
			if time.Now().After(deadline) {
				tb.Fatalf("the cluster of %d nodes did not form in 15 s: a node sees peers %v (%v)", n, peers, err)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	return nodes
}

// WithClusterArgs turns cluster mode on with a short check interval, so
// tests see elections and counter polls quickly.
func WithClusterArgs(args ...string) Option {
	return WithArgs(append([]string{"--ha", "--ha-check-interval", "200ms", "--log-level", "debug"}, args...)...)
}
