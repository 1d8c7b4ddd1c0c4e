package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/telegrafcontroller/tc"
)

// TestTranslateConnectionFailures: every way the database can be away
// becomes EUNAVAILABLE "database unavailable", by type or code; other
// failures do not.
func TestTranslateConnectionFailures(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	for _, err := range []error{
		refused,
		fmt.Errorf("list agents: %w", refused),
		driver.ErrBadConn,
		syscall.ECONNRESET,
		&pgconn.PgError{Code: "08006"}, // connection_failure
		&pgconn.PgError{Code: "08001"}, // unable to establish
		&pgconn.PgError{Code: "57P01"}, // admin_shutdown
		&pgconn.PgError{Code: "57P03"}, // cannot_connect_now
	} {
		got := translate(err)
		if tc.ErrorCode(got) != tc.EUNAVAILABLE || tc.ErrorMessage(got) != msgUnavailable {
			t.Errorf("translate(%v) = %v, want unavailable / %q", err, got, msgUnavailable)
		}
		if !errors.Is(got, err) {
			t.Errorf("translate(%v) lost its cause", err)
		}
		// The adapters' error exits apply Unavailable to what no
		// transaction translated (a read's error).
		if got := Unavailable(fmt.Errorf("get config: %w", err)); tc.ErrorCode(got) != tc.EUNAVAILABLE || !errors.Is(got, err) {
			t.Errorf("Unavailable(%v) = %v, want unavailable with its cause", err, got)
		}
	}
	for _, err := range []error{errors.New("something else"), sql.ErrNoRows, &pgconn.PgError{Code: "42P01"}, tc.Errorf(tc.ENOTFOUND, "x")} {
		if got := Unavailable(err); got != err {
			t.Errorf("Unavailable(%v) = %v, want it unchanged", err, got)
		}
	}
	for _, err := range []error{
		errors.New("something else"),
		context.Canceled,
		&pgconn.PgError{Code: "42P01"}, // undefined_table: a bug, not an outage
	} {
		if code := tc.ErrorCode(translate(err)); code == tc.EUNAVAILABLE {
			t.Errorf("translate(%v) = unavailable, want it left alone", err)
		}
	}
	if got := translate(&pgconn.PgError{Code: "53100"}); tc.ErrorMessage(got) != msgFull {
		t.Errorf("PostgreSQL disk_full: %v, want %q", got, msgFull)
	}
}

// TestConnectFailureIsUnavailable: a store on a PostgreSQL that stopped
// answering fails every call with EUNAVAILABLE, through the connector.
func TestConnectFailureIsUnavailable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nobody listens there now
	s := &Store{}
	err = s.openPostgres(context.Background(), "postgres://tc@"+addr+"/x?sslmode=disable", Options{})
	defer s.Close()
	if err == nil {
		t.Fatal("open on a closed port succeeded")
	}
	if err := s.Ping(context.Background()); tc.ErrorCode(err) != tc.EUNAVAILABLE {
		t.Fatalf("ping: %v, want unavailable", err)
	}
}
