package httpx

import (
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/metrics"
)

// Instrument wraps h with panic recovery, request metrics by route pattern
// and debug-level request logs. It is shared by both listeners.
func Instrument(m *metrics.Metrics, listener string, logger *slog.Logger, h http.Handler) http.Handler {
	series := &routeSeries{m: m, listener: listener}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := NewStatusWriter(w)
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				logger.Error("panic serving request", "method", r.Method, "route", RouteOf(r), "panic", p)
				if !sw.wrote {
					WriteError(sw, r, nil, tc.Errorf(tc.EINTERNAL, "internal error"))
				}
			}
			route := RouteOf(r)
			if rec := tc.RecordFromContext(r.Context()); rec != nil {
				rec.Route = route
			}
			d := time.Since(start)
			series.observe(route, sw.status, d)
			if logger.Enabled(r.Context(), slog.LevelDebug) {
				logger.Debug("request", "listener", listener, "method", r.Method, "route", route, "status", sw.status, "duration", d)
			}
		}()
		h.ServeHTTP(sw, r)
	})
}

// RouteOf names r's endpoint for logs and metrics: the pattern it matched
// ("GET /api/password-resets/{token}"), or "unmatched". Logs name the route,
// never the path, which may hold a one-time secret or any text a client chose.
func RouteOf(r *http.Request) string {
	if r.Pattern == "" {
		return "unmatched"
	}
	return r.Pattern
}

// StatusWriter records the status code written (Status; 200 when the
// handler wrote a body without a header). Instrument and the audit log's
// refusal recorder (internal/app) share it.
type StatusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (w *StatusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *StatusWriter) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *StatusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// NewStatusWriter wraps w.
func NewStatusWriter(w http.ResponseWriter) *StatusWriter {
	return &StatusWriter{ResponseWriter: w, status: http.StatusOK}
}

// Status is the status written so far.
func (w *StatusWriter) Status() int { return w.status }

// routeSeries caches the per-route counter and histogram children, so the
// hot paths (heartbeats, config serving) skip hashing label values and
// formatting the status code on every request.
type routeSeries struct {
	m        *metrics.Metrics
	listener string
	counters sync.Map // routeCode → prometheus.Counter
	timers   sync.Map // route → prometheus.Observer
}

type routeCode struct {
	route string
	code  int
}

func (s *routeSeries) observe(route string, code int, d time.Duration) {
	key := routeCode{route, code}
	c, ok := s.counters.Load(key)
	if !ok {
		c, _ = s.counters.LoadOrStore(key, s.m.HTTPRequests.WithLabelValues(s.listener, route, strconv.Itoa(code)))
	}
	c.(prometheus.Counter).Inc()
	o, ok := s.timers.Load(route)
	if !ok {
		o, _ = s.timers.LoadOrStore(route, s.m.HTTPDuration.WithLabelValues(s.listener, route))
	}
	o.(prometheus.Observer).Observe(d.Seconds())
}
