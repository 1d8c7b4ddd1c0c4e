package app

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/telegrafcontroller/tc"
)

// Config is every start-up option. Each is read from a flag, else an
// environment variable, else a .env file in the working directory, else its
// default. The options table below is the only list of them.
type Config struct {
	Port          int
	HeartbeatPort int
	Bind          string
	DataDir       string
	Database      string
	SSLCert       string
	SSLKey        string
	DBCACert      string
	DBSSLNoVerify bool
	LogFormat     string
	LogLevel      string
	MaxBodyBytes  int64
	// HeartbeatMaxBodyBytes caps heartbeat bodies (413 beyond).
	HeartbeatMaxBodyBytes int64
	// GCHeadroomMB is the least the heap may grow past the live heap
	// before a garbage collection, in MiB (gc.go); 0 keeps Go's default.
	GCHeadroomMB int
	// BackgroundNice is the nice value of the threads that run background
	// work (loop.SetNice); 0 runs it beside requests.
	BackgroundNice int
	// DisabledAuthEndpoints is the raw --disable-auth-endpoints list.
	DisabledAuthEndpoints string
	ShutdownTimeout       time.Duration
	// DrainPeriod is how long a node reports not ready before it stops
	// accepting requests at shutdown.
	DrainPeriod time.Duration
	// DebugAddress is a loopback host:port serving Go's profiles
	// (/debug/pprof/), or empty for none.
	DebugAddress string

	// Heartbeat ingestion (internal/heartbeat).
	TrustedProxies         []netip.Prefix
	HeartbeatFlushInterval time.Duration
	HeartbeatFlushAgents   int
	HeartbeatMaxPending    int
	// HeartbeatAckFlush answers a heartbeat only once it is written
	// (--heartbeat-ack=flush).
	HeartbeatAckFlush bool
	// AgentHistoryBucket is the width of the agents' reporting history's
	// buckets (0: no history); AgentHistoryRetention seeds its retention
	// setting, in hours.
	AgentHistoryBucket    time.Duration
	AgentHistoryRetention int
	// Identity: owner bootstrap, first-start seeds of the login settings,
	// and session lifetimes.
	OwnerUsername        string
	OwnerEmail           string
	OwnerPassword        string
	ResetOwnerPassword   bool
	LoginLockoutAttempts int
	LoginLockoutMinutes  int
	PasswordComplexity   string
	SessionIdleTimeout   time.Duration
	SessionLifetime      time.Duration
	// StatusInterval is how often the agent status scheduler runs.
	StatusInterval time.Duration
	// HA runs the node in cluster mode (internal/cluster, docs/cluster.md);
	// HACheckInterval is how often it checks leadership and the change
	// counter.
	HA              bool
	HACheckInterval time.Duration
	// HAPollInterval is how often the change counter is polled, the back-up
	// of LISTEN/NOTIFY.
	HAPollInterval time.Duration
	// AuditEnabled turns the audit log on (docs/audit.md);
	// AuditLogRetention seeds its retention setting, in hours.
	AuditEnabled      bool
	AuditLogRetention int
	// Audit forwarders (internal/forward, docs/audit.md): syslog needs
	// host, port and protocol together.
	AuditSyslogHost        string
	AuditSyslogPort        int
	AuditSyslogProtocol    string
	AuditWebhookURL        string
	AuditWebhookAuthHeader string
	AuditFilePath          string
	// AlertInterval is how often the alert rules are evaluated;
	// AlertHistoryRetention how many hours resolved alerts, ended mutes
	// and finished notifications are kept (docs/alerts.md).
	AlertInterval         time.Duration
	AlertHistoryRetention int
	// SecretKey is the key material notification channel secrets are
	// sealed under (notification_channel.go, docs/alerts.md).
	SecretKey string
	// SSO is single sign-on (sso.go, docs/sso.md).
	SSO SSOConfig
}

// option describes one setting: its flag, variable, default and help.
type option struct {
	flag, env, def, usage string
	set                   func(c *Config, v string) error
}

func options() []option {
	return append(coreOptions(), ssoOptions()...)
}

