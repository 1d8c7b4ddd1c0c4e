package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/telegrafcontroller/tc"
)

// The audit log (docs/audit.md). Entries are written inside the
// transaction whose effect they record, at its commit (Tx.commit): one entry
// per id of every announced change, plus whatever the transaction recorded
// itself (Tx.record: a sweep's status transitions, agents' registrations).
// Events that change nothing (a refused sign-in, a 403, start and stop) are
// appended in a transaction of their own (AppendAudit). Every writer takes
// the audit_head row first, so entries are numbered and chained in commit
// order, across nodes too; SQLite's single writer orders them anyway.

// auditBatch is how many entries one INSERT carries (15 columns each). Its
// parameters are the dialect's long-statement ones (dialect.params): with
// "$n" on SQLite a 100,000-agent sweep spent 20 s binding 200 entries a
// statement.
const auditBatch = 200

// A run of at least auditRunMin entries that share all but their target
// (sameShared) is inserted auditRunBatch to a statement, five parameters
// each (insertAuditRun).
const (
	auditRunMin   = 8
	auditRunBatch = 500
)

const auditColumns = `seq, at, action, actor_type, actor_id, actor_user_id, ip_address, user_agent,
	outcome, target_type, target_id, target_name, details, prev_hash, hash`

// SetAudit turns the audit log on or off (--audit-enabled). Set it before
// serving.
func (s *Store) SetAudit(on bool) { s.audit = on }

// Auditing reports whether the audit log is on.
func (s *Store) Auditing() bool { return s.audit }

// OnAudit registers fn to run after every commit that appended audit
// entries (the forwarders wake on it, internal/forward). fn runs on the
// writer's goroutine and must not block. Background writers may already be
// committing when it is called.
func (s *Store) OnAudit(fn func()) {
	for {
		old := s.auditHooks.Load()
		var hooks []func()
		if old != nil {
			hooks = append(hooks, *old...)
		}
		hooks = append(hooks, fn)
		if s.auditHooks.CompareAndSwap(old, &hooks) {
			return
		}
	}
}

// auditCommitted runs the OnAudit hooks once tx, which wrote entries
// (writeAudit: one per change, plus those recorded), has committed.
func (tx *Tx) auditCommitted() {
	if !tx.store.audit || len(tx.changes) == 0 && len(tx.audits) == 0 && len(tx.auditRuns) == 0 {
		return
	}
	if hooks := tx.store.auditHooks.Load(); hooks != nil {
		for _, fn := range *hooks {
			fn()
		}
	}
}

// describe attaches a name and details to the audit entry of entity's id
// in this transaction's changes (both optional: details must hold no
// secret).
func (tx *Tx) describe(entity tc.Entity, id, name string, details any) {
	if !tx.store.audit {
		return
	}
	if tx.descriptions == nil {
		tx.descriptions = map[string]description{}
	}
	d := description{name: name}
	if details != nil {
		d.details, _ = json.Marshal(details)
	}
	tx.descriptions[string(entity)+"\x00"+id] = d
}

type description struct {
	name    string
	details json.RawMessage
}

// record adds e to the entries this transaction writes at commit; its
// actor and origin are the caller's in ctx unless already set.
func (tx *Tx) record(ctx context.Context, e tc.AuditEntry) {
	if !tx.store.audit {
		return
	}
	if e.ActorType == "" {
		tc.AuditActor(ctx, &e)
	}
	if e.Outcome == "" {
		e.Outcome = tc.OutcomeSuccess
	}
	tx.audits = append(tx.audits, e)
}

// auditRun is entries alike but for their target (a sweep step's: one per
// agent it changed), kept as one template and the targets until commit.
type auditRun struct {
	entry   tc.AuditEntry
	targets []auditTarget
}

type auditTarget struct{ id, name string }

// recordRun adds one entry per target, e's but for the target, after
// those recorded so far.
func (tx *Tx) recordRun(ctx context.Context, e tc.AuditEntry, targets []auditTarget) {
	if !tx.store.audit || len(targets) == 0 {
		return
	}
	if e.ActorType == "" {
		tc.AuditActor(ctx, &e)
	}
	if e.Outcome == "" {
		e.Outcome = tc.OutcomeSuccess
	}
	tx.auditRuns = append(tx.auditRuns, auditRun{entry: e, targets: targets})
}

