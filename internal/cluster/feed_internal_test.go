package cluster

import (
	"context"
	"strings"
	"testing"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/store"
)

// TestApply walks one node's handling of a stream of notifications: its
// own are skipped, others' delivered once, and a gap or a reset payload
// resets the caches. It needs no PostgreSQL: delivery does not touch the
// database.
func TestApply(t *testing.T) {
	s, err := store.Open(context.Background(), t.TempDir()+"/db", store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var got []string
	s.Subscribe(func(c tc.Change) { got = append(got, c.IDs[0]) })
	resets := 0
	s.SubscribeReset(func() { resets++ })
	n := &Node{Store: s} // the store's NodeID is "" on SQLite: node "" below is this one
	change := func(id string) []tc.Change {
		return []tc.Change{{Entity: tc.EntityToken, Op: tc.OpRevoke, IDs: []string{id}}}
	}
	steps := []struct {
		note       store.Notification
		wantGot    string // ids delivered so far
		wantResets int
		wantSeen   int64
		// wantConfirm: another node's write waits for this node to
		// confirm the notification.
		wantConfirm bool
	}{
		{store.Notification{Node: "b", Seq: 1, Changes: change("t1")}, "t1", 0, 1, true},
		{store.Notification{Node: "", Seq: 2, Changes: change("own")}, "t1", 0, 2, false},  // this node's own
		{store.Notification{Node: "b", Seq: 2, Changes: change("dup")}, "t1", 0, 2, false}, // already seen
		{store.Notification{Node: "b", Seq: 3, Changes: change("t3")}, "t1 t3", 0, 3, true},
		{store.Notification{Node: "b", Seq: 5, Changes: change("t5")}, "t1 t3", 1, 5, true}, // 4 was missed
		{store.Notification{Node: "b", Seq: 6, Reset: true}, "t1 t3", 2, 6, true},
		{store.Notification{Node: "b", Seq: 7, Changes: change("t7")}, "t1 t3 t7", 2, 7, true},
	}
	for i, st := range steps {
		seen, confirm := n.apply(st.note)
		if g := strings.Join(got, " "); g != st.wantGot || resets != st.wantResets || n.Seen() != st.wantSeen || seen != st.wantSeen || confirm != st.wantConfirm {
			t.Fatalf("step %d: delivered %q, %d resets, seen %d (%d), confirm %v; want %q, %d, %d, %v",
				i, g, resets, n.Seen(), seen, confirm, st.wantGot, st.wantResets, st.wantSeen, st.wantConfirm)
		}
	}
}