func coreOptions() []option {
	return []option{
		{"port", "APP_PORT", "8888", "port of the main listener (API, UI, health, metrics); 0 picks a free port", intSetter(func(c *Config, n int) { c.Port = n })},
		{"heartbeat-port", "HEARTBEAT_PORT", "8000", "port of the heartbeat listener; 0 picks a free port", intSetter(func(c *Config, n int) { c.HeartbeatPort = n })},
		{"bind", "BIND_ADDRESS", "", "address both listeners bind (empty: all interfaces)", func(c *Config, v string) error { c.Bind = v; return nil }},
		{"data-dir", "DATA_DIR", "", "directory of the SQLite database (default $XDG_DATA_HOME/telegraf-controller, else ~/.local/share/telegraf-controller)", func(c *Config, v string) error { c.DataDir = v; return nil }},
		{"database", "DATABASE_URL", "", "postgres:// or postgresql:// URL for PostgreSQL; any other value is a SQLite file path (default <data-dir>/sqlite.db)", func(c *Config, v string) error { c.Database = v; return nil }},
		{"database-ca-cert", "DATABASE_CA_CERT", "", "CA certificate (PEM) to verify PostgreSQL's TLS certificate (also read from PGSSLROOTCERT)", func(c *Config, v string) error { c.DBCACert = v; return nil }},
		{"database-ssl-no-verify", "DATABASE_SSL_NO_VERIFY", "false", "encrypt the PostgreSQL connection without verifying its certificate (ignored when a CA is given)", boolSetter(func(c *Config, b bool) { c.DBSSLNoVerify = b })},
		{"ssl-cert", "SSL_CERT_PATH", "", "TLS certificate (PEM); with --ssl-key, both listeners serve HTTPS", func(c *Config, v string) error { c.SSLCert = v; return nil }},
		{"ssl-key", "SSL_KEY_PATH", "", "TLS private key (PEM)", func(c *Config, v string) error { c.SSLKey = v; return nil }},
		{"log-format", "LOG_FORMAT", "text", "log format: text or json", func(c *Config, v string) error {
			if v != "text" && v != "json" {
				return fmt.Errorf("must be text or json, not %q", v)
			}
			c.LogFormat = v
			return nil
		}},
		{"log-level", "LOG_LEVEL", "info", "log level: debug, info, warn or error", func(c *Config, v string) error {
			switch v {
			case "debug", "info", "warn", "error":
				c.LogLevel = v
				return nil
			}
			return fmt.Errorf("must be debug, info, warn or error, not %q", v)
		}},
		{"max-body-bytes", "MAX_BODY_BYTES", "1048576", "largest accepted API request body in bytes", int64Setter(func(c *Config, n int64) { c.MaxBodyBytes = n })},
		{"gc-headroom-mb", "GC_HEADROOM_MB", "64", "the heap may grow at least this many MiB past the live heap before Go's garbage collector runs: fewer collections on a small heap for that much more memory, no change once the live heap is larger; 0 keeps Go's default, and so does GOGC in the environment", rangeSetter(0, 65536, func(c *Config, n int) { c.GCHeadroomMB = n })},
		{"background-nice", "BACKGROUND_NICE", "10", "Linux: run background work (heartbeat flushes, status sweeps, the serves recorder, pruning) on threads of its own at this nice value, from 1 to 19, with a Go processor of its own while it runs (GOMAXPROCS + 1), so that requests take the CPUs first; 0 runs it beside requests", rangeSetter(0, 19, func(c *Config, n int) { c.BackgroundNice = n })},
		{"heartbeat-max-body-bytes", "HEARTBEAT_MAX_BODY_BYTES", "1048576", "largest accepted heartbeat body in bytes (413 beyond)", int64Setter(func(c *Config, n int64) { c.HeartbeatMaxBodyBytes = n })},
		{"disable-auth-endpoints", "DISABLED_AUTH_ENDPOINTS", "", "comma list of agents, configs, config-groups, labels, reporting-rules, heartbeat, or * whose endpoints need no authentication (read once at start-up)", func(c *Config, v string) error { c.DisabledAuthEndpoints = v; return nil }},
		{"debug-address", "DEBUG_ADDRESS", "", "a loopback host:port (such as 127.0.0.1:6060) serving Go's runtime profiles at /debug/pprof/ without authentication, for measuring CPU and memory; off when empty", func(c *Config, v string) error {
			if v == "" {
				c.DebugAddress = ""
				return nil
			}
			host, port, err := net.SplitHostPort(v)
			if err != nil || port == "" {
				return fmt.Errorf("must be host:port such as 127.0.0.1:6060, not %q", v)
			}
			if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
				return fmt.Errorf("must be a loopback address (127.0.0.1, ::1 or localhost): profiles are served without authentication, not on %q", host)
			}
			c.DebugAddress = v
			return nil
		}},
		{"shutdown-timeout", "SHUTDOWN_TIMEOUT", "15s", "how long a graceful shutdown waits for in-flight requests", durationSetter(func(c *Config, d time.Duration) { c.ShutdownTimeout = d })},
		{"drain-period", "DRAIN_PERIOD", "5s", "at shutdown, how long the node keeps serving while /health/ready and the heartbeat listener's /health answer 503, so that load balancers stop sending to it first; 0 skips it", durationSetter(func(c *Config, d time.Duration) { c.DrainPeriod = d })},
		{"trusted-proxies", "TRUSTED_PROXIES", "", "comma list of CIDRs (or addresses) of reverse proxies whose X-Forwarded-For is believed: the client (an agent's recorded IP, the sign-in limiter's address) is the right-most hop that is not a trusted proxy", prefixesSetter(func(c *Config, p []netip.Prefix) { c.TrustedProxies = p })},
		{"heartbeat-flush-interval", "HEARTBEAT_FLUSH_INTERVAL", "1s", "how often pending heartbeats are written to the database (one transaction per flush)", durationSetter(func(c *Config, d time.Duration) { c.HeartbeatFlushInterval = d })},
		{"heartbeat-flush-agents", "HEARTBEAT_FLUSH_AGENTS", "10000", "flush earlier once this many agents have pending heartbeats", int64Setter(func(c *Config, n int64) { c.HeartbeatFlushAgents = int(min(n, 1<<30)) })},
		{"heartbeat-max-pending", "HEARTBEAT_MAX_PENDING", "200000", "agents whose heartbeats may wait for the database; beyond, new agents' heartbeats get 503 until a flush catches up", int64Setter(func(c *Config, n int64) { c.HeartbeatMaxPending = int(min(n, 1<<30)) })},
		{"heartbeat-ack", "HEARTBEAT_ACK", "receive", "when a heartbeat is answered 204: receive (at once; a crash loses the beats of the last flush interval) or flush (once written to the database, flushing as soon as the previous flush ends)", func(c *Config, v string) error {
			switch v {
			case "receive", "flush":
				c.HeartbeatAckFlush = v == "flush"
				return nil
			}
			return fmt.Errorf("must be receive or flush, not %q", v)
		}},
		{"agent-history-bucket", "AGENT_HISTORY_BUCKET", "1m", "width of the buckets of the agents' reporting history (status, beats, metrics, errors, warnings per agent), whole seconds from 10s to 1h; 0 keeps no history", func(c *Config, v string) error {
			d, err := time.ParseDuration(v)
			if err != nil || (d != 0 && (d < 10*time.Second || d > time.Hour || d%time.Second != 0)) {
				return fmt.Errorf("must be 0 or a whole number of seconds from 10s to 1h such as 1m, not %q", v)
			}
			c.AgentHistoryBucket = d
			return nil
		}},
		{"agent-history-retention", "AGENT_HISTORY_RETENTION", "168", "hours the agents' reporting history is kept, 1 to 8760 (seeds the agentHistoryRetentionHours setting at first start)", rangeSetter(1, tc.MaxAgentHistoryRetentionHours, func(c *Config, n int) { c.AgentHistoryRetention = n })},
		// Identity.
		{"owner-username", "OWNER_USERNAME", "", "username of the owner account created at first start (with --owner-email and --owner-password)", func(c *Config, v string) error { c.OwnerUsername = v; return nil }},
		{"owner-email", "OWNER_EMAIL", "", "email of the owner account created at first start", func(c *Config, v string) error { c.OwnerEmail = v; return nil }},
		{"owner-password", "OWNER_PASSWORD", "", "password of the owner account created at first start", func(c *Config, v string) error { c.OwnerPassword = v; return nil }},
		{"reset-owner-password", "RESET_OWNER_PASSWORD", "false", "with --owner-password: set the owner's password at every start (recovery; remove afterwards)", boolSetter(func(c *Config, b bool) { c.ResetOwnerPassword = b })},
		{"login-lockout-attempts", "LOGIN_LOCKOUT_ATTEMPTS", "5", "failed sign-ins before an account locks (seeds the setting at first start)", rangeSetter(1, tc.LockoutMaxCount, func(c *Config, n int) { c.LoginLockoutAttempts = n })},
		{"login-lockout-minutes", "LOGIN_LOCKOUT_MINUTES", "15", "minutes an account stays locked (seeds the setting at first start)", rangeSetter(1, tc.LockoutMaxMinute, func(c *Config, n int) { c.LoginLockoutMinutes = n })},
		{"password-complexity", "PASSWORD_COMPLEXITY", "low", "password rule: low, medium or high; common passwords are refused at every level (seeds the setting at first start)", func(c *Config, v string) error {
			if !tc.PasswordComplexity(v).Valid() {
				return fmt.Errorf("must be low, medium or high, not %q", v)
			}
			c.PasswordComplexity = v
			return nil
		}},
		{"session-idle-timeout", "SESSION_IDLE_TIMEOUT", "24h", "a sign-in session unused this long ends", positiveDuration(func(c *Config, d time.Duration) { c.SessionIdleTimeout = d })},
		{"session-lifetime", "SESSION_LIFETIME", "168h", "a sign-in session ends this long after sign-in, however active", positiveDuration(func(c *Config, d time.Duration) { c.SessionLifetime = d })},
		{"status-interval", "STATUS_INTERVAL", "60s", "how often agents are checked for missed heartbeats (not reporting, auto-delete)", func(c *Config, v string) error {
			d, err := time.ParseDuration(v)
			if err != nil || d < time.Second {
				return fmt.Errorf("must be a duration of at least 1s such as 60s, not %q", v)
			}
			c.StatusInterval = d
			return nil
		}},
		{"audit-enabled", "AUDIT_ENABLED", "true", "record who did what in the audit log (docs/audit.md); read at start-up", boolSetter(func(c *Config, b bool) { c.AuditEnabled = b })},
		{"audit-log-retention", "AUDIT_LOG_RETENTION", "2160", "hours audit entries are kept: 720, 2160, 4320, 8760, 17520, or 0 for ever (seeds the setting at first start)", func(c *Config, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil || !tc.ValidAuditRetention(n) {
				return fmt.Errorf("must be one of 720, 2160, 4320, 8760, 17520 or 0, not %q", v)
			}
			c.AuditLogRetention = n
			return nil
		}},
		{"ha", "HA_ENABLED", "false", "cluster mode: several nodes on one PostgreSQL database elect one leader for the status sweep and share changes (docs/cluster.md); PostgreSQL only", boolSetter(func(c *Config, b bool) { c.HA = b })},
		{"ha-check-interval", "HA_CHECK_INTERVAL", "3s", "in cluster mode: how often the leader re-checks its lock and the others try to take it", func(c *Config, v string) error {
			d, err := time.ParseDuration(v)
			if err != nil || d < 100*time.Millisecond || d > time.Minute {
				return fmt.Errorf("must be a duration between 100ms and 1m such as 3s, not %q", v)
			}
			c.HACheckInterval = d
			return nil
		}},
		{"ha-poll-interval", "HA_POLL_INTERVAL", "250ms", "in cluster mode: how often the change counter is polled, so that a change whose notification was lost reaches this node's caches within two polls", func(c *Config, v string) error {
			d, err := time.ParseDuration(v)
			if err != nil || d < 10*time.Millisecond || d > time.Minute {
				return fmt.Errorf("must be a duration between 10ms and 1m such as 250ms, not %q", v)
			}
			c.HAPollInterval = d
			return nil
		}},
		{"alert-interval", "ALERT_INTERVAL", "10s", "how often the alert rules are evaluated (docs/alerts.md), from 1s to 10m", func(c *Config, v string) error {
			d, err := time.ParseDuration(v)
			if err != nil || d < time.Second || d > 10*time.Minute {
				return fmt.Errorf("must be a duration between 1s and 10m such as 10s, not %q", v)
			}
			c.AlertInterval = d
			return nil
		}},
		{"alert-history-retention", "ALERT_HISTORY_RETENTION", "720", "hours resolved alerts, ended mutes, finished notifications and their delivery log are kept, 1 to 87600", rangeSetter(1, 87600, func(c *Config, n int) { c.AlertHistoryRetention = n })},
		// Audit forwarders (docs/audit.md, "Forwarders").
		{"audit-syslog-host", "AUDIT_SYSLOG_HOST", "", "forward audit entries to this syslog server (RFC 5424; with --audit-syslog-port and --audit-syslog-protocol)", func(c *Config, v string) error { c.AuditSyslogHost = v; return nil }},
		{"audit-syslog-port", "AUDIT_SYSLOG_PORT", "", "port of the audit syslog server", func(c *Config, v string) error {
			if v == "" {
				return nil
			}
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 65535 {
				return fmt.Errorf("must be a port number between 1 and 65535, not %q", v)
			}
			c.AuditSyslogPort = n
			return nil
		}},
		{"audit-syslog-protocol", "AUDIT_SYSLOG_PROTOCOL", "", "transport to the audit syslog server: tcp (octet-counted frames) or udp", func(c *Config, v string) error {
			if v != "" && v != "tcp" && v != "udp" {
				return fmt.Errorf("must be tcp or udp, not %q", v)
			}
			c.AuditSyslogProtocol = v
			return nil
		}},
		{"audit-webhook-url", "AUDIT_WEBHOOK_URL", "", "POST each audit entry as JSON to this http(s) URL", func(c *Config, v string) error {
			if v != "" {
				u, err := url.Parse(v)
				if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
					return fmt.Errorf("must be an http:// or https:// URL, not %q", v)
				}
			}
			c.AuditWebhookURL = v
			return nil
		}},
		{"audit-webhook-auth-header", "AUDIT_WEBHOOK_AUTH_HEADER", "", "value of the Authorization header of the audit webhook's requests (e.g. \"Bearer …\")", func(c *Config, v string) error { c.AuditWebhookAuthHeader = v; return nil }},
		{"secret-key", "SECRET_KEY", "", "key (at least 32 characters, the same on every node) that notification channel secrets are encrypted under; default with SQLite: one generated in secret.key beside the database", func(c *Config, v string) error {
			if v != "" && len(v) < 32 {
				return errors.New("must be at least 32 characters (for example the output of: openssl rand -base64 32)")
			}
			c.SecretKey = v
			return nil
		}},
		{"audit-file-path", "AUDIT_FILE_PATH", "", "append each audit entry to this file as a line of JSON (never rotated; synced once per batch)", func(c *Config, v string) error { c.AuditFilePath = v; return nil }},
	}
}

