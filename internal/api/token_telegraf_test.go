package api_test

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/apptest"
)

// heartbeatsCounted reads tc_heartbeats_received_total{result} from /metrics.
func heartbeatsCounted(t *testing.T, inst *apptest.Instance, result string) float64 {
	t.Helper()
	r := apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/metrics"}), 200)
	sc := bufio.NewScanner(bytes.NewReader(r.Body))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), `tc_heartbeats_received_total{result="`+result+`"} `); ok {
			n, _ := strconv.ParseFloat(v, 64)
			return n
		}
	}
	return 0
}

// TestTelegrafTokenRevoked runs a real agent sending heartbeats with a
// telegraf-agent token, revokes the token through the API, and sees the
// agent's next heartbeats refused with "Invalid token".
func TestTelegrafTokenRevoked(t *testing.T) {
	apptest.RequireTelegraf(t)
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db)
		mgr := inst.MustRoleToken(t, tc.RoleManager)
		tok := mustCreateToken(t, inst, mgr, map[string]any{"description": "real agent", "preset": "telegraf-agent"})
		conf := filepath.Join(t.TempDir(), "telegraf.conf")
		os.WriteFile(conf, []byte("[agent]\n  interval = \"1s\"\n  flush_interval = \"1s\"\n\n[[inputs.mem]]\n\n"+
			"[[outputs.heartbeat]]\n  url = \""+inst.HeartbeatURL+"/agents/heartbeat\"\n  instance_id = \"revoked-agent\"\n"+
			"  token = \"${TC_AGENT_TOKEN}\"\n  interval = \"1s\"\n  include = [\"hostname\", \"statistics\"]\n"), 0o600)
		agent := apptest.StartTelegraf(t, []string{"--config", conf}, "TC_AGENT_TOKEN="+tok.Token)
		alive := func() {
			if agent.Exited() {
				t.Fatalf("telegraf exited:\n%s", agent.Output)
			}
		}
		apptest.Eventually(t, 30*time.Second, "an accepted heartbeat", func() bool {
			alive()
			return heartbeatsCounted(t, inst, "accepted") >= 1
		})
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/tokens/" + tok.ID + "/revoke", Token: mgr}), 200)
		apptest.Eventually(t, 30*time.Second, "a refused heartbeat", func() bool {
			alive()
			return heartbeatsCounted(t, inst, "unauthorized") >= 1
		})
		apptest.Eventually(t, 30*time.Second, "the agent logging the refusal", func() bool {
			return strings.Contains(agent.Output.String(), "Invalid token")
		})
		if strings.Contains(inst.Logs.String(), tok.Token[len(tc.TokenPrefix):]) {
			t.Errorf("controller logs contain the agent's token")
		}
	})
}
