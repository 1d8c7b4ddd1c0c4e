package client

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"github.com/telegrafcontroller/tc"
)

// AgentFilter is every filter and order of the agent list.
type AgentFilter struct {
	Search          string `json:"search,omitempty"`
	Status          string `json:"status,omitempty"`
	ConfigID        string `json:"configId,omitempty"`
	ReportingRuleID string `json:"reportingRuleId,omitempty"`
	LabelID         string `json:"labelId,omitempty"`
	ConfigState     string `json:"configState,omitempty"`
	ConfigVersion   int    `json:"configVersion,omitempty"`
	SortBy          string `json:"-"`
	Desc            bool   `json:"-"`
}

func (f AgentFilter) query() url.Values {
	q := url.Values{}
	set(q, "search", f.Search)
	set(q, "status", f.Status)
	set(q, "configId", f.ConfigID)
	set(q, "reportingRuleId", f.ReportingRuleID)
	set(q, "labelId", f.LabelID)
	set(q, "configState", f.ConfigState)
	if f.ConfigVersion > 0 {
		q.Set("configVersion", fmt.Sprint(f.ConfigVersion))
	}
	set(q, "sortBy", f.SortBy)
	if f.Desc {
		q.Set("sortOrder", "desc")
	}
	return q
}

// AgentPage lists agents matching f, at most max (0: all), and the count of
// all matches.
func (c *Client) AgentPage(ctx context.Context, f AgentFilter, max int) ([]*tc.Agent, int64, error) {
	return all[*tc.Agent](ctx, c, "/api/agents", f.query(), 500, max)
}

// Agent reads one agent with its configs, rule and labels.
func (c *Client) Agent(ctx context.Context, id string) (*tc.AgentDetail, error) {
	var out tc.AgentDetail
	return &out, c.Do(ctx, http.MethodGet, "/api/agents/"+seg(id), nil, nil, &out)
}

// DeleteAgent deletes an agent's record.
func (c *Client) DeleteAgent(ctx context.Context, id string) error {
	return c.Do(ctx, http.MethodDelete, "/api/agents/"+seg(id), nil, nil, nil)
}

// AgentSummary counts agents by status.
func (c *Client) AgentSummary(ctx context.Context) (*tc.AgentSummary, error) {
	var out tc.AgentSummary
	return &out, c.Do(ctx, http.MethodGet, "/api/agents/summary", nil, nil, &out)
}

// BulkResult is the answer of a bulk action.
type BulkResult struct {
	Results   []tc.TokenBulkResult `json:"results"`
	Succeeded int                  `json:"succeeded"`
	Failed    int                  `json:"failed"`
}

// AgentBulk is one action on many agents, named by ids or by a filter.
type AgentBulk struct {
	Action          string       `json:"action"`
	IDs             []string     `json:"ids,omitempty"`
	Filter          *AgentFilter `json:"filter,omitempty"`
	ReportingRuleID string       `json:"reportingRuleId,omitempty"`
	LabelID         string       `json:"labelId,omitempty"`
}

// BulkAgents applies one action to many agents.
func (c *Client) BulkAgents(ctx context.Context, b AgentBulk) (*BulkResult, error) {
	var out BulkResult
	return &out, c.Do(ctx, http.MethodPost, "/api/agents/bulk", nil, b, &out)
}

// ReportingRules lists the reporting rules.
func (c *Client) ReportingRules(ctx context.Context) ([]*tc.ReportingRule, error) {
	var out List[*tc.ReportingRule]
	return out.Items, c.Do(ctx, http.MethodGet, "/api/reporting-rules", nil, nil, &out)
}
