package heartbeat

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/httpx"
)

// fuzzSeeds are heartbeat bodies exactly as Telegraf 1.39.3 sent them
// (reference telegraf-agent.md §4), the early development shape, and the
// edges the listener refuses.
var fuzzSeeds = []string{
	`{"id":"agent-abc-1","version":"Telegraf 1.39.3 (git: HEAD@eb37a442)","schema":1,"hostname":"vm","configurations":["http://127.0.0.1:18080/api/configs/abc/toml"],"statistics":{"errors":0,"warnings":0,"metrics":1},"logs":[]}`,
	`{"id":"agent-abc-1","version":"Telegraf 1.39.3 (git: HEAD@eb37a442)","schema":1,"hostname":"vm","configurations":["http://127.0.0.1:18080/api/configs/abc/toml"],"statistics":{"errors":1,"warnings":0,"metrics":1},"logs":[{"time":"2026-11-27T07:20:43.266545801Z","level":"ERROR","source":"outputs.heartbeat::broken","attributes":{"alias":"broken","category":"outputs","plugin":"heartbeat"},"message":"sending message failed: Post \"http://127.0.0.1:1/agents/heartbeat\": dial tcp 127.0.0.1:1: connect: connection refused"}]}`,
	`{"id":"agent-abc-1","version":"Telegraf 1.39.3 (git: HEAD@eb37a442)","schema":1,"hostname":"vm","configurations":["http://127.0.0.1:18080/api/configs/abc/toml"],"statistics":{"errors":0,"warnings":0,"metrics":1},"logs":[],"status":"OK"}`,
	`{"id":"agent-abc-1","version":"Telegraf 1.39.3 (git: HEAD@eb37a442)","schema":1,"last":1795764126,"hostname":"vm","configurations":["http://127.0.0.1:18080/api/configs/abc/toml"],"statistics":{"errors":2,"warnings":0,"metrics":2},"logs":[{"time":"2026-11-27T07:22:11.126656508Z","level":"ERROR","source":"outputs.heartbeat","attributes":{"category":"outputs","plugin":"heartbeat"},"message":"received status 401 (401 Unauthorized) with message {\"error\":\"invalid token\"}"},{"time":"2026-11-27T07:22:16.123797479Z","level":"ERROR","source":"outputs.heartbeat","attributes":{"category":"outputs","plugin":"heartbeat"},"message":"received status 401 (401 Unauthorized) with message {\"error\":\"invalid token\"}"}],"status":"WARN"}`,
	`{"id":"agent-abc-1","version":"Telegraf 1.39.3 (git: HEAD@eb37a442)","schema":1,"hostname":"vm","configurations":["http://127.0.0.1:18080/api/configs/abc/toml"],"statistics":{"errors":1,"warnings":0,"metrics":0},"logs":[{"time":"2026-11-27T07:30:01.5Z","level":"ERROR","source":"","message":"Last-Modified header not found, stopping the watcher for http://127.0.0.1:18080/api/configs/abc/toml"}],"status":"OK"}`,
	`{"id":"agent-\u0026{region:eu}","version":"Telegraf 1.39.3 (git: HEAD@eb37a442)","schema":1,"hostname":"vm","configurations":["http://bob:xxxxx@127.0.0.1:18080/api/configs/abc/toml?region=eu\u0026env=prod","/etc/telegraf/telegraf.d/local.conf"],"statistics":{"errors":0,"warnings":0,"metrics":1},"logs":[]}`,
	`{"id":"early","version":"Telegraf 1.36.0","metrics":120,"logs":{"errors":1,"warnings":2,"entries":[{"time":"t","level":"WARN","message":"m"}]}}`,
	`{"id":"a\"b\\c\/d\b\f\n\r\t\u00e9\u20AC\ud83d\ude00","version":"v","status":"warn"}`,
	`{"id":"a","version":"v","hostname":"h\u0000"}`, `{"id":"a","version":"v","hostname":"h\\u0000"}`,
	"{\"id\":\"a\",\"version\":\"v\",\"hostname\":\"h\xff\"}", "{\"id\":\"é\",\"version\":\"v\"}",
	`{"id":"a","version":"v","statistics":{"errors":18446744073709551615,"warnings":0,"metrics":0}}`,
	`{"id":"a","version":"v","schema":1.0,"last":-1}`, `{"id":"a","id":"b","version":"v"}`, `{"ID":"a","version":"v"}`,
	`{"id":"a","version":"v","status":"GREEN"}`, `{"id":null,"version":"v"}`, `[]`, ``, `{}`, `{"id":"a","version":"v"} x`,
}

