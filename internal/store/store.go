// Package store adapts SQLite (modernc.org/sqlite, pure Go) and PostgreSQL
// (pgx) to the domain. Both run the same SQL: $n placeholders, RETURNING, and
// timestamps produced in Go as Unix milliseconds (BIGINT) so neither dialect's
// date handling matters.
package store

import (
	"context"
	"crypto/cipher"
	"crypto/tls"
	"crypto/x509"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite"

	"github.com/telegrafcontroller/tc"
)

// Dialect names the database behind a Store.
type Dialect string

const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// Options tunes Open. Zero values are sensible.
type Options struct {
	Logger *slog.Logger
	Now    func() time.Time // injected clock; time.Now by default
	// Postgres TLS extras (reference §1.4): a CA file and "encrypt, don't verify".
	CACertFile  string
	SSLNoVerify bool
	// Plan tunes the agent list's planner (agent_plan.go).
	Plan PlanOptions
	// Exclusive makes a SQLite store hold a lock on its file for its life,
	// so that a second controller on the same file refuses to start
	// (sqlite_lock_unix.go). Controllers set it; tools and tests that open
	// a second store beside a first leave it off.
	Exclusive bool
	// NodeID names this node in a cluster (PostgreSQL only): announcing
	// transactions then notify the other nodes (cluster.go). "" outside a
	// cluster.
	NodeID string
	// AgentHistoryBucket is the width of the agents' reporting history's
	// buckets (history.go); 0 turns the history off.
	AgentHistoryBucket time.Duration
	// SecretKey is the operator's key material that notification channel
	// secrets are sealed under (notification_channel.go); "" stores no
	// secret: a channel that holds one is refused.
	SecretKey string
	// BeatsAckedOnReceipt says heartbeats are answered before the flush
	// that writes them (--heartbeat-ack=receive): the flush's commit then
	// promises no one anything, so on PostgreSQL it does not wait for its
	// WAL record to reach the disk (synchronous_commit off for that
	// transaction alone). A crash of PostgreSQL may then lose the last
	// fraction of a second of flushes, which a crash of the controller
	// loses anyway in this mode. Every other transaction commits as the
	// server is configured.
	BeatsAckedOnReceipt bool
}

// Store is the database. For SQLite, writes go through a single connection
// (SQLite allows one writer; a pool of writers would only queue on the lock
// and surface SQLITE_BUSY) while reads use a pool of connections that WAL lets
// run beside the writer. For PostgreSQL both are the same pool.
type Store struct {
	dialect *dialect // every SQLite/PostgreSQL difference (dialect.go)
	write   *sql.DB
	read    *sql.DB
	now     func() time.Time
	logger  *slog.Logger
	path    string   // SQLite file path, "" for PostgreSQL
	lock    *os.File // SQLite: flock held for the store's life (sqlite_lock_unix.go)
	plan    PlanOptions
	// feed hands committed changes to subscribers (change.go).
	feed feed
	// nodeID and pgConfig serve cluster mode (cluster.go).
	nodeID   string
	pgConfig *pgx.ConnConfig
	peerWait func(ctx context.Context, seq int64)
	// audit turns the audit log on (audit.go); auditHooks run after each
	// commit that appended entries (OnAudit); auditRunFull is the text of
	// a full run's insert (auditRunSQL), built once.
	audit        bool
	auditHooks   atomic.Pointer[[]func()]
	auditRunFull string
	// sealer encrypts notification channel secrets; nil without a key.
	sealer cipher.AEAD

	// settings caches the settings table (settings.go): settingsMu guards
	// the cache for a moment at a time; settingsWriteMu serialises the
	// writers, whose transactions readers never wait for.
	settingsMu      sync.RWMutex
	settings        tc.Settings
	settingsLoaded  bool
	settingsGen     uint64 // moved by DropSettings: a load begun before is not kept
	settingsWriteMu sync.Mutex

	// stmts holds statements of hot paths prepared once on the write pool,
	// by query text (prepared; heartbeat.go); readStmts the same on the
	// read pool (readPrepared; session.go).
	stmts     sync.Map
	readStmts sync.Map
	// beatSQL holds the texts of the heartbeat batch statements, built on
	// first use (heartbeat.go).
	beatSQL func() map[int]beatStatements
	// historyBucket is Options.AgentHistoryBucket, in whole seconds;
	// historySQL the texts of its batch statements (history.go).
	historyBucket time.Duration
	// beatsAckedOnReceipt is Options.BeatsAckedOnReceipt.
	beatsAckedOnReceipt bool
	historySQL          func() map[int]string

	// fullAt is when a write last failed for lack of space (UnixNano, 0
	// after a write succeeded): readiness reports it (Ready, error.go).
	fullAt atomic.Int64
}

