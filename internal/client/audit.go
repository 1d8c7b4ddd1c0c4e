package client

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/telegrafcontroller/tc"
)

// AuditFilter selects audit entries.
type AuditFilter struct {
	From, To, Action, ActorID, Outcome, TargetID, Q string
}

func (f AuditFilter) query() url.Values {
	q := url.Values{}
	set(q, "from", f.From)
	set(q, "to", f.To)
	set(q, "action", f.Action)
	set(q, "actorId", f.ActorID)
	set(q, "outcome", f.Outcome)
	set(q, "targetId", f.TargetID)
	set(q, "q", f.Q)
	return q
}

// Audit lists audit entries, newest first, at most limit of them.
func (c *Client) Audit(ctx context.Context, f AuditFilter, limit int) ([]tc.AuditEntry, error) {
	q := f.query()
	if limit > 0 {
		q.Set("limit", fmt.Sprint(limit))
	}
	var out []tc.AuditEntry
	return out, c.Do(ctx, http.MethodGet, "/api/audit-logger", q, nil, &out)
}

// ExportAudit writes the entries f selects, oldest first, to w as jsonl or
// csv.
func (c *Client) ExportAudit(ctx context.Context, f AuditFilter, format string, w io.Writer) error {
	q := f.query()
	q.Set("format", format)
	return c.Stream(ctx, "/api/audit-logger/export", q, w)
}

// VerifyAudit recomputes the audit log's hash chain.
func (c *Client) VerifyAudit(ctx context.Context) (*tc.AuditVerification, error) {
	var out tc.AuditVerification
	return &out, c.Do(ctx, http.MethodGet, "/api/audit-logger/verify", nil, nil, &out)
}
