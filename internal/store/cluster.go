package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/telegrafcontroller/tc"
)

// Cluster mode (docs/cluster.md) on PostgreSQL: the SQL of leader election,
// fencing and the change feed between nodes. The loops that use it live in
// internal/cluster; the tables are migration 0066's.
//
// Leader election and fencing. The leader is the node whose dedicated
// connection holds the session-level advisory lock LeaderLockKey. Holding
// the lock is not proof enough for a transaction on another connection: the
// lock may be lost (the lock connection killed, the network cut) while the
// node, not yet aware, runs a sweep on its pool. So the winner of the lock
// moves cluster_leader.epoch on (ClaimLeadership, on the lock connection,
// while holding the lock) and every leader-only transaction proves, inside
// itself, two things at once (Tx.proveLeader):
//
//   - cluster_leader still holds the node's epoch, read FOR SHARE: the row
//     stays locked until the transaction ends, so a new leader's
//     ClaimLeadership (an UPDATE of that row) waits until this transaction
//     has committed or rolled back, and every transaction of the new epoch
//     comes after it;
//   - the node's lock connection (by backend pid) still holds the advisory
//     lock, from pg_locks: a node that lost its lock fails the proof at once,
//     even before another node has claimed the epoch.
//
// Together: no leader-only transaction that begins its proof after the
// lock was lost can commit, and none of an old epoch overlaps one of a newer
// epoch. A leader that lost the lock mid-transaction commits only what it
// proved before a successor could act.
//
// Changes between nodes. A node in a cluster (Options.NodeID set) adds two
// statements to every transaction that announces changes: it moves the
// cluster_changes counter on and NOTIFYs ChangeChannel with the changes
// (notifyPayload), so the notification is delivered if and only if the
// transaction commits, in commit order. Other nodes LISTEN and hand the
// changes to their subscribers (DeliverRemote); a node that may have missed
// notifications (its listening connection dropped, or the counter moved past
// the last notification it saw) resets every cache instead (Reset).
//
// Confirmation. A write that announced changes returns only when every
// other live node has confirmed that its caches account for them, or after
// a bound (SetPeerWait): "live" is a node whose listening connection,
// registered in cluster_nodes (RegisterNode), is still a backend of the
// database. A node confirms by NOTIFYing AppliedChannel with the change
// counter its caches account for (NotifyApplied), after delivering or
// resetting. So the very next request after a revocation is refused by
// every node, and a node that cannot hear (its listener cut, or dead) is not
// waited for: it resets its caches at its next counter poll.

// LeaderLockKey is the advisory lock the leader holds, per database. It fits
// in 32 bits, so pg_locks shows it with classid 0 and objid LeaderLockKey.
const LeaderLockKey = 0x74630001 // "tc", 1

// ChangeChannel is the NOTIFY channel of the change feed.
const ChangeChannel = "tc_changes"

// AppliedChannel is the NOTIFY channel on which nodes confirm the change
// counter their caches account for: "<node> <counter>".
const AppliedChannel = "tc_applied"

// maxNotifyPayload keeps a notification under PostgreSQL's 8000-byte
// payload limit; a transaction whose changes do not fit sends a reset.
const maxNotifyPayload = 7900

// ErrNotLeader is returned by a leader-only transaction whose node is not,
// or is no longer, the leader.
var ErrNotLeader = tc.Errorf(tc.EUNAVAILABLE, "this node is not the cluster leader")

// Fence is what a leader-only transaction proves (see above): the epoch the
// node claimed, and the backend pid of its lock connection.
type Fence struct {
	Epoch   int64
	LockPID uint32
}

// Notification is one announcing transaction as other nodes receive it: the
// node that committed it, the change counter it moved to, and its changes,
// or Reset when they did not fit in one notification.
type Notification struct {
	Node    string      `json:"node"`
	Seq     int64       `json:"seq"`
	Changes []tc.Change `json:"changes,omitempty"`
	Reset   bool        `json:"reset,omitempty"`
}

