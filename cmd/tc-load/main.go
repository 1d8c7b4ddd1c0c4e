// Command tc-load measures heartbeat ingestion. It simulates many Telegraf
// agents, each with its own id, posting heartbeats shaped like the ones a
// real Telegraf 1.39.3 sends, over keep-alive connections to a loopback
// address, and reports throughput and latency percentiles.
//
// In the same run it measures a bare net/http handler that only discards the
// body, so the controller's throughput is reported as a ratio on this
// machine. It targets a running controller (-url, -token, optionally -db and
// -pid for the freshness check and peak RSS) or starts one in-process on a
// temporary SQLite database. Several controllers of a cluster take
// comma-separated -url and -pid lists: the connections are dealt out over
// the URLs, so one agent's beats reach every node in turn, as behind a
// round-robin load balancer. See docs/performance.md.
package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/bits"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/signal"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"runtime/trace"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/app"
)

type options struct {
	url, token, db    string
	pids              string
	pgPid             int
	agents            int
	rate              float64
	duration, compare time.Duration
	conns             int
	logFraction       float64
	noAuth            bool
	serverArgs        string
	cpuProfile        string
	freshnessTimeout  time.Duration
	warmup            bool
	rateBaseline      time.Duration
	settle            time.Duration
	window            time.Duration
	watchURL          string
	watchInterval     time.Duration
	watchConns        int
	serveBare         string
	traceSlow         time.Duration
	traceFile         string
	traceMax          int
}

func main() {
	var o options
	flag.StringVar(&o.url, "url", "", "heartbeat URL of a running controller, e.g. http://127.0.0.1:8000/agents/heartbeat (loopback only), or several comma-separated (the nodes of a cluster: connection i sends to URL i mod n); empty starts a controller in-process on a temporary SQLite database")
	flag.StringVar(&o.token, "token", "", "API token with heartbeat:write for -url (empty: send none)")
	flag.StringVar(&o.db, "db", "", "database of the -url controller (SQLite file or postgres:// URL), read after the load to check every agent's latest state arrived")
	flag.StringVar(&o.pids, "pid", "", "process id of the -url controller, to report its CPU per beat and peak RSS; comma-separated for several")
	flag.IntVar(&o.pgPid, "pg-pid", 0, "process id of the PostgreSQL postmaster of -db, to report PostgreSQL's CPU per beat (it and its children)")
	flag.IntVar(&o.agents, "agents", 10000, "distinct agent ids; they beat in turn")
	flag.Float64Var(&o.rate, "rate", 0, "heartbeats per second of the sustained phase (0 skips it)")
	flag.DurationVar(&o.duration, "duration", 30*time.Second, "length of the sustained phase")
	flag.DurationVar(&o.compare, "compare", 10*time.Second, "length of each closed-loop throughput phase, bare handler then controller (0 skips them)")
	flag.IntVar(&o.conns, "conns", 64, "keep-alive connections (each sends one request at a time)")
	flag.Float64Var(&o.logFraction, "log-fraction", 0.01, "fraction of heartbeats that carry an ERROR log entry and status WARN")
	flag.BoolVar(&o.noAuth, "no-auth", false, "in-process: start with --disable-auth-endpoints heartbeat,configs and send no token")
	flag.StringVar(&o.serverArgs, "server-args", "", "in-process: extra controller flags, space separated (e.g. \"--heartbeat-flush-agents 20000\")")
	flag.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of this process (in-process: controller and load) to the file, from the end of the warm-up (the steady state) to the end of the load")
	flag.BoolVar(&o.warmup, "warmup", false, "before measuring, send every agent one heartbeat (closed loop, not measured; a refused beat is sent again, as Telegraf would with its next one) and wait until the database holds them all, so that the phases see a known fleet")
	flag.DurationVar(&o.rateBaseline, "rate-baseline", 30*time.Second, "length of the open-loop phase against the bare handler at -rate, run before the controller's (0 skips it): the latency the machine itself allows at that rate")
	flag.DurationVar(&o.settle, "settle", 0, "length of an open-loop phase at -rate just before the measured one, reported apart (0 skips it): after a warm-up longer than the reporting rule's threshold the first sweep marks the agents created first not_reporting, and each one's next beat restores it; the settle phase takes those restores, so the measured phase sees the steady fleet")
	flag.DurationVar(&o.window, "window", 10*time.Second, "open loop: also report latency per window of this length (by scheduled send time), and the CPU used in it (by the wall clock), to show drift over a run (0: only the whole phase)")
	flag.StringVar(&o.watchURL, "watch-url", "", "watcher mode: the config URL every agent's watcher polls with HEAD, as Telegraf's --config-url-watch-interval does ({id} is replaced by the agent's id, e.g. http://127.0.0.1:8888/api/configs/ID/toml?agent_id={id}); in-process, empty creates a config and uses its URL with ?agent_id={id}")
	flag.DurationVar(&o.watchInterval, "watch-interval", 0, "watcher mode: each agent's HEAD interval (0: no watcher traffic); the open-loop phases then also send agents/interval HEADs a second, on connections of their own")
	flag.IntVar(&o.watchConns, "watch-conns", 16, "watcher mode: keep-alive connections for the HEADs")
	flag.StringVar(&o.serveBare, "serve-bare", "", "only serve the bare handler on this loopback address until interrupted (the baseline for another load tool, e.g. scripts/bench-heartbeat-wrk)")
	flag.DurationVar(&o.traceSlow, "trace-slow", 0, "after the warm-up, keep the last seconds of this process's runtime trace in memory (Go's flight recorder; in-process, the controller's too) and write them to -trace-file when a request first takes longer than this, to see what a stall was made of (0: off; the recorder costs some CPU, and its memory counts in the RSS reported)")
	flag.StringVar(&o.traceFile, "trace-file", "tc-load-slow.trace", "where -trace-slow writes its trace (read it with go tool trace)")
	flag.IntVar(&o.traceMax, "trace-max", 1, "-trace-slow: how many slow requests may write a trace, at least 20 s apart; the second and later go to -trace-file with .2, .3 … appended")
	flag.DurationVar(&o.freshnessTimeout, "freshness-timeout", 60*time.Second, "how long to wait for the database to hold every acknowledged heartbeat")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "tc-load:", err)
		os.Exit(1)
	}
}