func intSetter(f func(*Config, int)) func(*Config, string) error {
	return func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 65535 {
			return fmt.Errorf("must be a port number between 0 and 65535, not %q", v)
		}
		f(c, n)
		return nil
	}
}

func int64Setter(f func(*Config, int64)) func(*Config, string) error {
	return func(c *Config, v string) error {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return fmt.Errorf("must be a positive integer, not %q", v)
		}
		f(c, n)
		return nil
	}
}

func prefixesSetter(f func(*Config, []netip.Prefix)) func(*Config, string) error {
	return func(c *Config, v string) error {
		var out []netip.Prefix
		for _, part := range strings.Split(v, ",") {
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			p, err := netip.ParsePrefix(part)
			if err != nil {
				a, aerr := netip.ParseAddr(part)
				if aerr != nil {
					return fmt.Errorf("must be a comma list of CIDRs such as 10.0.0.0/8, not %q", part)
				}
				p = netip.PrefixFrom(a, a.BitLen())
			}
			out = append(out, p.Masked())
		}
		f(c, out)
		return nil
	}
}

func boolSetter(f func(*Config, bool)) func(*Config, string) error {
	return func(c *Config, v string) error {
		switch strings.ToLower(v) {
		case "1", "true", "yes", "on":
			f(c, true)
		case "0", "false", "no", "off", "":
			f(c, false)
		default:
			return fmt.Errorf("must be true or false, not %q", v)
		}
		return nil
	}
}

