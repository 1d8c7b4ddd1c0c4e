package apptest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// RsyslogEnv names the variable that may hold the path of rsyslogd
// (default: rsyslogd on PATH, else /usr/sbin/rsyslogd; scripts/test
// installs Debian's rsyslog).
const RsyslogEnv = "TC_TEST_RSYSLOGD"

var rsyslogNotice sync.Once

// RequireRsyslog returns the rsyslogd binary, skipping tb loudly when there
// is none (failing it when CI is set).
func RequireRsyslog(tb testing.TB) string {
	tb.Helper()
	if bin := os.Getenv(RsyslogEnv); bin != "" {
		if _, err := os.Stat(bin); err != nil {
			tb.Fatalf("%s=%s: %v", RsyslogEnv, bin, err)
		}
		return bin
	}
	if bin, err := exec.LookPath("rsyslogd"); err == nil {
		return bin
	}
	if _, err := os.Stat("/usr/sbin/rsyslogd"); err == nil {
		return "/usr/sbin/rsyslogd"
	}
	missing(tb, &rsyslogNotice, "RSYSLOG TESTS", "syslog forwarding tests need rsyslogd (apt-get install rsyslog; ./scripts/test installs it)")
	return ""
}

// Rsyslog is a real rsyslogd receiving RFC 5424 messages on loopback, over
// TCP and UDP, and writing each as one line of Output:
//
//	inputname|protocol-version|app-name|msgid|pri|msg
type Rsyslog struct {
	TCPPort, UDPPort int
	Output           string // the file rsyslogd writes
	dir, bin         string
	cmd              *exec.Cmd
	done             chan struct{}
	log              *SafeBuffer
	starts           int
}

// StartRsyslog writes a throwaway configuration and runs rsyslogd -n on it
// until cleanup, returning once both inputs receive.
func StartRsyslog(tb testing.TB) *Rsyslog {
	tb.Helper()
	bin := RequireRsyslog(tb)
	dir := tb.TempDir()
	r := &Rsyslog{dir: dir, bin: bin, Output: filepath.Join(dir, "messages"), TCPPort: freePort(tb), UDPPort: freeUDPPort(tb)}
	conf := fmt.Sprintf(`global(workDirectory=%[1]q maxMessageSize="64k")
module(load="imtcp")
module(load="imudp")
template(name="tcaudit" type="string" string="%%inputname%%|%%protocol-version%%|%%app-name%%|%%msgid%%|%%pri%%|%%msg%%\n")
ruleset(name="audit") {
  action(type="omfile" file=%[2]q template="tcaudit")
}
input(type="imtcp" address="127.0.0.1" port="%[3]d" ruleset="audit")
input(type="imudp" address="127.0.0.1" port="%[4]d" ruleset="audit")
`, dir, r.Output, r.TCPPort, r.UDPPort)
	if err := os.WriteFile(filepath.Join(dir, "rsyslog.conf"), []byte(conf), 0o600); err != nil {
		tb.Fatal(err)
	}
	r.Start(tb)
	tb.Cleanup(r.Stop)
	return r
}

// Start (re)starts rsyslogd on the same ports and waits until both inputs
// receive: a probe datagram (app-name "probe") sent after it started
// reaches Output.
func (r *Rsyslog) Start(tb testing.TB) {
	tb.Helper()
	r.log, r.done = &SafeBuffer{}, make(chan struct{})
	r.starts++
	probe := fmt.Sprintf("probe%d", r.starts)
	r.cmd = exec.Command(r.bin, "-n", "-f", filepath.Join(r.dir, "rsyslog.conf"), "-i", filepath.Join(r.dir, "rsyslogd.pid"))
	r.cmd.Stdout, r.cmd.Stderr = r.log, r.log
	if err := r.cmd.Start(); err != nil {
		tb.Fatalf("start rsyslogd: %v", err)
	}
	go func() { r.cmd.Wait(); close(r.done) }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case <-r.done:
			tb.Fatalf("rsyslogd exited: %s", r.log.String())
		default:
		}
		if time.Now().After(deadline) {
			tb.Fatalf("rsyslogd did not start receiving in 30s: %s", r.log.String())
		}
		if c, err := net.Dial("udp", fmt.Sprintf("127.0.0.1:%d", r.UDPPort)); err == nil {
			fmt.Fprintf(c, "<13>1 - - probe - - - %s", probe)
			c.Close()
		}
		if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", r.TCPPort)); err == nil {
			c.Close()
			if b, _ := os.ReadFile(r.Output); strings.Contains(string(b), "|"+probe+"\n") {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Stop ends rsyslogd (it flushes and exits on SIGTERM).
func (r *Rsyslog) Stop() {
	if r.cmd == nil || r.cmd.Process == nil {
		return
	}
	select {
	case <-r.done:
		return
	default:
	}
	r.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-r.done:
	case <-time.After(10 * time.Second):
		r.cmd.Process.Kill()
		<-r.done
	}
}

// Lines returns Output's lines but the probes, each split into its six
// fields.
func (r *Rsyslog) Lines(tb testing.TB) [][]string {
	tb.Helper()
	b, err := os.ReadFile(r.Output)
	if err != nil && !os.IsNotExist(err) {
		tb.Fatal(err)
	}
	var out [][]string
	for _, l := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		f := strings.SplitN(l, "|", 6)
		if len(f) == 6 && f[2] != "probe" {
			out = append(out, f)
		}
	}
	return out
}

func freeUDPPort(tb testing.TB) int {
	tb.Helper()
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}