func run(o options) error {
	if o.serveBare != "" {
		return serveBare(o.serveBare)
	}
	if o.agents <= o.conns {
		return fmt.Errorf("-agents (%d) must exceed -conns (%d): one agent never has two beats in flight", o.agents, o.conns)
	}
	target, token, db := o.url, o.token, o.db
	var pids []int
	for _, f := range strings.Split(o.pids, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n <= 0 {
			return fmt.Errorf("-pid %q: want process ids, comma-separated", o.pids)
		}
		pids = append(pids, n)
	}
	if o.watchInterval < 0 || (o.watchInterval > 0 && o.watchConns <= 0) {
		return fmt.Errorf("-watch-interval and -watch-conns must be positive")
	}
	var stopController func()
	var inProcess *controller
	var flushInterval = time.Second
	if target == "" {
		c, err := startController(o)
		if err != nil {
			return err
		}
		stopController, inProcess = c.stop, c
		target, token, db, pids = c.url, c.token, c.dsn, []int{os.Getpid()}
		if o.watchURL == "" {
			o.watchURL = c.configURL + "?agent_id={id}"
		}
		flushInterval = c.flushInterval
		defer func() {
			if stopController != nil {
				stopController()
			}
		}()
	}
	var u []*url.URL
	for _, t := range strings.Split(target, ",") {
		tu, err := url.Parse(t)
		if err != nil || tu.Scheme != "http" {
			return fmt.Errorf("-url %q: want http://127.0.0.1:PORT/agents/heartbeat", t)
		}
		if err := requireLoopback(tu.Hostname()); err != nil {
			return err
		}
		u = append(u, tu)
	}
	fmt.Printf("machine: %d CPUs (GOMAXPROCS %d), %s; agents %d, conns %d, log fraction %.3f\n",
		runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.Version(), o.agents, o.conns, o.logFraction)

	gen := newGenerator(o.agents, o.logFraction, token)
	if inProcess == nil {
		gen.pids = pids
	}
	gen.pgPid = o.pgPid
	if o.warmup {
		gen.resendRefused = true
		w := gen.phase("warm-up: one beat per agent", u, o.conns, 0, time.Hour, true, uint64(o.agents))
		gen.resendRefused = false
		w.print()
		if db != "" {
			// The fleet must be in the database before measuring, or the
			// phases would measure its creation.
			if err := checkFreshness("warm-up", db, gen, time.Now(), flushInterval, 30*time.Minute); err != nil {
				return fmt.Errorf("warm-up: %w", err)
			}
		} else {
			time.Sleep(2 * flushInterval)
		}
	}
	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	if o.traceSlow > 0 {
		stop, err := gen.recordSlow(o.traceSlow, o.traceFile, max(o.traceMax, 1))
		if err != nil {
			return err
		}
		defer stop()
	}
	if o.compare > 0 {
		bare, stopBare, err := startBare()
		if err != nil {
			return err
		}
		bu, _ := url.Parse(bare)
		b := gen.phase("bare net/http handler (closed loop)", []*url.URL{bu}, o.conns, 0, o.compare, false, 0)
		stopBare()
		c := gen.phase("controller (closed loop)", u, o.conns, 0, o.compare, true, 0)
		b.print()
		c.print()
		if b.throughput() > 0 {
			fmt.Printf("ratio controller/bare: %.2f by throughput", c.throughput()/b.throughput())
			if b.cpu > 0 && c.cpu > 0 && b.ok > 0 && c.ok > 0 {
				// On a shared machine the wall-clock ratio measures the
				// neighbours too; CPU per beat does not.
				per := func(r *result) float64 { return float64(r.cpu) / float64(r.ok) }
				fmt.Printf(", %.2f by CPU per beat (what a dedicated CPU-bound machine would show)", per(b)/per(c))
			}
			fmt.Println()
		}
	}
	// Windows for the bare handler too: its drift is the machine's own.
	gen.window = o.window
	if o.rate > 0 && o.rateBaseline > 0 {
		bare, stopBare, err := startBare()
		if err != nil {
			return err
		}
		bu, _ := url.Parse(bare)
		b := gen.phase(fmt.Sprintf("bare net/http handler at %.0f/s (open loop)", o.rate), []*url.URL{bu}, o.conns, o.rate, o.rateBaseline, false, 0)
		stopBare()
		b.print()
	}
	var watch *watcher
	if o.watchInterval > 0 {
		if o.watchURL == "" {
			return fmt.Errorf("-watch-interval needs -watch-url with -url")
		}
		wu, err := url.Parse(o.watchURL)
		if err != nil || wu.Scheme != "http" {
			return fmt.Errorf("-watch-url %q: want http://127.0.0.1:PORT/api/configs/ID/toml", o.watchURL)
		}
		if err := requireLoopback(wu.Hostname()); err != nil {
			return err
		}
		watch = &watcher{url: wu, rate: float64(o.agents) / o.watchInterval.Seconds(), conns: o.watchConns}
		fmt.Printf("watcher mode: every agent sends HEAD %s every %s: %.0f HEADs/s beside the beats\n", o.watchURL, o.watchInterval, watch.rate)
	}
	if o.rate > 0 && o.settle > 0 {
		if err := gen.openLoop(fmt.Sprintf("settle: controller at %.0f/s (open loop, not the measurement)", o.rate), u, o.conns, o.rate, o.settle, watch); err != nil {
			return err
		}
	}
	if o.rate > 0 {
		if err := gen.openLoop(fmt.Sprintf("controller at %.0f/s (open loop)", o.rate), u, o.conns, o.rate, o.duration, watch); err != nil {
			return err
		}
	}
	loadEnd := time.Now()
	if db != "" {
		if err := checkFreshness("freshness", db, gen, loadEnd, flushInterval, o.freshnessTimeout); err != nil {
			fmt.Println("freshness:", err)
		}
	}
	for _, pid := range pids {
		printRSS(pid, pid == os.Getpid())
	}
	if inProcess != nil {
		printFlushes(inProcess.m)
	}
	return nil
}

