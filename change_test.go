package tc_test

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/telegrafcontroller/tc"
)

// TestChangeJSON checks that a change survives the trip between nodes.
func TestChangeJSON(t *testing.T) {
	c := tc.Change{Entity: tc.EntityToken, Op: tc.OpRevoke, IDs: []string{"t1"}, ActorUserID: "u1", ActorTokenID: "t0",
		At: time.Date(2026, 1, 2, 3, 4, 5, 6e6, time.UTC)}
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), `{"entity":"token","op":"revoke","ids":["t1"],"actorUserId":"u1","actorTokenId":"t0","at":"2026-01-02T03:04:05.006Z"}`; got != want {
		t.Errorf("json = %s, want %s", got, want)
	}
	var back tc.Change
	if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(back, c) {
		t.Errorf("round trip = %+v, %v; want %+v", back, err, c)
	}
}
