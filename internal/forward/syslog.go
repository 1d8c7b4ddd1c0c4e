package forward

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/telegrafcontroller/tc"
)

// Syslog sends each entry as one RFC 5424 message over TCP (octet-counting
// framing, RFC 6587 §3.4.1) or UDP (one datagram, RFC 5426):
//
//	<PRI>1 TIMESTAMP HOSTNAME telegraf-controller PROCID MSGID - MSG
//
// PRI is facility 13 (log audit) with severity notice for a Success and
// warning for a Failure or a Denied; TIMESTAMP is the entry's, in UTC to
// the millisecond; MSGID is the action (user.login, token.create, …); there
// is no structured data; MSG is the entry's JSON, exactly as
// GET /api/audit-logger returns it (no BOM).
//
// A failed connection is dropped and dialled again on the next entry. A
// TCP connection the server closed is noticed before writing to it, but
// TCP syslog has no acknowledgement: an entry written just before the
// server goes away can be lost, and UDP can lose any datagram. An entry too
// long for one datagram (a huge User-Agent) is refused over UDP: dropped and
// counted, not retried for ever.
type Syslog struct {
	Network string // "tcp" or "udp"
	Addr    string // host:port
	// Hostname is the HOSTNAME field (default os.Hostname()).
	Hostname string
	// Timeout bounds a dial and a write (default 10 s).
	Timeout time.Duration

	conn net.Conn
}

// NewSyslog returns a syslog forwarder to host:port over network.
func NewSyslog(network, host string, port int) (*Syslog, error) {
	if network != "tcp" && network != "udp" {
		return nil, fmt.Errorf("syslog protocol must be tcp or udp, not %q", network)
	}
	h, _ := os.Hostname()
	return &Syslog{Network: network, Addr: net.JoinHostPort(host, strconv.Itoa(port)), Hostname: h}, nil
}

const (
	syslogFacility = 13    // log audit (RFC 5424 §6.2.1)
	maxDatagram    = 65507 // the largest UDP payload over IPv4
	syslogAppName  = "telegraf-controller"
)

// Format returns e as an RFC 5424 message (unframed).
func (s *Syslog) Format(e tc.AuditEntry) ([]byte, error) {
	msg, err := json.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("encode audit entry %d: %w", e.Seq, err)
	}
	severity := 5 // notice
	if e.Outcome != tc.OutcomeSuccess {
		severity = 4 // warning
	}
	var b []byte
	b = fmt.Appendf(b, "<%d>1 %s %s %s %d %s - ", syslogFacility*8+severity,
		e.Timestamp.UTC().Format("2006-01-02T15:04:05.000Z"), header(s.Hostname, 255), syslogAppName, os.Getpid(), header(e.Action, 32))
	return append(b, msg...), nil
}

// header makes v a header field: printable US-ASCII without spaces, at
// most n characters, "-" when empty (RFC 5424 §6).
func header(v string, n int) string {
	v = strings.Map(func(r rune) rune {
		if r < 33 || r > 126 {
			return '_'
		}
		return r
	}, v)
	if len(v) > n {
		v = v[:n]
	}
	if v == "" {
		return "-"
	}
	return v
}

// Deliver sends e, dialling first if there is no live connection.
func (s *Syslog) Deliver(ctx context.Context, e tc.AuditEntry) error {
	msg, err := s.Format(e)
	if err != nil {
		return err
	}
	if s.Network == "udp" && len(msg) > maxDatagram {
		return fmt.Errorf("syslog: a message of %d bytes does not fit a UDP datagram: %w", len(msg), ErrRefused)
	}
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	if s.conn != nil && s.Network == "tcp" && !alive(s.conn) {
		s.Close()
	}
	if s.conn == nil {
		d := net.Dialer{Timeout: timeout}
		c, err := d.DialContext(ctx, s.Network, s.Addr)
		if err != nil {
			return fmt.Errorf("syslog: %w", err)
		}
		s.conn = c
	}
	if s.Network == "tcp" {
		msg = append(strconv.AppendInt(nil, int64(len(msg)), 10), append([]byte{' '}, msg...)...)
	}
	s.conn.SetWriteDeadline(time.Now().Add(timeout))
	if _, err := s.conn.Write(msg); err != nil {
		s.Close()
		return fmt.Errorf("syslog: %w", err)
	}
	return nil
}

// Flush does nothing: syslog has no acknowledgement to wait for.
func (s *Syslog) Flush() error { return nil }

// Close closes the connection; the next Deliver dials again.
func (s *Syslog) Close() error {
	if s.conn == nil {
		return nil
	}
	err := s.conn.Close()
	s.conn = nil
	return err
}