// printFlushes summarizes the in-process controller's flush metrics.
func printFlushes(m *app.Main) {
	families, err := m.Metrics.Registry.Gather()
	if err != nil {
		return
	}
	var n uint64
	var seconds, agents float64
	for _, f := range families {
		for _, mt := range f.GetMetric() {
			h := mt.GetHistogram()
			switch f.GetName() {
			case "tc_heartbeat_flush_duration_seconds":
				n, seconds = h.GetSampleCount(), h.GetSampleSum()
			case "tc_heartbeat_flush_batch_size":
				agents = h.GetSampleSum()
			}
		}
	}
	if n > 0 {
		fmt.Printf("flushes: %d, %.0f agents each on average, %.1f ms each on average (%.1f µs per agent written)\n",
			n, agents/float64(n), seconds/float64(n)*1000, seconds/agents*1e6)
	}
}

// requireLoopback refuses any target but this machine.
func requireLoopback(host string) error {
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("target host %q is not a loopback address; tc-load only talks to 127.0.0.1 or ::1", host)
	}
	return nil
}

// controller is an in-process controller.
type controller struct {
	m               *app.Main
	url, token, dsn string
	configURL       string // of the config the watcher mode polls
	flushInterval   time.Duration
	stop            func()
}

func startController(o options) (*controller, error) {
	dir, err := os.MkdirTemp("", "tc-load-")
	if err != nil {
		return nil, err
	}
	args := []string{"--port", "0", "--heartbeat-port", "0", "--bind", "127.0.0.1", "--data-dir", dir, "--log-level", "warn", "--drain-period", "0"}
	if o.noAuth {
		args = append(args, "--disable-auth-endpoints", "heartbeat,configs")
	}
	args = append(args, strings.Fields(o.serverArgs)...)
	m := app.NewMain()
	m.Getenv = func(string) string { return "" }
	if m.Config, err = app.ParseConfig(args, m.Getenv, nil, io.Discard); err != nil {
		return nil, err
	}
	ctx := context.Background()
	if err := m.Run(ctx); err != nil {
		m.Close()
		return nil, err
	}
	c := &controller{m: m, url: "http://" + m.HeartbeatAddr() + "/agents/heartbeat", dsn: dir + "/sqlite.db", flushInterval: m.Config.HeartbeatFlushInterval}
	c.stop = func() {
		start := time.Now()
		if err := m.Close(); err != nil {
			fmt.Fprintln(os.Stderr, "close controller:", err)
		}
		fmt.Printf("controller shut down in %s\n", time.Since(start).Round(time.Millisecond))
		os.RemoveAll(dir)
	}
	if !o.noAuth {
		u := &tc.User{Username: "tc-load", Email: "tc-load@example.test", Role: tc.RoleManager}
		if err := m.Store.CreateUser(ctx, u); err != nil {
			c.stop()
			return nil, err
		}
		secret := tc.NewTokenSecret()
		t := &tc.Token{Description: "tc-load", UserID: u.ID, Permissions: []tc.Permission{tc.Perm(tc.ResHeartbeat, tc.ActionWrite), tc.Perm(tc.ResConfigs, tc.ActionRead)},
			Hash: tc.HashSecret(secret), Last4: secret[len(secret)-4:]}
		if err := m.Store.CreateToken(ctx, t); err != nil {
			c.stop()
			return nil, err
		}
		c.token = secret
	}
	cfg := &tc.Config{Name: "tc-load", TOML: "[agent]\n  interval = \"1m\"\n\n[[outputs.heartbeat]]\n  url = \"" + c.url + "\"\n  instance_id = \"&{agent_id}\"\n"}
	if err := m.Store.CreateConfig(ctx, cfg, ""); err != nil {
		c.stop()
		return nil, err
	}
	c.configURL = "http://" + m.MainAddr() + "/api/configs/" + cfg.ID + "/toml"
	fmt.Printf("in-process controller: %s, SQLite %s, flush every %s or %d agents\n", c.url, c.dsn, c.flushInterval, m.Config.HeartbeatFlushAgents)
	return c, nil
}

// serveBare serves the bare handler on addr until SIGINT or SIGTERM.
func serveBare(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("-serve-bare %q: %w", addr, err)
	}
	if err := requireLoopback(host); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: bareHandler, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
	go func() { <-stop; srv.Close() }()
	fmt.Printf("bare handler on http://%s/agents/heartbeat\n", ln.Addr())
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// bareHandler reads and discards the body and answers 204.
var bareHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	io.Copy(io.Discard, r.Body)
	w.WriteHeader(http.StatusNoContent)
})

// startBare serves a handler that reads and discards the body and answers
// 204: the ceiling for any heartbeat handler on this machine.
func startBare() (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: bareHandler, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second}
	go srv.Serve(ln)
	return "http://" + ln.Addr().String() + "/agents/heartbeat", func() { srv.Close() }, nil
}