// boolText holds a yes/no flag's text for its option's setter to check;
// as a flag.Value that is a bool flag, it may stand without a value.
type boolText string

func (b *boolText) String() string     { return string(*b) }
func (b *boolText) Set(v string) error { *b = boolText(v); return nil }
func (b *boolText) IsBoolFlag() bool   { return true }

func durationSetter(f func(*Config, time.Duration)) func(*Config, string) error {
	return func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return fmt.Errorf("must be a duration such as 30s or 2m, not %q", v)
		}
		f(c, d)
		return nil
	}
}

func rangeSetter(lo, hi int, f func(*Config, int)) func(*Config, string) error {
	return func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < lo || n > hi {
			return fmt.Errorf("must be an integer between %d and %d, not %q", lo, hi, v)
		}
		f(c, n)
		return nil
	}
}

func positiveDuration(f func(*Config, time.Duration)) func(*Config, string) error {
	return func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return fmt.Errorf("must be a positive duration such as 30m or 24h, not %q", v)
		}
		f(c, d)
		return nil
	}
}

// ErrHelp and ErrVersion tell main to exit 0 after printing.
var (
	ErrHelp    = errors.New("help requested")
	ErrVersion = errors.New("version requested")
)

// ParseConfig reads args, then getenv, then dotenv (the parsed .env file).
// Help goes to out.
func ParseConfig(args []string, getenv func(string) string, dotenv map[string]string, out io.Writer) (Config, error) {
	var c Config
	opts := options()
	fs := flag.NewFlagSet("telegraf-controller", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	given := map[string]*string{}
	for _, o := range opts {
		if o.def == "true" || o.def == "false" {
			// A yes/no option also stands alone: --ha means --ha=true.
			v := new(string)
			fs.Var((*boolText)(v), o.flag, "")
			given[o.flag] = v
			continue
		}
		given[o.flag] = fs.String(o.flag, "", "")
	}
	version := fs.Bool("version", false, "")
	help := fs.Bool("help", false, "")
	fs.BoolVar(help, "h", false, "")
	if err := fs.Parse(args); err != nil {
		return c, fmt.Errorf("%s (see --help)", err)
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q (see --help)", fs.Arg(0))
	}
	if *help {
		printHelp(out, opts)
		return c, ErrHelp
	}
	if *version {
		return c, ErrVersion
	}
	seen := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { seen[f.Name] = true })
	for _, o := range opts {
		v, src := o.def, "default"
		if seen[o.flag] {
			v, src = *given[o.flag], "flag --"+o.flag
		} else if ev, ok := lookup(getenv, o.env); ok {
			v, src = ev, "environment variable "+o.env
		} else if dv, ok := dotenv[o.env]; ok {
			v, src = dv, ".env entry "+o.env
		}
		if err := o.set(&c, v); err != nil {
			return c, fmt.Errorf("invalid %s: %s", src, err)
		}
	}
	if c.DBCACert == "" {
		if v, ok := lookup(getenv, "PGSSLROOTCERT"); ok {
			c.DBCACert = v
		}
	}
	return c, nil
}

