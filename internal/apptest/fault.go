package apptest

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/store"
)

// PostgresServer is a throwaway PostgreSQL server that belongs to one test, which
// may stop and start it (fault injection). The shared cluster of
// TC_TEST_POSTGRES_URL is never stopped. Like scripts/test, it runs as the
// unprivileged user tcpgtest when the test runs as root, since PostgreSQL
// refuses to run as root.
type PostgresServer struct {
	// URL is an admin URL of the cluster's postgres database.
	URL string

	bin, dir string
	port     int
	osUser   string
}

// clusterOSUser runs PostgreSQL when tests run as root (scripts/test's).
const clusterOSUser = "tcpgtest"

var serverNotice sync.Once

// StartPostgresServer initialises and starts a cluster on a free loopback port,
// stopped and removed at cleanup. Without PostgreSQL's binaries it skips
// loudly, or fails when CI is set.
func StartPostgresServer(tb testing.TB) *PostgresServer {
	tb.Helper()
	bin := postgresBinDir()
	if bin == "" {
		msg := "this test needs PostgreSQL's server binaries (initdb, pg_ctl; ./scripts/test installs them)"
		missing(tb, &serverNotice, "POSTGRESQL SERVER TESTS", msg)
	}
	dir, err := os.MkdirTemp("", "tc-pgcluster-")
	if err != nil {
		tb.Fatal(err)
	}
	c := &PostgresServer{bin: bin, dir: dir, port: freePort(tb)}
	if os.Geteuid() == 0 {
		c.osUser = clusterOSUser
		if _, err := user.Lookup(c.osUser); err != nil {
			if out, err := exec.Command("useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", c.osUser).CombinedOutput(); err != nil {
				tb.Fatalf("create user %s: %v: %s", c.osUser, err, out)
			}
		}
		if out, err := exec.Command("chown", c.osUser, dir).CombinedOutput(); err != nil {
			tb.Fatalf("chown %s: %v: %s", dir, err, out)
		}
	}
	tb.Cleanup(func() {
		c.run("pg_ctl", "-D", c.data(), "-m", "immediate", "stop")
		os.RemoveAll(dir)
	})
	if out, err := c.run("initdb", "-D", c.data(), "-U", "tc", "--auth=trust", "--encoding=UTF8", "--no-locale"); err != nil {
		tb.Fatalf("initdb: %v: %s", err, out)
	}
	c.URL = fmt.Sprintf("postgres://tc@127.0.0.1:%d/postgres?sslmode=disable", c.port)
	c.Start(tb)
	return c
}

// Start starts the (stopped) cluster and waits until it accepts connections.
func (c *PostgresServer) Start(tb testing.TB) {
	tb.Helper()
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off", c.port, c.dir)
	if out, err := c.run("pg_ctl", "-D", c.data(), "-w", "-l", filepath.Join(c.dir, "server.log"), "-o", opts, "start"); err != nil {
		log, _ := os.ReadFile(filepath.Join(c.dir, "server.log"))
		tb.Fatalf("start PostgreSQL: %v: %s\n%s", err, out, log)
	}
}

// Stop stops the cluster the way an operator or a crash would end the
// sessions: fast shutdown, every connection closed.
func (c *PostgresServer) Stop(tb testing.TB) {
	tb.Helper()
	if out, err := c.run("pg_ctl", "-D", c.data(), "-w", "-m", "fast", "stop"); err != nil {
		tb.Fatalf("stop PostgreSQL: %v: %s", err, out)
	}
}

// NewDSN creates an empty database on the cluster and returns its URL.
func (c *PostgresServer) NewDSN(tb testing.TB) string {
	tb.Helper()
	db, err := sql.Open("pgx", c.URL)
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	name := fmt.Sprintf("tc_fault_%d", time.Now().UnixNano())
	if _, err := db.Exec("CREATE DATABASE " + name); err != nil {
		tb.Fatalf("create database: %v", err)
	}
	return fmt.Sprintf("postgres://tc@127.0.0.1:%d/%s?sslmode=disable", c.port, name)
}

func (c *PostgresServer) data() string { return filepath.Join(c.dir, "data") }

func (c *PostgresServer) run(name string, args ...string) ([]byte, error) {
	path := filepath.Join(c.bin, name)
	var cmd *exec.Cmd
	if c.osUser != "" {
		cmd = exec.Command("runuser", append([]string{"-u", c.osUser, "--", path}, args...)...)
	} else {
		cmd = exec.Command(path, args...)
	}
	return cmd.CombinedOutput()
}

// postgresBinDir finds initdb and pg_ctl: on PATH, else the newest
// /usr/lib/postgresql/*/bin (Debian's layout).
func postgresBinDir() string {
	if p, err := exec.LookPath("initdb"); err == nil {
		if _, err := exec.LookPath("pg_ctl"); err == nil {
			return filepath.Dir(p)
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) < version(dirs[j]) })
	for i := len(dirs) - 1; i >= 0; i-- {
		if _, err := os.Stat(filepath.Join(dirs[i], "initdb")); err == nil {
			return dirs[i]
		}
	}
	return ""
}

func version(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

// FillSQLite makes s's SQLite database full, as a full disk would:
// max_page_count is lowered to the pages in use (on the single write
// connection, where it stays) and the free pages are filled. The returned
// function lifts the limit again.
func FillSQLite(tb testing.TB, s *store.Store) (unfill func()) {
	tb.Helper()
	ctx := context.Background()
	if _, err := s.WithTxExec(ctx, `CREATE TABLE IF NOT EXISTS test_fill (b BLOB)`); err != nil {
		tb.Fatal(err)
	}
	if _, err := s.WithTxExec(ctx, `PRAGMA max_page_count = 1`); err != nil { // clamps to the pages in use
		tb.Fatal(err)
	}
	for i := 0; ; i++ {
		_, err := s.WithTxExec(ctx, `INSERT INTO test_fill (b) VALUES (randomblob(512))`)
		if tc.ErrorCode(err) == tc.EUNAVAILABLE {
			break
		}
		if err != nil || i > 100000 {
			tb.Fatalf("filling the database: %v after %d rows", err, i)
		}
	}
	return func() {
		if _, err := s.WithTxExec(ctx, `PRAGMA max_page_count = 1073741823`); err != nil {
			tb.Fatal(err)
		}
	}
}