// generator builds heartbeat requests and remembers, per agent, the round
// number of its last acknowledged beat (sent as statistics.metrics), which
// the freshness check compares with the database.
type generator struct {
	pids        []int // the controllers' processes when they are not this one (none or this: empty)
	pgPid       int   // the PostgreSQL postmaster (0: not measured)
	agents      int
	logFraction float64
	token       string
	// resendRefused sends a beat answered 503 again after a pause instead
	// of counting it as failed (the warm-up).
	resendRefused bool
	// window is the length of the open loop's latency windows (0: none).
	window time.Duration
	// slow, when a request takes longer, calls onSlow (-trace-slow).
	slow   time.Duration
	onSlow func(took time.Duration)
	seq    atomic.Uint64 // next beat number across controller phases
	acked  []atomic.Uint32
}

func newGenerator(agents int, logFraction float64, token string) *generator {
	return &generator{agents: agents, logFraction: logFraction, token: token, acked: make([]atomic.Uint32, agents)}
}

// agentID looks like the UUIDs agents usually get from &{agent_id}.
func agentID(b []byte, i int) []byte {
	b = append(b, "5a1e0c3d-0000-4000-8000-"...)
	s := strconv.FormatInt(int64(i), 16)
	for range 12 - len(s) {
		b = append(b, '0')
	}
	return append(b, s...)
}

// body appends the heartbeat of agent i in round r, in the byte form Go's
// json.Marshal gives it on the agent (compact, & escaped as \u0026).
func (g *generator) body(b []byte, i int, r uint32) []byte {
	logged := g.logFraction > 0 && float64((i*7919+int(r))%10000) < g.logFraction*10000
	b = append(b, `{"id":"`...)
	b = agentID(b, i)
	b = append(b, `","version":"Telegraf 1.39.3 (git: HEAD@eb37a442)","schema":1,"hostname":"host-`...)
	b = strconv.AppendInt(b, int64(i), 10)
	b = append(b, `","configurations":["http://127.0.0.1:8888/api/configs/`...)
	b = append(b, "0c0f1a00-0000-4000-8000-0000000000"...)
	b = strconv.AppendInt(b, int64(10+i%20), 10)
	b = append(b, `/toml?agent_id=`...)
	b = agentID(b, i)
	b = append(b, `\u0026region=eu"],"statistics":{"errors":`...)
	if logged {
		b = append(b, '1')
	} else {
		b = append(b, '0')
	}
	b = append(b, `,"warnings":0,"metrics":`...)
	b = strconv.AppendUint(b, uint64(r), 10)
	b = append(b, `},"logs":[`...)
	if logged {
		b = append(b, `{"time":"2026-11-27T07:20:43.266545801Z","level":"ERROR","source":"inputs.http::api","attributes":{"alias":"api","category":"inputs","plugin":"http"},"message":"E! [inputs.http::api] received status 503 from http://10.0.0.5/health"}`...)
		b = append(b, `],"status":"WARN"}`...)
	} else {
		b = append(b, `],"status":"OK"}`...)
	}
	return b
}

// request appends a full HTTP/1.1 request with the headers Telegraf sends.
func (g *generator) request(b []byte, u *url.URL, body []byte) []byte {
	b = append(b, "POST "...)
	b = append(b, u.RequestURI()...)
	b = append(b, " HTTP/1.1\r\nHost: "...)
	b = append(b, u.Host...)
	b = append(b, "\r\nUser-Agent: Telegraf/1.39.3 Go/1.26.8\r\nContent-Length: "...)
	b = strconv.AppendInt(b, int64(len(body)), 10)
	if g.token != "" {
		b = append(b, "\r\nAuthorization: Bearer "...)
		b = append(b, g.token...)
	}
	b = append(b, "\r\nContent-Type: application/json\r\nAccept-Encoding: gzip\r\n\r\n"...)
	return append(b, body...)
}

// head appends the HEAD Telegraf 1.39's config watcher sends: User-Agent
// and Authorization only (no Accept; Go adds no Accept-Encoding to a HEAD).
func (g *generator) head(b []byte, u *url.URL, agent int) []byte {
	b = append(b, "HEAD "...)
	uri := u.RequestURI()
	if i := strings.Index(uri, "{id}"); i >= 0 {
		b = append(b, uri[:i]...)
		b = agentID(b, agent)
		b = append(b, uri[i+len("{id}"):]...)
	} else {
		b = append(b, uri...)
	}
	b = append(b, " HTTP/1.1\r\nHost: "...)
	b = append(b, u.Host...)
	b = append(b, "\r\nUser-Agent: Telegraf/1.39.3 Go/1.26.8"...)
	if g.token != "" {
		b = append(b, "\r\nAuthorization: Bearer "...)
		b = append(b, g.token...)
	}
	return append(b, "\r\n\r\n"...)
}

// result is one phase's figures.
type result struct {
	name               string
	ok, failed, errors uint64
	elapsed            time.Duration
	hist               *histogram
	windows            []*histogram    // open loop: by scheduled time, window long each
	windowCPU          []time.Duration // CPU of load generator and controller in each window, by wall clock
	window, span       time.Duration
	firstErr           string
	behind             time.Duration // open loop: how late the last beat was sent
	missed             uint64        // open loop: beats not sent by 10 s after the end
	cpu                time.Duration // CPU time of load generator and controller during the phase
	server, pg         time.Duration // of which the controller's (-pid); PostgreSQL's (-pg-pid), apart
	runtime            runtimeStats  // this process's Go runtime over the phase
}

func (r *result) throughput() float64 { return float64(r.ok) / r.elapsed.Seconds() }

