package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"

	"github.com/telegrafcontroller/tc"
)

// SQLite extended result codes (sqlite3.h) and PostgreSQL SQLSTATEs that
// become domain errors. Translation is by code, never by message.
const (
	sqliteConstraintUnique     = 2067
	sqliteConstraintPrimaryKey = 1555
	sqliteConstraintForeignKey = 787
	sqliteConstraintCheck      = 275
	sqliteConstraintNotNull    = 1299
	sqliteBusy                 = 5
	sqliteFull                 = 13 // SQLITE_FULL: disk full, or max_page_count reached
	pgUniqueViolation          = "23505"
	pgForeignKeyViolation      = "23503"
	pgCheckViolation           = "23514"
	pgNotNullViolation         = "23502"
	pgCharacterNotInRepertoire = "22021" // e.g. a NUL byte in text
	pgSerializationFailure     = "40001"
	pgDeadlockDetected         = "40P01"
	pgLockNotAvailable         = "55P03"
	pgDiskFull                 = "53100"
	// Class 08 (connection exception) and 57P01-57P03 (admin shutdown,
	// crash shutdown, cannot connect now) mean the server is gone or not
	// yet accepting: the request may succeed later.
	pgClassConnection = "08"
	pgClassShutdown   = "57P0"
)

// Messages of the two "try again later" faults a caller can do nothing about.
const (
	msgUnavailable = "database unavailable, try again"
	msgFull        = "storage full: the database cannot be written, try again later"
)

// Unavailable returns err as EUNAVAILABLE when it is the database being
// away (a connection refused, or cut under a read: PostgreSQL's shutdown
// ends a pooled connection with 57P01), and err unchanged otherwise. The
// adapters' one error exit each applies it, for the reads whose errors no
// transaction translated.
func Unavailable(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := errors.AsType[*tc.Error](err); ok {
		return err
	}
	if connectionFailure(err) {
		return &wrapped{tc.Errorf(tc.EUNAVAILABLE, msgUnavailable), err}
	}
	return err
}

// translate turns driver errors into domain errors: unique violations into
// ECONFLICT, foreign-key violations into EINVALID, sql.ErrNoRows into
// ENOTFOUND. Anything else is returned unchanged (and becomes EINTERNAL).
func translate(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := errors.AsType[*tc.Error](err); ok {
		return err
	}
	if errors.Is(err, sql.ErrNoRows) {
		return tc.Errorf(tc.ENOTFOUND, "not found")
	}
	// Before the context check: a connect attempt cut short by its timeout
	// is the database being away, not the client giving up.
	if connectionFailure(err) {
		return &wrapped{tc.Errorf(tc.EUNAVAILABLE, msgUnavailable), err}
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	if e, ok := errors.AsType[*sqlite.Error](err); ok {
		switch e.Code() {
		case sqliteConstraintUnique, sqliteConstraintPrimaryKey:
			return &wrapped{tc.Errorf(tc.ECONFLICT, "already exists"), err}
		case sqliteConstraintForeignKey:
			return &wrapped{tc.Errorf(tc.EINVALID, "refers to something that does not exist"), err}
		case sqliteConstraintCheck, sqliteConstraintNotNull:
			return &wrapped{tc.Errorf(tc.EINVALID, "invalid value"), err}
		case sqliteBusy:
			return &wrapped{tc.Errorf(tc.EUNAVAILABLE, "database busy, try again"), err}
		}
		if e.Code()&0xff == sqliteFull {
			return &wrapped{tc.Errorf(tc.EUNAVAILABLE, msgFull), &storageFull{err}}
		}
	}
	if e, ok := errors.AsType[*pgconn.PgError](err); ok {
		switch e.Code {
		case pgUniqueViolation:
			return &wrapped{tc.Errorf(tc.ECONFLICT, "already exists"), err}
		case pgForeignKeyViolation:
			return &wrapped{tc.Errorf(tc.EINVALID, "refers to something that does not exist"), err}
		case pgCheckViolation, pgNotNullViolation:
			return &wrapped{tc.Errorf(tc.EINVALID, "invalid value"), err}
		case pgCharacterNotInRepertoire:
			return &wrapped{tc.Errorf(tc.EINVALID, "text must be valid UTF-8 without NUL bytes"), err}
		case pgSerializationFailure, pgDeadlockDetected:
			// Like SQLite's busy: the transaction lost to a concurrent one
			// and changed nothing; the same request can be sent again.
			return &wrapped{tc.Errorf(tc.EUNAVAILABLE, "database busy, try again"), err}
		case pgDiskFull:
			return &wrapped{tc.Errorf(tc.EUNAVAILABLE, msgFull), &storageFull{err}}
		}
	}
	return err
}

// connectionFailure reports whether err says the database cannot be
// reached: pgx's connect errors, socket errors, a connection database/sql
// gave up on, or a PostgreSQL SQLSTATE of class 08 or 57P0x. By type and
// code, never by message.
func connectionFailure(err error) bool {
	if _, ok := errors.AsType[*pgconn.ConnectError](err); ok {
		return true
	}
	if e, ok := errors.AsType[*pgconn.PgError](err); ok {
		return strings.HasPrefix(e.Code, pgClassConnection) || strings.HasPrefix(e.Code, pgClassShutdown)
	}
	if _, ok := errors.AsType[*net.OpError](err); ok {
		return true
	}
	return errors.Is(err, driver.ErrBadConn) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) || errors.Is(err, io.ErrUnexpectedEOF)
}

// storageFull marks a write refused for lack of space, so that the store
// can remember it for readiness (WriteFailure).
type storageFull struct{ error }

func (e *storageFull) Unwrap() error { return e.error }

// fullMemory is how long a "storage full" write keeps readiness at 503
// when no write succeeds after it: long enough for a load balancer to see
// it, short enough that a node whose disk was freed and that gets no
// writes comes back by itself (its next failing write flips it again).
const fullMemory = 30 * time.Second

// wrapped keeps the driver error for logs while exposing the domain error.
type wrapped struct {
	domain *tc.Error
	cause  error
}

func (w *wrapped) Error() string   { return w.domain.Error() + ": " + w.cause.Error() }
func (w *wrapped) Unwrap() []error { return []error{w.domain, w.cause} }

// retryable reports whether err is a PostgreSQL deadlock or serialization
// failure: the whole transaction was rolled back and may simply run again.
func retryable(err error) bool {
	e, ok := errors.AsType[*pgconn.PgError](err)
	return ok && (e.Code == pgDeadlockDetected || e.Code == pgSerializationFailure)
}

// IsConflict reports whether err is a uniqueness conflict.
func IsConflict(err error) bool { return tc.ErrorCode(translate(err)) == tc.ECONFLICT }
