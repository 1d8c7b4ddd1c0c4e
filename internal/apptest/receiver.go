package apptest

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The real alert receivers the notification channel tests send to, each
// pinned by a module of its own under tools/ and built by scripts/test
// into .cache/bin like Hydra.
const (
	MailpitEnv      = "TC_TEST_MAILPIT"
	mailpitCacheBin = ".cache/bin/mailpit-v1.33.1"

	AlertmanagerEnv      = "TC_TEST_ALERTMANAGER"
	alertmanagerCacheBin = ".cache/bin/alertmanager-v0.35.0"
)

var mailpitNotice, alertmanagerNotice sync.Once

// RequireMailpit returns the Mailpit binary, skipping tb loudly when there
// is none (failing it when CI is set).
func RequireMailpit(tb testing.TB) string {
	tb.Helper()
	return requireTool(tb, MailpitEnv, mailpitCacheBin, &mailpitNotice, "MAILPIT TESTS",
		"email channel tests need Mailpit ("+MailpitEnv+" or "+mailpitCacheBin+"; ./scripts/test builds it from tools/mailpit)")
}

// RequireAlertmanager returns the Alertmanager binary, skipping tb loudly
// when there is none (failing it when CI is set).
func RequireAlertmanager(tb testing.TB) string {
	tb.Helper()
	return requireTool(tb, AlertmanagerEnv, alertmanagerCacheBin, &alertmanagerNotice, "ALERTMANAGER TESTS",
		"alertmanager channel tests need Prometheus Alertmanager ("+AlertmanagerEnv+" or "+alertmanagerCacheBin+"; ./scripts/test builds it from tools/alertmanager)")
}

func requireTool(tb testing.TB, env, cacheBin string, notice *sync.Once, banner, msg string) string {
	tb.Helper()
	if bin := os.Getenv(env); bin != "" {
		if _, err := os.Stat(bin); err != nil {
			tb.Fatalf("%s=%s: %v", env, bin, err)
		}
		return bin
	}
	if root := moduleRoot(); root != "" && fileExists(filepath.Join(root, cacheBin)) {
		return filepath.Join(root, cacheBin)
	}
	missing(tb, notice, banner, msg)
	return ""
}

// Mailpit is a running Mailpit: SMTP on SMTPPort, its HTTP API at URL.
type Mailpit struct {
	SMTPPort int
	URL      string
	Output   *SafeBuffer
}

// MailpitOptions: TLSCert and TLSKey (PEM files) turn on STARTTLS;
// AcceptAnyAuth takes any username and password, also over plain text.
type MailpitOptions struct {
	TLSCert, TLSKey string
	AcceptAnyAuth   bool
}

// StartMailpit runs Mailpit on free loopback ports with its database in a
// temporary directory until tb's cleanup, and returns once its API answers.
func StartMailpit(tb testing.TB, o MailpitOptions) *Mailpit {
	tb.Helper()
	bin := RequireMailpit(tb)
	dir := tb.TempDir()
	m := &Mailpit{SMTPPort: freePort(tb), Output: &SafeBuffer{}}
	uiPort := freePort(tb)
	m.URL = fmt.Sprintf("http://127.0.0.1:%d", uiPort)
	args := []string{"--database", filepath.Join(dir, "mailpit.db"), "--listen", fmt.Sprintf("127.0.0.1:%d", uiPort),
		"--smtp", fmt.Sprintf("127.0.0.1:%d", m.SMTPPort), "--disable-version-check", "--quiet"}
	if o.TLSCert != "" {
		args = append(args, "--smtp-tls-cert", o.TLSCert, "--smtp-tls-key", o.TLSKey)
	}
	if o.AcceptAnyAuth {
		args = append(args, "--smtp-auth-accept-any", "--smtp-auth-allow-insecure")
	}
	startDaemon(tb, "mailpit", bin, args, dir, m.Output, m.URL+"/api/v1/info")
	return m
}

// Alertmanager is a running Alertmanager, its API at URL.
type Alertmanager struct {
	URL    string
	Output *SafeBuffer
}

// AlertmanagerOptions: ResolveTimeout is the configuration's global
// resolve_timeout, after which Alertmanager resolves an alert posted
// without endsAt (its own default, 5 minutes, when zero).
type AlertmanagerOptions struct {
	ResolveTimeout time.Duration
}

// StartAlertmanager runs Alertmanager on a free loopback port, clustering
// off, with a route to a receiver that sends nowhere and its storage in a
// temporary directory, until tb's cleanup.
func StartAlertmanager(tb testing.TB) *Alertmanager {
	tb.Helper()
	return StartAlertmanagerWith(tb, AlertmanagerOptions{})
}

// StartAlertmanagerWith is StartAlertmanager with options.
func StartAlertmanagerWith(tb testing.TB, o AlertmanagerOptions) *Alertmanager {
	tb.Helper()
	bin := RequireAlertmanager(tb)
	dir := tb.TempDir()
	conf := filepath.Join(dir, "alertmanager.yml")
	yml := "route:\n  receiver: nowhere\nreceivers:\n  - name: nowhere\n"
	if o.ResolveTimeout > 0 {
		yml = fmt.Sprintf("global:\n  resolve_timeout: %dms\n", o.ResolveTimeout.Milliseconds()) + yml
	}
	if err := os.WriteFile(conf, []byte(yml), 0o600); err != nil {
		tb.Fatal(err)
	}
	port := freePort(tb)
	a := &Alertmanager{URL: fmt.Sprintf("http://127.0.0.1:%d", port), Output: &SafeBuffer{}}
	startDaemon(tb, "alertmanager", bin, []string{"--config.file=" + conf, "--storage.path=" + filepath.Join(dir, "data"),
		fmt.Sprintf("--web.listen-address=127.0.0.1:%d", port), "--cluster.listen-address=", "--log.level=warn"},
		dir, a.Output, a.URL+"/-/ready")
	return a
}

// startDaemon starts bin with args in dir, stops it (SIGTERM, then kill)
// at tb's cleanup, and waits up to a minute for ready to answer 200.
func startDaemon(tb testing.TB, name, bin string, args []string, dir string, out *SafeBuffer, ready string) {
	tb.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = []string{"HOME=" + dir, "PATH=/usr/bin:/bin", "TMPDIR=" + dir}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		tb.Fatalf("start %s: %v", name, err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	tb.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(time.Minute)
	for {
		select {
		case <-done:
			tb.Fatalf("%s exited:\n%s", name, out.String())
		default:
		}
		if resp, err := client.Get(ready); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%s not ready in a minute:\n%s", name, out.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}
