package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/apptest"
	"github.com/telegrafcontroller/tc/internal/store"
)

// beatsOf returns n heartbeats of agent id, one a second from t0, each with
// another status, ip, version, statistics and config source; the first
// names the hostname, the second and fifth carry a log entry. With sameIP
// only the status and statistics change.
func beatsOf(id string, t0 time.Time, n int, sameIP bool) []*tc.AgentBeat {
	statuses := []string{tc.AgentOK, tc.AgentWarn, tc.AgentFail, tc.AgentUndefined}
	beats := make([]*tc.AgentBeat, n)
	for i := range beats {
		at := t0.Add(time.Duration(i) * time.Second)
		stats := tc.HeartbeatStats{Errors: int64(i + 1), Warnings: int64(10 * (i + 1)), Metrics: int64(100 * (i + 1))}
		b := &tc.AgentBeat{
			ID: id, IP: fmt.Sprintf("10.0.0.%d", i+1), Version: fmt.Sprintf("1.%d.0", 30+i), Status: statuses[i%len(statuses)],
			FirstSeen: at, LastSeen: at, Last: stats, Sum: stats,
			HasConfigs: true, Configs: []string{fmt.Sprintf("http://tc.example/api/configs/cfg-%d/toml", i+1), fmt.Sprintf("/etc/telegraf/%d.conf", i+1)},
		}
		if sameIP {
			b.IP, b.Version = "10.0.0.1", "1.30.0"
		}
		if i == 0 {
			b.Hostname = "host-" + id
		}
		if i == 1 || i == 4 {
			b.Logs = []tc.AgentLog{{Time: at.Format(time.RFC3339Nano), Level: "ERROR", Source: "test", Message: fmt.Sprintf("beat %d", i+1)}}
		}
		beats[i] = b
	}
	return beats
}