// IsPostgresURL reports whether dsn selects PostgreSQL.
func IsPostgresURL(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// Open connects to dsn (a postgres:// URL or a SQLite path, optionally
// prefixed with file:), checks it answers and migrates it.
func Open(ctx context.Context, dsn string, opts Options) (*Store, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	dsn = strings.Trim(strings.TrimSpace(dsn), `"'`)
	s := &Store{now: opts.Now, logger: opts.Logger, plan: opts.Plan.withDefaults()}
	s.beatSQL = sync.OnceValue(func() map[int]beatStatements { return buildBeatStatements(s.dialect) })
	s.historyBucket = opts.AgentHistoryBucket.Truncate(time.Second)
	s.beatsAckedOnReceipt = opts.BeatsAckedOnReceipt
	if opts.SecretKey != "" {
		s.sealer = newSealer(opts.SecretKey)
	}
	s.historySQL = sync.OnceValue(func() map[int]string { return historyStatements(s.dialect) })
	var err error
	if IsPostgresURL(dsn) {
		err = s.openPostgres(ctx, dsn, opts)
	} else {
		err = s.openSQLite(ctx, dsn, opts.Exclusive)
	}
	if err != nil {
		s.Close()
		return nil, err
	}
	if err := s.migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	if err := s.fillUsernameSkeletons(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("fill username skeletons: %w", err)
	}
	if err := s.prepareAuditStatements(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("prepare the audit log's statements: %w", err)
	}
	return s, nil
}

func (s *Store) openSQLite(ctx context.Context, dsn string, exclusive bool) error {
	s.dialect = sqliteDialect
	path := strings.TrimPrefix(dsn, "file:")
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path = path[:i]
	}
	if path == "" || path == ":memory:" {
		return errors.New("open database: an in-memory SQLite database cannot be shared by two pools; give a file path")
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("open database: create directory %s: %w", dir, err)
		}
	}
	if err := secureSQLiteFiles(path, s.logger); err != nil {
		return err
	}
	var err error
	if exclusive {
		if s.lock, err = lockSQLite(path); err != nil {
			return err
		}
	}
	s.path = path
	// busy_timeout comes first so that the other pragmas wait for a lock
	// instead of failing; WAL lets readers run beside the writer; foreign keys
	// are off by default in SQLite; synchronous=NORMAL is durable in WAL mode
	// except for the last transactions on power loss.
	base := "file:" + path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_time_format=sqlite"
	// The writer's page cache is 64 MiB instead of SQLite's 2 MiB: a
	// heartbeat flush dirties a page or more per agent, and a transaction
	// whose dirty pages outgrow the cache spills them to the WAL before the
	// commit and reads them back. Over a million agents it cut the CPU per
	// agent written by 8% (agents beating in a steady order) to 23% (spread
	// over the fleet) in `tc-agents-bench -flushes`. Only the single writer
	// gets it: eight readers at that size would cost half a gigabyte.
	// _txlock=immediate takes the write lock at BEGIN, so a transaction that
	// reads then writes never fails half-way with SQLITE_BUSY.
	// temp_store=MEMORY keeps the writer's statement journals in memory. A
	// heartbeat flush's liveness update fires a trigger (it may move
	// agents.last_seen), so each update keeps a statement journal of the
	// pages it changes; once one outgrew 64 KiB it became a temporary file
	// for the rest of the flush, written page by page: 1.8 s of every 10 s
	// in the 7-minute million-agent runs. In memory, a flush of 16,700
	// agents spread over a million that move their index entries costs
	// 73-78 µs CPU per agent instead of 88-95 (tc-agents-bench -flushes).
	if s.write, err = sql.Open("sqlite", base+"&_txlock=immediate&_pragma=cache_size(-65536)&_pragma=temp_store(MEMORY)"); err != nil {
		return fmt.Errorf("open database: %w", err)
	}
	s.write.SetMaxOpenConns(1)
	s.write.SetConnMaxIdleTime(0)
	if s.read, err = sql.Open("sqlite", base+"&_pragma=query_only(1)"); err != nil {
		return fmt.Errorf("open database: %w", err)
	}
	s.read.SetMaxOpenConns(8)
	s.read.SetMaxIdleConns(8)
	// The first statement touches the file header: a file that is not SQLite
	// fails here with one clear message.
	var mode string
	if err := s.write.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		if strings.Contains(err.Error(), "not a database") || strings.Contains(err.Error(), "(26)") {
			return fmt.Errorf("open database: %s is not a SQLite database", path)
		}
		return fmt.Errorf("open database %s: %w", path, err)
	}
	return nil
}