// auditChanges turns the transaction's changes into entries: one per id
// (settings have none: one entry).
func (tx *Tx) auditChanges(ctx context.Context) []tc.AuditEntry {
	var out []tc.AuditEntry
	for _, c := range tx.changes {
		e := tc.AuditEntry{Action: tc.ChangeAction(c), Outcome: tc.OutcomeSuccess, TargetType: string(c.Entity)}
		tc.AuditActor(ctx, &e)
		ids := c.IDs
		if len(ids) == 0 {
			ids = []string{""}
		}
		for _, id := range ids {
			e.TargetID = id
			d := tx.descriptions[string(c.Entity)+"\x00"+id]
			e.TargetName, e.Details = d.name, d.details
			if c.Entity == tc.EntitySession {
				e.TargetType = string(tc.EntityUser)
			}
			out = append(out, e)
		}
	}
	return out
}

// writeAudit appends the transaction's entries, chained after the head:
// its changes', then those recorded, then the runs.
func (tx *Tx) writeAudit(ctx context.Context) error {
	if !tx.store.audit {
		return nil
	}
	entries := append(tx.auditChanges(ctx), tx.audits...)
	if len(entries) == 0 && len(tx.auditRuns) == 0 {
		return nil
	}
	return tx.appendAudit(ctx, entries, tx.auditRuns)
}

// appendAudit numbers, chains and inserts entries, then runs, after the
// log's head.
func (tx *Tx) appendAudit(ctx context.Context, entries []tc.AuditEntry, runs []auditRun) error {
	var seq, headAt int64
	var prev string
	// Statements are prepared at Open (prepareAuditStatements): SQLite
	// parses a text anew at every call, which was most of an entry's cost.
	head, err := tx.store.prepared(ctx, tx.store.auditHeadSQL())
	if err != nil {
		return fmt.Errorf("audit: read the head: %w", err)
	}
	if err := tx.StmtContext(ctx, head).QueryRowContext(ctx).Scan(&seq, &prev, &headAt); err != nil {
		return fmt.Errorf("audit: read the head: %w", err)
	}
	// Never before the newest entry (a clock stepped back, a node whose
	// clock lags): times follow seq, which time ranges rely on.
	at := fromMS(max(ms(tx.now), headAt))
	chain := func(e *tc.AuditEntry) {
		seq++
		e.Seq, e.Timestamp, e.PrevHash = seq, at, prev
		if len(e.Details) == 0 {
			e.Details = nil
		}
		e.Hash = e.ComputeHash()
		prev = e.Hash
	}
	for i := range entries {
		chain(&entries[i])
	}
	// A run of entries that differ only in seq, target and hashes (a
	// bulk revocation's) binds the shared columns once.
	var single []tc.AuditEntry
	args := make([]any, 0, 5*auditRunBatch+10)
	for start := 0; start < len(entries); {
		end := start + 1
		for end < len(entries) && end-start < auditRunBatch && sameShared(&entries[start], &entries[end]) {
			end++
		}
		if end-start < auditRunMin {
			single = append(single, entries[start:end]...)
			start = end
			continue
		}
		if err := tx.insertAudit(ctx, single); err != nil {
			return err
		}
		single = single[:0]
		args = args[:0]
		for _, e := range entries[start:end] {
			args = append(args, e.Seq, e.TargetID, e.TargetName, e.PrevHash, e.Hash)
		}
		if err := tx.insertAuditRun(ctx, &entries[start], end-start, args); err != nil {
			return err
		}
		start = end
	}
	if err := tx.insertAudit(ctx, single); err != nil {
		return err
	}
	for _, r := range runs {
		e := r.entry
		for start := 0; start < len(r.targets); start += auditRunBatch {
			args = args[:0]
			n := min(auditRunBatch, len(r.targets)-start)
			for _, t := range r.targets[start : start+n] {
				e.TargetID, e.TargetName = t.id, t.name
				chain(&e)
				args = append(args, e.Seq, e.TargetID, e.TargetName, e.PrevHash, e.Hash)
			}
			if err := tx.insertAuditRun(ctx, &e, n, args); err != nil {
				return err
			}
		}
	}
	if err := tx.execPrepared(ctx, auditMoveHeadSQL, seq, prev, ms(at)); err != nil {
		return fmt.Errorf("audit: move the head: %w", err)
	}
	return nil
}

