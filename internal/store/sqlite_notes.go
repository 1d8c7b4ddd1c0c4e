package store

import (
	"database/sql/driver"
	"fmt"
	"sync"
	"sync/atomic"

	"modernc.org/sqlite"
)

// A SQLite sweep with the audit log on learns which agents it changes from
// the UPDATE itself: the new status is CASE tc_note_agent(key, id,
// hostname) WHEN 0 THEN status END, and SQLite calls tc_note_agent once for
// each row it changes; it appends the agent to the list registered under
// key and returns 0. (Returning the status itself cost a string copy into
// SQLite's memory per row, a sixth of the noting.) A SELECT of the same agents beforehand scanned them a
// second time (a quarter of the audit log's cost in a 100,000-agent sweep),
// and RETURNING collects the rows in a temporary B-tree first (more still).

// agentNotes are the lists being filled, by key.
var (
	agentNotes   sync.Map // int64 → *[]auditTarget
	agentNoteKey atomic.Int64
)

func init() {
	sqlite.MustRegisterScalarFunction("tc_note_agent", 3, noteAgent)
}

func noteAgent(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
	key, _ := args[0].(int64)
	list, ok := agentNotes.Load(key)
	if !ok {
		return nil, fmt.Errorf("tc_note_agent: no list %d", key)
	}
	id, _ := args[1].(string)
	name, _ := args[2].(string)
	l := list.(*[]auditTarget)
	*l = append(*l, auditTarget{id: id, name: name})
	return int64(0), nil
}

// noteAgents runs fn with a key under which tc_note_agent appends to the
// list it returns.
func noteAgents(fn func(key int64) error) ([]auditTarget, error) {
	key := agentNoteKey.Add(1)
	var list []auditTarget
	agentNotes.Store(key, &list)
	defer agentNotes.Delete(key)
	err := fn(key)
	return list, err
}
