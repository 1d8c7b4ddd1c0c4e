package httpx

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/telegrafcontroller/tc"
)

// statusOf maps every error code to its HTTP status. It is the only place
// that does so.
// StatusOf is the HTTP status of err, by its code.
func StatusOf(err error) int { return statusOf(tc.ErrorCode(err)) }

func statusOf(code string) int {
	switch code {
	case tc.EINVALID:
		return http.StatusBadRequest
	case tc.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case tc.EFORBIDDEN:
		return http.StatusForbidden
	case tc.ENOTFOUND:
		return http.StatusNotFound
	case tc.EMETHOD:
		return http.StatusMethodNotAllowed
	case tc.ECONFLICT:
		return http.StatusConflict
	case tc.EGONE:
		return http.StatusGone
	case tc.ETOOLARGE:
		return http.StatusRequestEntityTooLarge
	case tc.ETOOMANYREQUESTS:
		return http.StatusTooManyRequests
	case tc.EUNAVAILABLE:
		return http.StatusServiceUnavailable
	case tc.EBADGATEWAY:
		return http.StatusBadGateway
	default:
		return http.StatusInternalServerError
	}
}

// errorBody is the one shape of every API error.
type errorBody struct {
	Error   string `json:"error"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

// WriteError writes err as {"error","message"} with its status. Internal
// errors are logged here, once, and reach the client only as "internal error".
// The log names the route pattern, never the path: invite and reset paths
// hold their one-time secret.
func WriteError(w http.ResponseWriter, r *http.Request, logger *slog.Logger, err error) {
	code := tc.ErrorCode(err)
	status := statusOf(code)
	if status >= 500 && logger != nil {
		logger.Error("request failed", "method", r.Method, "route", RouteOf(r), "error", err)
	}
	body := errorBody{Error: code, Message: tc.ErrorMessage(err)}
	if e, ok := errors.AsType[*tc.Error](err); ok {
		body.Field = e.Field
	}
	w.Header().Del("Last-Modified")
	w.Header().Del("ETag")
	WriteJSON(w, status, body)
}

// WriteJSON writes v as JSON with status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if v != nil {
		enc := json.NewEncoder(w)
		enc.Encode(v)
	}
}