// proveLeader fails the transaction with ErrNotLeader unless f is still the
// current leadership (see above). A nil f proves nothing: a node outside a
// cluster is its own leader.
func (tx *Tx) proveLeader(ctx context.Context, f *Fence) error {
	if f == nil {
		return nil
	}
	var epoch int64
	err := tx.QueryRowContext(ctx, `SELECT epoch FROM cluster_leader
		WHERE id = 1 AND epoch = $1 AND EXISTS (SELECT 1 FROM pg_locks
			WHERE locktype = 'advisory' AND granted AND pid = $2
			AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
			AND classid::bigint = 0 AND objid::bigint = $3 AND objsubid = 1)
		FOR SHARE OF cluster_leader`, f.Epoch, int64(f.LockPID), int64(LeaderLockKey)).Scan(&epoch)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotLeader
	}
	if err != nil {
		return fmt.Errorf("prove leadership: %w", err)
	}
	return nil
}

// notifyChanges is the cluster's part of an announcing transaction, run
// just before it commits: it moves the change counter on and queues the
// notification, both inside the transaction.
// It returns the counter value of the transaction.
func (tx *Tx) notifyChanges(ctx context.Context) (int64, error) {
	var seq int64
	if err := tx.QueryRowContext(ctx, `UPDATE cluster_changes SET counter = counter + 1 WHERE id = 1 RETURNING counter`).Scan(&seq); err != nil {
		return 0, fmt.Errorf("count changes: %w", err)
	}
	payload, err := notifyPayload(Notification{Node: tx.store.nodeID, Seq: seq, Changes: tx.changes})
	if err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, `SELECT pg_notify($1, $2)`, ChangeChannel, payload); err != nil {
		return 0, fmt.Errorf("notify changes: %w", err)
	}
	return seq, nil
}

// notifyPayload encodes n, or a reset when it is too large to notify.
func notifyPayload(n Notification) (string, error) {
	b, err := json.Marshal(n)
	if err != nil {
		return "", fmt.Errorf("encode changes: %w", err)
	}
	if len(b) > maxNotifyPayload {
		b, _ = json.Marshal(Notification{Node: n.Node, Seq: n.Seq, Reset: true})
	}
	return string(b), nil
}

// NodeID is the node's name in the cluster, "" outside one.
func (s *Store) NodeID() string { return s.nodeID }

// PostgresConfig returns a copy of the connection settings of the pool,
// for connections that must not come from it (the leader's lock, LISTEN).
// It is nil on SQLite.
func (s *Store) PostgresConfig() *pgx.ConnConfig {
	if s.pgConfig == nil {
		return nil
	}
	return s.pgConfig.Copy()
}

// TryLeaderLock tries to take the leader's advisory lock on conn, a
// dedicated connection that keeps it for its whole session.
func TryLeaderLock(ctx context.Context, conn *pgx.Conn) (bool, error) {
	var ok bool
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, int64(LeaderLockKey)).Scan(&ok); err != nil {
		return false, fmt.Errorf("take leader lock: %w", err)
	}
	return ok, nil
}

