package service_test

import (
	"context"
	"testing"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/apptest"
	"github.com/telegrafcontroller/tc/internal/service"
	"github.com/telegrafcontroller/tc/internal/store"
)

// mustStore opens a throwaway store on db.
func mustStore(tb testing.TB, db apptest.DB) *store.Store {
	tb.Helper()
	s, err := store.Open(context.Background(), apptest.NewDSN(tb, db), store.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// as returns a context whose caller holds perms (a user of role viewer:
// only the permissions matter to these services).
func as(perms ...tc.Permission) context.Context {
	u := &tc.User{ID: "u1", Username: "u1", Role: tc.RoleViewer}
	return tc.NewContextWithCaller(context.Background(), &tc.Caller{User: u, Permissions: tc.NewPermissionSet(perms...)})
}

func wantCode(tb testing.TB, what string, err error, code string) {
	tb.Helper()
	if got := tc.ErrorCode(err); got != code {
		tb.Errorf("%s: error code %q (%v), want %q", what, got, err, code)
	}
}

var (
	agentsRead   = tc.Perm(tc.ResAgents, tc.ActionRead)
	agentsWrite  = tc.Perm(tc.ResAgents, tc.ActionWrite)
	agentsDelete = tc.Perm(tc.ResAgents, tc.ActionDelete)
	rulesRead    = tc.Perm(tc.ResReportingRules, tc.ActionRead)
	rulesWrite   = tc.Perm(tc.ResReportingRules, tc.ActionWrite)
	rulesDelete  = tc.Perm(tc.ResReportingRules, tc.ActionDelete)
)

func TestAgentsPermissions(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		st := mustStore(t, db)
		if err := st.InsertAgents(context.Background(), []*tc.Agent{{ID: "a1"}, {ID: "a2"}}); err != nil {
			t.Fatal(err)
		}
		s := &service.Agents{Store: st}

		_, err := s.List(context.Background(), tc.AgentFilter{})
		wantCode(t, "list without a caller", err, tc.EUNAUTHORIZED)
		_, err = s.List(as(), tc.AgentFilter{})
		wantCode(t, "list without agents:read", err, tc.EFORBIDDEN)
		// An exempted route's caller has no user, only the route's permission.
		exempt := tc.NewContextWithCaller(context.Background(), tc.WithExempt(nil, agentsRead))
		if l, err := s.List(exempt, tc.AgentFilter{}); err != nil || l.Total != 2 {
			t.Errorf("exempt list: %v, %v; want 2 agents", l, err)
		}
		_, err = s.List(as(agentsRead), tc.AgentFilter{Status: "bogus"})
		wantCode(t, "list with a bad status", err, tc.EINVALID)
		_, err = s.List(as(agentsRead), tc.AgentFilter{Limit: service.MaxAgentPageSize + 1})
		wantCode(t, "list with too many rows", err, tc.EINVALID)

		// Bulk deletion needs agents:delete on top of agents:write.
		writer := as(agentsRead, agentsWrite)
		_, err = s.Bulk(writer, tc.AgentBulk{Action: tc.AgentBulkDelete, IDs: []string{"a1"}})
		wantCode(t, "bulk delete without agents:delete", err, tc.EFORBIDDEN)
		res, err := s.Bulk(writer, tc.AgentBulk{Action: tc.AgentBulkAssignRule, IDs: []string{"a1", "nope", "a1"},
			ReportingRuleID: tc.DefaultReportingRuleID})
		if err != nil || len(res) != 2 || !res[0].OK || res[1].OK || res[1].Error != tc.ENOTFOUND {
			t.Errorf("bulk assign-rule: %+v, %v; want a1 ok, nope not_found", res, err)
		}
		res, err = s.Bulk(as(agentsWrite, agentsDelete), tc.AgentBulk{Action: tc.AgentBulkDelete, IDs: []string{"a2"}})
		if err != nil || len(res) != 1 || !res[0].OK {
			t.Errorf("bulk delete: %+v, %v", res, err)
		}
		_, err = s.Get(as(agentsRead), "a2")
		wantCode(t, "deleted agent", err, tc.ENOTFOUND)

		// The optional reads the agents page makes need their own permission.
		configs := &service.Configs{Store: st}
		_, _, err = configs.List(as(agentsRead), tc.ConfigFilter{})
		wantCode(t, "configs without configs:read", err, tc.EFORBIDDEN)
		if _, _, err := configs.List(as(tc.Perm(tc.ResConfigs, tc.ActionRead)), tc.ConfigFilter{Page: 1, Limit: 200}); err != nil {
			t.Errorf("configs: %v", err)
		}
		_, err = (&service.Labels{Store: st}).List(as(agentsRead))
		wantCode(t, "labels without labels:read", err, tc.EFORBIDDEN)
	})
}

