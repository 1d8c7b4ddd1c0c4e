package heartbeat

import (
	"testing"

	"github.com/telegrafcontroller/tc"
)

// TestBehind: a flush runs beside requests (loop.Promptly) once two
// flushes' worth of agents wait, those of a flush under way included.
func TestBehind(t *testing.T) {
	g := &Ingester{BatchSize: 2, pending: map[string]*tc.AgentBeat{}}
	for i, id := range []string{"a", "b", "c"} {
		g.pending[id] = &tc.AgentBeat{ID: id}
		if g.behind() {
			t.Fatalf("behind with %d agents waiting, batches of 2", i+1)
		}
	}
	g.pending["d"] = &tc.AgentBeat{ID: "d"}
	if !g.behind() {
		t.Fatal("not behind with 4 agents waiting, batches of 2")
	}
	// Two in a flush under way, one of them waiting again: 3 agents.
	g.pending = map[string]*tc.AgentBeat{"a": {ID: "a"}, "x": {ID: "x"}}
	g.inflight, g.overlap = map[string]*tc.AgentBeat{"a": {ID: "a"}, "b": {ID: "b"}}, 1
	if g.behind() {
		t.Fatal("behind with 3 agents unwritten")
	}
	g.pending["y"] = &tc.AgentBeat{ID: "y"}
	if !g.behind() {
		t.Fatal("not behind with 4 agents unwritten, 2 of them in a flush under way")
	}
}
