package notify_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/apptest"
	"github.com/telegrafcontroller/tc/internal/notify"
)

// getJSON decodes GET url into v.
func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}

// mailpitMessage is what Mailpit's API tells of one message.
type mailpitMessage struct {
	ID        string
	MessageID string
	Subject   string
	Text      string
	From      struct{ Address string }
	To        []struct{ Address string }
}

// mailpitMessages returns every message Mailpit holds, newest first, whole.
func mailpitMessages(t *testing.T, mp *apptest.Mailpit) []mailpitMessage {
	t.Helper()
	var list struct{ Messages []struct{ ID string } }
	getJSON(t, mp.URL+"/api/v1/messages", &list)
	out := make([]mailpitMessage, len(list.Messages))
	for i, m := range list.Messages {
		getJSON(t, mp.URL+"/api/v1/message/"+m.ID, &out[i])
	}
	return out
}

// selfSigned writes a certificate for 127.0.0.1 and its key into dir and
// returns their paths and a pool that trusts it.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalECPrivateKey(key)
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600)
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// TestEmailToMailpit sends to a real Mailpit over plain SMTP (loopback)
// and over STARTTLS with AUTH PLAIN: the message arrives with the title as
// subject, the counts, the first subjects and the link in its body, and a
// Message-ID made from the idempotency key, so a retry is recognisably the
// same message.
func TestEmailToMailpit(t *testing.T) {
	certFile, keyFile, pool := selfSigned(t, t.TempDir())
	mp := apptest.StartMailpit(t, apptest.MailpitOptions{TLSCert: certFile, TLSKey: keyFile, AcceptAnyAuth: true})
	for _, tt := range []struct {
		name     string
		security string
		username string
	}{
		{"plain", tc.EmailPlain, ""},
		{"starttls with auth", tc.EmailStartTLS, "tc"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ch := &tc.NotificationChannel{ID: "e", Name: "mail", Kind: tc.ChannelEmail, Enabled: true, Email: &tc.EmailSettings{
				Host: "127.0.0.1", Port: mp.SMTPPort, Security: tt.security, Username: tt.username, Password: "pw",
				From: "Telegraf Controller <tc@example.com>", To: []string{"ops@example.com", "oncall@example.com"}}}
			if err := ch.Validate(); err != nil {
				t.Fatal(err)
			}
			d := notify.NewDispatcher(channels{"e": ch}, notify.Options{TLSConfig: &tls.Config{RootCAs: pool}})
			m := testMessage(25)
			m.IdempotencyKey = "outbox-" + tt.name
			if err := d.Send(context.Background(), "e", m); err != nil {
				t.Fatal(err)
			}
			got := mailpitMessages(t, mp)[0]
			sum := sha256.Sum256([]byte(m.IdempotencyKey))
			if want := "tc." + hex.EncodeToString(sum[:16]) + "@example.com"; got.MessageID != want {
				t.Errorf("Message-ID = %q, want %q", got.MessageID, want)
			}
			if got.Subject != "[FIRING] 25 agents not reporting (rule Datacenter A)" {
				t.Errorf("subject = %q", got.Subject)
			}
			if got.From.Address != "tc@example.com" || len(got.To) != 2 || got.To[1].Address != "oncall@example.com" {
				t.Errorf("from %v to %v", got.From, got.To)
			}
			for _, want := range []string{"Rule: Datacenter A", "Count: 25", "- web0: not_reporting", "- web9: not_reporting",
				"and 15 more", "See them in Telegraf Controller: " + m.Link} {
				if !strings.Contains(got.Text, want) {
					t.Errorf("body lacks %q:\n%s", want, got.Text)
				}
			}
			if strings.Contains(got.Text, "web10") {
				t.Errorf("body lists more than ten agents:\n%s", got.Text)
			}
		})
	}
	t.Run("resolved", func(t *testing.T) {
		ch := &tc.NotificationChannel{ID: "e", Name: "mail", Kind: tc.ChannelEmail, Enabled: true, Email: &tc.EmailSettings{
			Host: "127.0.0.1", Port: mp.SMTPPort, Security: tc.EmailPlain, From: "tc@example.com", To: []string{"ops@example.com"}}}
		d := notify.NewDispatcher(channels{"e": ch}, notify.Options{})
		m := testMessage(2)
		m.Status, m.EndsAt = notify.StatusResolved, m.StartsAt.Add(time.Hour)
		if err := d.Send(context.Background(), "e", m); err != nil {
			t.Fatal(err)
		}
		if got := mailpitMessages(t, mp)[0]; got.Subject != "[RESOLVED] 2 agents not reporting (rule Datacenter A)" {
			t.Errorf("subject = %q", got.Subject)
		}
	})
	t.Run("update names the recovered", func(t *testing.T) {
		ch := &tc.NotificationChannel{ID: "e", Name: "mail", Kind: tc.ChannelEmail, Enabled: true, Email: &tc.EmailSettings{
			Host: "127.0.0.1", Port: mp.SMTPPort, Security: tc.EmailPlain, From: "tc@example.com", To: []string{"ops@example.com"}}}
		d := notify.NewDispatcher(channels{"e": ch}, notify.Options{})
		if err := d.Send(context.Background(), "e", updateMessage()); err != nil {
			t.Fatal(err)
		}
		got := mailpitMessages(t, mp)[0]
		if want := "Recovered: 7 (gone0, gone1, gone2, gone3, gone4 and 2 more)"; !strings.Contains(got.Text, want) {
			t.Errorf("body lacks %q:\n%s", want, got.Text)
		}
	})
	t.Run("untrusted certificate is permanent", func(t *testing.T) {
		ch := &tc.NotificationChannel{ID: "e", Name: "mail", Kind: tc.ChannelEmail, Enabled: true, Email: &tc.EmailSettings{
			Host: "127.0.0.1", Port: mp.SMTPPort, Security: tc.EmailStartTLS, From: "tc@example.com", To: []string{"ops@example.com"}}}
		err := notify.NewDispatcher(channels{"e": ch}, notify.Options{}).Send(context.Background(), "e", testMessage(1))
		if retry, _ := notify.RetryAfter(err); retry || !strings.Contains(err.Error(), "not trusted") {
			t.Errorf("untrusted certificate: %v, want a permanent error saying so", err)
		}
	})
}