// HoldsLeaderLock reports whether conn still holds the leader's lock (and
// answers at all).
func HoldsLeaderLock(ctx context.Context, conn *pgx.Conn) (bool, error) {
	var ok bool
	err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted
		AND pid = pg_backend_pid() AND classid::bigint = 0 AND objid::bigint = $1 AND objsubid = 1)`, int64(LeaderLockKey)).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("check leader lock: %w", err)
	}
	return ok, nil
}

// ClaimLeadership moves the epoch on for node, on conn, which must hold the
// leader's lock, and returns the fence of the new leadership. It waits for
// leader-only transactions of the previous epoch to end (see above).
func ClaimLeadership(ctx context.Context, conn *pgx.Conn, node string, atMS int64) (Fence, error) {
	var f Fence
	if err := conn.QueryRow(ctx, `UPDATE cluster_leader SET epoch = epoch + 1, node = $1, acquired_at = $2
		WHERE id = 1 RETURNING epoch, pg_backend_pid()`, node, atMS).Scan(&f.Epoch, &f.LockPID); err != nil {
		return Fence{}, fmt.Errorf("claim leadership: %w", err)
	}
	return f, nil
}

// ChangeCounter reads how many announcing transactions have committed in
// the cluster.
func ChangeCounter(ctx context.Context, conn *pgx.Conn) (int64, error) {
	var n int64
	if err := conn.QueryRow(ctx, `SELECT counter FROM cluster_changes WHERE id = 1`).Scan(&n); err != nil {
		return 0, fmt.Errorf("read change counter: %w", err)
	}
	return n, nil
}

// SubscribeReset registers fn to run when this node may have missed changes
// made on another: fn must forget everything it caches. Register at
// start-up, like Subscribe.
func (s *Store) SubscribeReset(fn func()) {
	s.feed.mu.Lock()
	defer s.feed.mu.Unlock()
	s.feed.resets = append(s.feed.resets, fn)
}

// DeliverRemote hands changes committed by another node to the subscribers,
// as if committed here.
func (s *Store) DeliverRemote(changes []tc.Change) {
	f := &s.feed
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range changes {
		for _, fn := range f.subscribers {
			fn(c)
		}
	}
}

// Reset makes every cache forget what it holds (SubscribeReset) and the
// settings be read again.
func (s *Store) Reset() {
	f := &s.feed
	f.mu.Lock()
	defer f.mu.Unlock()
	s.DropSettings()
	for _, fn := range f.resets {
		fn()
	}
}

// ReadChangeCounter is ChangeCounter through the pool.
func (s *Store) ReadChangeCounter(ctx context.Context) (int64, error) {
	var n int64
	if err := s.read.QueryRowContext(ctx, `SELECT counter FROM cluster_changes WHERE id = 1`).Scan(&n); err != nil {
		return 0, fmt.Errorf("read change counter: %w", err)
	}
	return n, nil
}

// SetPeerWait makes every announcing commit, once delivered on this node,
// call wait with its change counter; wait returns when the other nodes
// confirmed it (or gave up). Set it before serving.
func (s *Store) SetPeerWait(wait func(ctx context.Context, seq int64)) { s.peerWait = wait }

// RegisterNode records node as live on conn, its listening connection:
// the node counts as live while that backend exists. Rows of nodes whose
// listening backend is gone are removed.
func RegisterNode(ctx context.Context, conn *pgx.Conn, node string, atMS int64) error {
	_, err := conn.Exec(ctx, `WITH me AS (SELECT pid, backend_start::text AS started FROM pg_stat_activity WHERE pid = pg_backend_pid()),
		gone AS (DELETE FROM cluster_nodes n WHERE node <> $1 AND NOT `+nodeLive+`)
		INSERT INTO cluster_nodes (node, listen_pid, listen_start, joined_at)
		SELECT $1, pid, started, $2 FROM me
		ON CONFLICT (node) DO UPDATE SET listen_pid = excluded.listen_pid, listen_start = excluded.listen_start, joined_at = excluded.joined_at`,
		node, atMS)
	if err != nil {
		return fmt.Errorf("register cluster node: %w", err)
	}
	return nil
}

// nodeLive holds for a cluster_nodes row n whose listening backend still
// exists (its start time is compared where the database shows it, so a
// reused pid does not count).
const nodeLive = `EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.pid = n.listen_pid
	AND (a.backend_start IS NULL OR a.backend_start::text = n.listen_start))`

// LivePeers returns the live nodes other than this one.
func (s *Store) LivePeers(ctx context.Context) ([]string, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT node FROM cluster_nodes n WHERE node <> $1 AND `+nodeLive, s.nodeID)
	if err != nil {
		return nil, fmt.Errorf("list cluster nodes: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, fmt.Errorf("list cluster nodes: %w", err)
		}
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list cluster nodes: %w", err)
	}
	return out, nil
}

// NotifyApplied confirms, on conn, that node's caches account for every
// change up to counter.
func NotifyApplied(ctx context.Context, conn *pgx.Conn, node string, counter int64) error {
	if _, err := conn.Exec(ctx, `SELECT pg_notify($1, $2)`, AppliedChannel, node+" "+strconv.FormatInt(counter, 10)); err != nil {
		return fmt.Errorf("confirm changes: %w", err)
	}
	return nil
}

// ParseApplied reads a confirmation sent by NotifyApplied.
func ParseApplied(payload string) (node string, counter int64, ok bool) {
	node, n, found := strings.Cut(payload, " ")
	if !found {
		return "", 0, false
	}
	counter, err := strconv.ParseInt(n, 10, 64)
	return node, counter, err == nil
}
