package forward_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/apptest"
	"github.com/telegrafcontroller/tc/internal/forward"
)

// BenchmarkForwarders measures how fast each forwarder drains a backlog of
// 20,000 entries from a SQLite log (what a destination that
// was down faces when it returns): entries/s, cursor moves included.
//
//	go test -run X -bench Forwarders -benchtime 1x ./internal/forward/
func BenchmarkForwarders(b *testing.B) {
	const n = 20000
	sinks := map[string]func(b *testing.B) forward.Sink{
		"file": func(b *testing.B) forward.Sink {
			f, err := forward.NewFile(filepath.Join(b.TempDir(), "audit.jsonl"))
			if err != nil {
				b.Fatal(err)
			}
			return f
		},
		"webhook": func(b *testing.B) forward.Sink {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
			b.Cleanup(srv.Close)
			return forward.NewWebhook(srv.URL, "Bearer x")
		},
		"syslog-tcp": func(b *testing.B) forward.Sink {
			rs := apptest.StartRsyslog(b)
			s, _ := forward.NewSyslog("tcp", "127.0.0.1", rs.TCPPort)
			return s
		},
	}
	for _, name := range []string{"file", "webhook", "syslog-tcp"} {
		b.Run(name, func(b *testing.B) {
			s := mustAuditStore(b, apptest.DB{Name: "sqlite"})
			entries := make([]tc.AuditEntry, n)
			for i := range entries {
				entries[i] = tc.AuditEntry{Action: "agent.not-reporting", TargetType: "agent", TargetID: "agent-00000000000000000001"}
			}
			if err := s.AppendAudit(context.Background(), entries...); err != nil {
				b.Fatal(err)
			}
			sink := sinks[name](b)
			b.ResetTimer()
			start := time.Now()
			r := &forward.Runner{Log: s, Forwarders: []forward.Forwarder{{Name: name, Sink: sink}}, Poll: time.Hour}
			r.Start()
			waitCaughtUp(b, s, name)
			d := time.Since(start)
			b.StopTimer()
			r.Close(context.Background())
			b.ReportMetric(float64(n)/d.Seconds(), "entries/s")
		})
	}
}
