package forward_test

import (
	"encoding/json"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/apptest"
	"github.com/telegrafcontroller/tc/internal/forward"
)

// TestSyslogForwarderToRsyslog: a real rsyslogd receives every entry over
// TCP (octet-counted) and UDP, parses each as RFC 5424 (version 1, our
// app-name, the action as MSGID, facility log audit with the outcome's
// severity) and the MSG is the entry's JSON, intact. Stopped and started
// again, it receives over TCP what was appended meanwhile: the forwarder
// reconnects and resends from the log.
func TestSyslogForwarderToRsyslog(t *testing.T) {
	rs := apptest.StartRsyslog(t)
	t.Cleanup(func() {
		if t.Failed() {
			b, _ := os.ReadFile(rs.Output)
			t.Logf("rsyslog received:\n%s", b)
		}
	})
	s := mustAuditStore(t, apptest.DB{Name: "sqlite"})
	tcp, err := forward.NewSyslog("tcp", "127.0.0.1", rs.TCPPort)
	if err != nil {
		t.Fatal(err)
	}
	udp, err := forward.NewSyslog("udp", "127.0.0.1", rs.UDPPort)
	if err != nil {
		t.Fatal(err)
	}
	r := startRunner(t, s, forward.Forwarder{Name: "syslog-tcp", Sink: tcp}, forward.Forwarder{Name: "syslog-udp", Sink: udp})
	mustAppend(t, s, "user.login", "access.denied", "label.create")
	want := mustEntries(t, s)
	byInput := func() map[string][]tc.AuditEntry {
		out := map[string][]tc.AuditEntry{}
		for _, f := range rs.Lines(t) {
			var e tc.AuditEntry
			if err := json.Unmarshal([]byte(f[5]), &e); err != nil {
				t.Fatalf("rsyslog's MSG is not an entry: %v: %q", err, f)
			}
			pri := 13*8 + 5
			if e.Outcome != tc.OutcomeSuccess {
				pri = 13*8 + 4
			}
			if f[1] != "1" || f[2] != "telegraf-controller" || f[3] != e.Action || f[4] != strconv.Itoa(pri) {
				t.Fatalf("rsyslog parsed %q, want RFC 5424 with MSGID %s and PRI %d", f, e.Action, pri)
			}
			out[f[0]] = append(out[f[0]], e)
		}
		return out
	}
	waitFor(t, "rsyslog to receive every entry over TCP and UDP", func() bool {
		got := byInput()
		return len(got["imtcp"]) >= len(want) && len(got["imudp"]) >= len(want)
	})
	got := byInput()
	sameEntries(t, got["imtcp"], want)
	sameEntries(t, got["imudp"], want)

	rs.Stop()
	mustAppend(t, s, "label.update", "label.delete")
	waitFor(t, "a failed delivery while rsyslog is down", func() bool {
		return value(r.Metrics.Failures.WithLabelValues("syslog-tcp")) > 0
	})
	rs.Start(t)
	want = mustEntries(t, s)
	waitFor(t, "rsyslog to receive the entries appended while it was down", func() bool {
		return len(byInput()["imtcp"]) >= len(want)
	})
	sameEntries(t, byInput()["imtcp"], want)
}

// TestSyslogFormat pins the message layout.
func TestSyslogFormat(t *testing.T) {
	s := &forward.Syslog{Hostname: "ctl 1"}
	e := tc.AuditEntry{Seq: 7, Action: strings.Repeat("x", 40), Outcome: tc.OutcomeDenied, Hash: "h"}
	b, err := s.Format(e)
	if err != nil {
		t.Fatal(err)
	}
	f := strings.SplitN(string(b), " ", 8)
	if f[0] != "<108>1" || f[1] != "0001-01-01T00:00:00.000Z" || f[2] != "ctl_1" || f[3] != "telegraf-controller" ||
		f[5] != strings.Repeat("x", 32) || f[6] != "-" || !strings.HasPrefix(f[7], `{"seq":7,`) {
		t.Errorf("message %q", b)
	}
}

// TestSyslogUDPRefusesAnOversizeEntry: an entry no datagram can carry is
// refused (dropped and counted), not retried for ever.
func TestSyslogUDPRefusesAnOversizeEntry(t *testing.T) {
	s, err := forward.NewSyslog("udp", "127.0.0.1", 9)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	err = s.Deliver(t.Context(), tc.AuditEntry{Action: "user.login", UserAgent: strings.Repeat("a", 70000)})
	if !errors.Is(err, forward.ErrRefused) {
		t.Fatalf("err = %v, want ErrRefused", err)
	}
}
