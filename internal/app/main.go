// Package app wires the controller together: Main reads the configuration,
// opens the store, and runs the main and heartbeat listeners until closed.
// cmd/telegraf-controller only handles signals and exit codes, and tests run
// Main on port 0.
package app

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/alerting"
	"github.com/telegrafcontroller/tc/internal/api"
	"github.com/telegrafcontroller/tc/internal/auth"
	"github.com/telegrafcontroller/tc/internal/cluster"
	"github.com/telegrafcontroller/tc/internal/heartbeat"
	"github.com/telegrafcontroller/tc/internal/ldap"
	"github.com/telegrafcontroller/tc/internal/metrics"
	"github.com/telegrafcontroller/tc/internal/notify"
	"github.com/telegrafcontroller/tc/internal/oidc"
	"github.com/telegrafcontroller/tc/internal/scheduler"
	"github.com/telegrafcontroller/tc/internal/serves"
	"github.com/telegrafcontroller/tc/internal/service"
	"github.com/telegrafcontroller/tc/internal/store"
	"github.com/telegrafcontroller/tc/internal/web"
)

// Version is the controller's version, set at build time with
// -ldflags "-X github.com/telegrafcontroller/tc/internal/app.Version=1.2.3".
var Version = "dev"

// Main is one controller process.
type Main struct {
	Config Config
	// Getenv reads the environment (os.Getenv by default; tests inject).
	Getenv func(string) string
	// LogOutput receives log lines (os.Stderr by default).
	LogOutput io.Writer
	// Now is the clock every component uses (time.Now by default).
	Now func() time.Time

	Logger  *slog.Logger
	Store   *store.Store
	Metrics *metrics.Metrics
	Auth    *auth.Authenticator
	API     *api.Server
	HB      *heartbeat.Server
	// MainHandler is the main listener's whole handler chain (router.go).
	MainHandler http.Handler
	// Notify sends alerts to the notification channels in the store
	// (internal/notify); the alerting engine's outbox hands it messages.
	Notify *notify.ChannelDispatcher
	// Scheduler is the agent status monitor; tests drive it with Tick.
	Scheduler *scheduler.Scheduler
	// Cluster is this node's membership of a cluster (--ha), nil otherwise.
	Cluster *cluster.Node
	// Alerts evaluates the alert rules and Deliverer sends their
	// notifications (alerting.go); tests drive both with Tick. Dispatcher
	// sends to a channel: the notification channels in the database,
	// unless a test sets its own before Run.
	Alerts     *alerting.Engine
	Deliverer  *alerting.Deliverer
	Dispatcher notify.Dispatcher

	// Identity (identity.go). Argon2 is the password-hashing cost:
	// auth.DefaultArgon2 unless a test lowers it.
	Argon2    auth.Argon2Params
	Passwords *auth.Hasher
	Sessions  *auth.Sessions
	Limiter   *auth.LoginLimiter
	SignIn    *auth.SignIn // the sign-in rules over the three above
	// LDAP is the directory people sign in against, OIDC the provider
	// they sign in through (nil: off).
	LDAP *ldap.Directory
	OIDC *oidc.Provider

	// draining turns the readiness checks to 503 during Close's drain period.
	draining atomic.Bool
	// denied writes the audit log's Denied entries (audit.go).
	denied       *deniedWriter
	mainLn, hbLn net.Listener
	mainSrv      *http.Server
	hbSrv        *http.Server
	serveErr     chan error
	// closers run after the listeners stop and before the store closes, in
	// order: they flush pending writes and stop background work.
	closers []func(context.Context) error
}

// NewMain returns a Main with defaults for everything but Config.
func NewMain() *Main {
	return &Main{Getenv: os.Getenv, LogOutput: os.Stderr, Now: time.Now, serveErr: make(chan error, 3), Argon2: auth.DefaultArgon2}
}

// ParseFlags fills Config from args, the environment and ./.env.
func (m *Main) ParseFlags(args []string, helpOut io.Writer) error {
	dotenv, err := ReadDotEnv(".env")
	if err != nil {
		return err
	}
	m.Config, err = ParseConfig(args, m.Getenv, dotenv, helpOut)
	return err
}

