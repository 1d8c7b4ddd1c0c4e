package api_test

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/apptest"
)

// metricValue reads an unlabelled series from /metrics (-1 when absent).
func metricValue(t *testing.T, inst *apptest.Instance, name string) string {
	t.Helper()
	r := apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/metrics"}), 200)
	sc := bufio.NewScanner(bytes.NewReader(r.Body))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			return v
		}
	}
	return "-1"
}

// TestTelegrafAgentLifecycle runs a real Telegraf on a served config with
// [[outputs.heartbeat]] (every 1 s, everything included) and a token with
// the telegraf-agent permissions: the agent appears with its hostname,
// version, ok status and a managed link to that config. Stopped, it turns
// not_reporting once its rule's threshold has passed (fake clock, scheduler
// tick). A second agent whose token was revoked never appears.
//
// The controller's clock is fake and frozen: every heartbeat is stamped
// with its reading, so the silence is made by advancing it after the agent
// is stopped and its last heartbeat is written.
func TestTelegrafAgentLifecycle(t *testing.T) {
	apptest.RequireTelegraf(t)
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db)
		ctx := context.Background()
		mgr := inst.MustRoleToken(t, tc.RoleManager)
		agentToken := inst.MustToken(t, inst.MustUser(t, tc.RoleManager), "configs:read", "heartbeat:write")
		c := mustConfig(t, inst, mgr, map[string]any{"name": "heartbeat e2e", "toml": "[agent]\n  interval = \"1s\"\n  flush_interval = \"1s\"\n\n" +
			"[[inputs.mem]]\n\n" +
			"[[outputs.heartbeat]]\n  url = \"" + inst.HeartbeatURL + "/agents/heartbeat\"\n  instance_id = \"e2e-agent\"\n" +
			"  token = \"${TC_AGENT_TOKEN}\"\n  interval = \"1s\"\n" +
			"  include = [\"hostname\", \"statistics\", \"configs\", \"logs\", \"status\"]\n"})

		// The second agent's token is revoked before it starts.
		revoked := mustCreateToken(t, inst, mgr, map[string]any{"description": "revoked agent", "preset": "telegraf-agent"})
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/tokens/" + revoked.ID + "/revoke", Token: mgr}), 200)
		conf := filepath.Join(t.TempDir(), "revoked.conf")
		os.WriteFile(conf, []byte("[agent]\n  interval = \"1s\"\n  flush_interval = \"1s\"\n\n[[inputs.mem]]\n\n"+
			"[[outputs.heartbeat]]\n  url = \""+inst.HeartbeatURL+"/agents/heartbeat\"\n  instance_id = \"revoked-agent\"\n"+
			"  token = \"${TC_AGENT_TOKEN}\"\n  interval = \"1s\"\n  include = [\"hostname\", \"status\"]\n"), 0o600)
		refused := heartbeatsCounted(t, inst, "unauthorized")

		agent := apptest.StartTelegraf(t, []string{"--config", inst.URL + "/api/configs/" + c.ID + "/toml"},
			"TELEGRAF_CONTROLLER_TOKEN="+agentToken, "TC_AGENT_TOKEN="+agentToken)
		other := apptest.StartTelegraf(t, []string{"--config", conf}, "TC_AGENT_TOKEN="+revoked.Token)

		var d tc.AgentDetail
		apptest.Eventually(t, 60*time.Second, "the agent with its managed config", func() bool {
			if agent.Exited() {
				t.Fatalf("telegraf exited:\n%s", agent.Output)
			}
			r := inst.Do(t, apptest.Req{Method: "GET", Path: "/api/agents/e2e-agent", Token: mgr})
			if r.StatusCode != 200 {
				return false
			}
			r.JSON(t, &d)
			return len(d.Configs) == 1
		})
		host, _ := os.Hostname()
		if d.Hostname != host || !strings.Contains(d.Version, "1.39.3") || d.Status != tc.AgentOK || d.ReportedStatus != tc.AgentOK ||
			d.Configs[0] != (tc.ConfigRef{ID: c.ID, Name: "heartbeat e2e"}) || len(d.ExternalConfigs) != 0 ||
			d.ReportingRuleID != tc.DefaultReportingRuleID || d.IP != "127.0.0.1" {
			t.Fatalf("agent = %+v, want hostname %q, version 1.39.3, ok, managed config %s on the default rule", d, host, c.ID)
		}
		var list agentList
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/agents?configId=" + c.ID, Token: mgr}), 200).JSON(t, &list)
		if list.Total != 1 || list.Items[0].ID != "e2e-agent" {
			t.Errorf("agents of the config = %+v", list)
		}

		// The revoked agent is refused at every beat and never appears.
		apptest.Eventually(t, 30*time.Second, "refused heartbeats of the revoked agent", func() bool {
			if other.Exited() {
				t.Fatalf("second telegraf exited:\n%s", other.Output)
			}
			return heartbeatsCounted(t, inst, "unauthorized") >= refused+2
		})
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/agents/revoked-agent", Token: mgr}), 404)

		// Its heartbeats carry the metrics written since the last one: a
		// first beat sent before the first flush carries none. Wait for one
		// that counts some, so the totals are there to check after it stops.
		apptest.Eventually(t, 30*time.Second, "a heartbeat counting written metrics", func() bool {
			apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/agents/e2e-agent", Token: mgr}), 200).JSON(t, &d)
			return d.Stats.TotalMetrics > 0
		})

		// Stop the agent and let its last heartbeat reach the database.
		agent.Stop()
		other.Stop()
		apptest.Eventually(t, 30*time.Second, "no heartbeat pending a flush", func() bool {
			return metricValue(t, inst, "tc_heartbeat_pending_agents") == "0"
		})
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/agents/e2e-agent", Token: mgr}), 200).JSON(t, &d)
		if !d.LastSeen.Equal(inst.Clock.Now()) || d.Stats.TotalMetrics == 0 {
			t.Fatalf("after stopping: lastSeen %v (clock %v), total metrics %d", d.LastSeen, inst.Clock.Now(), d.Stats.TotalMetrics)
		}
		for _, step := range []struct {
			advance time.Duration
			want    string
		}{
			{179 * time.Second, tc.AgentOK}, // within the default rule's 180 s
			{2 * time.Second, tc.AgentNotReporting},
		} {
			inst.Clock.Advance(step.advance)
			if _, err := inst.Scheduler.Tick(ctx); err != nil {
				t.Fatal(err)
			}
			apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/agents/e2e-agent", Token: mgr}), 200).JSON(t, &d)
			if d.Status != step.want {
				t.Errorf("%v after the last heartbeat: status %s, want %s", inst.Clock.Now().Sub(d.LastSeen), d.Status, step.want)
			}
		}
		var sum tc.AgentSummary
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/agents/summary", Token: mgr}), 200).JSON(t, &sum)
		if sum != (tc.AgentSummary{Total: 1, NotReporting: 1}) {
			t.Errorf("summary = %+v, want the one agent not reporting", sum)
		}
		if strings.Contains(inst.Logs.String(), agentToken[len(tc.TokenPrefix):]) {
			t.Errorf("controller logs contain the agent's token")
		}
	})
}