// insertAudit inserts entries, auditBatch to a statement.
func (tx *Tx) insertAudit(ctx context.Context, entries []tc.AuditEntry) error {
	for start := 0; start < len(entries); start += auditBatch {
		batch := entries[start:min(start+auditBatch, len(entries))]
		args := make([]any, 0, 15*len(batch))
		for _, e := range batch {
			args = append(args, e.Seq, ms(e.Timestamp), e.Action, e.ActorType, e.ActorID, e.ActorUserID, e.IPAddress,
				e.UserAgent, e.Outcome, e.TargetType, e.TargetID, e.TargetName, string(e.Details), e.PrevHash, e.Hash)
		}
		if err := tx.execAuditInsert(ctx, tx.store.auditInsertSQL(len(batch)), len(batch) == 1 || len(batch) == auditBatch, args); err != nil {
			return err
		}
	}
	return nil
}

// insertAuditRun inserts n entries that share every column of shared but
// seq, the target's id and name, and the hashes (sameShared); args holds
// those five for each, in order, and has room for the shared ten.
func (tx *Tx) insertAuditRun(ctx context.Context, shared *tc.AuditEntry, n int, args []any) error {
	e := shared
	args = append(args, ms(e.Timestamp), e.Action, e.ActorType, e.ActorID, e.ActorUserID, e.IPAddress, e.UserAgent,
		e.Outcome, e.TargetType, string(e.Details))
	q := tx.store.auditRunFull
	if n != auditRunBatch {
		q = tx.store.auditRunSQL(n)
	}
	return tx.execAuditInsert(ctx, q, n == auditRunBatch, args)
}

func (tx *Tx) execAuditInsert(ctx context.Context, q string, prepared bool, args []any) error {
	var err error
	if prepared {
		err = tx.execPrepared(ctx, q, args...)
	} else {
		_, err = tx.ExecContext(ctx, q, args...)
	}
	if err != nil {
		return fmt.Errorf("audit: append: %w", err)
	}
	return nil
}

// sameShared says whether b can join a's run (insertAuditRun).
func sameShared(a, b *tc.AuditEntry) bool {
	return a.Action == b.Action && a.ActorType == b.ActorType && a.ActorID == b.ActorID &&
		a.ActorUserID == b.ActorUserID && a.IPAddress == b.IPAddress && a.UserAgent == b.UserAgent &&
		a.Outcome == b.Outcome && a.TargetType == b.TargetType && a.Timestamp.Equal(b.Timestamp) &&
		string(a.Details) == string(b.Details)
}

const auditMoveHeadSQL = `UPDATE audit_head SET seq = $1, hash = $2, at = $3 WHERE id = 1`

func (s *Store) auditHeadSQL() string {
	return `SELECT seq, hash, at FROM audit_head WHERE id = 1` + s.dialect.forUpdate
}

// prepareAuditStatements prepares what appendAudit runs, before any
// transaction holds SQLite's one write connection (preparing needs one).
func (s *Store) prepareAuditStatements(ctx context.Context) error {
	s.auditRunFull = s.auditRunSQL(auditRunBatch)
	for _, q := range []string{s.auditHeadSQL(), auditMoveHeadSQL, s.auditInsertSQL(1), s.auditInsertSQL(auditBatch),
		s.auditRunFull} {
		if _, err := s.prepared(ctx, q); err != nil {
			return err
		}
	}
	return nil
}