// Run opens the database and starts both listeners. It returns once they are
// listening; serving continues until Close. Errors are one clear line.
func (m *Main) Run(ctx context.Context) error {
	if m.Logger == nil {
		m.Logger = newLogger(m.Config, m.LogOutput)
	}
	exempt, err := parseExempt(m.Config.DisabledAuthEndpoints)
	if err != nil {
		return err
	}
	tlsConfig, err := m.tlsConfig()
	if err != nil {
		return err
	}
	dsn, err := m.Config.DatabaseDSN(m.Getenv)
	if err != nil {
		return err
	}
	var nodeID string
	if m.Config.HA {
		if !store.IsPostgresURL(dsn) {
			return errors.New("--ha (HA_ENABLED) needs PostgreSQL: several nodes cannot share a SQLite file; set --database to a postgres:// URL, or run one node without --ha")
		}
		nodeID = cluster.NewNodeID()
	}
	m.Store, err = store.Open(ctx, dsn, store.Options{
		Logger: m.Logger, Now: m.Now, CACertFile: m.Config.DBCACert, SSLNoVerify: m.Config.DBSSLNoVerify,
		Exclusive:          true, // one controller per SQLite file
		NodeID:             nodeID,
		AgentHistoryBucket: m.Config.AgentHistoryBucket,
		SecretKey:          m.Config.SecretKey,
		// A beat answered on receipt needs no synchronous commit.
		BeatsAckedOnReceipt: !m.Config.HeartbeatAckFlush,
	})
	if err != nil {
		return err
	}
	m.Store.SetAudit(m.Config.AuditEnabled)
	m.Logger.Info("database ready", "dialect", string(m.Store.Dialect()), "database", redactDSN(dsn),
		"schema_version", store.LatestSchemaVersion(m.Store.Dialect()))

	startGCHeadroom(uint64(m.Config.GCHeadroomMB) << 20)
	m.lowerBackground()
	m.Metrics = metrics.New()
	if err := m.startIdentity(ctx, tlsConfig != nil); err != nil {
		return err
	}
	m.Auth = &auth.Authenticator{Tokens: m.Store, Sessions: m.Sessions, Now: m.Now, Metrics: m.Metrics}
	m.startTokenUsageWriter()
	if len(exempt) > 0 {
		m.Logger.Warn("authentication is disabled for some endpoints; anyone who can reach them can use them",
			"groups", strings.Join(keys(exempt), ","))
	}
	channels, err := m.startChannels()
	if err != nil {
		return err
	}
	configs := &service.Configs{Store: m.Store, Logger: m.Logger, TLS: tlsConfig != nil,
		PublicHeartbeatURL: func(context.Context) string { return m.Store.Settings().PublicHeartbeatURL }}
	svc := service.Services{
		Tokens:               &service.Tokens{Store: m.Store, Now: m.Now, Logger: m.Logger},
		Users:                &service.Users{Store: m.Store, Now: m.Now, Logger: m.Logger},
		Configs:              configs,
		ConfigGroups:         &service.ConfigGroups{Store: m.Store, Logger: m.Logger},
		Aliases:              &service.Aliases{Store: m.Store, Logger: m.Logger},
		Labels:               &service.Labels{Store: m.Store, Logger: m.Logger},
		Constants:            &service.Constants{Store: m.Store, Logger: m.Logger},
		Agents:               &service.Agents{Store: m.Store, Now: m.Now},
		ReportingRules:       &service.ReportingRules{Store: m.Store},
		AlertRules:           &service.AlertRules{Store: m.Store},
		Alerts:               &service.Alerts{Store: m.Store, Now: m.Now},
		Settings:             &service.Settings{Store: m.Store, Logger: m.Logger},
		Audit:                &service.Audit{Store: m.Store},
		Search:               &service.Search{Store: m.Store},
		NotificationChannels: channels,
	}
	// Every config served, recorded off the request path (internal/serves);
	// closed after the main listener drained, like the heartbeat ingester.
	serveLog := &serves.Recorder{Store: m.Store, Metrics: m.Metrics, Logger: m.Logger, Now: m.Now}
	serveLog.Start()
	m.OnClose(serveLog.Close)
	m.API = &api.Server{
		Store: m.Store, Auth: m.Auth, Services: svc, Serves: serveLog, TrustedProxies: m.Config.TrustedProxies,
		Metrics: m.Metrics, Logger: m.Logger, Now: m.Now,
		Version: Version, MaxBody: m.Config.MaxBodyBytes, Exempt: exempt, TLS: tlsConfig != nil,
		SignIn: m.SignIn, Sessions: m.Sessions, Draining: &m.draining, ProviderSummaries: m.providerSummaries(), OIDC: m.OIDC,
	}
	ingest := &heartbeat.Ingester{
		Store: m.Store, Metrics: m.Metrics, Logger: m.Logger,
		Interval: m.Config.HeartbeatFlushInterval, BatchSize: m.Config.HeartbeatFlushAgents, MaxPending: m.Config.HeartbeatMaxPending,
		AckFlush: m.Config.HeartbeatAckFlush,
	}
	ingest.Start()
	m.OnClose(ingest.Close) // after the heartbeat listener drained: nothing answered 204 is lost
	// The main listener's parts are composed in router.go.
	apiRoutes := m.apiHandler()
	m.subscribeCaches()
	ui, err := web.New(web.Handler{
		Services: svc, SignIn: m.SignIn, Auth: m.Auth, Logger: m.Logger, Now: m.Now, Version: Version,
	})
	if err != nil {
		return err
	}
	m.MainHandler = m.mainHandler(apiRoutes, ui, tlsConfig != nil)
	m.HB = &heartbeat.Server{
		Store: m.Store, Auth: m.Auth, Metrics: m.Metrics, Logger: m.Logger, Ingest: ingest, Now: m.Now,
		Exempt: exempt[tc.ResHeartbeat], MaxBody: m.Config.HeartbeatMaxBodyBytes, TrustedProxies: m.Config.TrustedProxies,
		Draining: &m.draining,
	}

	m.Scheduler = &scheduler.Scheduler{
		Store: m.Store, Metrics: m.Metrics, Logger: m.Logger, Now: m.Now, Interval: m.Config.StatusInterval,
	}
	m.startCluster()
	m.startAudit(ctx)
	m.startHistoryRetention()
	m.startAlerting()
	if err := m.startForwarders(); err != nil {
		return err
	}
	m.Scheduler.Start()
	m.OnClose(m.Scheduler.Stop)
	if m.Cluster != nil {
		m.OnClose(m.Cluster.Close) // after the scheduler: its last sweep still proves its fence
	}

	if m.mainLn, err = listen(m.Config.Bind, m.Config.Port, "main"); err != nil {
		return err
	}
	if m.hbLn, err = listen(m.Config.Bind, m.Config.HeartbeatPort, "heartbeat"); err != nil {
		return err
	}
	configs.HeartbeatPort = m.hbLn.Addr().(*net.TCPAddr).Port
	m.mainSrv = m.newServer(m.MainHandler, tlsConfig, 60*time.Second)
	m.hbSrv = m.newServer(m.auditRequests(m.HB.Handler()), tlsConfig, 10*time.Second)
	scheme := "http"
	if tlsConfig != nil {
		scheme = "https"
	}
	m.Logger.Info("listening", "listener", "main", "address", m.mainLn.Addr().String(), "scheme", scheme, "version", Version)
	m.Logger.Info("listening", "listener", "heartbeat", "address", m.hbLn.Addr().String(), "scheme", scheme)
	go m.serve(m.mainSrv, m.mainLn, tlsConfig != nil)
	go m.serve(m.hbSrv, m.hbLn, tlsConfig != nil)
	return m.startDebug()
}

