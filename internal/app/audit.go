package app

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/httpx"
	"github.com/telegrafcontroller/tc/internal/loop"
)

// The audit log's parts that are not store changes (docs/audit.md): every
// request's origin and refusals (auditRequests), start and stop, and the
// retention job. Changes record themselves in the store.

// auditPruneEvery is how often the leader removes expired audit entries.
const auditPruneEvery = time.Hour

// maxUserAgent caps the user agent an entry keeps.
const maxUserAgent = 512

// startAudit records the start, writes refusals, and runs the retention
// job, which also ages out what was recorded before the log was turned
// off; the stop is recorded at Close.
func (m *Main) startAudit(ctx context.Context) {
	if m.Config.AuditEnabled {
		m.denied = &deniedWriter{append: m.Store.AppendAudit, logger: m.Logger}
		m.denied.start()
		m.OnClose(m.denied.stop)
		m.recordServer(ctx, tc.ActionServerStart)
	} else {
		m.Logger.Warn("the audit log is off (--audit-enabled=false): changes, sign-ins and refusals are not recorded")
	}
	// Retention runs now, every auditPruneEvery, and at once when the
	// settings change (a shorter retention takes effect immediately).
	l := loop.Start(auditPruneEvery, m.settingsKick(), m.pruneAudit)
	m.OnClose(func(ctx context.Context) error {
		err := l.Stop(ctx)
		m.recordServer(ctx, tc.ActionServerStop)
		return err
	})
}

// recordServer writes a start or stop entry, by the system.
func (m *Main) recordServer(ctx context.Context, action string) {
	details, _ := json.Marshal(map[string]string{"version": Version, "node": m.Store.NodeID(), "dialect": string(m.Store.Dialect())})
	if err := m.Store.AppendAudit(ctx, tc.AuditEntry{Action: action, ActorType: tc.ActorSystem, Outcome: tc.OutcomeSuccess,
		TargetType: "server", Details: details}); err != nil {
		m.Logger.Error("audit: cannot record "+action, "error", err)
	}
}

// pruneAudit removes the entries older than the retention setting, on the
// leader only (on another node it would be the same work twice).
func (m *Main) pruneAudit(ctx context.Context) {
	hours := m.Store.Settings().AuditLogRetentionHours
	if hours == 0 || (m.Cluster != nil && !m.Cluster.Leader()) {
		return
	}
	n, err := m.Store.PruneAudit(ctx, m.Now().Add(-time.Duration(hours)*time.Hour))
	if err != nil {
		m.Logger.Error("audit: retention failed", "error", err)
		return
	}
	if n > 0 {
		m.Logger.Info("audit: removed expired entries", "entries", n, "retention_hours", hours)
	}
}

// auditRequests, outside httpx.Instrument (which notes the route in the
// record), gives every request an audit record (its client address,
// by --trusted-proxies, and user agent; its caller once authenticated) and
// records every 403 it answers as a Denied entry. Refusals are written off
// the request path, in batches (deniedWriter).
func (m *Main) auditRequests(h http.Handler) http.Handler {
	if !m.Config.AuditEnabled {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ua := r.UserAgent()
		if len(ua) > maxUserAgent {
			ua = ua[:maxUserAgent]
		}
		rec := &tc.RequestRecord{Origin: tc.Origin{IP: httpx.ClientIP(r, m.Config.TrustedProxies), UserAgent: ua}}
		r = r.WithContext(tc.NewContextWithRecord(r.Context(), rec))
		sw := httpx.NewStatusWriter(w)
		h.ServeHTTP(sw, r)
		if sw.Status() == http.StatusForbidden {
			ctx := tc.NewContextWithCaller(context.WithoutCancel(r.Context()), rec.Caller)
			e := tc.AuditEntry{Action: tc.ActionAccessDenied, Outcome: tc.OutcomeDenied}
			tc.AuditActor(ctx, &e)
			route := rec.Route
			if route == "" || route == "unmatched" {
				route = r.Method + " " + firstSegments(r.URL.Path)
			}
			e.Details, _ = json.Marshal(map[string]string{"route": route})
			m.denied.add(e)
		}
	})
}

// firstSegments keeps the first two segments of a path that matched no
// route ("/api/tokens"): a full path may hold a one-time secret.
func firstSegments(p string) string {
	parts := strings.SplitN(strings.TrimPrefix(p, "/"), "/", 3)
	if len(parts) > 2 {
		parts = parts[:2]
	}
	return "/" + strings.Join(parts, "/")
}

// deniedWriter writes Denied entries in batches, every deniedEvery, so
// that a flood of refused requests costs one transaction per batch and
// never delays an answer. Beyond deniedMax waiting entries, more are
// dropped and counted in the log.
type deniedWriter struct {
	append func(context.Context, ...tc.AuditEntry) error
	logger interface {
		Error(string, ...any)
		Warn(string, ...any)
	}
	mu      sync.Mutex
	pending []tc.AuditEntry
	dropped int
	loop    *loop.Loop
}

const (
	deniedEvery = 200 * time.Millisecond
	deniedMax   = 10000
)

func (d *deniedWriter) start() {
	d.loop = loop.Start(deniedEvery, nil, func(ctx context.Context) { d.flush(ctx) })
}

func (d *deniedWriter) stop(ctx context.Context) error {
	err := d.loop.Stop(ctx)
	d.flush(ctx)
	return err
}

func (d *deniedWriter) add(e tc.AuditEntry) {
	if d == nil {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.pending) >= deniedMax {
		d.dropped++
		return
	}
	d.pending = append(d.pending, e)
}

// Flush writes what is waiting now (tests call it through Main.FlushAudit).
func (d *deniedWriter) flush(ctx context.Context) {
	d.mu.Lock()
	batch, dropped := d.pending, d.dropped
	d.pending, d.dropped = nil, 0
	d.mu.Unlock()
	if dropped > 0 {
		d.logger.Warn("audit: refused requests not recorded: too many at once", "dropped", dropped)
	}
	if len(batch) == 0 {
		return
	}
	if err := d.append(ctx, batch...); err != nil {
		d.logger.Error("audit: cannot record refused requests", "entries", len(batch), "error", err)
	}
}

// FlushAudit writes the Denied entries waiting for their batch.
func (m *Main) FlushAudit(ctx context.Context) {
	if m.denied != nil {
		m.denied.flush(ctx)
	}
}
