package notify

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"strconv"
	"strings"
	"time"

	"github.com/telegrafcontroller/tc"
)

// sendEmail delivers m over SMTP: STARTTLS, TLS from the start, or none
// (a relay on loopback). With a username it authenticates with AUTH PLAIN,
// and only over an encrypted connection or to loopback. A 4xx reply is
// retryable, a 5xx permanent.
func (d *ChannelDispatcher) sendEmail(ctx context.Context, e *tc.EmailSettings, m Message) error {
	from, err := mail.ParseAddress(e.From)
	if err != nil {
		return fmt.Errorf("email: from %q is not an address: %w", e.From, ErrPermanent)
	}
	msg := d.emailMessage(e, from, m)
	ctx, cancel := context.WithTimeout(ctx, d.smtpWait)
	defer cancel()
	addr := net.JoinHostPort(e.Host, strconv.Itoa(e.SMTPPort()))
	var dialer net.Dialer
	conn, err := dialer.DialContext(ctx, "tcp", addr)
	if err != nil {
		return &RetryError{Err: fmt.Errorf("email: connect to %s: %s", addr, networkError(err))}
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	tlsConfig := &tls.Config{}
	if d.tls != nil {
		tlsConfig = d.tls.Clone()
	}
	tlsConfig.ServerName = e.Host
	encrypted := false
	if e.Security == tc.EmailTLS {
		tconn := tls.Client(conn, tlsConfig)
		if err := tconn.HandshakeContext(ctx); err != nil {
			return smtpError("TLS handshake with "+addr, err)
		}
		conn, encrypted = tconn, true
	}
	c, err := smtp.NewClient(conn, e.Host)
	if err != nil {
		return smtpError("greeting from "+addr, err)
	}
	defer c.Close()
	if err := c.Hello(d.hostname); err != nil {
		return smtpError("EHLO", err)
	}
	if e.Security == tc.EmailStartTLS {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			return fmt.Errorf("email: %s does not offer STARTTLS; choose security tls or none: %w", addr, ErrPermanent)
		}
		if err := c.StartTLS(tlsConfig); err != nil {
			return smtpError("STARTTLS", err)
		}
		encrypted = true
	}
	if e.Username != "" {
		if !encrypted && !isLoopback(conn.RemoteAddr()) {
			return fmt.Errorf("email: refusing to send the SMTP password to %s over an unencrypted connection; use security starttls or tls: %w", addr, ErrPermanent)
		}
		if ok, _ := c.Extension("AUTH"); !ok {
			return fmt.Errorf("email: %s offers no authentication; leave the username empty: %w", addr, ErrPermanent)
		}
		if err := c.Auth(plainAuth{username: e.Username, password: e.Password}); err != nil {
			return smtpError("AUTH PLAIN", err)
		}
	}
	if err := c.Mail(from.Address); err != nil {
		return smtpError("MAIL FROM", err)
	}
	for _, to := range e.To {
		if err := c.Rcpt(to); err != nil {
			return smtpError("RCPT TO "+to, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return smtpError("DATA", err)
	}
	if _, err := w.Write(msg); err != nil {
		return smtpError("DATA", err)
	}
	if err := w.Close(); err != nil {
		return smtpError("end of DATA", err)
	}
	c.Quit() // the message is accepted; a failing QUIT changes nothing
	return nil
}

// plainAuth is AUTH PLAIN with the decision to send it made by sendEmail
// (net/smtp's PlainAuth refuses a loopback address it cannot name).
type plainAuth struct{ username, password string }

func (a plainAuth) Start(*smtp.ServerInfo) (string, []byte, error) {
	return "PLAIN", []byte("\x00" + a.username + "\x00" + a.password), nil
}

func (a plainAuth) Next(_ []byte, more bool) ([]byte, error) {
	if more {
		return nil, errors.New("unexpected server challenge")
	}
	return nil, nil
}

func isLoopback(a net.Addr) bool {
	ta, ok := a.(*net.TCPAddr)
	return ok && ta.IP.IsLoopback()
}

// smtpError classifies a failed SMTP step: a 4xx reply or a network error
// is retryable, a 5xx reply or an untrusted certificate permanent.
func smtpError(step string, err error) error {
	var te *textproto.Error
	if errors.As(err, &te) {
		msg := fmt.Errorf("email: %s: the server answered %d %s", step, te.Code, te.Msg)
		if te.Code >= 500 {
			return fmt.Errorf("%w: %w", msg, ErrPermanent)
		}
		return &RetryError{Err: msg}
	}
	desc := networkError(err)
	if strings.Contains(desc, "certificate is not trusted") {
		return fmt.Errorf("email: %s: %s: %w", step, desc, ErrPermanent)
	}
	return &RetryError{Err: fmt.Errorf("email: %s: %s", step, desc)}
}

// emailMessage is the RFC 5322 message: the title as subject, a
// Message-ID made from the idempotency key (a retry is the same message),
// and a text/plain body with the counts, the first subjects and the link.
func (d *ChannelDispatcher) emailMessage(e *tc.EmailSettings, from *mail.Address, m Message) []byte {
	var b bytes.Buffer
	hdr := func(k, v string) { fmt.Fprintf(&b, "%s: %s\r\n", k, v) }
	hdr("From", from.String())
	to := make([]string, len(e.To))
	for i, t := range e.To {
		to[i] = (&mail.Address{Address: t}).String()
	}
	hdr("To", strings.Join(to, ", "))
	hdr("Subject", mime.QEncoding.Encode("utf-8", oneLine(title(m))))
	hdr("Date", d.now().Format(time.RFC1123Z))
	key := m.IdempotencyKey
	if key == "" {
		key = strconv.FormatInt(d.now().UnixNano(), 10)
	}
	sum := sha256.Sum256([]byte(key))
	domain := "telegraf-controller.invalid"
	if _, host, ok := strings.Cut(from.Address, "@"); ok && host != "" {
		domain = host
	}
	hdr("Message-ID", "<tc."+hex.EncodeToString(sum[:16])+"@"+domain+">")
	hdr("Auto-Submitted", "auto-generated")
	hdr("X-TC-Status", m.Status)
	hdr("MIME-Version", "1.0")
	hdr("Content-Type", "text/plain; charset=utf-8")
	hdr("Content-Transfer-Encoding", "quoted-printable")
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&b)
	qp.Write([]byte(strings.ReplaceAll(emailBody(m), "\n", "\r\n")))
	qp.Close()
	return b.Bytes()
}

// emailBody is the plain text of m: summary, rule, counts (and how many
// recovered since the last message), the first subjects, how many more,
// the link.
func emailBody(m Message) string {
	var b strings.Builder
	b.WriteString(title(m) + "\n\n")
	if m.RuleName != "" {
		fmt.Fprintf(&b, "Rule: %s\n", m.RuleName)
	}
	if m.Event != "" {
		fmt.Fprintf(&b, "Event: %s\n", m.Event)
	}
	fmt.Fprintf(&b, "Count: %d\n", max(m.Count, len(m.Subjects)))
	if n, names := recovered(m); n > 0 {
		fmt.Fprintf(&b, "Recovered: %d (%s)\n", n, names)
	}
	if !m.StartsAt.IsZero() {
		fmt.Fprintf(&b, "Since: %s\n", m.StartsAt.UTC().Format(time.RFC3339))
	}
	if !m.EndsAt.IsZero() {
		fmt.Fprintf(&b, "Resolved: %s\n", m.EndsAt.UTC().Format(time.RFC3339))
	}
	if m.Text != "" {
		b.WriteString("\n" + strings.TrimSpace(m.Text) + "\n")
	} else if first, more := firstSubjects(m, chatSubjects); len(first) > 0 {
		b.WriteString("\n")
		for _, s := range first {
			fmt.Fprintf(&b, "- %s: %s\n", s.Name, s.Status)
		}
		if more > 0 {
			fmt.Fprintf(&b, "... and %d more\n", more)
		}
	}
	if m.Link != "" {
		fmt.Fprintf(&b, "\nSee them in Telegraf Controller: %s\n", m.Link)
	}
	b.WriteString("\n-- \nSent by Telegraf Controller.\n")
	return b.String()
}

// oneLine replaces line breaks, which would end a header.
func oneLine(s string) string { return strings.NewReplacer("\r", " ", "\n", " ").Replace(s) }