func (s *Store) openPostgres(ctx context.Context, dsn string, opts Options) error {
	s.dialect = postgresDialect
	u, err := url.Parse(dsn)
	if err != nil {
		return errors.New("open database: DATABASE_URL is not a valid URL")
	}
	q := u.Query()
	// Client certificates are not supported (reference §1.4): drop them loudly.
	for _, k := range []string{"sslcert", "sslkey"} {
		if q.Has(k) {
			opts.Logger.Warn("ignoring PostgreSQL client certificate option", "option", k)
			q.Del(k)
		}
	}
	ca := q.Get("sslrootcert")
	if ca == "" {
		ca = opts.CACertFile
	}
	q.Del("sslrootcert")
	// A connection attempt to an address that drops packets would
	// otherwise wait for the operating system's TCP timeout (minutes):
	// requests answer 503 "database unavailable" within seconds instead.
	if !q.Has("connect_timeout") {
		q.Set("connect_timeout", "5")
	}
	u.RawQuery = q.Encode()
	cfg, err := pgx.ParseConfig(u.String())
	if err != nil {
		return fmt.Errorf("open database: %s", redactPG(err.Error(), u))
	}
	if cfg.TLSConfig != nil {
		switch {
		case ca != "":
			pem, err := os.ReadFile(ca)
			if err != nil {
				return fmt.Errorf("open database: read CA certificate %s: %w", ca, err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return fmt.Errorf("open database: %s holds no PEM certificate", ca)
			}
			cfg.TLSConfig.RootCAs = pool
			mode := q.Get("sslmode")
			if mode == "require" || mode == "verify-ca" || mode == "verify-full" {
				cfg.TLSConfig.InsecureSkipVerify = false
				cfg.TLSConfig.ServerName = cfg.Host
			}
		case opts.SSLNoVerify:
			cfg.TLSConfig = &tls.Config{InsecureSkipVerify: true}
		}
	}
	s.pgConfig = cfg.Copy()
	s.nodeID = opts.NodeID
	// Every connection attempt goes through connector: when PostgreSQL is
	// down, each query of every store method fails there first, and its
	// error becomes EUNAVAILABLE (503) wherever the store returns it.
	db := sql.OpenDB(connector{stdlib.GetConnector(*cfg)})
	db.SetMaxOpenConns(16)
	db.SetMaxIdleConns(16)
	db.SetConnMaxIdleTime(5 * time.Minute)
	s.write, s.read = db, db
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		return fmt.Errorf("open database: cannot reach PostgreSQL at %s: %s", u.Redacted(), redactPG(rootMessage(err), u))
	}
	return nil
}

// redactPG removes a password that a driver message may quote.
func redactPG(msg string, u *url.URL) string {
	if p, ok := u.User.Password(); ok && p != "" {
		msg = strings.ReplaceAll(msg, p, "xxxxx")
	}
	return msg
}

// rootMessage is the innermost message of err, first line only (pgconn
// lists one line per address it tried).
func rootMessage(err error) string {
	for {
		u := errors.Unwrap(err)
		if u == nil {
			msg, _, _ := strings.Cut(err.Error(), "\n")
			return msg
		}
		err = u
	}
}

// Dialect returns which database this is.
func (s *Store) Dialect() Dialect { return s.dialect.name }

// Path returns the SQLite file path, or "" for PostgreSQL.
func (s *Store) Path() string { return s.path }

// Now returns the store's clock reading.
func (s *Store) Now() time.Time { return s.now() }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	return s.read.QueryRowContext(ctx, "SELECT 1").Scan(&one)
}

// Ready checks that the database answers and that its last write did not
// fail for lack of space (within fullMemory). Errors: EUNAVAILABLE.
func (s *Store) Ready(ctx context.Context) error {
	if at := s.fullAt.Load(); at != 0 && time.Since(time.Unix(0, at)) < fullMemory {
		return tc.Errorf(tc.EUNAVAILABLE, msgFull)
	}
	if err := s.Ping(ctx); err != nil {
		return &wrapped{tc.Errorf(tc.EUNAVAILABLE, msgUnavailable), err}
	}
	return nil
}

// noteWrite remembers whether a write transaction failed for lack of space.
func (s *Store) noteWrite(err error) {
	if _, full := errors.AsType[*storageFull](err); full {
		s.fullAt.Store(time.Now().UnixNano())
	} else if err == nil && s.fullAt.Load() != 0 {
		s.fullAt.Store(0)
	}
}

// connector translates the errors of connection attempts (connect refused,
// timed out, server shutting down) into EUNAVAILABLE.
type connector struct{ driver.Connector }

func (c connector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, translate(err)
	}
	return conn, nil
}

