package tc_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/telegrafcontroller/tc"
)

func TestSecretParamName(t *testing.T) {
	for name, want := range map[string]bool{
		"token": true, "API_TOKEN": true, "password": true, "db_passwd": true, "pwd": true, "client_secret": true,
		"apikey": true, "key": true, "Credentials": true, "auth": true, "tls_cert": true,
		"region": false, "agent_id": false, "dc": false, "host": false, "": false,
	} {
		if got := tc.SecretParamName(name); got != want {
			t.Errorf("SecretParamName(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestServeURL(t *testing.T) {
	for _, tt := range []struct{ path, query, want string }{
		{"/api/configs/abc/toml", "", "/api/configs/abc/toml"},
		{"/api/configs/abc/toml", "region=eu&env=prod", "/api/configs/abc/toml?region=eu&env=prod"},
		// Order and encoding kept, secret values masked in place.
		{"/api/configs/abc/toml", "env=prod&api_token=s3cr%3At&region=eu", "/api/configs/abc/toml?env=prod&api_token=xxxxx&region=eu"},
		{"/api/configs/abc/toml", "pass%77ord=x&a=1", "/api/configs/abc/toml?pass%77ord=xxxxx&a=1"},
		{"/api/configs/abc/toml", "token&a=b%20c", "/api/configs/abc/toml?token&a=b%20c"},
		{"/api/configs/a%20b/toml", "x=1", "/api/configs/a%20b/toml?x=1"},
	} {
		if got := tc.ServeURL(tt.path, tt.query); got != tt.want {
			t.Errorf("ServeURL(%q, %q) = %q, want %q", tt.path, tt.query, got, tt.want)
		}
	}
}

func TestServeURLFromSource(t *testing.T) {
	for _, tt := range []struct {
		src, want string
		ok        bool
	}{
		{"http://127.0.0.1:8888/api/configs/abc/toml", "/api/configs/abc/toml", true},
		// What Telegraf reports for a URL with userinfo: the password
		// redacted, the query kept.
		{"http://bob:xxxxx@127.0.0.1:8888/api/configs/abc/toml?region=eu&env=prod", "/api/configs/abc/toml?region=eu&env=prod", true},
		{"https://tc.example/api/configs/abc/toml?token=abc&agent_id=w1", "/api/configs/abc/toml?token=xxxxx&agent_id=w1", true},
		{"/etc/telegraf/telegraf.conf", "", false},
		{"ftp://h/api/configs/abc/toml", "", false},
	} {
		got, ok := tc.ServeURLFromSource(tt.src)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ServeURLFromSource(%q) = %q, %v, want %q, %v", tt.src, got, ok, tt.want, tt.ok)
		}
	}
	// The same URL on both sides matches.
	served := tc.ServeURL("/api/configs/abc/toml", "agent_id=w1&secret_key=k&region=eu")
	reported, _ := tc.ServeURLFromSource("http://tc:8888/api/configs/abc/toml?agent_id=w1&secret_key=k&region=eu")
	if served != reported {
		t.Errorf("served %q, reported %q", served, reported)
	}
}

func TestServeParams(t *testing.T) {
	got := tc.ServeParams("region=eu&agent_id=w1&password=hunter2&region=us")
	want := []tc.ServeParam{
		{Name: "agent_id", Value: "w1"},
		{Name: "password", Value: tc.MaskedValue, Masked: true},
		{Name: "region", Value: "eu"}, {Name: "region", Value: "us"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
	if got := tc.ServeParams("%zz"); len(got) != 0 {
		t.Errorf("undecodable query: got %+v", got)
	}
}

func TestConfigRunState(t *testing.T) {
	rev1 := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	rev2 := rev1.Add(time.Hour)
	served := &tc.ConfigServe{LastModified: rev1, At: rev1.Add(time.Minute)}
	watching := tc.ConfigWatch{LastHeadAt: rev2.Add(-time.Second), Interval: time.Minute}
	before := tc.ConfigWatch{LastHeadAt: rev1, Interval: time.Minute} // HEADs before the serve only
	grace := tc.ConfigStaleGrace
	for _, tt := range []struct {
		name          string
		served        *tc.ConfigServe
		watch         tc.ConfigWatch
		loadErrors    bool
		now           time.Time
		state, reason string
	}{
		{"no serve", nil, watching, false, rev2, tc.ConfigUnknown, ""},
		{"served the current revision", &tc.ConfigServe{LastModified: rev2, At: rev2}, tc.ConfigWatch{}, false, rev2.Add(time.Hour), tc.ConfigCurrent, ""},
		{"a later revision served", &tc.ConfigServe{LastModified: rev2.Add(time.Second)}, tc.ConfigWatch{}, false, rev2, tc.ConfigCurrent, ""},
		{"watching, within interval and grace", served, watching, false, rev2.Add(time.Minute + grace - time.Millisecond), tc.ConfigPending, ""},
		{"watching, past interval and grace", served, watching, false, rev2.Add(time.Minute + grace), tc.ConfigStale, tc.StaleWatchingFailing},
		{"not watching, within grace", served, tc.ConfigWatch{}, false, rev2.Add(grace - time.Millisecond), tc.ConfigPending, ""},
		{"never watching", served, tc.ConfigWatch{}, false, rev2.Add(grace), tc.ConfigStale, tc.StaleNotWatching},
		{"stopped watching before the serve", served, before, false, rev2.Add(grace), tc.ConfigStale, tc.StaleNotWatching},
		{"not watching but load errors", served, tc.ConfigWatch{}, true, rev2.Add(grace), tc.ConfigStale, tc.StaleWatchingFailing},
	} {
		state, reason := tc.ConfigRunState(tt.served, rev2, tt.watch, tt.loadErrors, tt.now)
		if state != tt.state || reason != tt.reason {
			t.Errorf("%s: got %q, %q, want %q, %q", tt.name, state, reason, tt.state, tt.reason)
		}
	}
}

func TestConfigLoadErrors(t *testing.T) {
	path := "/api/configs/abc/toml"
	logs := []tc.AgentLog{
		{Level: "ERROR", Message: "Last-Modified header not found, stopping the watcher for http://h/api/configs/abc/toml?x=1"},
		{Level: "INFO", Message: "Remote config modified: http://h/api/configs/abc/toml"},
		{Level: "ERROR", Message: "sending message failed"},
		{Level: "WARN", Message: `Fetching config from "http://h/api/configs/abc/toml" failed: EOF`},
		{Level: "ERROR", Message: "loading config file http://h/api/configs/other/toml failed"},
	}
	got := tc.ConfigLoadErrors(logs, path)
	if len(got) != 2 || got[0].Message != logs[0].Message || got[1].Message != logs[3].Message {
		t.Errorf("got %+v", got)
	}
}
