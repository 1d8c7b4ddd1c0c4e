package store_test

import (
	"context"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/apptest"
	"github.com/telegrafcontroller/tc/internal/store"
)

// runOf returns agent id's run of config cid.
func runOf(t *testing.T, s *store.Store, id, cid string) tc.AgentConfigRun {
	t.Helper()
	d, err := s.Agent(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range d.Runs {
		if r.ConfigID == cid {
			return r
		}
	}
	t.Fatalf("agent %s has no run of config %s: %+v", id, cid, d.Runs)
	return tc.AgentConfigRun{}
}

// listIDs lists the ids of the agents f selects, through both the list and
// EachAgent, which must agree.
func listIDs(t *testing.T, s *store.Store, f tc.AgentFilter) []string {
	t.Helper()
	ctx := context.Background()
	f.Limit = 100
	l, err := s.ListAgents(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, a := range l.Items {
		ids = append(ids, a.ID)
	}
	if int(l.Total) != len(ids) {
		t.Errorf("filter %+v: total %d, items %v", f, l.Total, ids)
	}
	var each []string
	if err := s.EachAgent(ctx, f, 0, func(a *tc.Agent) error { each = append(each, a.ID); return nil }); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(each, ids) {
		t.Errorf("filter %+v: EachAgent %v, ListAgents %v", f, each, ids)
	}
	return ids
}

// TestConfigServesTieAgentsToWhatTheyRun records serves and watches, ties
// them to agents through the URLs their heartbeats list, and walks every
// state: unknown, current, pending, stale not watching, stale watching but
// failing, current again; with masking, exact matching (query included),
// the list's filters and states, the stale count, the version counts and
// pruning.
func TestConfigServesTieAgentsToWhatTheyRun(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		ctx := context.Background()
		t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
		clk := apptest.NewClock(t0)
		s := mustOpenClock(t, db, clk)
		c := &tc.Config{Name: "base", TOML: "a = 1\n", CreatedBy: "u1"}
		if err := s.CreateConfig(ctx, c, ""); err != nil {
			t.Fatal(err)
		}
		rev1 := c.RevisionAt
		base := "http://tc.example:8888/api/configs/" + c.ID + "/toml"
		path := "/api/configs/" + c.ID + "/toml"
		urls := map[string]string{
			"a": base + "?agent_id=a&api_token=s3cret",
			"b": base + "?agent_id=b",
			"c": base + "?agent_id=c",                                 // served only to curl: unknown
			"d": base + "?region=eu&agent_id=d",                       // served in another order: unknown
			"e": "http://bob:xxxxx@other:8888" + path + "?agent_id=e", // userinfo and host do not matter
		}
		var beats []store.HeartbeatWrite
		for id, u := range urls {
			beats = append(beats, store.HeartbeatWrite{AgentBeat: &tc.AgentBeat{ID: id, Version: "1.39.3", Status: tc.AgentOK,
				FirstSeen: t0, LastSeen: t0, HasConfigs: true, Configs: []string{u, "/etc/telegraf/local.conf"}}, WriteLinks: true})
		}
		slices.SortFunc(beats, func(a, b store.HeartbeatWrite) int { return strings.Compare(a.ID, b.ID) })
		if err := s.WriteHeartbeats(ctx, beats); err != nil {
			t.Fatal(err)
		}
		serve := func(id, query string, at time.Time, version int, lm time.Time, telegraf bool) tc.ConfigServe {
			return tc.ConfigServe{Kind: tc.ServeConfig, SourceID: c.ID, Version: version, LastModified: lm, Digest: "d",
				URL: tc.ServeURL(path, query), Params: tc.ServeParams(query), TokenID: "tok", ClientIP: "10.0.0.1",
				AgentID: id, Telegraf: telegraf, At: at}
		}
		t1 := t0.Add(time.Second)
		err := s.WriteServes(ctx, []tc.ConfigServe{
			serve("a", "agent_id=a&api_token=s3cret", t1, 1, rev1, true),
			serve("b", "agent_id=b", t1, 1, rev1, true),
			serve("c", "agent_id=c", t1, 1, rev1, false),
			serve("d", "agent_id=d&region=eu", t1, 1, rev1, true),
			serve("e", "agent_id=e", t1, 1, rev1, true),
			serve("x", "agent_id=nobody", t1, 1, rev1, true),
		}, nil)
		if err != nil {
			t.Fatal(err)
		}
		clk.Set(t0.Add(time.Minute))

		a := runOf(t, s, "a", c.ID)
		if a.State != tc.ConfigCurrent || a.Version != 1 || a.CurrentVersion != 1 || a.FetchedAt == nil || !a.FetchedAt.Equal(t1) ||
			a.LastModified == nil || !a.LastModified.Equal(rev1) || a.ConfigName != "base" {
			t.Errorf("a: %+v", a)
		}
		wantParams := []tc.ServeParam{{Name: "agent_id", Value: "a"}, {Name: "api_token", Value: tc.MaskedValue, Masked: true}}
		if !reflect.DeepEqual(a.Params, wantParams) || a.URL != path+"?agent_id=a&api_token=xxxxx" {
			t.Errorf("a: params %+v, url %q", a.Params, a.URL)
		}
		for _, id := range []string{"c", "d"} {
			if r := runOf(t, s, id, c.ID); r.State != tc.ConfigUnknown || r.FetchedAt != nil || r.Version != 0 {
				t.Errorf("%s: %+v", id, r)
			}
		}
		if r := runOf(t, s, "e", c.ID); r.State != tc.ConfigCurrent {
			t.Errorf("e: %+v", r)
		}
		// The history keeps every serve, curl's included, secrets masked.
		hist, err := s.ConfigServes(ctx, c.ID, 100)
		if err != nil {
			t.Fatal(err)
		}
		if len(hist) != 6 {
			t.Errorf("history: %d serves", len(hist))
		}
		for _, h := range hist {
			if h.AgentID == "a" && (h.URL != path+"?agent_id=a&api_token=xxxxx" || h.Params[1].Value != tc.MaskedValue || h.TokenID != "tok") {
				t.Errorf("history of a: %+v", h)
			}
		}

		// A new version: everyone is pending, then stale once the grace
		// has passed; a, watching every 30 s, after its interval too.
		t2 := t0.Add(2 * time.Minute)
		clk.Set(t2)
		c2, err := s.SetConfigTOML(ctx, c.ID, "a = 2\n", "", "u1")
		if err != nil {
			t.Fatal(err)
		}
		rev2 := c2.RevisionAt
		err = s.WriteServes(ctx, nil, []store.WatchWrite{
			{URL: tc.ServeURL(path, "agent_id=a&api_token=s3cret"), LastHeadAt: t2.Add(-time.Second), Interval: 30 * time.Second, Heads: 4},
			{URL: tc.ServeURL(path, "agent_id=b"), LastHeadAt: t0, Interval: time.Second, Heads: 1}, // before its serve
		})
		if err != nil {
			t.Fatal(err)
		}
		clk.Set(rev2.Add(tc.ConfigStaleGrace - time.Millisecond))
		for _, id := range []string{"a", "b"} {
			if r := runOf(t, s, id, c.ID); r.State != tc.ConfigPending || r.Stale {
				t.Errorf("%s within the grace: %+v", id, r)
			}
		}
		clk.Set(rev2.Add(tc.ConfigStaleGrace))
		if r := runOf(t, s, "a", c.ID); r.State != tc.ConfigPending || !r.Watching || r.WatchIntervalSeconds != 30 {
			t.Errorf("a within its interval: %+v", r)
		}
		if r := runOf(t, s, "b", c.ID); r.State != tc.ConfigStale || r.StaleReason != tc.StaleNotWatching || !r.Stale || r.Watching {
			t.Errorf("b: %+v", r)
		}
		clk.Set(rev2.Add(30*time.Second + tc.ConfigStaleGrace))
		if r := runOf(t, s, "a", c.ID); r.State != tc.ConfigStale || r.StaleReason != tc.StaleWatchingFailing || r.Version != 1 || r.CurrentVersion != 2 {
			t.Errorf("a past its interval: %+v", r)
		}
		if got := listIDs(t, s, tc.AgentFilter{ConfigState: tc.ConfigStale}); !slices.Equal(got, []string{"a", "b", "e"}) {
			t.Errorf("stale: %v", got)
		}
		if got := listIDs(t, s, tc.AgentFilter{ConfigState: tc.ConfigUnknown, ConfigID: c.ID}); !slices.Equal(got, []string{"c", "d"}) {
			t.Errorf("unknown: %v", got)
		}
		if n, err := s.StaleAgentCount(ctx); err != nil || n != 3 {
			t.Errorf("stale count: %d, %v", n, err)
		}

		// b reports the load error Telegraf logs: watching but failing.
		err = s.WriteHeartbeats(ctx, []store.HeartbeatWrite{{AgentBeat: &tc.AgentBeat{ID: "b", Version: "1.39.3", Status: tc.AgentWarn,
			FirstSeen: t2, LastSeen: t2, HasConfigs: true, Configs: []string{urls["b"]},
			Logs: []tc.AgentLog{{Time: t2.Format(time.RFC3339Nano), Level: "ERROR",
				Message: "loading config file " + urls["b"] + " failed: failed to fetch HTTP config: 401 Unauthorized"}}}}})
		if err != nil {
			t.Fatal(err)
		}
		if r := runOf(t, s, "b", c.ID); r.StaleReason != tc.StaleWatchingFailing || len(r.LoadErrors) != 1 {
			t.Errorf("b with a load error: %+v", r)
		}
		l, err := s.ListAgents(ctx, tc.AgentFilter{Search: "b", Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		for _, ag := range l.Items {
			if ag.ID == "b" && (len(ag.ConfigStates) != 1 || ag.ConfigStates[0].State != tc.ConfigStale || ag.ConfigStates[0].StaleReason != tc.StaleWatchingFailing) {
				t.Errorf("b in the list: %+v", ag.ConfigStates)
			}
		}

		// a fetches version 2: current again; an older serve written late
		// (another node's) does not move it back.
		t3 := clk.Now()
		if err := s.WriteServes(ctx, []tc.ConfigServe{serve("a", "agent_id=a&api_token=other", t3, 2, rev2, true)}, nil); err != nil {
			t.Fatal(err)
		}
		if err := s.WriteServes(ctx, []tc.ConfigServe{serve("a", "agent_id=a&api_token=s3cret", t1.Add(time.Second), 1, rev1, true)}, nil); err != nil {
			t.Fatal(err)
		}
		if r := runOf(t, s, "a", c.ID); r.State != tc.ConfigCurrent || r.Version != 2 {
			t.Errorf("a after fetching version 2: %+v", r)
		}
		if got := listIDs(t, s, tc.AgentFilter{ConfigID: c.ID, ConfigState: tc.ConfigCurrent}); !slices.Equal(got, []string{"a"}) {
			t.Errorf("current: %v", got)
		}
		if got := listIDs(t, s, tc.AgentFilter{ConfigID: c.ID, ConfigVersion: 1}); !slices.Equal(got, []string{"b", "e"}) {
			t.Errorf("version 1: %v", got)
		}
		counts, err := s.ConfigVersionCounts(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := []tc.ConfigVersionCount{{Version: 2, Agents: 1, Current: 1}, {Version: 1, Agents: 2}, {Version: 0, Agents: 2}}
		if !reflect.DeepEqual(counts, want) {
			t.Errorf("version counts %+v, want %+v", counts, want)
		}
		if n, err := s.StaleAgentCount(ctx); err != nil || n != 2 {
			t.Errorf("stale count: %d, %v", n, err)
		}

		// Pruning: serves older than the retention go, and the latest of
		// a URL no agent reports; those agents report are kept.
		clk.Set(t3.Add(store.ServeRetention + time.Hour))
		n, err := s.PruneServes(ctx)
		if err != nil {
			t.Fatal(err)
		}
		// 8 serves, the latest of ?agent_id=nobody and of d's reordered
		// query; no watch (both watched URLs are reported).
		if n != 10 {
			t.Errorf("pruned %d rows, want 10", n)
		}
		if hist, _ := s.ConfigServes(ctx, c.ID, 100); len(hist) != 0 {
			t.Errorf("history after pruning: %d", len(hist))
		}
		if r := runOf(t, s, "a", c.ID); r.State != tc.ConfigCurrent || r.Version != 2 || r.LastWatchAt == nil {
			t.Errorf("a after pruning: %+v", r)
		}
	})
}

// runOfSource returns agent id's run of the config or group sid.
func runOfSource(t *testing.T, s *store.Store, id, sid string) tc.AgentConfigRun {
	t.Helper()
	d, err := s.Agent(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range d.Runs {
		if r.SourceID() == sid {
			return r
		}
	}
	t.Fatalf("agent %s has no run of %s: %+v", id, sid, d.Runs)
	return tc.AgentConfigRun{}
}

// TestGroupAndAliasServesTieAgents ties agents on a group's URL (by id),
// on /c/{alias} of the group and on /c/{alias} of a config to what those
// URLs were served: they are managed, not external; a group run names its
// members with their versions; a member's change makes the group pending
// then stale; an alias moved to another target reads against the new one
// until the agent fetches again; the list's filters and the stale count
// include them; the group's agent states list them.
func TestGroupAndAliasServesTieAgents(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		ctx := context.Background()
		t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
		clk := apptest.NewClock(t0)
		s := mustOpenClock(t, db, clk)
		c1 := &tc.Config{Name: "cpu", TOML: "a = 1\n", CreatedBy: "u1"}
		c2 := &tc.Config{Name: "mem", TOML: "b = 1\n", CreatedBy: "u1"}
		for _, c := range []*tc.Config{c1, c2} {
			if err := s.CreateConfig(ctx, c, ""); err != nil {
				t.Fatal(err)
			}
		}
		g := &tc.ConfigGroup{Name: "base", Members: []tc.ConfigRef{{ID: c1.ID}, {ID: c2.ID}}, CreatedBy: "u1"}
		if err := s.CreateConfigGroup(ctx, g); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateAlias(ctx, "web", tc.AliasGroup, g.ID, "u1"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateAlias(ctx, "cpu", tc.AliasConfig, c1.ID, "u1"); err != nil {
			t.Fatal(err)
		}
		gpath := "/api/config-groups/" + g.ID + "/toml"
		srcs := map[string]string{
			"g": "http://tc:8888" + gpath + "?agent_id=g",
			"w": "http://tc:8888/c/web?agent_id=w",
			"k": "http://tc:8888/c/cpu",
			"q": "http://tc:8888/api/configs/cpu/toml", // an alias in place of the id
		}
		var beats []store.HeartbeatWrite
		for _, id := range []string{"g", "k", "q", "w"} {
			beats = append(beats, store.HeartbeatWrite{AgentBeat: &tc.AgentBeat{ID: id, Version: "1.39.3", Status: tc.AgentOK,
				FirstSeen: t0, LastSeen: t0, HasConfigs: true, Configs: []string{srcs[id], "/etc/telegraf/local.conf"}}, WriteLinks: true})
		}
		if err := s.WriteHeartbeats(ctx, beats); err != nil {
			t.Fatal(err)
		}
		d, err := s.Agent(ctx, "w")
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(d.ExternalConfigs, []string{"/etc/telegraf/local.conf"}) || len(d.Runs) != 1 {
			t.Fatalf("w: external %v, runs %+v", d.ExternalConfigs, d.Runs)
		}
		if r := d.Runs[0]; r.Kind != tc.ServeGroup || r.GroupID != g.ID || r.GroupName != "base" || r.Alias != "web" || r.State != tc.ConfigUnknown {
			t.Errorf("w before any serve: %+v", r)
		}
		if d, err := s.Agent(ctx, "q"); err != nil || len(d.Runs) != 1 || d.Runs[0].ConfigID != c1.ID || d.Runs[0].Alias != "cpu" {
			t.Errorf("q: %+v, %v", d.Runs, err)
		}

		members := []tc.ServedMember{{ConfigID: c1.ID, Version: 1}, {ConfigID: c2.ID, Version: 1}}
		t1 := t0.Add(time.Second)
		serveGroup := func(url string, at, lm time.Time, ms []tc.ServedMember) tc.ConfigServe {
			return tc.ConfigServe{Kind: tc.ServeGroup, SourceID: g.ID, Members: ms, LastModified: lm, Digest: "d",
				URL: url, Params: []tc.ServeParam{}, Telegraf: true, At: at}
		}
		err = s.WriteServes(ctx, []tc.ConfigServe{
			serveGroup(gpath+"?agent_id=g", t1, g.RevisionAt, members),
			serveGroup("/c/web?agent_id=w", t1, g.RevisionAt, members),
			{Kind: tc.ServeConfig, SourceID: c1.ID, Version: 1, LastModified: c1.RevisionAt, URL: "/c/cpu", Telegraf: true, At: t1},
		}, nil)
		if err != nil {
			t.Fatal(err)
		}
		clk.Set(t0.Add(time.Minute))
		for _, id := range []string{"g", "w"} {
			r := runOfSource(t, s, id, g.ID)
			want := []tc.RunMember{{ConfigID: c1.ID, ConfigName: "cpu", Version: 1, CurrentVersion: 1}, {ConfigID: c2.ID, ConfigName: "mem", Version: 1, CurrentVersion: 1}}
			if r.State != tc.ConfigCurrent || !reflect.DeepEqual(r.Members, want) {
				t.Errorf("%s: %+v", id, r)
			}
		}
		if r := runOfSource(t, s, "k", c1.ID); r.Kind != tc.ServeConfig || r.ConfigName != "cpu" || r.Alias != "cpu" || r.State != tc.ConfigCurrent || r.Version != 1 {
			t.Errorf("k: %+v", r)
		}

		// A member changes: the group's revision moves; pending, then stale.
		t2 := t0.Add(2 * time.Minute)
		clk.Set(t2)
		if _, err := s.SetConfigTOML(ctx, c2.ID, "b = 2\n", "", "u1"); err != nil {
			t.Fatal(err)
		}
		g2, err := s.ConfigGroupByID(ctx, g.ID)
		if err != nil {
			t.Fatal(err)
		}
		if r := runOfSource(t, s, "w", g.ID); r.State != tc.ConfigPending {
			t.Errorf("w within the grace: %+v", r)
		}
		clk.Set(g2.RevisionAt.Add(tc.ConfigStaleGrace))
		r := runOfSource(t, s, "w", g.ID)
		if r.State != tc.ConfigStale || r.StaleReason != tc.StaleNotWatching || r.Members[1].Version != 1 || r.Members[1].CurrentVersion != 2 {
			t.Errorf("w after the grace: %+v", r)
		}
		if got := listIDs(t, s, tc.AgentFilter{ConfigState: tc.ConfigStale}); !slices.Equal(got, []string{"g", "w"}) {
			t.Errorf("stale: %v", got)
		}
		if got := listIDs(t, s, tc.AgentFilter{ConfigState: tc.ConfigCurrent}); !slices.Equal(got, []string{"k"}) {
			t.Errorf("current: %v", got)
		}
		if n, err := s.StaleAgentCount(ctx); err != nil || n != 2 {
			t.Errorf("stale count: %d, %v", n, err)
		}
		l, err := s.ListAgents(ctx, tc.AgentFilter{Search: "w", Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		for _, ag := range l.Items {
			if ag.ID == "w" && (len(ag.ConfigStates) != 1 || ag.ConfigStates[0].Kind != tc.ServeGroup || ag.ConfigStates[0].GroupID != g.ID ||
				ag.ConfigStates[0].State != tc.ConfigStale) {
				t.Errorf("w in the list: %+v", ag.ConfigStates)
			}
		}
		states, err := s.GroupAgentStates(ctx, g.ID, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(states) != 2 || states[0].AgentID != "g" || states[1].AgentID != "w" || states[1].State != tc.ConfigStale {
			t.Errorf("group agent states: %+v", states)
		}

		// w fetches the new revision: current.
		t3 := clk.Now()
		m2 := []tc.ServedMember{{ConfigID: c1.ID, Version: 1}, {ConfigID: c2.ID, Version: 2}}
		if err := s.WriteServes(ctx, []tc.ConfigServe{serveGroup("/c/web?agent_id=w", t3, g2.RevisionAt, m2)}, nil); err != nil {
			t.Fatal(err)
		}
		if r := runOfSource(t, s, "w", g.ID); r.State != tc.ConfigCurrent || r.Members[1].Version != 2 {
			t.Errorf("w after fetching: %+v", r)
		}

		// The config alias moves to the group: k now runs the group, read
		// against it, stale until it fetches through the alias again.
		if _, err := s.TransferAlias(ctx, "cpu", tc.AliasGroup, g.ID); err != nil {
			t.Fatal(err)
		}
		g3, _ := s.ConfigGroupByID(ctx, g.ID)
		clk.Set(g3.RevisionAt.Add(tc.ConfigStaleGrace))
		if r := runOfSource(t, s, "k", g.ID); r.Kind != tc.ServeGroup || r.Alias != "cpu" || r.State != tc.ConfigStale || r.Version != 1 {
			t.Errorf("k after the transfer: %+v", r)
		}
		if err := s.WriteServes(ctx, []tc.ConfigServe{serveGroup("/c/cpu", clk.Now(), g3.RevisionAt, m2)}, nil); err != nil {
			t.Fatal(err)
		}
		if r := runOfSource(t, s, "k", g.ID); r.State != tc.ConfigCurrent || len(r.Members) != 2 {
			t.Errorf("k after fetching the group: %+v", r)
		}

		// A deleted alias names nothing: no run (the agent fails to load it).
		if err := s.DeleteAlias(ctx, "cpu", tc.AliasGroup, g.ID); err != nil {
			t.Fatal(err)
		}
		if d, err := s.Agent(ctx, "k"); err != nil || len(d.Runs) != 0 {
			t.Errorf("k after the alias went: %+v, %v", d.Runs, err)
		}
		// The serves of reported URLs outlive the retention (w's is
		// stale: the transfer onto its group moved the group's revision).
		clk.Set(clk.Now().Add(store.ServeRetention + time.Hour))
		if _, err := s.PruneServes(ctx); err != nil {
			t.Fatal(err)
		}
		if r := runOfSource(t, s, "w", g.ID); r.State != tc.ConfigStale || r.FetchedAt == nil || !r.FetchedAt.Equal(t3) {
			t.Errorf("w after pruning: %+v", r)
		}
	})
}
