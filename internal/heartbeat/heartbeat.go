package heartbeat

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/auth"
	"github.com/telegrafcontroller/tc/internal/httpx"
	"github.com/telegrafcontroller/tc/internal/store"
)

// permHeartbeat is what a token needs to send heartbeats.
var permHeartbeat = tc.Perm(tc.ResHeartbeat, tc.ActionWrite)

// message is the outputs.heartbeat body, schema 1. Fields the plugin may add
// later are ignored. Metrics and a logs object are the early development
// shape (top-level metrics; logs as {errors, warnings, entries}).
type message struct {
	ID             string          `json:"id"`
	Version        string          `json:"version"`
	Schema         int64           `json:"schema"`
	Last           int64           `json:"last"`
	Hostname       string          `json:"hostname"`
	Configurations []string        `json:"configurations"`
	Statistics     *statistics     `json:"statistics"`
	Logs           json.RawMessage `json:"logs"`
	Status         string          `json:"status"`
	Metrics        *uint64         `json:"metrics"`
}

type statistics struct {
	Errors   uint64 `json:"errors"`
	Warnings uint64 `json:"warnings"`
	Metrics  uint64 `json:"metrics"`
}

// earlyLogs is the logs object of the early development schema.
type earlyLogs struct {
	Errors   uint64        `json:"errors"`
	Warnings uint64        `json:"warnings"`
	Entries  []tc.AgentLog `json:"entries"`
}

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// heartbeat is POST /agents/heartbeat: authenticate, decode, hand the beat
// to the ingester, answer 204. Nothing here waits for the database (the
// token lookup is served by the Authenticator's cache). Only a token
// authenticates: a session cookie is ignored, so a page a signed-in user
// visits cannot send beats with the user's session.
func (s *Server) heartbeat(w http.ResponseWriter, r *http.Request) {
	if !s.Exempt {
		caller, err := s.Auth.AuthenticateHeader(r)
		if err == nil && caller == nil {
			err = tc.Errorf(tc.EUNAUTHORIZED, auth.MsgMissing)
		}
		if err == nil && !caller.Can(permHeartbeat) {
			tc.NoteCaller(r.Context(), caller) // the audit log's Denied entry names it
			err = auth.Forbidden(permHeartbeat)
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
	}
	beat, err := s.decode(w, r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	beat.IP = httpx.ClientIP(r, s.TrustedProxies)
	if err := s.Ingest.Add(r.Context(), beat); err != nil {
		s.fail(w, r, err)
		return
	}
	s.results[resultAccepted].Inc()
	w.WriteHeader(http.StatusNoContent)
}

// fail writes err and counts the heartbeat by its result.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	err = store.Unavailable(err)
	result := resultUnavailable
	switch tc.ErrorCode(err) {
	case tc.EINVALID:
		result = resultInvalid
	case tc.ETOOLARGE:
		result = resultTooLarge
	case tc.EUNAUTHORIZED:
		result = resultUnauthorized
	case tc.EFORBIDDEN:
		result = resultForbidden
	}
	s.results[result].Inc()
	if result == resultUnavailable {
		// A full backlog refuses every beat until the database catches up:
		// one warning per interval, not one error line per agent, which
		// would only add load while the server is overloaded. The counter
		// tc_heartbeats_received_total{result="unavailable"} has them all.
		if s.overloadLog.Allow() {
			s.Logger.Warn("refusing heartbeats while the database catches up", "reason", tc.ErrorMessage(err))
		}
		httpx.WriteError(w, r, nil, err)
		return
	}
	httpx.WriteError(w, r, s.Logger, err)
}

// overloadLogInterval spaces the overload warnings.
const overloadLogInterval = 10 * time.Second

// everyInterval lets one event through per overloadLogInterval (lock-free).
type everyInterval struct{ last atomic.Int64 }

// Allow reports whether the interval has passed since the last allowed event.
func (e *everyInterval) Allow() bool {
	now := time.Now().UnixNano()
	last := e.last.Load()
	return now-last >= int64(overloadLogInterval) && e.last.CompareAndSwap(last, now)
}

// decode reads and checks the body and turns it into an AgentBeat.
func (s *Server) decode(w http.ResponseWriter, r *http.Request) (*tc.AgentBeat, error) {
	if r.ContentLength > s.MaxBody {
		return nil, tooLarge(s.MaxBody)
	}
	buf := bufPool.Get().(*bytes.Buffer)
	defer func() {
		if buf.Cap() <= 64<<10 {
			buf.Reset()
			bufPool.Put(buf)
		}
	}()
	buf.Reset()
	if _, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, s.MaxBody)); err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return nil, tooLarge(s.MaxBody)
		}
		return nil, tc.Errorf(tc.EINVALID, "read body: %v", err)
	}
	return parse(buf.Bytes(), s.Now())
}

func tooLarge(limit int64) error {
	return tc.Errorf(tc.ETOOLARGE, "heartbeat body exceeds %d bytes", limit)
}

// msgInvalidUTF8 is the API's answer to a body that is not UTF-8.
const msgInvalidUTF8 = "request body must be valid UTF-8"