// FuzzParse: no body panics the heartbeat decoder; a refusal is always a
// 400; an accepted body is valid UTF-8 and gives a heartbeat with sane
// fields; and parse (fast path or not) agrees with encoding/json on what
// is accepted and on the heartbeat it yields. A body the fast decoder takes
// is ASCII, which is why that path needs no UTF-8 check.
func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	at := time.Unix(1795764126, 0)
	f.Fuzz(func(t *testing.T, body []byte) {
		if _, ok := decodeFast(body); ok {
			for i, c := range body {
				if c >= utf8.RuneSelf {
					t.Fatalf("decodeFast accepted %q with a non-ASCII byte at %d", body, i)
				}
			}
		}
		got, err := parse(body, at)
		want, wantErr := parseReflect(body, at)
		if (err == nil) != (wantErr == nil) {
			t.Fatalf("body %q: parse err %v, encoding/json err %v", body, err, wantErr)
		}
		if err != nil {
			if tc.ErrorCode(err) != tc.EINVALID {
				t.Fatalf("body %q refused with %s (%v), want %s", body, tc.ErrorCode(err), err, tc.EINVALID)
			}
			return
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("body %q:\n parse %+v\n  json %+v", body, got, want)
		}
		if !utf8.Valid(body) {
			t.Fatalf("accepted a body that is not UTF-8: %q", body)
		}
		checkSane(t, body, got)
	})
}

// parseReflect is the reference: the API's text rules, then encoding/json.
func parseReflect(body []byte, at time.Time) (*tc.AgentBeat, error) {
	if err := httpx.ValidateJSONText(body); err != nil {
		return nil, err
	}
	if len(strings.TrimSpace(string(body))) == 0 {
		return nil, fmt.Errorf("empty")
	}
	var m message
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, err
	}
	return fromMessage(&m, at)
}

func checkSane(t *testing.T, body []byte, b *tc.AgentBeat) {
	t.Helper()
	texts := []string{b.ID, b.Version, b.Hostname}
	texts = append(texts, b.Configs...)
	for _, l := range b.Logs {
		raw, _ := json.Marshal(l)
		texts = append(texts, string(raw))
	}
	for _, s := range texts {
		if !utf8.ValidString(s) || strings.ContainsRune(s, 0) {
			t.Fatalf("body %q: accepted text %q is not NUL-free UTF-8", body, s)
		}
	}
	switch {
	case b.ID == "" || utf8.RuneCountInString(b.ID) > tc.MaxAgentIDLength:
		t.Fatalf("body %q: id %q", body, b.ID)
	case b.Version == "":
		t.Fatalf("body %q: empty version", body)
	case len(b.Configs) > tc.MaxAgentConfigs || len(b.Logs) > tc.MaxAgentLogs:
		t.Fatalf("body %q: %d configs, %d logs", body, len(b.Configs), len(b.Logs))
	case b.Last.Errors < 0 || b.Last.Warnings < 0 || b.Last.Metrics < 0 || b.Sum != b.Last:
		t.Fatalf("body %q: stats %+v, sum %+v", body, b.Last, b.Sum)
	case !b.FirstSeen.Equal(b.LastSeen):
		t.Fatalf("body %q: first seen %v, last seen %v", body, b.FirstSeen, b.LastSeen)
	}
	switch b.Status {
	case tc.AgentOK, tc.AgentWarn, tc.AgentFail, tc.AgentUndefined:
	default:
		t.Fatalf("body %q: status %q", body, b.Status)
	}
}