func TestReportingRulesDefault(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		st := mustStore(t, db)
		s := &service.ReportingRules{Store: st}
		ctx := as(rulesRead, rulesWrite, rulesDelete)
		name, secs := "slow", int64(600)

		_, err := s.Create(ctx, tc.ReportingRuleChange{Name: &name})
		wantCode(t, "create without a threshold", err, tc.EINVALID)
		_, err = s.Create(as(rulesRead), tc.ReportingRuleChange{Name: &name, NotReportingAfterSeconds: &secs})
		wantCode(t, "create without reporting-rules:write", err, tc.EFORBIDDEN)
		slow, err := s.Create(ctx, tc.ReportingRuleChange{Name: &name, NotReportingAfterSeconds: &secs})
		if err != nil {
			t.Fatal(err)
		}

		no := false
		_, err = s.Update(ctx, tc.DefaultReportingRuleID, tc.ReportingRuleChange{IsDefault: &no})
		if e, ok := err.(*tc.Error); !ok || e.Code != tc.EINVALID || e.Field != "isDefault" {
			t.Errorf("default giving up its flag: %v, want EINVALID on isDefault", err)
		}
		if r, err := s.MakeDefault(ctx, slow.ID); err != nil || !r.IsDefault {
			t.Fatalf("make default: %+v, %v", r, err)
		}
		err = s.Delete(ctx, slow.ID)
		wantCode(t, "delete the default", err, tc.ECONFLICT)

		// New agents and a deleted rule's agents fall under the default.
		if err := st.InsertAgents(context.Background(), []*tc.Agent{{ID: "new"}, {ID: "old", ReportingRuleID: tc.DefaultReportingRuleID}}); err != nil {
			t.Fatal(err)
		}
		if err := s.Delete(ctx, tc.DefaultReportingRuleID); err != nil {
			t.Fatal(err)
		}
		agents := &service.Agents{Store: st}
		for _, id := range []string{"new", "old"} {
			a, err := agents.Get(as(agentsRead), id)
			if err != nil {
				t.Fatal(err)
			}
			if a.ReportingRuleID != slow.ID {
				t.Errorf("agent %s: rule %s, want the default %s", id, a.ReportingRuleID, slow.ID)
			}
		}
	})
}

// TestAgentsBulkMatching acts on the agents a filter matches, with the
// permission checks of a bulk action on ids, and refuses a request that
// names both or a filter that is not one.
func TestAgentsBulkMatching(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		ctx := context.Background()
		st := mustStore(t, db)
		if err := st.InsertAgents(ctx, []*tc.Agent{
			{ID: "f1", Status: tc.AgentFail}, {ID: "f2", Status: tc.AgentFail}, {ID: "o1", Status: tc.AgentOK},
		}); err != nil {
			t.Fatal(err)
		}
		s := &service.Agents{Store: st}
		fail := tc.AgentFilter{Status: tc.AgentFail}
		del := tc.AgentBulk{Action: tc.AgentBulkDelete}

		_, err := s.BulkMatching(as(agentsRead), del, fail)
		wantCode(t, "bulk on a filter without agents:write", err, tc.EFORBIDDEN)
		_, err = s.BulkMatching(as(agentsWrite), del, fail)
		wantCode(t, "delete on a filter without agents:delete", err, tc.EFORBIDDEN)
		_, err = s.BulkMatching(as(agentsWrite, agentsDelete), tc.AgentBulk{Action: tc.AgentBulkDelete, IDs: []string{"o1"}}, fail)
		wantCode(t, "ids and filter", err, tc.EINVALID)
		_, err = s.BulkMatching(as(agentsWrite, agentsDelete), del, tc.AgentFilter{Status: "broken"})
		wantCode(t, "a bad filter", err, tc.EINVALID)

		res, err := s.BulkMatching(as(agentsWrite, agentsDelete), del, fail)
		if err != nil {
			t.Fatal(err)
		}
		if len(res) != 2 || res[0].ID != "f1" || res[1].ID != "f2" || !res[0].OK || !res[1].OK {
			t.Errorf("results %+v, want f1 and f2 deleted", res)
		}
		l, err := s.List(as(agentsRead), tc.AgentFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(l.Items) != 1 || l.Items[0].ID != "o1" {
			t.Errorf("left %d agents, want o1 alone", len(l.Items))
		}
		res, err = s.BulkMatching(as(agentsWrite, agentsDelete), del, fail)
		if err != nil || len(res) != 0 {
			t.Errorf("a filter matching nothing: %+v, %v", res, err)
		}
	})
}
