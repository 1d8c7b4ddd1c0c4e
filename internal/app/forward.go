package app

import (
	"errors"
	"fmt"
	"net/url"

	"github.com/telegrafcontroller/tc/internal/forward"
)

// startForwarders starts the audit forwarders the options name
// (docs/audit.md, "Forwarders"): each tails the audit log from its cursor
// in the database, woken after every commit that appended entries; in a
// cluster only the leader forwards (startCluster must have run). A
// forwarder that is down delays no request.
func (m *Main) startForwarders() error {
	c := m.Config
	var fs []forward.Forwarder
	if c.AuditSyslogHost != "" || c.AuditSyslogPort != 0 || c.AuditSyslogProtocol != "" {
		if c.AuditSyslogHost == "" || c.AuditSyslogPort == 0 || c.AuditSyslogProtocol == "" {
			return errors.New("the audit syslog forwarder needs --audit-syslog-host, --audit-syslog-port and --audit-syslog-protocol (AUDIT_SYSLOG_HOST, AUDIT_SYSLOG_PORT, AUDIT_SYSLOG_PROTOCOL) together")
		}
		s, err := forward.NewSyslog(c.AuditSyslogProtocol, c.AuditSyslogHost, c.AuditSyslogPort)
		if err != nil {
			return err
		}
		fs = append(fs, forward.Forwarder{Name: "syslog", Sink: s})
		m.Logger.Info("audit forwarder", "forwarder", "syslog", "address", s.Addr, "protocol", s.Network)
	}
	if c.AuditWebhookURL != "" {
		fs = append(fs, forward.Forwarder{Name: "webhook", Sink: forward.NewWebhook(c.AuditWebhookURL, c.AuditWebhookAuthHeader)})
		u, _ := url.Parse(c.AuditWebhookURL)
		m.Logger.Info("audit forwarder", "forwarder", "webhook", "host", u.Host) // the URL's path and query may hold a secret
	}
	if c.AuditFilePath != "" {
		f, err := forward.NewFile(c.AuditFilePath)
		if err != nil {
			return fmt.Errorf("--audit-file-path: %w", err)
		}
		fs = append(fs, forward.Forwarder{Name: "file", Sink: f})
		m.Logger.Info("audit forwarder", "forwarder", "file", "path", c.AuditFilePath)
	}
	if len(fs) == 0 {
		return nil
	}
	r := &forward.Runner{Log: m.Store, Forwarders: fs, Logger: m.Logger, Metrics: forward.NewMetrics(m.Metrics.Registry)}
	if m.Cluster != nil {
		r.Leader = m.Cluster.Leader
	}
	m.Store.OnAudit(r.Wake)
	r.Start()
	m.OnClose(r.Close)
	return nil
}