// TestWriteHeartbeatsLastWriterWins has two nodes, each with its own
// store on one database (one store on SQLite, whose file has one writer
// process), write the beats of the same agents in every order: round-robin
// over the nodes, some merged in a node's memory first, flushed out of
// order, some through the narrow liveness update whatever the stored row
// says (on PostgreSQL; on SQLite only where it is true, as with one
// writer process). The stored agent must be the newest beat's, with every beat's
// statistics counted once.
func TestWriteHeartbeatsLastWriterWins(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		ctx := context.Background()
		dsn := apptest.NewDSN(t, db)
		nodeA := mustOpenDSN(t, dsn)
		nodeB := nodeA
		if db.Name == "postgres" {
			nodeB = mustOpenDSN(t, dsn)
		}
		const agents, perAgent = 40, 6
		t0 := time.UnixMilli(1_700_000_000_000)
		rng := rand.New(rand.NewPCG(13, 1))
		type write struct {
			node *store.Store
			w    store.HeartbeatWrite
		}
		var writes []write
		want := map[string][]*tc.AgentBeat{}
		for a := range agents {
			id := fmt.Sprintf("agent-%02d", a)
			beats := beatsOf(id, t0.Add(time.Duration(a)*time.Millisecond), perAgent, a%2 == 0)
			want[id] = beatsOf(id, t0.Add(time.Duration(a)*time.Millisecond), perAgent, a%2 == 0)
			// Round robin: node A gets beats 1, 3, 5; node B 2, 4, 6.
			// A node merges two of its beats before a flush for every
			// third agent, as its pending map does.
			var mine [2][]*tc.AgentBeat
			for i, b := range beats {
				mine[i%2] = append(mine[i%2], b)
			}
			for n, bs := range mine {
				node := nodeA
				if n == 1 {
					node = nodeB
				}
				if a%3 == 0 {
					merged := bs[1]
					merged.Merge(bs[0]) // the newer into the older is tested in tc
					bs = []*tc.AgentBeat{merged, bs[2]}
				}
				for _, b := range bs {
					writes = append(writes, write{node, store.HeartbeatWrite{AgentBeat: b, WriteLinks: true, LivenessOnly: rng.IntN(2) == 0}})
				}
			}
		}
		// The first write of every agent creates it; after that, any order.
		first := map[string]bool{}
		var creates, rest []write
		rng.Shuffle(len(writes), func(i, j int) { writes[i], writes[j] = writes[j], writes[i] })
		for _, w := range writes {
			if !first[w.w.ID] {
				first[w.w.ID] = true
				w.w.LivenessOnly = false
				creates = append(creates, w)
			} else {
				rest = append(rest, w)
			}
		}
		flush := func(ws []write) {
			t.Helper()
			// A batch holds an agent at most once and is sorted by id, as
			// the Ingester's are.
			var batch []store.HeartbeatWrite
			node := ws[0].node
			for _, w := range ws {
				if w.node != node || slices.ContainsFunc(batch, func(b store.HeartbeatWrite) bool { return b.ID == w.w.ID }) {
					continue
				}
				batch = append(batch, w.w)
			}
			slices.SortFunc(batch, func(a, b store.HeartbeatWrite) int { return cmpString(a.ID, b.ID) })
			if db.Name == "sqlite" {
				// One process writes a SQLite database, so its flusher's
				// claim that nothing but liveness changed is true: keep
				// only the true claims.
				for i, w := range batch {
					if w.LivenessOnly {
						a, err := node.Agent(ctx, w.ID)
						if err != nil {
							t.Fatal(err)
						}
						w.LivenessOnly = a.Status == w.Status && a.IP == w.IP && a.Version == w.Version && (w.Hostname == "" || a.Hostname == w.Hostname)
						batch[i] = w
					}
				}
			}
			if err := node.WriteHeartbeats(ctx, batch); err != nil {
				t.Fatal(err)
			}
		}
		for _, w := range creates {
			flush([]write{w})
		}
		// Batches of a few writes, each node's in turn.
		for len(rest) > 0 {
			n := min(len(rest), 1+rng.IntN(7))
			batch := rest[:n]
			node := batch[0].node
			var now, later []write
			seen := map[string]bool{}
			for _, w := range batch {
				if w.node == node && !seen[w.w.ID] {
					seen[w.w.ID] = true
					now = append(now, w)
				} else {
					later = append(later, w)
				}
			}
			flush(now)
			rest = append(later, rest[n:]...)
		}

		for id, beats := range want {
			a, err := nodeA.Agent(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			newest := beats[len(beats)-1]
			var sum tc.HeartbeatStats
			for _, b := range beats {
				sum = sum.Add(b.Sum)
			}
			got := fmt.Sprintf("%s %s %s %s %s first %d last %d stats %+v", a.Hostname, a.IP, a.Version, a.Status, a.ReportedStatus,
				a.FirstSeen.UnixMilli(), a.LastSeen.UnixMilli(), a.Stats)
			wantS := fmt.Sprintf("%s %s %s %s %s first %d last %d stats %+v", "host-"+id, newest.IP, newest.Version, newest.Status, newest.Status,
				beats[0].FirstSeen.UnixMilli(), newest.LastSeen.UnixMilli(), tc.AgentStats{
					LastErrors: newest.Last.Errors, LastWarnings: newest.Last.Warnings, LastMetrics: newest.Last.Metrics,
					TotalErrors: sum.Errors, TotalWarnings: sum.Warnings, TotalMetrics: sum.Metrics})
			if got != wantS {
				t.Errorf("agent %s:\n got %s\nwant %s", id, got, wantS)
			}
			managed, external := tc.ConfigLinks(newest.Configs)
			if !slices.Equal(a.ConfigIDs, managed) || !slices.Equal(a.ExternalConfigs, external) {
				t.Errorf("agent %s: configs %v, external %v; want the newest beat's %v, %v", id, a.ConfigIDs, a.ExternalConfigs, managed, external)
			}
			var logs []string
			for _, l := range a.Logs {
				logs = append(logs, l.Message)
			}
			if want := []string{"beat 5", "beat 2"}; !slices.Equal(logs, want) {
				t.Errorf("agent %s: logs %v, want %v (newest first)", id, logs, want)
			}
		}
	})
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// mustOpenDSN opens a store on dsn, closed at cleanup.
func mustOpenDSN(tb testing.TB, dsn string) *store.Store {
	tb.Helper()
	s, err := store.Open(context.Background(), dsn, store.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// TestSQLiteWriterKeepsTemporaryDataInMemory checks the writer's
// temp_store: the flush's statement journals spill to temporary files
// without it (store.go).
func TestSQLiteWriterKeepsTemporaryDataInMemory(t *testing.T) {
	s := mustOpenDSN(t, filepath.Join(t.TempDir(), "tc.db"))
	var mode int
	err := s.WithTx(context.Background(), func(tx *store.Tx) error {
		return tx.QueryRowContext(context.Background(), "PRAGMA temp_store").Scan(&mode)
	})
	if err != nil {
		t.Fatal(err)
	}
	if mode != 2 {
		t.Fatalf("temp_store = %d on the writer, want 2 (MEMORY)", mode)
	}
}

// TestLivenessOnlyBeatsKeepAgentReporting writes an agent's beats through
// the narrow liveness update for longer than its rule's threshold: on both
// databases they move agent_liveness alone (agents.last_seen, the index
// key, only every few minutes), and yet the agent reads with the exact time
// and statistics (detail, list sorted by last heard, export) and the sweep
// does not call it silent. Once it stops, the sweep marks it, writing the
// exact time into agents.last_seen; a beat after that restores it.
func TestLivenessOnlyBeatsKeepAgentReporting(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		ctx := context.Background()
		t0 := time.UnixMilli(1_700_000_000_000)
		clock := apptest.NewClock(t0)
		s := mustOpenClock(t, db, clock)
		beat := func(at time.Time, metrics int64, livenessOnly bool) {
			t.Helper()
			stats := tc.HeartbeatStats{Errors: 1, Warnings: 2, Metrics: metrics}
			b := &tc.AgentBeat{ID: "steady", Hostname: "h", IP: "10.0.0.1", Version: "1.30.0", Status: tc.AgentOK,
				FirstSeen: at, LastSeen: at, Last: stats, Sum: stats}
			if err := s.WriteHeartbeats(ctx, []store.HeartbeatWrite{{AgentBeat: b, LivenessOnly: livenessOnly}}); err != nil {
				t.Fatal(err)
			}
		}
		sweep := func() store.Sweep {
			t.Helper()
			sw, err := s.SweepAgentStatus(ctx, t0.Add(-time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			return sw
		}
		var indexed int64
		seen := func() (indexed, exact int64) {
			t.Helper()
			if err := s.ReadDB().QueryRowContext(ctx, `SELECT a.last_seen, l.last_seen FROM agents a
				JOIN agent_liveness l ON l.agent_id = a.id WHERE a.id = 'steady'`).Scan(&indexed, &exact); err != nil {
				t.Fatal(err)
			}
			return indexed, exact
		}
		// The default rule: not reporting after 180 s.
		beat(t0, 10, false)
		var total int64 = 10
		for i := int64(1); i <= 8; i++ {
			clock.Set(t0.Add(time.Duration(i) * time.Minute))
			beat(clock.Now(), 10+i, true)
			total += 10 + i
			if sw := sweep(); sw.NotReporting != 0 {
				t.Fatalf("minute %d: sweep marked %d agents not reporting, want 0", i, sw.NotReporting)
			}
			if i == 4 {
				// The beats went to agent_liveness: agents.last_seen,
				// the index key, moves after a lag of 5 to 10 minutes.
				if indexed, exact := seen(); indexed != t0.UnixMilli() || exact != clock.Now().UnixMilli() {
					t.Errorf("after 4 minutes of narrow beats: agents.last_seen %d, agent_liveness.last_seen %d; want %d, %d",
						indexed, exact, t0.UnixMilli(), clock.Now().UnixMilli())
				}
			}
		}
		last := t0.Add(8 * time.Minute)
		if indexed, exact := seen(); exact != last.UnixMilli() || indexed > exact {
			t.Errorf("after 8 minutes: agents.last_seen %d, agent_liveness.last_seen %d; want %d and not after it",
				indexed, exact, last.UnixMilli())
		}
		var exported []*tc.Agent
		if err := s.EachAgent(ctx, tc.AgentFilter{}, 10, func(a *tc.Agent) error { exported = append(exported, a); return nil }); err != nil {
			t.Fatal(err)
		}
		if len(exported) != 1 || !exported[0].LastSeen.Equal(last) || exported[0].Stats.TotalMetrics != total {
			t.Errorf("export: %+v, want the agent last seen %s with %d metrics in all", exported, last, total)
		}
		d, err := s.Agent(ctx, "steady")
		if err != nil {
			t.Fatal(err)
		}
		if d.Status != tc.AgentOK || !d.LastSeen.Equal(last) || d.Stats.LastMetrics != 18 || d.Stats.TotalMetrics != total {
			t.Errorf("after 8 minutes of beats: status %q, last seen %s, last metrics %d, total %d; want ok, %s, 18, %d",
				d.Status, d.LastSeen, d.Stats.LastMetrics, d.Stats.TotalMetrics, last, total)
		}
		list, err := s.ListAgents(ctx, tc.AgentFilter{SortBy: tc.AgentSortLastSeen, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(list.Items) != 1 || !list.Items[0].LastSeen.Equal(last) || list.Items[0].Stats.TotalMetrics != total {
			t.Errorf("list: %+v, want the agent last seen %s with %d metrics in all", list.Items, last, total)
		}
		clock.Set(last.Add(179 * time.Second))
		if sw := sweep(); sw.NotReporting != 0 {
			t.Errorf("179 s after the last beat: %d marked not reporting, want 0", sw.NotReporting)
		}
		clock.Set(last.Add(181 * time.Second))
		if sw := sweep(); sw.NotReporting != 1 {
			t.Errorf("181 s after the last beat: %d marked not reporting, want 1", sw.NotReporting)
		}
		if d, err := s.Agent(ctx, "steady"); err != nil || d.Status != tc.AgentNotReporting || !d.LastSeen.Equal(last) {
			t.Errorf("after the sweep: %+v, %v; want not_reporting, last seen %s", d, err, last)
		}
		if err := s.ReadDB().QueryRowContext(ctx, `SELECT last_seen FROM agents WHERE id = 'steady'`).Scan(&indexed); err != nil || indexed != last.UnixMilli() {
			t.Errorf("after the sweep: agents.last_seen %d, %v; want the exact %d", indexed, err, last.UnixMilli())
		}
		// Heard again: a narrow update is refused (the status differs), the
		// full write restores the status.
		clock.Set(last.Add(4 * time.Minute))
		beat(clock.Now(), 5, true)
		if d, err := s.Agent(ctx, "steady"); err != nil || d.Status != tc.AgentOK || !d.LastSeen.Equal(clock.Now()) {
			t.Errorf("heard again: %+v, %v; want ok, last seen %s", d, err, clock.Now())
		}
	})
}

// TestAgentCountsFollowEveryChange: the status counters (triggers on both
// databases; statement triggers over transition tables on PostgreSQL) match
// a count of the agents after inserts, status changes in one statement and
// in many, a sweep, restores, deletions and a compaction.
func TestAgentCountsFollowEveryChange(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		clock := apptest.NewClock(time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC))
		s := mustOpenClock(t, db, clock)
		ctx := context.Background()
		beat := func(from, to int, status string) {
			t.Helper()
			var batch []store.HeartbeatWrite
			for i := from; i < to; i++ {
				batch = append(batch, store.HeartbeatWrite{AgentBeat: &tc.AgentBeat{ID: fmt.Sprintf("c%03d", i), Hostname: "h",
					Version: "1.39.3", Status: status, FirstSeen: clock.Now(), LastSeen: clock.Now()}, WriteLinks: true})
			}
			if err := s.WriteHeartbeats(ctx, batch); err != nil {
				t.Fatal(err)
			}
		}
		check := func(step string) {
			t.Helper()
			got, err := s.AgentSummary(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var want tc.AgentSummary
			rows, err := s.ReadDB().Query(`SELECT status, count(*) FROM agents GROUP BY status`)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var st string
				var n int64
				if err := rows.Scan(&st, &n); err != nil {
					t.Fatal(err)
				}
				want.Add(st, n)
			}
			rows.Close()
			if got != want {
				t.Errorf("%s: counters say %+v, agents %+v", step, got, want)
			}
		}
		beat(0, 50, tc.AgentOK)
		beat(50, 80, tc.AgentWarn)
		check("inserts")
		clock.Advance(time.Second)
		beat(0, 20, tc.AgentFail) // one statement changes 20 statuses
		beat(20, 60, tc.AgentOK)  // some change, some do not
		check("status changes")
		clock.Advance(time.Hour)
		beat(0, 10, tc.AgentOK)
		if _, err := s.SweepAgentStatus(ctx, clock.Now().Add(-24*time.Hour)); err != nil {
			t.Fatal(err)
		}
		check("sweep")
		beat(10, 40, tc.AgentWarn) // restores
		check("restores")
		for _, id := range []string{"c000", "c011", "c079"} {
			if err := s.DeleteAgent(ctx, id); err != nil {
				t.Fatal(err)
			}
		}
		check("deletions")
		if err := s.CompactAgentCounts(ctx); err != nil {
			t.Fatal(err)
		}
		check("compaction")
	})
}

// TestWriteHeartbeatsLargerThanAChunk writes one batch of 25,000 beats,
// more than one statement takes on PostgreSQL (arrayChunk), half of them
// from agents already known, one of which is not_reporting: every agent is
// stored once with its beat's time and the restored agent is ok again.
func TestWriteHeartbeatsLargerThanAChunk(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		ctx := context.Background()
		t0 := time.UnixMilli(1_700_000_000_000)
		clock := apptest.NewClock(t0)
		s := mustOpenClock(t, db, clock)
		batch := func(from, to int, at time.Time) []store.HeartbeatWrite {
			var out []store.HeartbeatWrite
			for i := from; i < to; i++ {
				out = append(out, store.HeartbeatWrite{AgentBeat: &tc.AgentBeat{ID: fmt.Sprintf("agent-%06d", i),
					Hostname: fmt.Sprintf("host-%06d", i), Version: "1.39.3", Status: tc.AgentOK, FirstSeen: at, LastSeen: at}})
			}
			return out
		}
		if err := s.WriteHeartbeats(ctx, batch(0, 12500, t0)); err != nil {
			t.Fatal(err)
		}
		clock.Set(t0.Add(time.Hour))
		if sw, err := s.SweepAgentStatus(ctx, t0.Add(-time.Hour)); err != nil || sw.NotReporting != 12500 {
			t.Fatalf("sweep: %+v, %v; want 12500 marked", sw, err)
		}
		later := clock.Now()
		if err := s.WriteHeartbeats(ctx, batch(0, 25000, later)); err != nil {
			t.Fatal(err)
		}
		sum, err := s.AgentSummary(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if sum.Total != 25000 || sum.OK != 25000 {
			t.Errorf("summary %+v; want 25000 agents, all ok", sum)
		}
		for _, id := range []string{"agent-000000", "agent-012499", "agent-012500", "agent-024999"} {
			if d, err := s.Agent(ctx, id); err != nil || d.Status != tc.AgentOK || !d.LastSeen.Equal(later) {
				t.Errorf("%s: %+v, %v; want ok, last seen %s", id, d, err, later)
			}
		}
	})
}

