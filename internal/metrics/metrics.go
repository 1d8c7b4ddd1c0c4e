// Package metrics holds the Prometheus collectors of one controller process.
// Each Main has its own registry, so tests can run many instances side by side.
package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics is the set of series the controller exports on /metrics.
type Metrics struct {
	Registry     *prometheus.Registry
	HTTPRequests *prometheus.CounterVec
	HTTPDuration *prometheus.HistogramVec

	// Heartbeat ingestion (internal/heartbeat).
	Heartbeats             *prometheus.CounterVec
	HeartbeatPending       prometheus.Gauge
	HeartbeatFlushSize     prometheus.Histogram
	HeartbeatFlushDuration prometheus.Histogram
	HeartbeatFlushErrors   prometheus.Counter
	// Config serve recording (internal/serves).
	ConfigServes *prometheus.CounterVec
	// AgentsByStatus is set by the status scheduler at each tick.
	AgentsByStatus *prometheus.GaugeVec

	// TokenLookups counts token authentications by where they were decided:
	// bad_format (refused before any lookup), cache_hit, cache_unknown (a
	// remembered unknown digest), and db_found, db_not_found, db_error for
	// the store lookups behind cache misses.
	TokenLookups *prometheus.CounterVec

	// ConfigTOMLRenders counts answers of GET/HEAD /api/configs/{id}/toml
	// by how they were produced: cache_hit (no work), render (a new query
	// of a config whose template is cached) and load (the config had to be
	// read from the database; concurrent loads of one config share a read).
	ConfigTOMLRenders *prometheus.CounterVec

	// Leader is 1 on the node that runs the status sweep: the cluster's
	// leader, or any node outside a cluster.
	Leader prometheus.Gauge
}

// New builds the collectors and registers them with the Go runtime and
// process collectors on a fresh registry.
func New() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		HTTPRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tc_http_requests_total",
			Help: "HTTP requests served, by listener, route pattern and status code.",
		}, []string{"listener", "route", "code"}),
		HTTPDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "tc_http_request_duration_seconds",
			Help:    "HTTP request latency, by listener and route pattern.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"listener", "route"}),
		Heartbeats: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tc_heartbeats_received_total",
			Help: "Heartbeats received, by result: accepted, invalid, too_large, unauthorized, forbidden, unavailable.",
		}, []string{"result"}),
		HeartbeatPending: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "tc_heartbeat_pending_agents",
			Help: "Agents whose heartbeats are not yet written: waiting for a flush, in one under way, or kept from a failed one (bounded by --heartbeat-max-pending).",
		}),
		HeartbeatFlushSize: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "tc_heartbeat_flush_batch_size",
			Help:    "Agents written per heartbeat flush (one transaction each).",
			Buckets: prometheus.ExponentialBuckets(1, 4, 10),
		}),
		HeartbeatFlushDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "tc_heartbeat_flush_duration_seconds",
			Help:    "Time to write one heartbeat flush.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}),
		HeartbeatFlushErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tc_heartbeat_flush_errors_total",
			Help: "Heartbeat flushes that failed and were kept for a retry.",
		}),
		ConfigServes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tc_config_serves_total",
			Help: "Config serves (GETs) and watcher HEADs handed to the serve recorder, by result: recorded, heads, dropped (the queue was full), flush_errors.",
		}, []string{"result"}),
		AgentsByStatus: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "tc_agents",
			Help: "Agents by status, as of the last status scheduler tick.",
		}, []string{"status"}),
		TokenLookups: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tc_token_lookups_total",
			Help: "API token authentications, by where they were decided: bad_format, cache_hit, cache_unknown, db_found, db_not_found, db_error.",
		}, []string{"result"}),
		ConfigTOMLRenders: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tc_config_toml_renders_total",
			Help: "Config TOML answers (GET and HEAD), by how they were produced: cache_hit, render, load.",
		}, []string{"result"}),
		Leader: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "tc_leader",
			Help: "1 on the node that runs the status sweep (the cluster's leader, or a node outside a cluster), else 0.",
		}),
	}
	m.Registry.MustRegister(
		m.Heartbeats, m.HeartbeatPending, m.HeartbeatFlushSize, m.HeartbeatFlushDuration, m.HeartbeatFlushErrors,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.HTTPRequests, m.HTTPDuration, m.TokenLookups,
		m.AgentsByStatus, m.ConfigTOMLRenders, m.Leader, m.ConfigServes,
	)
	return m
}
