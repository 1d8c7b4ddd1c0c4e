package api_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/apptest"
)

// TestAgentsStatusSince: the list, the agent and the CSV export carry
// statusSince, null (empty in CSV) when not known, and sortBy=severity
// puts the agent longest in a status first within it.
func TestAgentsStatusSince(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db)
		tok := inst.MustToken(t, inst.MustOwner(t), "agents:read")
		now := inst.Clock.Now()
		long, short := now.Add(-3*time.Hour), now.Add(-time.Minute)
		if err := inst.Store.InsertAgents(context.Background(), []*tc.Agent{
			{ID: "a-recent", Status: tc.AgentFail, LastSeen: now, StatusSince: &short},
			{ID: "b-long", Status: tc.AgentFail, LastSeen: now, StatusSince: &long},
			{ID: "c-ok", Status: tc.AgentOK, LastSeen: now},
		}); err != nil {
			t.Fatal(err)
		}
		if _, err := inst.Store.WithTxExec(context.Background(), `UPDATE agents SET status_since = 0 WHERE id = 'c-ok'`); err != nil {
			t.Fatal(err)
		}
		var list struct {
			Items []struct {
				ID          string     `json:"id"`
				StatusSince *time.Time `json:"statusSince"`
			} `json:"items"`
		}
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/agents?sortBy=severity", Token: tok}), 200).JSON(t, &list)
		var got []string
		for _, a := range list.Items {
			s := "null"
			if a.StatusSince != nil {
				s = a.StatusSince.UTC().Format(time.RFC3339)
			}
			got = append(got, a.ID+"="+s)
		}
		want := []string{"b-long=" + long.UTC().Format(time.RFC3339), "a-recent=" + short.UTC().Format(time.RFC3339), "c-ok=null"}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("by severity: %v, want %v", got, want)
		}
		m := apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/agents/b-long", Token: tok}), 200).Map(t)
		if at, _ := time.Parse(time.RFC3339Nano, m["statusSince"].(string)); !at.Equal(long) {
			t.Errorf("the agent's statusSince %v, want %s", m["statusSince"], long)
		}
		csv := string(apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/agents/export?sortBy=severity", Token: tok}), 200).Body)
		lines := strings.Split(strings.TrimSpace(csv), "\n")
		if !strings.HasSuffix(lines[0], ",statusSince") || !strings.HasSuffix(lines[1], ","+long.UTC().Format(time.RFC3339Nano)) || !strings.HasSuffix(lines[3], ",") {
			t.Errorf("CSV export:\n%s", csv)
		}
	})
}
