package app

import (
	"net/http"
	"strings"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/httpx"
)

// apiHandler builds the JSON side of the main listener: one mux holding the
// API's routes (internal/api routes.go: /api/ and /health/) and /metrics,
// answering paths and methods it does not know in the JSON error shape.
func (m *Main) apiHandler() http.Handler {
	mux := http.NewServeMux()
	m.API.Register(mux)
	mux.Handle("GET /metrics", promhttp.HandlerFor(m.Metrics.Registry, promhttp.HandlerOpts{}))
	return httpx.JSONErrors(mux, m.Logger)
}

// mainHandler composes the main listener once: /api/, /health/, /metrics
// and the short config URLs /c/ go to api (apiHandler), every other path to the UI; around both, from the
// inside out, the URL text check, cross-origin protection for cookie
// sessions, the security headers and instrumentation.
func (m *Main) mainHandler(api, ui http.Handler, tls bool) http.Handler {
	route := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p := r.URL.Path; strings.HasPrefix(p, "/api/") || strings.HasPrefix(p, "/health/") || p == "/metrics" || strings.HasPrefix(p, "/c/") {
			api.ServeHTTP(w, r)
			return
		}
		ui.ServeHTTP(w, r)
	})
	h := httpx.PlainURL(route, m.Logger)
	h = httpx.CrossOrigin(h, http.HandlerFunc(m.crossOriginRefused))
	h = httpx.SecurityHeaders(h, tls)
	return m.auditRequests(httpx.Instrument(m.Metrics, "main", m.Logger, h))
}

// crossOriginRefused answers a cross-origin browser write: in the API's
// error shape under /api/, as plain text for the UI's pages.
func (m *Main) crossOriginRefused(w http.ResponseWriter, r *http.Request) {
	const msg = "cross-origin request refused: a browser may only write from this site"
	if strings.HasPrefix(r.URL.Path, "/api/") {
		httpx.WriteError(w, r, m.Logger, tc.Errorf(tc.EFORBIDDEN, msg))
		return
	}
	http.Error(w, msg, http.StatusForbidden)
}
