package tc_test

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"strconv"
	"testing"
	"time"

	"github.com/telegrafcontroller/tc"
)

// TestAuditHashEncoding recomputes an entry's hash from the encoding
// docs/audit.md describes (each field as an 8-byte little-endian length and
// its bytes), so that anyone verifying an export can do the same, and a
// change of ComputeHash that breaks existing chains fails here.
func TestAuditHashEncoding(t *testing.T) {
	e := tc.AuditEntry{Seq: 42, Timestamp: time.UnixMilli(1764720000123).UTC(), Action: "token.revoke",
		ActorType: tc.ActorToken, ActorID: "tok-1", ActorUserID: "user-1", IPAddress: "192.0.2.7", UserAgent: "curl/8",
		Outcome: tc.OutcomeSuccess, TargetType: "token", TargetID: "tok-2", TargetName: "ci", Details: []byte(`{"a":"b"}`),
		PrevHash: "00ff"}
	var enc []byte
	for _, f := range []string{"tc-audit-v1", "42", strconv.FormatInt(1764720000123, 10), e.Action, e.ActorType, e.ActorID,
		e.ActorUserID, e.IPAddress, e.UserAgent, e.Outcome, e.TargetType, e.TargetID, e.TargetName, string(e.Details), e.PrevHash} {
		enc = binary.LittleEndian.AppendUint64(enc, uint64(len(f)))
		enc = append(enc, f...)
	}
	sum := sha256.Sum256(enc)
	if got, want := e.ComputeHash(), hex.EncodeToString(sum[:]); got != want {
		t.Fatalf("ComputeHash = %s, the documented encoding gives %s", got, want)
	}
	e.TargetName = "cj"
	if e.ComputeHash() == hex.EncodeToString(sum[:]) {
		t.Fatal("changing the target name left the hash unchanged")
	}
}