// startDebug serves Go's runtime profiles on --debug-address, a loopback
// address (the option refuses any other): CPU, heap, goroutines, for
// measuring a node under load (docs/operations.md).
func (m *Main) startDebug() error {
	if m.Config.DebugAddress == "" {
		return nil
	}
	ln, err := net.Listen("tcp", m.Config.DebugAddress)
	if err != nil {
		return fmt.Errorf("listen on %s for the debug listener: %s", m.Config.DebugAddress, rootMessage(err))
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	// A CPU profile or trace runs for its ?seconds= (30 by default).
	srv := m.newServer(mux, nil, 5*time.Minute)
	m.Logger.Warn("listening", "listener", "debug", "address", ln.Addr().String(), "note", "profiles without authentication")
	go m.serve(srv, ln, false)
	m.OnClose(func(context.Context) error { return srv.Close() })
	return nil
}

// subscribeCaches makes every cache follow the store's change feed: the
// token cache drops a changed token, and every token of a changed user (their
// role, disabled flag and name are in the cached caller); the API drops the
// renders of a changed config (a constant change announces the configs that
// use it); the settings are read again at their next use. No handler or
// service invalidates a cache by hand. Called once, after the API registered
// its routes.
func (m *Main) subscribeCaches() {
	m.Store.Subscribe(func(c tc.Change) {
		switch c.Entity {
		case tc.EntityToken:
			for _, id := range c.IDs {
				m.Auth.TokenChanged(id)
			}
		case tc.EntityUser:
			for _, id := range c.IDs {
				m.Auth.UserChanged(id)
			}
		case tc.EntityConfig:
			m.API.ConfigsChanged(c.IDs)
		case tc.EntityConfigGroup:
			m.API.GroupsChanged(c.IDs)
		case tc.EntityAlias:
			m.API.AliasesChanged()
		case tc.EntitySettings:
			m.Store.DropSettings()
		}
	})
	// In a cluster, a node that may have missed another's changes forgets
	// everything (internal/cluster); Store.Reset drops the settings itself.
	m.Store.SubscribeReset(func() {
		m.Auth.TokensReset()
		m.API.ConfigsReset()
		m.API.GroupsReset()
		m.API.AliasesChanged()
	})
}

// startCluster joins the cluster with --ha (docs/cluster.md): the node
// elects a leader with the others, and only the leader's scheduler sweeps;
// the changes other nodes commit reach this node's caches through the same
// subscribers as its own (subscribeCaches, which must have run). Without
// --ha the node is its own leader. The session sweep and the token
// last-use writer stay on every node: each deletes only expired rows or
// writes only its own pending uses, so running them twice is harmless.
func (m *Main) startCluster() {
	if !m.Config.HA {
		m.Metrics.Leader.Set(1)
		return
	}
	m.Cluster = &cluster.Node{
		Store: m.Store, Logger: m.Logger, Now: m.Now, CheckInterval: m.Config.HACheckInterval, PollInterval: m.Config.HAPollInterval,
		OnLeader: func(leader bool) {
			if leader {
				m.Metrics.Leader.Set(1)
			} else {
				m.Metrics.Leader.Set(0)
			}
		},
	}
	m.Scheduler.Leader = m.Cluster
	m.API.Leader = m.Cluster.Leader
	m.Cluster.Start()
	m.Logger.Info("cluster mode", "node", m.Store.NodeID(), "check_interval", m.Config.HACheckInterval.String())
}

// startTokenUsageWriter writes tokens' lastUsedAt off the request path, every
// few seconds, and once more at shutdown.
func (m *Main) startTokenUsageWriter() {
	l := m.Auth.StartUsageWriter(5*time.Second, m.Logger)
	m.OnClose(func(ctx context.Context) error {
		if err := l.Stop(ctx); err != nil {
			return err
		}
		if err := m.Auth.FlushUsage(ctx); err != nil {
			return fmt.Errorf("record token use: %w", err)
		}
		return nil
	})
}

// newServer sets every timeout: slow or stalled clients cannot hold
// connections forever.
func (m *Main) newServer(h http.Handler, tlsConfig *tls.Config, writeTimeout time.Duration) *http.Server {
	if tlsConfig != nil {
		tlsConfig = tlsConfig.Clone() // net/http adds its protocols to the config: one per server
	}
	return &http.Server{
		Handler:           h,
		TLSConfig:         tlsConfig,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(m.Logger.Handler(), slog.LevelWarn),
	}
}

func (m *Main) serve(srv *http.Server, ln net.Listener, useTLS bool) {
	var err error
	if useTLS {
		err = srv.ServeTLS(ln, "", "")
	} else {
		err = srv.Serve(ln)
	}
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		m.Logger.Error("listener stopped", "address", ln.Addr().String(), "error", err)
		m.serveErr <- err
	}
}