func (r *result) print() {
	fmt.Printf("%s: %d ok, %d non-2xx, %d transport errors in %s: %.0f/s; latency p50 %s p90 %s p99 %s p99.9 %s max %s\n",
		r.name, r.ok, r.failed, r.errors, r.elapsed.Round(time.Millisecond), r.throughput(),
		r.hist.quantile(0.5), r.hist.quantile(0.9), r.hist.quantile(0.99), r.hist.quantile(0.999), r.hist.max())
	if r.ok > 0 && r.cpu > 0 {
		fmt.Printf("  CPU: %s for %d beats = %.1f µs per beat (load generator and server together)\n",
			r.cpu.Round(time.Millisecond), r.ok, float64(r.cpu.Microseconds())/float64(r.ok))
		if r.server > 0 {
			fmt.Printf("  CPU per beat: controller %.1f µs, load generator %.1f µs\n",
				float64(r.server.Microseconds())/float64(r.ok), float64((r.cpu-r.server).Microseconds())/float64(r.ok))
		}
		if r.pg > 0 {
			fmt.Printf("  CPU per beat: PostgreSQL %.1f µs (postmaster and its children, %s)\n",
				float64(r.pg.Microseconds())/float64(r.ok), r.pg.Round(time.Millisecond))
		}
	}
	r.runtime.print(r.cpu, r.ok)
	if r.behind > 0 {
		fmt.Printf("  (open loop: the last beats were sent %s behind schedule)\n", r.behind.Round(time.Millisecond))
	}
	if r.missed > 0 {
		fmt.Printf("  (open loop: %d scheduled beats were never sent: the run stops 10 s after its end)\n", r.missed)
	}
	if r.firstErr != "" {
		fmt.Printf("  first error: %s\n", r.firstErr)
	}
	for i, h := range r.windows {
		if n := h.count(); n > 0 {
			from := time.Duration(i) * r.window
			to := min(from+r.window, r.span)
			fmt.Printf("  %4.0f–%.0f s: %7d requests; p50 %s p99 %s p99.9 %s max %s", from.Seconds(), to.Seconds(), n,
				h.quantile(0.5), h.quantile(0.99), h.quantile(0.999), h.max())
			if i < len(r.windowCPU) && r.windowCPU[i] > 0 {
				fmt.Printf("; CPU %.2f cores", r.windowCPU[i].Seconds()/(to-from).Seconds())
			}
			fmt.Println()
		}
	}
}

// phase runs conns connections for d. rate 0 is a closed loop (each
// connection sends its next beat when the previous is answered); otherwise
// beats are scheduled at rate per second in total and latency is measured
// from the scheduled time, so a stalled server is not hidden by the
// generator waiting for it.
func (g *generator) phase(name string, targets []*url.URL, conns int, rate float64, d time.Duration, track bool, limit uint64) *result {
	return g.run(name, targets, conns, rate, d, track, limit, nil)
}

// watcher is the watcher mode's HEAD traffic: url ({id}: the agent's id)
// at rate per second in all, on conns connections.
type watcher struct {
	url   *url.URL
	rate  float64
	conns int
}

// openLoop runs the open-loop phase of beats at rate and, in watcher mode,
// the agents' HEADs beside it, and prints both.
// A watcher phase none of whose HEADs was answered 2xx is an error (a
// wrong -watch-url or a token without configs:read).
func (g *generator) openLoop(name string, targets []*url.URL, conns int, rate float64, d time.Duration, watch *watcher) error {
	if watch == nil {
		g.phase(name, targets, conns, rate, d, true, 0).print()
		return nil
	}
	var heads *result
	done := make(chan struct{})
	go func() {
		defer close(done)
		heads = g.run(name+", watcher HEADs", []*url.URL{watch.url}, watch.conns, watch.rate, d, false, 0, watch)
	}()
	beats := g.phase(name+", heartbeats", targets, conns, rate, d, true, 0)
	<-done
	// Both phases ran at once: the CPU they measured is the same, shared.
	cpu, server, pg := beats.cpu, beats.server, beats.pg
	beats.cpu, heads.cpu = 0, 0
	beats.print()
	heads.print()
	n := float64(beats.ok + heads.ok)
	fmt.Printf("  both together: %.0f requests/s", beats.throughput()+heads.throughput())
	if n > 0 && cpu > 0 {
		fmt.Printf("; CPU per request %.1f µs (load generator and server together)", float64(cpu.Microseconds())/n)
		if server > 0 {
			fmt.Printf(", controller %.1f µs", float64(server.Microseconds())/n)
		}
		if pg > 0 {
			fmt.Printf(", PostgreSQL %.1f µs", float64(pg.Microseconds())/n)
		}
	}
	fmt.Println()
	beats.runtime.print(cpu, beats.ok+heads.ok)
	if heads.ok == 0 {
		return fmt.Errorf("watcher mode: no HEAD of %s was answered 2xx (first error: %s)", watch.url, heads.firstErr)
	}
	return nil
}

