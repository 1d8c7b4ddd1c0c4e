package api

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/httpx"
	"github.com/telegrafcontroller/tc/internal/service"
)

// parseAuditFilter reads upstream's from, to, page and limit, and our
// action, actorId, outcome, targetId and q.
func parseAuditFilter(r *http.Request, paged bool) (tc.AuditFilter, error) {
	q := r.URL.Query()
	f := tc.AuditFilter{Action: q.Get("action"), ActorID: q.Get("actorId"), Outcome: q.Get("outcome"),
		TargetID: q.Get("targetId"), Q: q.Get("q")}
	for _, t := range []struct {
		name string
		dst  *time.Time
	}{{"from", &f.From}, {"to", &f.To}} {
		if v := q.Get(t.name); v != "" {
			at, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				return f, tc.FieldErrorf(t.name, "%s must be an ISO 8601 time such as 2026-05-27T18:42:11Z", t.name)
			}
			*t.dst = at
		}
	}
	if !paged {
		return f, nil
	}
	var err error
	if f.Page, err = httpx.QueryInt(r, "page", 1, 1, 1<<30); err != nil {
		return f, err
	}
	f.Limit, err = httpx.QueryInt(r, "limit", service.MaxAuditPageSize, 1, service.MaxAuditPageSize)
	return f, err
}

// listAudit answers GET /api/audit-logger with upstream's shape, a JSON
// array of entries, newest first; X-Total-Count tells how many the filter
// selects in all.
func (s *Server) listAudit(w http.ResponseWriter, r *http.Request) {
	f, err := parseAuditFilter(r, true)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	entries, total, err := s.Audit.List(r.Context(), f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("X-Total-Count", strconv.FormatInt(total, 10))
	httpx.WriteJSON(w, http.StatusOK, entries)
}

// auditCSVHeader is the export's CSV columns.
var auditCSVHeader = []string{"seq", "timestamp", "action", "actorType", "actorId", "actorUserId", "ipAddress", "userAgent",
	"outcome", "targetType", "targetId", "targetName", "details", "prevHash", "hash"}

// exportAudit answers GET /api/audit-logger/export?format=jsonl|csv with
// every entry the filter selects, oldest first, streamed.
func (s *Server) exportAudit(w http.ResponseWriter, r *http.Request) {
	format := r.URL.Query().Get("format")
	if format == "" {
		format = "jsonl"
	}
	if format != "jsonl" && format != "csv" {
		s.fail(w, r, tc.FieldErrorf("format", "format must be jsonl or csv"))
		return
	}
	f, err := parseAuditFilter(r, false)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	// Check before the first byte: a refusal must still be an error body,
	// not an empty export.
	if err := s.Audit.CheckExport(r.Context(), f); err != nil {
		s.fail(w, r, err)
		return
	}
	name := "audit-" + s.Now().UTC().Format("20060102T150405Z") + "." + format
	if format == "csv" {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	} else {
		w.Header().Set("Content-Type", "application/jsonl; charset=utf-8")
	}
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("Cache-Control", "no-store")
	bw := bufio.NewWriterSize(w, 64<<10)
	var write func(tc.AuditEntry) error
	flush := bw.Flush
	if format == "csv" {
		cw := csv.NewWriter(bw)
		cw.Write(auditCSVHeader)
		write = func(e tc.AuditEntry) error {
			return cw.Write([]string{strconv.FormatInt(e.Seq, 10), e.Timestamp.UTC().Format(time.RFC3339Nano), e.Action,
				e.ActorType, e.ActorID, e.ActorUserID, e.IPAddress, e.UserAgent, e.Outcome, e.TargetType, e.TargetID,
				e.TargetName, string(e.Details), e.PrevHash, e.Hash})
		}
		flush = func() error { cw.Flush(); return bw.Flush() }
	} else {
		enc := json.NewEncoder(bw)
		write = func(e tc.AuditEntry) error { return enc.Encode(e) }
	}
	if err := s.Audit.Each(r.Context(), f, write); err != nil {
		// Headers are sent: the truncated body is all a client can get.
		s.Logger.Error("audit export stopped", "error", err)
	}
	flush()
}

// verifyAudit answers GET /api/audit-logger/verify.
func (s *Server) verifyAudit(w http.ResponseWriter, r *http.Request) {
	v, err := s.Audit.Verify(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, v)
}