func lookup(getenv func(string) string, key string) (string, bool) {
	v := getenv(key)
	return v, v != ""
}

func printHelp(out io.Writer, opts []option) {
	fmt.Fprintln(out, "Usage: telegraf-controller [options]")
	fmt.Fprintln(out)
	fmt.Fprintln(out, "Each option is read from its flag, else its environment variable, else a .env")
	fmt.Fprintln(out, "file in the working directory, else its default.")
	fmt.Fprintln(out)
	for _, o := range opts {
		def := o.def
		if def == "" {
			def = "none"
		}
		fmt.Fprintf(out, "  --%s  (%s, default %s)\n      %s\n", o.flag, o.env, def, o.usage)
	}
	fmt.Fprintln(out, "  --version\n      print the version and exit")
	fmt.Fprintln(out, "  --help\n      print this help and exit")
}

// ReadDotEnv parses KEY=VALUE lines of path (blank lines and # comments
// skipped, optional "export ", surrounding quotes removed). A missing file is
// an empty map.
func ReadDotEnv(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		line = strings.TrimPrefix(line, "export ")
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("%s line %d: expected KEY=VALUE", path, n)
		}
		v = strings.TrimSpace(v)
		if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
			v = v[1 : len(v)-1]
		}
		out[strings.TrimSpace(k)] = v
	}
	return out, sc.Err()
}

// DatabaseDSN returns the database to open: DATABASE_URL when set, else
// sqlite.db in the data directory.
func (c Config) DatabaseDSN(getenv func(string) string) (string, error) {
	if c.Database != "" {
		return c.Database, nil
	}
	dir := c.DataDir
	if dir == "" {
		if x := getenv("XDG_DATA_HOME"); x != "" {
			dir = filepath.Join(x, "telegraf-controller")
		} else {
			home, err := os.UserHomeDir()
			if err != nil {
				return "", fmt.Errorf("find data directory: %w (set --data-dir)", err)
			}
			dir = filepath.Join(home, ".local", "share", "telegraf-controller")
		}
	}
	return filepath.Join(dir, "sqlite.db"), nil
}