// run is phase; with watch set it sends the watchers' HEADs instead of beats.
func (g *generator) run(name string, targets []*url.URL, conns int, rate float64, d time.Duration, track bool, limit uint64, watch *watcher) *result {
	res := &result{name: name, hist: &histogram{}}
	if rate > 0 && g.window > 0 && d > g.window {
		res.window, res.span = g.window, d
		for range (d + g.window - 1) / g.window {
			res.windows = append(res.windows, &histogram{})
		}
	}
	cpu0, server0, pg0 := g.cpuTime(), procsCPU(g.pids), treeCPU(g.pgPid)
	rt0 := readRuntimeStats()
	var ok, failed, errs atomic.Uint64
	var firstErr sync.Once
	var lastBehind atomic.Int64
	var missed atomic.Uint64
	const grace = 10 * time.Second
	start := time.Now()
	deadline := start.Add(d)
	cpuDone := g.sampleWindowCPU(res, start, cpu0)
	var base uint64
	if track {
		base = g.seq.Load()
	}
	var next atomic.Uint64 // closed loop: next beat of this phase
	var wg sync.WaitGroup
	for w := range conns {
		wg.Add(1)
		u := targets[w%len(targets)]
		go func() {
			defer wg.Done()
			var conn net.Conn
			var br *bufio.Reader
			var refresh time.Time // when conn's deadline is next pushed on
			var body, req []byte
			defer func() {
				if conn != nil {
					conn.Close()
				}
			}()
			for k := uint64(0); ; k++ {
				var n uint64
				var scheduled time.Time
				if rate > 0 {
					n = uint64(w) + k*uint64(conns)
					scheduled = start.Add(time.Duration(float64(n) / rate * float64(time.Second)))
					if !scheduled.Before(deadline) {
						return
					}
					if time.Now().After(deadline.Add(grace)) {
						// Bounded run: what is still unsent counts as missed.
						unsent := (uint64(float64(d.Seconds())*rate) - n + uint64(conns) - 1) / uint64(conns)
						missed.Add(unsent)
						return
					}
					if wait := time.Until(scheduled); wait > 0 {
						time.Sleep(wait)
					} else {
						lastBehind.Store(int64(-wait))
					}
				} else {
					if time.Now().After(deadline) {
						return
					}
					n = next.Add(1) - 1
					if limit > 0 && n >= limit {
						next.Add(^uint64(0))
						return
					}
					scheduled = time.Now()
				}
				seq := base + n
				agent := int(seq % uint64(g.agents))
				round := uint32(seq/uint64(g.agents)) + 1
				if watch != nil {
					req = g.head(req[:0], watch.url, agent)
				} else {
					body = g.body(body[:0], agent, round)
					req = g.request(req[:0], u, body)
				}
				if conn == nil {
					c, err := net.DialTimeout("tcp", u.Host, 5*time.Second)
					if err != nil {
						errs.Add(1)
						firstErr.Do(func() { res.firstErr = err.Error() })
						time.Sleep(10 * time.Millisecond)
						continue
					}
					conn, br, refresh = c, bufio.NewReaderSize(c, 4096), time.Time{}
				}
				status, err := roundTrip(conn, br, req, watch != nil, &refresh)
				for err == nil && status == http.StatusServiceUnavailable && g.resendRefused {
					time.Sleep(100 * time.Millisecond)
					status, err = roundTrip(conn, br, req, false, &refresh)
				}
				if err != nil {
					errs.Add(1)
					firstErr.Do(func() { res.firstErr = err.Error() })
					conn.Close()
					conn = nil
					continue
				}
				took := time.Since(scheduled)
				if g.slow > 0 && took > g.slow {
					g.onSlow(took)
				}
				res.hist.record(took)
				if res.windows != nil {
					res.windows[min(int(scheduled.Sub(start)/res.window), len(res.windows)-1)].record(took)
				}
				if status/100 != 2 {
					failed.Add(1)
					firstErr.Do(func() { res.firstErr = "status " + strconv.Itoa(status) })
					continue
				}
				ok.Add(1)
				if track {
					markAcked(&g.acked[agent], round)
				}
			}
		}()
	}
	wg.Wait()
	cpuDone()
	res.elapsed = time.Since(start)
	if rate == 0 && limit == 0 {
		res.elapsed = max(res.elapsed, d)
	}
	if track {
		if rate > 0 {
			// Beats never sent leave gaps in the sequence; acked tracks
			// what each agent really got.
			g.seq.Store(base + uint64(math.Ceil(d.Seconds()*rate)))
		} else {
			g.seq.Store(base + next.Load())
		}
	}
	res.ok, res.failed, res.errors = ok.Load(), failed.Load(), errs.Load()
	res.cpu = g.cpuTime() - cpu0
	res.runtime = readRuntimeStats().since(rt0)
	res.server, res.pg = procsCPU(g.pids)-server0, treeCPU(g.pgPid)-pg0
	res.behind = time.Duration(lastBehind.Load())
	res.missed = missed.Load()
	return res
}

// sampleWindowCPU records, at the end of each of res's windows by the wall
// clock, the CPU the load generator and the controller used in it, so
// that a slow window shows whether the processors were fuller then: on a
// shared machine the same work costs more CPU in some minutes than in
// others. The returned function stops it at the end of the phase: the
// last window gets its figure then, an earlier one not ended keeps none.
func (g *generator) sampleWindowCPU(res *result, start time.Time, cpu0 time.Duration) func() {
	if res.windows == nil {
		return func() {}
	}
	res.windowCPU = make([]time.Duration, len(res.windows))
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		prev := cpu0
		for i := range res.windowCPU {
			t := time.NewTimer(time.Until(start.Add(min(time.Duration(i+1)*res.window, res.span))))
			select {
			case <-t.C:
			case <-stop:
				t.Stop()
				if i == len(res.windowCPU)-1 { // the phase's last beats are in: it ended
					res.windowCPU[i] = g.cpuTime() - prev
				}
				return
			}
			now := g.cpuTime()
			res.windowCPU[i], prev = now-prev, now
		}
	}()
	return func() { close(stop); <-done }
}

// recordSlow starts Go's flight recorder and has a request slower than
// slow write its last seconds to file, a second after it was answered (so
// that the trace shows the stall's end too): the first such request, and
// up to limit-1 more at least traceGap apart, to file.2, file.3 and so on.
// The returned function stops the recorder.
func (g *generator) recordSlow(slow time.Duration, file string, limit int) (func(), error) {
	fr := trace.NewFlightRecorder(trace.FlightRecorderConfig{MinAge: 10 * time.Second, MaxBytes: 512 << 20})
	if err := fr.Start(); err != nil {
		return nil, err
	}
	var mu sync.Mutex
	var last time.Time
	written := 0
	var wrote sync.WaitGroup
	g.slow = slow
	g.onSlow = func(took time.Duration) {
		mu.Lock()
		defer mu.Unlock()
		if written >= limit || !last.IsZero() && time.Since(last) < traceGap {
			return
		}
		written++
		last = time.Now()
		name := file
		if written > 1 {
			name += "." + strconv.Itoa(written)
		}
		wrote.Go(func() {
			time.Sleep(time.Second)
			f, err := os.Create(name)
			if err == nil {
				_, err = fr.WriteTo(f)
				err = errors.Join(err, f.Close())
			}
			if err != nil {
				fmt.Fprintln(os.Stderr, "tc-load: -trace-slow:", err)
				return
			}
			fmt.Printf("(a request took %s at %s: the runtime trace of the seconds before is in %s)\n",
				took.Round(time.Millisecond), time.Now().Format("15:04:05"), name)
		})
	}
	return func() { wrote.Wait(); fr.Stop() }, nil
}