// auditInsertSQL inserts n entries.
func (s *Store) auditInsertSQL(n int) string {
	var q strings.Builder
	q.WriteString(`INSERT INTO audit_log (` + auditColumns + `) VALUES `)
	for i := range n {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString("(" + s.dialect.params(15*i+1, 15) + ")")
	}
	return q.String()
}

// auditRunSQL inserts a run of n entries: five parameters for each (seq,
// target id and name, prevHash, hash), then the ten columns they share.
// The casts give PostgreSQL the types its VALUES cannot infer.
func (s *Store) auditRunSQL(n int) string {
	var q strings.Builder
	d := s.dialect
	q.WriteString(`WITH v (seq, target_id, target_name, prev_hash, hash) AS (VALUES `)
	for i := range n {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString("(CAST(" + d.param(5*i+1) + " AS BIGINT), " + d.params(5*i+2, 4) + ")")
	}
	shared := 5*n + 1
	q.WriteString(`) INSERT INTO audit_log (` + auditColumns + `) SELECT seq, CAST(` + d.param(shared) + ` AS BIGINT), ` +
		d.params(shared+1, 8) + `, target_id, target_name, ` + d.param(shared+9) + `, prev_hash, hash FROM v`)
	return q.String()
}

// AppendAudit writes entries that record no change of state (a refused
// sign-in, a denied request, start and stop) in a transaction of their own.
// Their actor and origin are the caller's in ctx unless set. It does nothing
// with the audit log off.
func (s *Store) AppendAudit(ctx context.Context, entries ...tc.AuditEntry) error {
	if !s.audit || len(entries) == 0 {
		return nil
	}
	return s.withTx(ctx, func(tx *Tx) error {
		for _, e := range entries {
			tx.record(ctx, e)
		}
		return nil
	})
}

// AuditEntries returns one page of the entries filter selects, newest
// first, and how many it selects in all.
func (s *Store) AuditEntries(ctx context.Context, f tc.AuditFilter) ([]tc.AuditEntry, int64, error) {
	where, args, err := s.auditWhere(ctx, f)
	if err != nil {
		return nil, 0, err
	}
	var total int64
	if err := s.read.QueryRowContext(ctx, `SELECT count(*) FROM audit_log`+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count audit entries: %w", err)
	}
	limit, page := f.Limit, max(f.Page, 1)
	args = append(args, limit, int64(page-1)*int64(limit))
	q := `SELECT ` + auditColumns + ` FROM audit_log` + where +
		fmt.Sprintf(` ORDER BY seq DESC LIMIT $%d OFFSET $%d`, len(args)-1, len(args))
	out, err := s.auditRows(ctx, q, args...)
	return out, total, err
}

// EachAuditEntry calls fn with every entry filter selects, oldest first,
// reading in pages (exports). It stops at fn's first error.
func (s *Store) EachAuditEntry(ctx context.Context, f tc.AuditFilter, fn func(tc.AuditEntry) error) error {
	where, args, err := s.auditWhere(ctx, f)
	if err != nil {
		return err
	}
	and := " AND "
	if where == "" {
		and = " WHERE "
	}
	var after int64 = -1
	for {
		page, err := s.auditRows(ctx, `SELECT `+auditColumns+` FROM audit_log`+where+and+
			fmt.Sprintf(`seq > $%d ORDER BY seq LIMIT 1000`, len(args)+1), append(args, after)...)
		if err != nil {
			return err
		}
		for _, e := range page {
			if err := fn(e); err != nil {
				return err
			}
		}
		if len(page) < 1000 {
			return nil
		}
		after = page[len(page)-1].Seq
	}
}

