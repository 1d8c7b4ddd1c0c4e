package main_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var built struct {
	sync.Once
	bin string
	err error
}

// buildBinary compiles the controller once per test run with CGO disabled,
// as it ships.
func buildBinary(t *testing.T) string {
	t.Helper()
	built.Do(func() {
		dir, err := os.MkdirTemp("", "tc-bin")
		if err != nil {
			built.err = err
			return
		}
		built.bin = filepath.Join(dir, "telegraf-controller")
		cmd := exec.Command("go", "build", "-o", built.bin, ".")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			built.err = fmt.Errorf("CGO_ENABLED=0 go build: %v\n%s", err, out)
		}
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built.bin
}

func TestMain(m *testing.M) {
	code := m.Run()
	if built.bin != "" {
		os.RemoveAll(filepath.Dir(built.bin))
	}
	os.Exit(code)
}

var listenRE = regexp.MustCompile(`msg=listening listener=(\w+) address=(\S+)`)

// TestBinaryStartsAndStopsCleanly runs the real binary with nothing but a
// data directory, checks both listeners answer, then stops it with SIGTERM.
func TestBinaryStartsAndStopsCleanly(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildBinary(t)
	data := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--port", "0", "--heartbeat-port", "0", "--bind", "127.0.0.1")
	cmd.Dir = t.TempDir()
	cmd.Env = []string{"XDG_DATA_HOME=" + data, "HOME=" + data, "PATH=" + os.Getenv("PATH")}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addrs := map[string]string{}
	sc := bufio.NewScanner(stderr)
	var logs strings.Builder
	for len(addrs) < 2 && sc.Scan() {
		logs.WriteString(sc.Text() + "\n")
		if m := listenRE.FindStringSubmatch(sc.Text()); m != nil {
			addrs[m[1]] = m[2]
		}
	}
	if len(addrs) < 2 {
		cmd.Process.Kill()
		t.Fatalf("listeners not logged; output:\n%s", logs.String())
	}
	rest := make(chan string)
	go func() { b, _ := io.ReadAll(stderr); rest <- string(b) }()

	for _, c := range []struct{ url, want string }{
		{"http://" + addrs["main"] + "/health/ready", `{"ready":true}`},
		{"http://" + addrs["heartbeat"] + "/health", `{"status":"ok"}`},
	} {
		resp, err := http.Get(c.url)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || strings.TrimSpace(string(b)) != c.want {
			t.Errorf("GET %s = %d %s, want 200 %s", c.url, resp.StatusCode, b, c.want)
		}
	}
	if _, err := os.Stat(filepath.Join(data, "telegraf-controller", "sqlite.db")); err != nil {
		t.Errorf("SQLite file not created under XDG_DATA_HOME: %v", err)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	err = cmd.Wait()
	out := <-rest
	if err != nil {
		t.Fatalf("exit after SIGTERM: %v\n%s", err, out)
	}
	if !strings.Contains(out, "shutting down") {
		t.Errorf("no shutdown log line:\n%s", out)
	}
}

// TestBinaryBadInputExitsWithOneLine checks that start-up errors print one
// line, never a stack trace, and exit non-zero.
func TestBinaryBadInputExitsWithOneLine(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildBinary(t)
	dir := t.TempDir()
	junk := filepath.Join(dir, "junk.db")
	os.WriteFile(junk, []byte(strings.Repeat("not sqlite ", 500)), 0o600)
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--port", "nope"}, 2, "invalid flag --port"},
		{[]string{"--bogus"}, 2, "bogus"},
		{[]string{"--port", "0", "--heartbeat-port", "0", "--database", junk}, 1, "is not a SQLite database"},
	} {
		cmd := exec.Command(bin, c.args...)
		cmd.Dir = dir
		cmd.Env = []string{"HOME=" + dir}
		out, err := cmd.CombinedOutput()
		exit, _ := err.(*exec.ExitError)
		if exit == nil || exit.ExitCode() != c.code {
			t.Errorf("%v: err = %v, want exit %d", c.args, err, c.code)
		}
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		last := lines[len(lines)-1]
		if !strings.Contains(last, c.want) || strings.Contains(string(out), "goroutine ") {
			t.Errorf("%v: output %q, want a last line containing %q and no stack trace", c.args, out, c.want)
		}
	}
}
