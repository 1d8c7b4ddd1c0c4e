package store

import (
	"context"
	"database/sql"
	"errors"

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
	pgUniqueViolation          = "23505"
	pgForeignKeyViolation      = "23503"
	pgCheckViolation           = "23514"
	pgNotNullViolation         = "23502"
	pgCharacterNotInRepertoire = "22021" // e.g. a NUL byte in text
	pgSerializationFailure     = "40001"
	pgDeadlockDetected         = "40P01"
)

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
		}
	}
	return err
}

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
