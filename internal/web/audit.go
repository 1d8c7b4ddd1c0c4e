package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/telegrafcontroller/tc"
)

// auditPageSizes are the page sizes the Audit page offers; the first is
// the default.
var auditPageSizes = []int{50, 25, 100, 200}

// auditLocalLayouts are the times a datetime-local field sends, read as
// UTC, with how much of the time they leave out: a "to" of 14:05 means up
// to the end of that minute.
var auditLocalLayouts = []struct {
	layout string
	span   time.Duration
}{
	{"2006-01-02T15:04", time.Minute},
	{"2006-01-02T15:04:05", time.Second},
	{"2006-01-02", 24 * time.Hour},
}

// auditQuery is the Audit page's filter as sent (the form shows it back)
// and as the service takes it.
type auditQuery struct {
	Action, ActorID, Outcome, TargetID, Q string
	From, To                              string // as typed
	Limit                                 int
	Filter                                tc.AuditFilter
}

// parseAuditQuery reads the Audit page's GET parameters. Anything it cannot
// read is EINVALID, so the page answers 400 naming the parameter.
func parseAuditQuery(r *http.Request) (auditQuery, error) {
	q := r.URL.Query()
	a := auditQuery{Action: strings.TrimSpace(q.Get("action")), ActorID: strings.TrimSpace(q.Get("actorId")),
		Outcome: q.Get("outcome"), TargetID: strings.TrimSpace(q.Get("targetId")), Q: strings.TrimSpace(q.Get("q")),
		From: strings.TrimSpace(q.Get("from")), To: strings.TrimSpace(q.Get("to")), Limit: auditPageSizes[0]}
	f := tc.AuditFilter{Action: a.Action, ActorID: a.ActorID, Outcome: a.Outcome, TargetID: a.TargetID, Q: a.Q, Page: 1}
	var err error
	if f.From, err = parseAuditTime("from", a.From, false); err != nil {
		return a, err
	}
	if f.To, err = parseAuditTime("to", a.To, true); err != nil {
		return a, err
	}
	a.From, a.To = formTime(a.From, f.From), formTime(a.To, f.To)
	if v := q.Get("page"); v != "" {
		if f.Page, err = strconv.Atoi(v); err != nil || f.Page < 1 || f.Page > 1<<30 {
			return a, tc.FieldErrorf("page", "page must be a whole number from 1")
		}
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || !containsInt(auditPageSizes, n) {
			return a, tc.FieldErrorf("limit", "limit must be 25, 50, 100 or 200")
		}
		a.Limit = n
	}
	f.Limit = a.Limit
	a.Filter = f
	return a, nil
}

// parseAuditTime reads an ISO 8601 time (the API's form) or a
// datetime-local field's value, taken as UTC. An end time that leaves out
// its seconds or its time of day reaches to the end of that minute or day.
func parseAuditTime(name, v string, end bool) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t, nil
	}
	for _, l := range auditLocalLayouts {
		if t, err := time.ParseInLocation(l.layout, v, time.UTC); err == nil {
			if end {
				t = t.Add(l.span - time.Millisecond)
			}
			return t, nil
		}
	}
	return time.Time{}, tc.FieldErrorf(name, "%s must be a time such as 2026-05-27T18:42 (UTC) or 2026-05-27T18:42:11Z", name)
}

// formTime is how the form's datetime-local field shows a time the
// visitor sent as v: as typed when the field can show it, else t in UTC
// to the second (a link's ISO 8601 time, a bare date).
func formTime(v string, t time.Time) string {
	if t.IsZero() {
		return ""
	}
	for _, l := range auditLocalLayouts[:2] {
		if _, err := time.Parse(l.layout, v); err == nil {
			return v
		}
	}
	return t.UTC().Format("2006-01-02T15:04:05")
}

func containsInt(list []int, n int) bool {
	for _, v := range list {
		if v == n {
			return true
		}
	}
	return false
}

// apiQuery is the filter as the JSON API's export reads it (times in
// RFC 3339), so an export holds what the page shows.
func (a auditQuery) apiQuery() url.Values {
	v := url.Values{}
	for k, x := range map[string]string{"action": a.Action, "actorId": a.ActorID, "outcome": a.Outcome, "targetId": a.TargetID, "q": a.Q} {
		if x != "" {
			v.Set(k, x)
		}
	}
	if !a.Filter.From.IsZero() {
		v.Set("from", a.Filter.From.UTC().Format(time.RFC3339Nano))
	}
	if !a.Filter.To.IsZero() {
		v.Set("to", a.Filter.To.UTC().Format(time.RFC3339Nano))
	}
	return v
}

// ExportQuery is the query of the JSON API's export of the filtered
// entries in format (the session cookie works there), encoded here.
func (a auditQuery) ExportQuery(format string) template.URL {
	v := a.apiQuery()
	v.Set("format", format)
	return template.URL(v.Encode())
}

// Filtered reports whether any filter is set.
func (a auditQuery) Filtered() bool { return len(a.apiQuery()) > 0 }

// auditActor is who an entry names as its actor, for people: a name where
// the user or token is known, and a link to it.
type auditActor struct {
	Name, URL string
}

// auditNames resolves user and token ids to names and links. A caller who
// may not read users or tokens sees ids. Users are few and listed once;
// tokens can be many, so each one a page names is read by itself.
type auditNames struct {
	v      *view
	users  map[string]string
	tokens map[string]*string // nil: no such token, or not the caller's to see
}

func (v *view) auditNames() (*auditNames, error) {
	n := &auditNames{v: v, users: map[string]string{}, tokens: map[string]*string{}}
	users, err := v.h.Users.List(v.ctx())
	if err = optional(err); err != nil {
		return nil, err
	}
	for _, u := range users {
		n.users[u.ID] = u.Username
	}
	return n, nil
}

