package store

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/telegrafcontroller/tc"
)

// TestNotifyPayload: a transaction's changes travel whole when they fit in
// one notification, and as a reset when they would pass PostgreSQL's
// 8000-byte limit.
func TestNotifyPayload(t *testing.T) {
	ids := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprintf("00000000-0000-0000-0000-%012d", i)
		}
		return out
	}
	for _, tt := range []struct {
		name      string
		ids       int
		wantReset bool
	}{
		{"one id", 1, false},
		{"a hundred ids", 100, false},
		{"a thousand ids", 1000, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			in := Notification{Node: "n1", Seq: 7, Changes: []tc.Change{{Entity: tc.EntityToken, Op: tc.OpRevoke, IDs: ids(tt.ids)}}}
			payload, err := notifyPayload(in)
			if err != nil {
				t.Fatal(err)
			}
			if len(payload) >= 8000 {
				t.Fatalf("payload is %d bytes, PostgreSQL takes under 8000", len(payload))
			}
			var got Notification
			if err := json.Unmarshal([]byte(payload), &got); err != nil {
				t.Fatal(err)
			}
			if got.Node != "n1" || got.Seq != 7 || got.Reset != tt.wantReset {
				t.Fatalf("got node %q seq %d reset %v, want n1 7 %v", got.Node, got.Seq, got.Reset, tt.wantReset)
			}
			if !tt.wantReset && len(got.Changes[0].IDs) != tt.ids {
				t.Errorf("got %d ids, want %d", len(got.Changes[0].IDs), tt.ids)
			}
		})
	}
}