// traceGap spaces the traces of -trace-max: writing one costs the process
// CPU, and the stall it causes should not trigger the next.
const traceGap = 20 * time.Second

func markAcked(a *atomic.Uint32, round uint32) {
	for {
		old := a.Load()
		if old >= round || a.CompareAndSwap(old, round) {
			return
		}
	}
}

// roundTrip writes req and reads one response, discarding its body (none
// after a HEAD). It pushes conn's deadline on when refresh (the
// connection's, zero when new) has passed: any one request stuck for 20 s
// fails, and setting the deadline for every request cost the generator CPU.
func roundTrip(conn net.Conn, br *bufio.Reader, req []byte, head bool, refresh *time.Time) (int, error) {
	if now := time.Now(); now.After(*refresh) {
		conn.SetDeadline(now.Add(30 * time.Second))
		*refresh = now.Add(10 * time.Second)
	}
	if _, err := conn.Write(req); err != nil {
		return 0, err
	}
	return readResponse(br, head)
}

// readResponse reads one HTTP/1.1 response from br and discards its body.
// It parses only what the generator needs (the status, the body's framing
// and Connection: close) and allocates nothing, where http.ReadResponse
// builds a Response and its Header for every request: in-process, that
// garbage is collected along with the controller's heap and its cost was
// counted as the controller's.
func readResponse(br *bufio.Reader, head bool) (int, error) {
	line, err := br.ReadSlice('\n')
	if err != nil {
		return 0, err
	}
	// HTTP/1.x NNN reason
	if len(line) < len("HTTP/1.1 200\n") || string(line[:7]) != "HTTP/1." || line[8] != ' ' ||
		!isDigit(line[9]) || !isDigit(line[10]) || !isDigit(line[11]) {
		return 0, fmt.Errorf("malformed status line %q", bytes.TrimSpace(line))
	}
	status := int(line[9]-'0')*100 + int(line[10]-'0')*10 + int(line[11]-'0')
	length, chunked, closing := int64(-1), false, line[7] == '0' // HTTP/1.0 closes unless told
	for {
		if line, err = br.ReadSlice('\n'); err != nil {
			return 0, fmt.Errorf("reading headers: %w", err)
		}
		line = bytes.TrimRight(line, "\r\n")
		if len(line) == 0 {
			break
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			return 0, fmt.Errorf("malformed header line %q", line)
		}
		value = bytes.TrimSpace(value)
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			n, err := strconv.ParseInt(string(value), 10, 64)
			if err != nil || n < 0 {
				return 0, fmt.Errorf("bad Content-Length %q", value)
			}
			length = n
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			chunked = bytes.EqualFold(value, []byte("chunked"))
		case bytes.EqualFold(name, []byte("Connection")):
			closing = bytes.EqualFold(value, []byte("close"))
		}
	}
	switch {
	case head || status == http.StatusNoContent || status == http.StatusNotModified || status < 200:
	case chunked:
		if _, err := io.Copy(io.Discard, httputil.NewChunkedReader(br)); err != nil {
			return 0, err
		}
		for { // the trailer, up to its empty line
			if line, err = br.ReadSlice('\n'); err != nil {
				return 0, fmt.Errorf("reading the trailer: %w", err)
			}
			if len(bytes.TrimRight(line, "\r\n")) == 0 {
				break
			}
		}
	case length >= 0:
		if _, err := br.Discard(int(length)); err != nil {
			return 0, err
		}
	default: // the body runs to the end of the connection
		io.Copy(io.Discard, br)
		closing = true
	}
	if closing {
		return status, errors.New("server closed the connection")
	}
	return status, nil
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// histogram records durations in microseconds with about 0.2% precision:
// exact below 1024 µs, then 512 sub-buckets per power of two.
type histogram struct {
	counts [1024 + 40*512]atomic.Uint64
	maxUS  atomic.Uint64
}

func bucketOf(v uint64) int {
	if v < 1024 {
		return int(v)
	}
	e := bits.Len64(v) - 10
	return 1024 + (e-1)*512 + int(v>>e) - 512
}

func valueOf(b int) uint64 {
	if b < 1024 {
		return uint64(b)
	}
	e := (b-1024)/512 + 1
	return uint64((b-1024)%512+512) << e
}

func (h *histogram) record(d time.Duration) {
	v := uint64(max(d.Microseconds(), 0))
	b := min(bucketOf(v), len(h.counts)-1)
	h.counts[b].Add(1)
	for {
		m := h.maxUS.Load()
		if v <= m || h.maxUS.CompareAndSwap(m, v) {
			break
		}
	}
}

func (h *histogram) quantile(q float64) time.Duration {
	var total uint64
	for i := range h.counts {
		total += h.counts[i].Load()
	}
	if total == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(total)))
	var seen uint64
	for i := range h.counts {
		seen += h.counts[i].Load()
		if seen >= rank {
			return time.Duration(valueOf(i)) * time.Microsecond
		}
	}
	return h.max()
}

func (h *histogram) count() uint64 {
	var total uint64
	for i := range h.counts {
		total += h.counts[i].Load()
	}
	return total
}

func (h *histogram) max() time.Duration { return time.Duration(h.maxUS.Load()) * time.Microsecond }

