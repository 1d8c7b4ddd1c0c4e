package store

import (
	"context"
	"slices"
	"sync"

	"github.com/telegrafcontroller/tc"
)

// feed is the store's change feed: every write method announces what it
// changed on its transaction (Tx.announce), and the changes of a committed
// transaction are handed to the subscribers, in commit order, before the
// write method returns. A rolled-back transaction announces nothing.
//
// Delivery is synchronous, under mu, which is held across the commit
// itself: commit and delivery are one step, so two writers' changes reach
// the subscribers in the order the database committed them, and when a
// write returns, every cache has already dropped what it changed (a revoked
// token is refused by the very next request). The price is that announcing
// transactions commit one at a time, which SQLite's single writer does
// anyway and configuration changes can afford on PostgreSQL; the hot paths
// (heartbeats, token last-use, session activity, status sweeps) announce
// nothing and never take mu. A dispatcher goroutine would free the writer
// sooner but open a window in which a revoked token still works.
type feed struct {
	mu          sync.Mutex
	subscribers []func(tc.Change)
	// resets forget every cache (SubscribeReset, cluster.go).
	resets []func()
}

// Subscribe registers fn to hear every change committed from now on. fn
// runs on the writer's goroutine while the next announcing commit waits: it
// must be quick and must not wait on the database, whose connections may all
// be held by writers waiting for it (drop a cache entry, queue the change
// for elsewhere). The change is shared by every subscriber: do not modify
// it. Register at start-up, before serving.
func (s *Store) Subscribe(fn func(tc.Change)) {
	s.feed.mu.Lock()
	defer s.feed.mu.Unlock()
	s.feed.subscribers = append(s.feed.subscribers, fn)
}

// announce records on tx that it changes ids of entity by op, as the caller
// in ctx at the transaction's time. Nothing is announced for no ids, except
// for settings, which have none.
func (tx *Tx) announce(ctx context.Context, entity tc.Entity, op tc.Op, ids ...string) {
	if len(ids) == 0 && entity != tc.EntitySettings {
		return
	}
	c := tc.Change{Entity: entity, Op: op, IDs: slices.Clone(ids), At: tx.now}
	if caller := tc.CallerFromContext(ctx); caller != nil {
		if caller.User != nil {
			c.ActorUserID = caller.User.ID
		}
		if caller.Token != nil {
			c.ActorTokenID = caller.Token.ID
		}
	}
	tx.changes = append(tx.changes, c)
}

// commit commits tx and delivers its changes (see feed), after writing
// their audit entries in it (audit.go). In a cluster the
// transaction also notifies the other nodes (cluster.go); that is done
// before taking mu, as it may wait for another node's announcing
// transaction to commit. Once delivered here, the commit waits for the
// other live nodes to confirm that their caches account for it too
// (SetPeerWait), so that the write returns only when every node refuses
// what it revoked.
func (tx *Tx) commit(ctx context.Context) error {
	if err := tx.writeAudit(ctx); err != nil {
		return err
	}
	if len(tx.changes) == 0 {
		return tx.Commit()
	}
	var seq int64
	if tx.store.nodeID != "" {
		var err error
		if seq, err = tx.notifyChanges(ctx); err != nil {
			return err
		}
	}
	if err := tx.commitAndDeliver(); err != nil {
		return err
	}
	if wait := tx.store.peerWait; wait != nil && seq != 0 {
		wait(ctx, seq)
	}
	return nil
}

// commitAndDeliver is commit's one step under mu (see feed).
func (tx *Tx) commitAndDeliver() error {
	f := &tx.store.feed
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := tx.Commit(); err != nil {
		return err
	}
	for _, c := range tx.changes {
		for _, fn := range f.subscribers {
			fn(c)
		}
	}
	return nil
}

// queryStrings runs q on tx and returns the one text column of every row
// (a DELETE or UPDATE … RETURNING id, whose ids are to be announced).
func queryStrings(ctx context.Context, tx *Tx, q string, args ...any) ([]string, error) {
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
