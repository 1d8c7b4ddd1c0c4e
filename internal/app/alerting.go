package app

import (
	"context"
	"time"

	"github.com/telegrafcontroller/tc/internal/alerting"
	"github.com/telegrafcontroller/tc/internal/loop"
)

// startAlerting starts the alert rules' engine and the outbox's delivery
// worker (internal/alerting, docs/alerts.md) and the retention of their
// history; in a cluster only the leader evaluates, delivers and prunes
// (startCluster and startChannels must have run). The worker sends
// through m.Dispatcher: the notification channels in the database
// (m.Notify) unless a test set its own.
func (m *Main) startAlerting() {
	if m.Dispatcher == nil {
		m.Dispatcher = m.Notify
	}
	m.Deliverer = &alerting.Deliverer{
		Store: m.Store, Dispatcher: m.Dispatcher, Logger: m.Logger.With("component", "alerting"), Now: m.Now,
		Metrics: alerting.NewMetrics(m.Metrics.Registry),
		ChannelKind: func(ctx context.Context, id string) string {
			c, err := m.Store.NotificationChannel(ctx, id)
			if err != nil {
				return ""
			}
			return c.Kind
		},
	}
	m.Alerts = &alerting.Engine{
		Store: m.Store, Logger: m.Logger.With("component", "alerting"), Now: m.Now, Interval: m.Config.AlertInterval,
		BaseURL: func() string { return m.Store.Settings().PublicUIURL },
		Queued:  m.Deliverer.Wake,
	}
	if m.Cluster != nil {
		m.Alerts.Leader, m.Deliverer.Leader = m.Cluster, m.Cluster
	}
	m.Deliverer.Start()
	m.Alerts.Start()
	m.OnClose(m.Alerts.Stop)
	m.OnClose(m.Deliverer.Stop)
	l := loop.Start(historyPruneEvery, m.settingsKick(), m.pruneAlerts)
	m.OnClose(l.Stop)
}

// pruneAlerts removes resolved alerts, ended mutes and finished
// notifications older than --alert-history-retention, on the leader.
func (m *Main) pruneAlerts(ctx context.Context) {
	if m.Cluster != nil && !m.Cluster.Leader() {
		return
	}
	hours := m.Config.AlertHistoryRetention
	n, err := m.Store.PruneAlerts(ctx, m.Now().Add(-time.Duration(hours)*time.Hour))
	if err != nil {
		if ctx.Err() == nil {
			m.Logger.Error("alerts: retention failed", "error", err)
		}
		return
	}
	if n > 0 {
		m.Logger.Info("alerts: removed expired history", "rows", n, "retention_hours", hours)
	}
}