// amAlert is what Alertmanager's GET /api/v2/alerts tells of one alert.
type amAlert struct {
	Labels      map[string]string
	Annotations map[string]string
	EndsAt      time.Time
	Status      struct{ State string }
}

// TestAlertmanagerReceivesAndResolves posts a firing group of three agents
// to a real Alertmanager: three alerts appear with our labels and
// annotations; the resolved message ends them, and they leave the active
// list.
func TestAlertmanagerReceivesAndResolves(t *testing.T) {
	am := apptest.StartAlertmanager(t)
	ch := &tc.NotificationChannel{ID: "am", Name: "am", Kind: tc.ChannelAlertmanager, Enabled: true,
		Alertmanager: &tc.AlertmanagerSettings{URL: am.URL + "/"}}
	d := notify.NewDispatcher(channels{"am": ch}, notify.Options{})
	m := testMessage(3)
	m.StartsAt = time.Now().Add(-time.Minute)
	m.Annotations = map[string]string{"runbook_url": "https://wiki.example.com/tc"}
	if err := d.Send(context.Background(), "am", m); err != nil {
		t.Fatal(err)
	}
	ours := func() []amAlert {
		var all []amAlert
		getJSON(t, am.URL+"/api/v2/alerts?filter=tc_rule_id%3D%22r1%22", &all)
		return all
	}
	got := ours()
	if len(got) != 3 {
		t.Fatalf("alertmanager holds %d of our alerts, want 3: %+v", len(got), got)
	}
	byAgent := map[string]amAlert{}
	for _, a := range got {
		byAgent[a.Labels["agent_id"]] = a
	}
	a := byAgent["a1"]
	for k, want := range map[string]string{"alertname": "Datacenter A", "tc_rule_id": "r1", "tc_event": "not_reporting",
		"agent_id": "a1", "agent": "web1", "team": "ops"} {
		if a.Labels[k] != want {
			t.Errorf("label %s = %q, want %q (labels %v)", k, a.Labels[k], want, a.Labels)
		}
	}
	if a.Annotations["summary"] != m.Summary || a.Annotations["link"] != "https://tc.example.com/agents/a1" ||
		a.Annotations["runbook_url"] == "" || a.Annotations["description"] != "web1 not_reporting" || a.Status.State != "active" {
		t.Errorf("alert = %+v", a)
	}

	m.Status, m.EndsAt = notify.StatusResolved, time.Now().Add(-time.Second)
	if err := d.Send(context.Background(), "am", m); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		left := ours()
		if len(left) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("resolved alerts still listed: %+v", left)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestAlertmanagerEndsAtAndResolved runs Alertmanager with a one-second
// resolve_timeout. An alert posted without ValidFor (no endsAt) lapses
// after it, as Alertmanager does; the alerts of a firing message with
// ValidFor end at now + ValidFor + AlertmanagerGrace and stay active past
// the resolve_timeout. An update whose Resolved names one of them ends
// that one now, and only that one.
func TestAlertmanagerEndsAtAndResolved(t *testing.T) {
	am := apptest.StartAlertmanagerWith(t, apptest.AlertmanagerOptions{ResolveTimeout: time.Second})
	ch := &tc.NotificationChannel{ID: "am", Name: "am", Kind: tc.ChannelAlertmanager, Enabled: true,
		Alertmanager: &tc.AlertmanagerSettings{URL: am.URL}}
	d := notify.NewDispatcher(channels{"am": ch}, notify.Options{})
	ctx := context.Background()
	rule := func(id string) map[string]amAlert {
		var all []amAlert
		getJSON(t, am.URL+"/api/v2/alerts?filter=tc_rule_id%3D%22"+id+"%22", &all)
		out := map[string]amAlert{}
		for _, a := range all {
			out[a.Labels["agent_id"]] = a
		}
		return out
	}

	bare := testMessage(1)
	bare.RuleID, bare.StartsAt = "bare", time.Now().Add(-time.Minute)
	if err := d.Send(ctx, "am", bare); err != nil {
		t.Fatal(err)
	}
	m := testMessage(3)
	m.StartsAt, m.ValidFor = time.Now().Add(-time.Minute), 10*time.Minute
	sent := time.Now()
	if err := d.Send(ctx, "am", m); err != nil {
		t.Fatal(err)
	}
	got := rule("r1")
	if len(got) != 3 {
		t.Fatalf("alertmanager holds %d alerts of r1, want 3: %+v", len(got), got)
	}
	want := sent.Add(m.ValidFor + notify.AlertmanagerGrace)
	if end := got["a0"].EndsAt; end.Before(want.Add(-5*time.Second)) || end.After(want.Add(5*time.Second)) {
		t.Errorf("endsAt = %s, want about %s (now + ValidFor + grace)", end, want)
	}
	// The bare alert lapses after the resolve_timeout; ours do not.
	apptest.Eventually(t, 15*time.Second, "the alert without endsAt lapses after resolve_timeout", func() bool {
		return len(rule("bare")) == 0
	})
	time.Sleep(time.Second)
	if got := rule("r1"); len(got) != 3 || got["a2"].Status.State != "active" {
		t.Fatalf("after the resolve_timeout: %d alerts of r1, want 3 active: %+v", len(got), got)
	}

	// An update: a2 left the group.
	upd := testMessage(3)
	upd.StartsAt, upd.ValidFor = m.StartsAt, m.ValidFor
	upd.Resolved, upd.Subjects, upd.Count = upd.Subjects[2:], upd.Subjects[:2], 2
	if err := d.Send(ctx, "am", upd); err != nil {
		t.Fatal(err)
	}
	apptest.Eventually(t, 10*time.Second, "the resolved subject leaves the active list", func() bool {
		got := rule("r1")
		_, still := got["a2"]
		return !still && len(got) == 2
	})
	if got := rule("r1"); got["a0"].Status.State != "active" || got["a1"].Status.State != "active" {
		t.Errorf("the subjects still firing: %+v", got)
	}
}