// Done reports a listener that stopped on its own.
func (m *Main) Done() <-chan error { return m.serveErr }

// OnClose registers fn to run during Close, after the listeners have
// drained and before the database closes.
func (m *Main) OnClose(fn func(context.Context) error) { m.closers = append(m.closers, fn) }

// Close shuts the node down in order: for the drain period it keeps serving
// while /health/ready and the heartbeat listener's /health answer 503, so
// that load balancers stop sending to it; then it stops accepting requests,
// lets in-flight ones finish, runs the registered closers (which flush every
// acknowledged heartbeat and other pending writes) and closes the database.
// The shutdown timeout bounds everything after the drain period.
func (m *Main) Close() error {
	if m.draining.CompareAndSwap(false, true) && m.Config.DrainPeriod > 0 && m.mainSrv != nil {
		m.Logger.Info("draining: reporting not ready before shutting down", "drain_period", m.Config.DrainPeriod)
		time.Sleep(m.Config.DrainPeriod)
	}
	timeout := m.Config.ShutdownTimeout
	if timeout == 0 {
		timeout = 15 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var errs []error
	for _, srv := range []*http.Server{m.hbSrv, m.mainSrv} {
		if srv != nil {
			errs = append(errs, srv.Shutdown(ctx))
		}
	}
	for _, ln := range []net.Listener{m.mainLn, m.hbLn} {
		if ln != nil {
			ln.Close()
		}
	}
	for _, fn := range m.closers {
		errs = append(errs, fn(ctx))
	}
	if m.Store != nil {
		errs = append(errs, m.Store.Close())
	}
	return errors.Join(errs...)
}

// Draining reports whether Close has begun.
func (m *Main) Draining() bool { return m.draining.Load() }

// MainAddr is the main listener's address (host:port).
func (m *Main) MainAddr() string { return m.mainLn.Addr().String() }

// HeartbeatAddr is the heartbeat listener's address.
func (m *Main) HeartbeatAddr() string { return m.hbLn.Addr().String() }

func listen(bind string, port int, name string) (net.Listener, error) {
	addr := net.JoinHostPort(bind, strconv.Itoa(port))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		var hint string
		if errors.Is(err, errAddrInUse) || strings.Contains(err.Error(), "address already in use") {
			hint = " (port already in use; choose another with --port / --heartbeat-port)"
		}
		return nil, fmt.Errorf("listen on %s for the %s listener: %s%s", addr, name, rootMessage(err), hint)
	}
	return ln, nil
}