// parse checks a heartbeat body. at is the time it arrived.
func parse(body []byte, at time.Time) (*tc.AgentBeat, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, tc.Errorf(tc.EINVALID, "request body is empty; a JSON heartbeat is required")
	}
	m, ok := decodeFast(body)
	if !ok {
		// encoding/json would turn invalid UTF-8 into U+FFFD silently; the
		// API refuses such bodies, and so does this listener. The fast path
		// needs no check: it accepts only ASCII bodies.
		if !utf8.Valid(body) {
			return nil, tc.Errorf(tc.EINVALID, msgInvalidUTF8)
		}
		m = message{}
		if err := json.Unmarshal(body, &m); err != nil {
			return nil, decodeError(err)
		}
	}
	// PostgreSQL refuses NUL in text: one such beat would fail the whole
	// batch it is written with.
	if httpx.EscapesNUL(body) {
		return nil, tc.Errorf(tc.EINVALID, "heartbeat must not contain NUL characters (\\u0000)")
	}
	return fromMessage(&m, at)
}

// fromMessage checks a decoded heartbeat and turns it into an AgentBeat.
func fromMessage(m *message, at time.Time) (*tc.AgentBeat, error) {
	switch {
	case m.ID == "":
		return nil, tc.FieldErrorf("id", "id is required")
	case utf8.RuneCountInString(m.ID) > tc.MaxAgentIDLength:
		return nil, tc.FieldErrorf("id", "id must be at most %d characters", tc.MaxAgentIDLength)
	case m.ID == "." || m.ID == "..":
		// No URL can name such an agent: browsers and the router resolve
		// a path segment "." or ".." before it reaches a page.
		return nil, tc.FieldErrorf("id", "id must not be . or ..")
	case m.Version == "":
		return nil, tc.FieldErrorf("version", "version is required")
	case len(m.Configurations) > tc.MaxAgentConfigs:
		return nil, tc.FieldErrorf("configurations", "configurations must list at most %d sources", tc.MaxAgentConfigs)
	}
	b := &tc.AgentBeat{
		ID: m.ID, Hostname: m.Hostname, Version: m.Version,
		FirstSeen: at, LastSeen: at,
		HasConfigs: m.Configurations != nil, Configs: m.Configurations,
	}
	switch strings.ToLower(m.Status) {
	case "", tc.AgentOK:
		b.Status = tc.AgentOK
	case tc.AgentWarn:
		b.Status = tc.AgentWarn
	case tc.AgentFail:
		b.Status = tc.AgentFail
	case tc.AgentUndefined:
		b.Status = tc.AgentUndefined
	default:
		return nil, tc.FieldErrorf("status", "status must be one of OK, WARN, FAIL, UNDEFINED, not %q", m.Status)
	}
	if m.Statistics != nil {
		b.Last = tc.HeartbeatStats{Errors: clamp(m.Statistics.Errors), Warnings: clamp(m.Statistics.Warnings), Metrics: clamp(m.Statistics.Metrics)}
	} else if m.Metrics != nil {
		b.Last.Metrics = clamp(*m.Metrics)
	}
	var entries []tc.AgentLog
	switch first := firstByte(m.Logs); first {
	case 0, 'n': // absent or null
	case '[':
		if err := json.Unmarshal(m.Logs, &entries); err != nil {
			return nil, decodeError(prefixField(err, "logs"))
		}
	case '{':
		var early earlyLogs
		if err := json.Unmarshal(m.Logs, &early); err != nil {
			return nil, decodeError(prefixField(err, "logs"))
		}
		entries = early.Entries
		if m.Statistics == nil {
			b.Last.Errors, b.Last.Warnings = clamp(early.Errors), clamp(early.Warnings)
		}
	default:
		return nil, tc.FieldErrorf("logs", "logs must be an array")
	}
	if len(entries) > 0 {
		// Reported oldest first; kept newest first.
		n := min(len(entries), tc.MaxAgentLogs)
		b.Logs = make([]tc.AgentLog, n)
		for i := range n {
			b.Logs[i] = entries[len(entries)-1-i]
		}
	}
	b.Sum = b.Last
	return b, nil
}

func firstByte(raw json.RawMessage) byte {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return 0
	}
	return raw[0]
}

func clamp(v uint64) int64 {
	if v > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(v)
}

// prefixField makes a type error inside logs name its full path.
func prefixField(err error, prefix string) error {
	if te, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
		te.Field = strings.TrimSuffix(prefix+"."+te.Field, ".")
	}
	return err
}

// decodeError turns a JSON error into a 400 that names the problem.
func decodeError(err error) error {
	if te, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
		if te.Field == "" {
			return tc.Errorf(tc.EINVALID, "heartbeat must be a JSON object")
		}
		return tc.FieldErrorf(te.Field, "%s must be %s", te.Field, kind(te))
	}
	if se, ok := errors.AsType[*json.SyntaxError](err); ok {
		return tc.Errorf(tc.EINVALID, "invalid JSON at byte %d: %s", se.Offset, se.Error())
	}
	return tc.Errorf(tc.EINVALID, "invalid JSON: %s", strings.TrimPrefix(err.Error(), "json: "))
}

func kind(te *json.UnmarshalTypeError) string {
	switch te.Type.Kind().String() {
	case "string":
		return "a string"
	case "uint64":
		return "a non-negative integer"
	case "int64":
		return "an integer"
	case "slice":
		return "an array"
	case "map", "struct", "ptr":
		return "an object"
	}
	return fmt.Sprintf("of type %s", te.Type)
}