// actor names the actor id of type typ and links to the row of that user
// or token, where it still exists.
func (n *auditNames) actor(id, typ string) (auditActor, error) {
	switch typ {
	case tc.ActorUser:
		if name, ok := n.users[id]; ok {
			return auditActor{Name: name, URL: "/users#user-" + url.PathEscape(id)}, nil
		}
	case tc.ActorToken:
		name, ok := n.tokens[id]
		if !ok {
			t, err := n.v.h.Tokens.Get(n.v.ctx(), id)
			switch tc.ErrorCode(err) {
			case "":
				name = &t.Description
			case tc.ENOTFOUND, tc.EFORBIDDEN:
			default:
				return auditActor{}, err
			}
			n.tokens[id] = name
		}
		if name != nil {
			return auditActor{Name: *name, URL: "/tokens#token-" + url.PathEscape(id)}, nil
		}
	}
	return auditActor{Name: id}, nil
}

// row is e with its actor, and the user behind a token actor, named.
func (n *auditNames) row(e tc.AuditEntry) (auditRow, error) {
	r := auditRow{Entry: e}
	var err error
	if r.Actor, err = n.actor(e.ActorID, e.ActorType); err != nil {
		return r, err
	}
	if e.ActorUserID != "" {
		r.Owner, err = n.actor(e.ActorUserID, tc.ActorUser)
	}
	return r, err
}

type auditRow struct {
	Entry tc.AuditEntry
	Actor auditActor
	// Owner is the user behind a token actor.
	Owner auditActor
}

type auditData struct {
	Q        auditQuery
	P        listQuery // the pager's state
	Rows     []auditRow
	Outcomes []string
	Sizes    []int
}

// auditPage lists the audit log newest first, filtered by the GET
// parameters, through the audit service as the API does.
func (h *Handler) auditPage(w http.ResponseWriter, r *http.Request, v *view) error {
	aq, err := parseAuditQuery(r)
	if err != nil {
		return err
	}
	entries, total, err := h.Audit.List(v.ctx(), aq.Filter)
	if err != nil {
		return err
	}
	names, err := v.auditNames()
	if err != nil {
		return err
	}
	d := auditData{Q: aq, P: listQuery{URL: r.URL, Page: aq.Filter.Page, Limit: aq.Limit},
		Outcomes: []string{tc.OutcomeSuccess, tc.OutcomeFailure, tc.OutcomeDenied}, Sizes: auditPageSizes}
	d.P.setTotal(int(total), len(entries))
	for _, e := range entries {
		row, err := names.row(e)
		if err != nil {
			return err
		}
		d.Rows = append(d.Rows, row)
	}
	return v.show(w, "audit", "Audit log", "audit", d)
}

type auditEntryData struct {
	Row     auditRow
	Details string // pretty-printed
	Prev    int64  // the previous entry's seq, 0 before the first
	Next    int64  // the next entry's seq, 0 when this is the newest
}

// errFound stops a walk of the log once the entry is found.
var errFound = errors.New("found")

// auditEntryPage shows one entry in full. The log numbers entries without
// gaps, so the entry of seq is found by its distance from the newest; a
// log whose numbering has been tampered with is walked instead.
func (h *Handler) auditEntryPage(w http.ResponseWriter, r *http.Request, v *view) error {
	seq, err := strconv.ParseInt(r.PathValue("seq"), 10, 64)
	if err != nil || seq < 1 {
		return tc.FieldErrorf("seq", "an audit entry's number is a whole number from 1")
	}
	ctx := v.ctx()
	newest, _, err := h.Audit.List(ctx, tc.AuditFilter{Page: 1, Limit: 1})
	if err != nil {
		return err
	}
	notFound := tc.Errorf(tc.ENOTFOUND, "There is no audit entry %d; retention may have removed it.", seq)
	if len(newest) == 0 || seq > newest[0].Seq {
		return notFound
	}
	head := newest[0].Seq
	var e *tc.AuditEntry
	page, _, err := h.Audit.List(ctx, tc.AuditFilter{Page: int(head - seq + 1), Limit: 1})
	if err != nil {
		return err
	}
	if len(page) == 1 && page[0].Seq == seq {
		e = &page[0]
	} else {
		err := h.Audit.Each(ctx, tc.AuditFilter{}, func(x tc.AuditEntry) error {
			if x.Seq == seq {
				e = &x
			}
			if x.Seq >= seq {
				return errFound
			}
			return nil
		})
		if err != nil && !errors.Is(err, errFound) {
			return err
		}
	}
	if e == nil {
		return notFound
	}
	names, err := v.auditNames()
	if err != nil {
		return err
	}
	row, err := names.row(*e)
	if err != nil {
		return err
	}
	d := auditEntryData{Row: row}
	if len(e.Details) > 0 {
		var buf bytes.Buffer
		if json.Indent(&buf, e.Details, "", "  ") == nil {
			d.Details = buf.String()
		} else {
			d.Details = string(e.Details)
		}
	}
	if seq > 1 {
		d.Prev = seq - 1
	}
	if seq < head {
		d.Next = seq + 1
	}
	return v.show(w, "audit_entry", "Audit entry "+strconv.FormatInt(seq, 10), "audit", d)
}

type auditVerifyData struct {
	V        tc.AuditVerification
	FirstSeq int64 // the first entry verified
}

// auditVerifyPage recomputes the chain and shows the result.
func (h *Handler) auditVerifyPage(w http.ResponseWriter, r *http.Request, v *view) error {
	res, err := h.Audit.Verify(v.ctx())
	if err != nil {
		return err
	}
	return v.show(w, "audit_verify", "Verify the audit log", "audit", auditVerifyData{V: res, FirstSeq: res.From + 1})
}