// Beats acknowledged on receipt are flushed without waiting for a
// synchronous commit on PostgreSQL, and only in the flush's own
// transaction: the flush still writes, and the connections it returns to
// the pool commit as the server is configured.
func TestBeatsAckedOnReceiptCommitLocally(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		ctx := context.Background()
		dsn := apptest.NewDSN(t, db)
		if db.Name == "postgres" {
			// The test server itself runs with synchronous_commit off; make
			// this database's connections default to on, so that a setting
			// leaking out of the flush's transaction shows.
			raw, err := sql.Open("pgx", dsn)
			if err != nil {
				t.Fatal(err)
			}
			_, err = raw.ExecContext(ctx, `DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET synchronous_commit = on', current_database()); END $$`)
			raw.Close()
			if err != nil {
				t.Fatal(err)
			}
		}
		s, err := store.Open(ctx, dsn, store.Options{BeatsAckedOnReceipt: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		at := time.UnixMilli(1_700_000_000_000)
		var beats []store.HeartbeatWrite
		for i := range 3 {
			beats = append(beats, store.HeartbeatWrite{AgentBeat: &tc.AgentBeat{ID: fmt.Sprintf("agent-%d", i),
				Hostname: "h", Version: "1.39.3", Status: tc.AgentOK, FirstSeen: at, LastSeen: at}})
		}
		for range 3 {
			if err := s.WriteHeartbeats(ctx, beats); err != nil {
				t.Fatal(err)
			}
		}
		if d, err := s.Agent(ctx, "agent-2"); err != nil || !d.LastSeen.Equal(at) {
			t.Fatalf("agent-2: %+v, %v; want it written", d, err)
		}
		if db.Name != "postgres" {
			return
		}
		for range 5 {
			var v string
			if err := s.ReadDB().QueryRowContext(ctx, `SHOW synchronous_commit`).Scan(&v); err != nil {
				t.Fatal(err)
			}
			if v != "on" {
				t.Fatalf("synchronous_commit = %q outside the flush, want this database's on", v)
			}
		}
	})
}