// auditWhere is the WHERE clause of f ("" for none) and its arguments. A
// time range is also a range of seq (auditSeqFrom), which the primary key
// serves.
func (s *Store) auditWhere(ctx context.Context, f tc.AuditFilter) (string, []any, error) {
	var conds []string
	var args []any
	arg := placeholder(&args)
	if !f.From.IsZero() {
		seq, err := auditSeqFrom(ctx, s.read, ms(f.From))
		if err != nil {
			return "", nil, err
		}
		conds = append(conds, "seq >= "+arg(seq), "at >= "+arg(ms(f.From)))
	}
	if !f.To.IsZero() {
		seq, err := auditSeqFrom(ctx, s.read, ms(f.To)+1)
		if err != nil {
			return "", nil, err
		}
		conds = append(conds, "seq < "+arg(seq), "at <= "+arg(ms(f.To)))
	}
	if f.Action != "" {
		conds = append(conds, "action = "+arg(f.Action))
	}
	if f.ActorID != "" {
		p := arg(f.ActorID)
		conds = append(conds, "(actor_id = "+p+" OR actor_user_id = "+p+")")
	}
	if f.Outcome != "" {
		conds = append(conds, "outcome = "+arg(f.Outcome))
	}
	if f.TargetID != "" {
		conds = append(conds, "target_id = "+arg(f.TargetID))
	}
	if f.Q != "" {
		p := arg(containsPattern(strings.ToLower(f.Q)))
		var or []string
		for _, col := range []string{"action", "actor_id", "target_id", "target_name", "ip_address", "user_agent", "details"} {
			or = append(or, "lower("+col+") LIKE "+p+` ESCAPE '\'`)
		}
		conds = append(conds, "("+strings.Join(or, " OR ")+")")
	}
	if len(conds) == 0 {
		return "", args, nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args, nil
}

// auditSeqFrom returns the seq of the first entry of time at or later,
// or one past the newest entry when there is none, by bisecting the
// primary key: entries' times never go backwards (appendAudit). A gap in
// seq (a row removed by hand) is bridged by reading the next entry.
func auditSeqFrom(ctx context.Context, db queryRower, at int64) (int64, error) {
	var lo, hi sql.NullInt64
	if err := db.QueryRowContext(ctx, `SELECT min(seq), max(seq) FROM audit_log`).Scan(&lo, &hi); err != nil {
		return 0, fmt.Errorf("find the audit log's time range: %w", err)
	}
	if !lo.Valid {
		return 1, nil
	}
	l, h := lo.Int64, hi.Int64+1
	for l < h {
		mid := l + (h-l)/2
		var t int64
		if err := db.QueryRowContext(ctx, `SELECT at FROM audit_log WHERE seq >= $1 ORDER BY seq LIMIT 1`, mid).Scan(&t); err != nil {
			return 0, fmt.Errorf("find the audit log's time range: %w", err)
		}
		if t >= at {
			h = mid
		} else {
			l = mid + 1
		}
	}
	return l, nil
}

func (s *Store) auditRows(ctx context.Context, q string, args ...any) ([]tc.AuditEntry, error) {
	rows, err := s.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("read audit entries: %w", err)
	}
	defer rows.Close()
	out := []tc.AuditEntry{}
	for rows.Next() {
		var e tc.AuditEntry
		var at int64
		var details string
		if err := rows.Scan(&e.Seq, &at, &e.Action, &e.ActorType, &e.ActorID, &e.ActorUserID, &e.IPAddress, &e.UserAgent,
			&e.Outcome, &e.TargetType, &e.TargetID, &e.TargetName, &details, &e.PrevHash, &e.Hash); err != nil {
			return nil, fmt.Errorf("read audit entries: %w", err)
		}
		e.Timestamp = fromMS(at)
		if details != "" {
			e.Details = json.RawMessage(details)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// VerifyAudit recomputes the chain from the retention checkpoint to the
// head: every entry must follow the one before it without a gap, chain to
// its hash, and hash to what it holds; the last must be the head.
func (s *Store) VerifyAudit(ctx context.Context) (tc.AuditVerification, error) {
	var v tc.AuditVerification
	var headSeq int64
	var headHash string
	err := s.read.QueryRowContext(ctx, `SELECT c.seq, c.hash, h.seq, h.hash FROM audit_checkpoint c, audit_head h
		WHERE c.id = 1 AND h.id = 1`).Scan(&v.From, &v.FirstHash, &headSeq, &headHash)
	if err != nil {
		return v, fmt.Errorf("verify the audit log: %w", err)
	}
	prevSeq, prevHash := v.From, v.FirstHash
	bad := func(seq int64, reason string) (tc.AuditVerification, error) {
		v.BadSeq, v.Reason = seq, reason
		return v, nil
	}
	err = s.EachAuditEntry(ctx, tc.AuditFilter{}, func(e tc.AuditEntry) error {
		if e.Seq <= v.From {
			return nil // removed by retention after the checkpoint was read
		}
		if v.BadSeq != 0 {
			return errStop
		}
		switch {
		case e.Seq != prevSeq+1:
			v.BadSeq, v.Reason = prevSeq+1, fmt.Sprintf("entry %d is missing or out of order (the next entry is %d)", prevSeq+1, e.Seq)
		case e.PrevHash != prevHash:
			v.BadSeq, v.Reason = e.Seq, "its prevHash is not the hash of the entry before it"
		case e.ComputeHash() != e.Hash:
			v.BadSeq, v.Reason = e.Seq, "its content does not match its hash"
		}
		if v.BadSeq != 0 {
			return errStop
		}
		v.Entries++
		prevSeq, prevHash = e.Seq, e.Hash
		return nil
	})
	if err != nil && !errors.Is(err, errStop) {
		return v, fmt.Errorf("verify the audit log: %w", err)
	}
	v.LastSeq, v.LastHash = prevSeq, prevHash
	if v.BadSeq != 0 {
		return v, nil
	}
	if prevSeq < headSeq {
		return bad(prevSeq+1, fmt.Sprintf("entries %d to %d are missing: the log ends before its head", prevSeq+1, headSeq))
	}
	if prevSeq > headSeq || prevHash != headHash {
		return bad(headSeq, "the log's last entry is not the recorded head")
	}
	v.OK = true
	return v, nil
}

var errStop = errors.New("stop")

// PruneAudit removes the entries older than before, as whole prefixes of
// the log: it moves the checkpoint to the newest entry older than before
// and removes every entry up to it (the triggers allow no other removal).
// It returns how many entries it removed.
func (s *Store) PruneAudit(ctx context.Context, before time.Time) (int64, error) {
	var n int64
	err := s.withTx(ctx, func(tx *Tx) error {
		from, err := auditSeqFrom(ctx, tx, ms(before))
		if err != nil {
			return err
		}
		var seq sql.NullInt64
		if err := tx.QueryRowContext(ctx, `SELECT max(seq) FROM audit_log WHERE seq < $1`, from).Scan(&seq); err != nil {
			return fmt.Errorf("prune the audit log: %w", err)
		}
		if !seq.Valid {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE audit_checkpoint SET seq = $1,
			hash = (SELECT hash FROM audit_log WHERE seq = $1) WHERE id = 1 AND seq < $1`, seq.Int64); err != nil {
			return fmt.Errorf("prune the audit log: %w", err)
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM audit_log WHERE seq <= $1`, seq.Int64)
		if err != nil {
			return fmt.Errorf("prune the audit log: %w", err)
		}
		n = affected(res)
		return nil
	})
	return n, err
}

// agentChanges are the agents a heartbeat write creates, and those it
// brings back from not_reporting (the audit log's; heartbeat.go).
type agentChanges struct {
	created, restored map[string]bool
}

// recordRegistrations records the agents a heartbeat write created or
// restored, by the system (heartbeats are written in batches, apart from
// their requests).
func (tx *Tx) recordRegistrations(ctx context.Context, beats []HeartbeatWrite, changes *agentChanges) {
	if !tx.store.audit || changes == nil || len(changes.created)+len(changes.restored) == 0 {
		return // the usual flush: known agents only
	}
	for _, b := range beats {
		action := ""
		switch {
		case changes.created[b.ID]:
			action = tc.ActionAgentRegister
		case changes.restored[b.ID]:
			action = tc.ActionAgentRestored
		default:
			continue
		}
		details, _ := json.Marshal(map[string]string{"version": b.Version, "ip": b.IP})
		tx.record(ctx, tc.AuditEntry{Action: action, ActorType: tc.ActorSystem,
			TargetType: string(tc.EntityAgent), TargetID: b.ID, TargetName: b.Hostname, Details: details})
	}
}
