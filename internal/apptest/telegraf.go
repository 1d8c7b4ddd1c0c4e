package apptest

import (
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"
)

// TelegrafEnv names the variable holding the path of a real Telegraf binary
// (scripts/test builds one into .cache/bin and exports it).
const TelegrafEnv = "TC_TEST_TELEGRAF"

var telegrafNotice sync.Once

// RequireTelegraf returns the Telegraf binary, skipping tb loudly when none
// is configured (failing it when CI is set).
func RequireTelegraf(tb testing.TB) string {
	tb.Helper()
	bin := os.Getenv(TelegrafEnv)
	if bin != "" {
		if _, err := os.Stat(bin); err != nil {
			tb.Fatalf("%s=%s: %v", TelegrafEnv, bin, err)
		}
		return bin
	}
	msg := "end-to-end agent tests need " + TelegrafEnv + " (run ./scripts/test, which builds Telegraf)"
	missing(tb, &telegrafNotice, "TELEGRAF TESTS", msg)
	return ""
}

// Telegraf is a running agent process.
type Telegraf struct {
	Output *SafeBuffer // stdout and stderr
	cmd    *exec.Cmd
	done   chan struct{}
}

// StartTelegraf runs the real agent with args and exactly env (plus a
// private HOME), killing it at cleanup.
func StartTelegraf(tb testing.TB, args []string, env ...string) *Telegraf {
	tb.Helper()
	bin := RequireTelegraf(tb)
	a := &Telegraf{Output: &SafeBuffer{}, done: make(chan struct{})}
	a.cmd = exec.Command(bin, args...)
	a.cmd.Env = append([]string{"HOME=" + tb.TempDir(), "PATH=/usr/bin:/bin"}, env...)
	a.cmd.Stdout, a.cmd.Stderr = a.Output, a.Output
	if err := a.cmd.Start(); err != nil {
		tb.Fatalf("start telegraf: %v", err)
	}
	go func() { a.cmd.Wait(); close(a.done) }()
	tb.Cleanup(func() {
		a.cmd.Process.Kill()
		<-a.done
		if tb.Failed() {
			tb.Logf("telegraf output:\n%s", a.Output.String())
		}
	})
	return a
}

// Stop kills the agent and waits for it to end. Telegraf sends no heartbeat
// on shutdown, so a killed agent simply falls silent.
func (a *Telegraf) Stop() {
	a.cmd.Process.Kill()
	<-a.done
}

// Exited reports whether the agent process has ended.
func (a *Telegraf) Exited() bool {
	select {
	case <-a.done:
		return true
	default:
		return false
	}
}

// Eventually polls cond every 100 ms until it holds, failing tb with what
// after timeout. It bounds waits on real processes; it asserts nothing about
// speed.
func Eventually(tb testing.TB, timeout time.Duration, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
