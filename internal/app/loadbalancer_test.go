package app_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/apptest"
)

// TestBehindHAProxy runs a controller behind a real HAProxy configured as
// docs/cluster.md shows: health checks pass, the API and a heartbeat go
// through the load balancer, and with --trusted-proxies the controller
// records the agent's address from X-Forwarded-For, not the proxy's.
func TestBehindHAProxy(t *testing.T) {
	apptest.RequireHAProxy(t)
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db, apptest.WithArgs("--trusted-proxies", "127.0.0.1/32"))
		lb := apptest.StartHAProxy(t, []apptest.Backend{{
			Main:      strings.TrimPrefix(inst.URL, "http://"),
			Heartbeat: strings.TrimPrefix(inst.HeartbeatURL, "http://"),
		}})
		lb.WaitHealthy(t, 2)
		owner := inst.MustOwner(t)
		token := inst.MustToken(t, owner, tc.AllPermissions...)
		beat := `{"id":"lb-agent","version":"1.39.3","schema":1,"last":1,"hostname":"lb-host","status":"ok"}`
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: lb.HeartbeatURL + "/agents/heartbeat",
			Body: beat, Header: http.Header{"Authorization": {"Bearer " + token}, "X-Forwarded-For": {"203.0.113.9"}}}), http.StatusNoContent)
		if err := inst.HB.Ingest.Flush(t.Context()); err != nil {
			t.Fatal(err)
		}
		agent := apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: lb.URL + "/api/agents/lb-agent", Token: token}), http.StatusOK).Map(t)
		// HAProxy appends the real peer (127.0.0.1) to the header; the
		// controller trusts that hop and takes the address before it.
		if agent["ip"] != "203.0.113.9" {
			t.Errorf("agent ip = %v, want 203.0.113.9 from X-Forwarded-For", agent["ip"])
		}
	})
}