var errAddrInUse = errors.New("address already in use")

func rootMessage(err error) string {
	for {
		u := errors.Unwrap(err)
		if u == nil {
			return err.Error()
		}
		err = u
	}
}

// tlsConfig loads the server certificate when both paths are set.
func (m *Main) tlsConfig() (*tls.Config, error) {
	cert, key := m.Config.SSLCert, m.Config.SSLKey
	if cert == "" && key == "" {
		return nil, nil
	}
	if cert == "" || key == "" {
		m.Logger.Warn("only one of --ssl-cert and --ssl-key is set; serving plain HTTP")
		return nil, nil
	}
	for _, f := range []string{cert, key} {
		if _, err := os.ReadFile(f); err != nil {
			return nil, fmt.Errorf("read TLS file %s: %s", f, rootMessage(err))
		}
	}
	pair, err := tls.LoadX509KeyPair(cert, key)
	if err != nil {
		return nil, fmt.Errorf("load TLS certificate %s and key %s: %s", cert, key, err)
	}
	return &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}, nil
}

// exemptGroups are the endpoint groups --disable-auth-endpoints may open.
var exemptGroups = []string{tc.ResAgents, tc.ResConfigs, tc.ResConfigGroups, tc.ResLabels, tc.ResReportingRules, tc.ResHeartbeat}

func parseExempt(list string) (map[string]bool, error) {
	out := map[string]bool{}
	for _, g := range strings.Split(list, ",") {
		g = strings.TrimSpace(g)
		switch {
		case g == "":
		case g == "*":
			for _, e := range exemptGroups {
				out[e] = true
			}
		case contains(exemptGroups, g):
			out[g] = true
		default:
			return nil, fmt.Errorf("invalid --disable-auth-endpoints entry %q: use %s or *", g, strings.Join(exemptGroups, ", "))
		}
	}
	return out, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func keys(m map[string]bool) []string {
	var out []string
	for _, g := range exemptGroups {
		if m[g] {
			out = append(out, g)
		}
	}
	return out
}

// redactDSN hides a PostgreSQL password in logs.
func redactDSN(dsn string) string {
	if !store.IsPostgresURL(dsn) {
		return dsn
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return "postgres://(unparseable)"
	}
	return u.Redacted()
}

func newLogger(c Config, out io.Writer) *slog.Logger {
	var level slog.Level
	level.UnmarshalText([]byte(c.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if c.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(out, opts))
	}
	return slog.New(slog.NewTextHandler(out, opts))
}