// prepared returns q prepared on the write pool, preparing it on first use.
// Parsing a statement with thousands of parameters costs more than running
// it, so batch statements are prepared once and reused.
func (s *Store) prepared(ctx context.Context, q string) (*sql.Stmt, error) {
	return prepareOnce(ctx, s.write, &s.stmts, q)
}

// readPrepared is prepared for a query of a hot read path: SQLite parses a
// statement text anew at every call, which for the session lookup (a join
// of two tables) was most of its cost. database/sql prepares it again on
// each pool connection as needed.
func (s *Store) readPrepared(ctx context.Context, q string) (*sql.Stmt, error) {
	return prepareOnce(ctx, s.read, &s.readStmts, q)
}

// prepareOnce returns q prepared on db, from cache after the first call.
func prepareOnce(ctx context.Context, db *sql.DB, cache *sync.Map, q string) (*sql.Stmt, error) {
	if st, ok := cache.Load(q); ok {
		return st.(*sql.Stmt), nil
	}
	st, err := db.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	if prev, loaded := cache.LoadOrStore(q, st); loaded {
		st.Close()
		return prev.(*sql.Stmt), nil
	}
	return st, nil
}

// Close closes both pools.
func (s *Store) Close() error {
	var errs []error
	if s.write != nil {
		errs = append(errs, s.write.Close())
	}
	if s.read != nil && s.read != s.write {
		errs = append(errs, s.read.Close())
	}
	if s.lock != nil {
		errs = append(errs, s.lock.Close()) // after the pools: no connection outlives the lock
		s.lock = nil
	}
	return errors.Join(errs...)
}

// Tx is a write transaction with one fixed time for everything it does.
type Tx struct {
	*sql.Tx
	store *Store
	now   time.Time
	// changes are announced at commit (change.go).
	changes []tc.Change
	// audits and descriptions are the audit log's (audit.go).
	audits       []tc.AuditEntry
	auditRuns    []auditRun
	descriptions map[string]description
}

// BeginTx starts a write transaction.
func (s *Store) BeginTx(ctx context.Context) (*Tx, error) {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("begin transaction: %w", translate(err))
	}
	return &Tx{Tx: tx, store: s, now: s.now().UTC()}, nil
}

// Now is the transaction's fixed time.
func (tx *Tx) Now() time.Time { return tx.now }

// withTx runs fn in a write transaction, committing on nil and rolling back
// otherwise, and translates driver errors.
//
// On PostgreSQL a transaction chosen as a deadlock victim, or failing
// serialization, has been rolled back whole and changed nothing, so it is
// run again (up to txAttempts times) before the caller sees "busy".
func (s *Store) withTx(ctx context.Context, fn func(tx *Tx) error) error {
	var err error
	for attempt := 1; ; attempt++ {
		err = s.tryTx(ctx, fn)
		s.noteWrite(err)
		if attempt == txAttempts || !retryable(err) || ctx.Err() != nil {
			return err
		}
		time.Sleep(time.Duration(attempt*attempt) * 5 * time.Millisecond)
	}
}

// txAttempts bounds withTx's retries of deadlock victims.
const txAttempts = 4

func (s *Store) tryTx(ctx context.Context, fn func(tx *Tx) error) error {
	tx, err := s.BeginTx(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return translate(err)
	}
	if err := tx.commit(ctx); err != nil {
		return translate(err)
	}
	tx.auditCommitted()
	return nil
}

// WithTx is withTx for callers outside the package that compose store calls.
func (s *Store) WithTx(ctx context.Context, fn func(tx *Tx) error) error { return s.withTx(ctx, fn) }

// ReadDB is the pool for reads.
func (s *Store) ReadDB() *sql.DB { return s.read }

// ms converts a time to the stored Unix milliseconds.
func ms(t time.Time) int64 { return t.UnixMilli() }

// msPtr converts an optional time.
func msPtr(t *time.Time) sql.NullInt64 {
	if t == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixMilli(), Valid: true}
}

// fromMS converts stored Unix milliseconds back to a UTC time.
func fromMS(v int64) time.Time { return time.UnixMilli(v).UTC() }

// fromNullMS converts an optional stored time.
func fromNullMS(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := fromMS(v.Int64)
	return &t
}

// notFound is the error for a missing row of the named kind.
func notFound(kind string) error { return tc.Errorf(tc.ENOTFOUND, "%s not found", kind) }

// WithTxExec runs one statement in its own write transaction (for tests and
// maintenance).
func (s *Store) WithTxExec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	var res sql.Result
	err := s.withTx(ctx, func(tx *Tx) error {
		var err error
		res, err = tx.ExecContext(ctx, query, args...)
		return err
	})
	return res, err
}
