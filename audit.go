package tc

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strconv"
	"time"
)

// AuditEntry is one line of the audit log (docs/audit.md): who (Actor*)
// did what (Action) to what (Target*), from where (IPAddress, UserAgent),
// with what outcome, when. Seq numbers entries without gaps across the
// whole log; Hash is SHA-256 over the entry and PrevHash, the previous
// entry's Hash, so that editing, removing or reordering an entry breaks the
// chain (AuditEntry.ComputeHash). Details is a small JSON object: what
// changed, never a secret nor a TOML body.
type AuditEntry struct {
	Seq         int64           `json:"seq"`
	Timestamp   time.Time       `json:"timestamp"`
	Action      string          `json:"action"`
	ActorType   string          `json:"actorType"`
	ActorID     string          `json:"actorId,omitempty"`
	ActorUserID string          `json:"actorUserId,omitempty"` // the user behind a token
	IPAddress   string          `json:"ipAddress,omitempty"`
	UserAgent   string          `json:"userAgent,omitempty"`
	Outcome     string          `json:"outcome"`
	TargetType  string          `json:"targetType,omitempty"`
	TargetID    string          `json:"targetId,omitempty"`
	TargetName  string          `json:"targetName,omitempty"`
	Details     json.RawMessage `json:"details,omitempty"`
	Hash        string          `json:"hash"`
	PrevHash    string          `json:"prevHash"`
}

// Actor types and outcomes, upstream's spelling.
const (
	ActorUser   = "User"
	ActorToken  = "Token"
	ActorSystem = "System"

	OutcomeSuccess = "Success"
	OutcomeFailure = "Failure"
	OutcomeDenied  = "Denied"
)

// Actions that are not a store change (the others are ChangeAction's).
const (
	ActionLogin         = "user.login"
	ActionLogout        = "user.logout"
	ActionLockout       = "user.lockout"
	ActionAccessDenied  = "access.denied"
	ActionServerStart   = "server.start"
	ActionServerStop    = "server.stop"
	ActionAgentRegister = "agent.register"
	// Status transitions into and out of not_reporting, and deletion by a
	// reporting rule, made by the status sweep.
	ActionAgentNotReporting = "agent.not-reporting"
	ActionAgentRestored     = "agent.restored"
	ActionAgentExpired      = "agent.auto-delete"
)

// ChangeAction names the audit action of a store change: "<entity>.<op>",
// with a session's beginning and end as upstream's user.login and
// user.logout.
func ChangeAction(c Change) string {
	if c.Entity == EntitySession {
		if c.Op == OpCreate {
			return ActionLogin
		}
		return ActionLogout
	}
	return string(c.Entity) + "." + string(c.Op)
}

// ComputeHash returns the entry's hash: SHA-256, in hex, over a fixed
// encoding of every field but Hash, PrevHash included. The timestamp counts
// to the millisecond, as stored.
func (e *AuditEntry) ComputeHash() string {
	var buf [512]byte
	var num [20]byte
	b := appendHashField(buf[:0], "tc-audit-v1")
	b = appendHashField(b, strconv.AppendInt(num[:0], e.Seq, 10))
	b = appendHashField(b, strconv.AppendInt(num[:0], e.Timestamp.UnixMilli(), 10))
	for _, s := range [...]string{e.Action, e.ActorType, e.ActorID, e.ActorUserID, e.IPAddress, e.UserAgent,
		e.Outcome, e.TargetType, e.TargetID, e.TargetName} {
		b = appendHashField(b, s)
	}
	b = appendHashField(b, e.Details)
	b = appendHashField(b, e.PrevHash)
	sum := sha256.Sum256(b)
	var out [2 * sha256.Size]byte
	hex.Encode(out[:], sum[:])
	return string(out[:])
}

// appendHashField appends s to b as ComputeHash encodes a field: its length
// (8 bytes, little-endian), then its bytes; so no two different entries
// encode alike.
func appendHashField[T ~string | ~[]byte](b []byte, s T) []byte {
	b = binary.LittleEndian.AppendUint64(b, uint64(len(s)))
	return append(b, s...)
}

// AuditFilter selects entries of the log: a time range (zero: unbounded),
// exact action, actor, outcome and target, and Q, text found in any of the
// entry's names, addresses or details. Page counts from 1.
type AuditFilter struct {
	From, To time.Time
	Action   string
	ActorID  string
	Outcome  string
	TargetID string
	Q        string
	Page     int
	Limit    int
}

// AuditVerification is the result of recomputing the chain: OK, or the
// first entry (Seq) that does not follow from the one before it, and why.
// From is where verification started: after the last entry retention
// removed (its seq and hash are kept as the checkpoint).
type AuditVerification struct {
	OK        bool   `json:"ok"`
	Entries   int64  `json:"entries"`
	From      int64  `json:"fromSeq"`
	LastSeq   int64  `json:"lastSeq"`
	BadSeq    int64  `json:"badSeq,omitempty"`
	Reason    string `json:"reason,omitempty"`
	FirstHash string `json:"checkpointHash,omitempty"`
	LastHash  string `json:"lastHash,omitempty"`
}

// AuditRetentionHours are the retention choices, upstream's: 0 keeps
// entries forever.
var AuditRetentionHours = []int{720, 2160, 4320, 8760, 17520, 0}

// DefaultAuditRetentionHours is 90 days.
const DefaultAuditRetentionHours = 2160

// ValidAuditRetention reports whether h is one of AuditRetentionHours.
func ValidAuditRetention(h int) bool { return slices.Contains(AuditRetentionHours, h) }

// Origin is where a request came from, as the audit log records it.
type Origin struct {
	IP        string
	UserAgent string
}

// RequestRecord is what the audit log learns of a request while it is
// served: where it came from, and its caller once authenticated
// (NewContextWithCaller fills it in), so that a refusal written further out
// (a 403) is attributed.
type RequestRecord struct {
	Origin Origin
	Caller *Caller
	// Route is the endpoint's pattern, once routed ("GET /api/users/{id}").
	Route string
}

type recordKey struct{}

// NewContextWithRecord returns ctx carrying rec.
func NewContextWithRecord(ctx context.Context, rec *RequestRecord) context.Context {
	return context.WithValue(ctx, recordKey{}, rec)
}

// NewContextWithOrigin returns ctx carrying a record of origin o.
func NewContextWithOrigin(ctx context.Context, o Origin) context.Context {
	return NewContextWithRecord(ctx, &RequestRecord{Origin: o})
}

// RecordFromContext returns the request's audit record, or nil.
func RecordFromContext(ctx context.Context) *RequestRecord {
	rec, _ := ctx.Value(recordKey{}).(*RequestRecord)
	return rec
}

// OriginFromContext returns the origin recorded in ctx, or the zero Origin.
func OriginFromContext(ctx context.Context) Origin {
	if rec, _ := ctx.Value(recordKey{}).(*RequestRecord); rec != nil {
		return rec.Origin
	}
	return Origin{}
}

// AuditActor fills e's actor from the caller in ctx (System when there is
// none) and its origin.
func AuditActor(ctx context.Context, e *AuditEntry) {
	e.ActorType = ActorSystem
	if c := CallerFromContext(ctx); c != nil && c.User != nil {
		e.ActorType, e.ActorID = ActorUser, c.User.ID
		if c.Token != nil {
			e.ActorType, e.ActorID, e.ActorUserID = ActorToken, c.Token.ID, c.User.ID
		}
	}
	o := OriginFromContext(ctx)
	e.IPAddress, e.UserAgent = o.IP, o.UserAgent
}
