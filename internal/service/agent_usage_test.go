package service_test

import (
	"context"
	"testing"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/apptest"
	"github.com/telegrafcontroller/tc/internal/service"
	"github.com/telegrafcontroller/tc/internal/store"
)

// TestAgentUsageNeedsAgentsRead: counting a config's agents reads agents,
// so configs:read alone is refused; too many ids are refused too.
func TestAgentUsageNeedsAgentsRead(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		st := mustStore(t, db)
		if err := st.InsertAgents(context.Background(), []*tc.Agent{{ID: "a1", ConfigIDs: []string{"c1"}}}); err != nil {
			t.Fatal(err)
		}
		agents := &service.Agents{Store: st}
		read := tc.Perm(tc.ResAgents, tc.ActionRead)
		_, err := agents.Usage(as(tc.Perm(tc.ResConfigs, tc.ActionRead)), store.UsageConfig, []string{"c1"})
		wantCode(t, "usage with configs:read only", err, tc.EFORBIDDEN)
		_, err = agents.Usage(context.Background(), store.UsageConfig, []string{"c1"})
		wantCode(t, "usage with no caller", err, tc.EUNAUTHORIZED)
		_, err = agents.Usage(as(read), store.UsageConfig, make([]string, service.MaxUsageIDs+1))
		wantCode(t, "usage of too many ids", err, tc.EINVALID)
		got, err := agents.Usage(as(read), store.UsageConfig, []string{"c1"})
		if err != nil {
			t.Fatal(err)
		}
		if got["c1"].Total != 1 || got["c1"].ByStatus[tc.AgentOK] != 1 {
			t.Errorf("usage of c1 = %+v, want one OK agent", got["c1"])
		}
	})
}
