package tc_test

import (
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/telegrafcontroller/tc"
)

func TestConfigIDFromURL(t *testing.T) {
	for _, tt := range []struct {
		src, id string
		ok      bool
	}{
		{"http://127.0.0.1:18080/api/configs/abc/toml", "abc", true},
		{"https://tc.example/api/configs/3f1c-9a/toml?agent_id=x&region=eu", "3f1c-9a", true},
		{"http://bob:xxxxx@127.0.0.1:18080/api/configs/abc/toml?region=eu&env=prod", "abc", true},
		{"http://proxy.example/tc/api/configs/abc/toml", "abc", true},
		{"http://h/api/configs/a%20b/toml", "a b", true},
		{"/etc/telegraf/telegraf.conf", "", false},
		{"http://h/api/configs//toml", "", false},
		{"http://h/api/configs/abc", "", false},
		{"http://h/api/configs/abc/toml/x", "", false},
		{"http://h/api/configs/a/b/toml", "", false},
		{"ftp://h/api/configs/abc/toml", "", false},
		{"api/configs/abc/toml", "", false},
	} {
		id, ok := tc.ConfigIDFromURL(tt.src)
		if id != tt.id || ok != tt.ok {
			t.Errorf("ConfigIDFromURL(%q) = %q, %v; want %q, %v", tt.src, id, ok, tt.id, tt.ok)
		}
	}
	// A group's URL or a short URL is a ref: neither a managed config nor
	// external.
	const id = "3f1c9a00-0000-4000-8000-000000000001"
	managed, external := tc.ConfigLinks([]string{"http://a/api/configs/" + id + "/toml", "/etc/a.conf", "http://b/api/configs/" + id + "/toml?q=1", "/etc/a.conf", "http://a/c/web", "http://a/api/config-groups/" + id + "/toml"})
	if !slices.Equal(managed, []string{id}) || !slices.Equal(external, []string{"/etc/a.conf"}) {
		t.Errorf("ConfigLinks = %v, %v; want [%s], [/etc/a.conf]", managed, external, id)
	}
	refs := tc.ManagedRefs([]string{"http://a/c/web?agent_id=1&api_token=s", "http://b/c/web", "http://a/api/config-groups/" + id + "/toml", "http://a/api/configs/" + id + "/toml"})
	want := []tc.ManagedConfig{{ID: "web", URL: "/c/web?agent_id=1&api_token=xxxxx"}, {ID: id, URL: "/api/config-groups/" + id + "/toml"}}
	if !slices.Equal(refs, want) {
		t.Errorf("ManagedRefs = %+v, want %+v", refs, want)
	}
	// An alias in a config URL is both a (dangling) config link and a ref.
	src := "http://a/api/configs/web/toml"
	if got := tc.ManagedConfigs([]string{src}); !slices.Equal(got, []tc.ManagedConfig{{ID: "web", URL: "/api/configs/web/toml"}}) {
		t.Errorf("ManagedConfigs = %+v", got)
	}
	if got := tc.ManagedRefs([]string{src}); !slices.Equal(got, []tc.ManagedConfig{{ID: "web", URL: "/api/configs/web/toml"}}) {
		t.Errorf("ManagedRefs = %+v", got)
	}
}

func TestAgentBeatMerge(t *testing.T) {
	t0 := time.Unix(100, 0)
	older := &tc.AgentBeat{ID: "a", Hostname: "h", FirstSeen: t0, LastSeen: t0, HasConfigs: true, Configs: []string{"c"},
		Last: tc.HeartbeatStats{Errors: 1}, Sum: tc.HeartbeatStats{Errors: 1, Metrics: 5}, Logs: []tc.AgentLog{{Message: "o2"}, {Message: "o1"}}}
	newer := &tc.AgentBeat{ID: "a", FirstSeen: t0.Add(time.Second), LastSeen: t0.Add(time.Second), Status: tc.AgentWarn,
		Last: tc.HeartbeatStats{Metrics: 2}, Sum: tc.HeartbeatStats{Metrics: 2}, Logs: []tc.AgentLog{{Message: "n1"}}}
	newer.Merge(older)
	if newer.Hostname != "h" || !newer.HasConfigs || !newer.FirstSeen.Equal(t0) || !newer.LastSeen.Equal(t0.Add(time.Second)) {
		t.Errorf("merged = %+v: want hostname and configs kept from the older beat, first seen from it, last seen from the newer", newer)
	}
	if got, want := newer.Sum, (tc.HeartbeatStats{Errors: 1, Metrics: 7}); got != want {
		t.Errorf("sum = %+v, want %+v", got, want)
	}
	if got, want := newer.Last, (tc.HeartbeatStats{Metrics: 2}); got != want {
		t.Errorf("last = %+v, want %+v", got, want)
	}
	var msgs []string
	for _, l := range newer.Logs {
		msgs = append(msgs, l.Message)
	}
	if want := []string{"n1", "o2", "o1"}; !slices.Equal(msgs, want) {
		t.Errorf("logs = %v, want %v", msgs, want)
	}
}

// TestAgentBeatMergeOutOfOrder merges a beat into one that is newer: the
// result is the same as merging them the other way round.
func TestAgentBeatMergeOutOfOrder(t *testing.T) {
	t0 := time.Unix(100, 0)
	mk := func() (older, newer *tc.AgentBeat) {
		older = &tc.AgentBeat{ID: "a", Hostname: "h", IP: "10.0.0.1", Version: "1.38", Status: tc.AgentOK, FirstSeen: t0, LastSeen: t0,
			Last: tc.HeartbeatStats{Errors: 1}, Sum: tc.HeartbeatStats{Errors: 1, Metrics: 5}, Logs: []tc.AgentLog{{Message: "o1"}}}
		newer = &tc.AgentBeat{ID: "a", IP: "10.0.0.2", Version: "1.39", Status: tc.AgentWarn, FirstSeen: t0.Add(time.Second), LastSeen: t0.Add(time.Second),
			HasConfigs: true, Configs: []string{"c"}, Last: tc.HeartbeatStats{Metrics: 2}, Sum: tc.HeartbeatStats{Metrics: 2}, Logs: []tc.AgentLog{{Message: "n1"}}}
		return older, newer
	}
	o1, n1 := mk()
	n1.Merge(o1)
	o2, n2 := mk()
	o2.Merge(n2)
	if !reflect.DeepEqual(o2, n1) {
		t.Errorf("older.Merge(newer) = %+v\nwant newer.Merge(older) = %+v", o2, n1)
	}
	if o2.Status != tc.AgentWarn || o2.IP != "10.0.0.2" || o2.Hostname != "h" || !o2.LastSeen.Equal(t0.Add(time.Second)) || !o2.FirstSeen.Equal(t0) {
		t.Errorf("merged = %+v: want the newer beat's status, ip and last seen, the older's hostname and first seen", o2)
	}
	if got, want := o2.Sum, (tc.HeartbeatStats{Errors: 1, Metrics: 7}); got != want {
		t.Errorf("sum = %+v, want %+v", got, want)
	}
}