// checkFreshness waits until the database holds, for every agent, the last
// beat that was acknowledged, and reports how long after the load that took.
func checkFreshness(label, dsn string, g *generator, loadEnd time.Time, flushInterval, timeout time.Duration) error {
	var wantCount, wantSum uint64
	for i := range g.acked {
		if r := g.acked[i].Load(); r > 0 {
			wantCount++
			wantSum += uint64(r)
		}
	}
	driver, source := "sqlite", "file:"+strings.TrimPrefix(dsn, "file:")+"?_pragma=busy_timeout(10000)&_pragma=query_only(1)"
	// The statistics live in agent_liveness (migrations 0072 and 0084).
	check := `SELECT count(*), COALESCE(sum(last_metrics), 0) FROM agent_liveness WHERE agent_id >= '5a1e0c3d-' AND agent_id < '5a1e0c3e'`
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		driver, source = "pgx", dsn
	}
	db, err := sql.Open(driver, source)
	if err != nil {
		return err
	}
	defer db.Close()
	var count, sum uint64
	for {
		q0 := time.Now()
		err := db.QueryRow(check).Scan(&count, &sum)
		if err != nil {
			return err
		}
		queryTook := time.Since(q0)
		if count == wantCount && sum == wantSum {
			took := q0.Sub(loadEnd)
			fmt.Printf("%s: all %d agents' latest acknowledged beat in the database %s after the load stopped (%.1f flush intervals of %s; the check query itself took %s)\n",
				label, count, took.Round(time.Millisecond), took.Seconds()/flushInterval.Seconds(), flushInterval, queryTook.Round(time.Millisecond))
			return nil
		}
		if time.Since(loadEnd) > timeout {
			return fmt.Errorf("after %s the database has %d agents (want %d), metrics sum %d (want %d)", timeout, count, wantCount, sum, wantSum)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// runtimeStats are this process's garbage collection figures: in-process,
// the controller's and the load generator's together.
type runtimeStats struct {
	cycles, allocs uint64 // GC cycles ended; heap bytes allocated
	gcCPU          time.Duration
}

// The GC's CPU is the runtime's estimate without its idle marking (done on
// processors that had nothing else to run).
var runtimeSamples = []string{"/gc/cycles/total:gc-cycles", "/gc/heap/allocs:bytes",
	"/cpu/classes/gc/total:cpu-seconds", "/cpu/classes/gc/mark/idle:cpu-seconds"}

func readRuntimeStats() runtimeStats {
	s := make([]metrics.Sample, len(runtimeSamples))
	for i, name := range runtimeSamples {
		s[i].Name = name
	}
	metrics.Read(s)
	var rt runtimeStats
	if s[0].Value.Kind() == metrics.KindUint64 {
		rt.cycles = s[0].Value.Uint64()
	}
	if s[1].Value.Kind() == metrics.KindUint64 {
		rt.allocs = s[1].Value.Uint64()
	}
	if s[2].Value.Kind() == metrics.KindFloat64 && s[3].Value.Kind() == metrics.KindFloat64 {
		rt.gcCPU = time.Duration((s[2].Value.Float64() - s[3].Value.Float64()) * float64(time.Second))
	}
	return rt
}

// print reports the figures of a phase that used cpu for requests (a
// phase sharing its CPU with another prints nothing: see openLoop).
func (r runtimeStats) print(cpu time.Duration, requests uint64) {
	if r.cycles == 0 || cpu <= 0 || requests == 0 {
		return
	}
	fmt.Printf("  this process's Go runtime: %d GC cycles, GC CPU about %s (%.1f %% of the CPU; the runtime's estimate without idle marking), %.2f KiB allocated per request\n",
		r.cycles, r.gcCPU.Round(time.Millisecond), 100*r.gcCPU.Seconds()/cpu.Seconds(), float64(r.allocs)/1024/float64(requests))
}

func (r runtimeStats) since(r0 runtimeStats) runtimeStats {
	return runtimeStats{cycles: r.cycles - r0.cycles, allocs: r.allocs - r0.allocs, gcCPU: r.gcCPU - r0.gcCPU}
}

// cpuTime is the user and system CPU time used so far by this process and,
// when it runs elsewhere, the controller's process.
func (g *generator) cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	t := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	t += procsCPU(g.pids)
	return t
}

// procsCPU is procCPU summed over pids.
func procsCPU(pids []int) time.Duration {
	var t time.Duration
	for _, pid := range pids {
		t += procCPU(pid)
	}
	return t
}

// procCPU is the user and system CPU time used so far by process pid (0
// when pid is 0 or gone).
func procCPU(pid int) time.Duration {
	if pid <= 0 {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the parenthesised command: state is field 3, utime and
	// stime are fields 14 and 15, in clock ticks (100/s).
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(b)[i+1:])
	if len(f) <= 13 {
		return 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	s, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(u+s) * 10 * time.Millisecond
}

// treeCPU is procCPU of pid and of its children (a PostgreSQL postmaster
// and its backends; a backend that exited meanwhile is not counted).
func treeCPU(pid int) time.Duration {
	if pid <= 0 {
		return 0
	}
	t := procCPU(pid)
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		child, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", child))
		if err != nil {
			continue
		}
		i := strings.LastIndexByte(string(b), ')')
		if i < 0 {
			continue
		}
		if f := strings.Fields(string(b)[i+1:]); len(f) > 1 && f[1] == strconv.Itoa(pid) {
			t += procCPU(child)
		}
	}
	return t
}

// printRSS reports the current and peak resident set of pid.
func printRSS(pid int, self bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		fmt.Println("rss:", err)
		return
	}
	var rss, hwm string
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			rss = strings.TrimSpace(v)
		}
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			hwm = strings.TrimSpace(v)
		}
	}
	who := fmt.Sprintf("controller pid %d", pid)
	if self {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		who = fmt.Sprintf("this process (controller and load generator; Go heap in use %d MiB)", ms.HeapInuse>>20)
	}
	fmt.Printf("rss of %s: now %s, peak %s\n", who, rss, hwm)
}
