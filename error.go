// Package tc holds the domain of the Telegraf Controller: the nouns (users,
// tokens, configurations, agents, ...) and the closed set of error codes every
// layer speaks. It imports neither storage nor HTTP.
package tc

import (
	"errors"
	"fmt"
)

// Error codes. This set is closed: every error that reaches a client carries
// one of them, and internal/api maps each to exactly one HTTP status.
const (
	EINVALID         = "invalid"            // malformed or unacceptable input
	EUNAUTHORIZED    = "unauthorized"       // no or bad credentials
	EFORBIDDEN       = "forbidden"          // credentials lack a permission
	ENOTFOUND        = "not_found"          // no such resource (or not visible to the caller)
	EMETHOD          = "method_not_allowed" // route exists, method does not
	ECONFLICT        = "conflict"           // uniqueness or state conflict
	EGONE            = "gone"               // a one-time link that is used, expired or deleted
	ETOOLARGE        = "too_large"          // request body over its limit
	ETOOMANYREQUESTS = "too_many_requests"  // rate limited
	EUNAVAILABLE     = "unavailable"        // a dependency (the database) is down
	EBADGATEWAY      = "bad_gateway"        // a receiver the controller sent to (a notification channel's) refused or failed
	EINTERNAL        = "internal"           // a bug or an unexpected failure
)

// Error is a domain error: a code from the set above, a message meant for the
// caller, and optionally the input field it concerns.
type Error struct {
	Code    string
	Message string
	Field   string
}

func (e *Error) Error() string {
	return fmt.Sprintf("tc error: code=%s message=%s", e.Code, e.Message)
}

// Errorf returns an *Error with the given code and formatted message.
func Errorf(code string, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldErrorf returns an EINVALID *Error naming the offending field.
func FieldErrorf(field string, format string, args ...any) *Error {
	return &Error{Code: EINVALID, Field: field, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, "" for nil,
// and EINTERNAL for anything else.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the caller-facing message of err: the message of its
// *Error, or "internal error" so that driver details never leak.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Message
	}
	return "internal error"
}
