package heartbeat

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
	"time"
)

// TestDecodeFastMatchesJSON: wherever the fast decoder accepts a body, the
// heartbeat it yields is the one encoding/json yields, and it hands over
// every body it does not fully understand.
func TestDecodeFastMatchesJSON(t *testing.T) {
	accepted := []string{
		`{"id":"agent-abc-1","version":"Telegraf 1.39.3 (git: HEAD@eb37a442)","schema":1,"hostname":"vm","configurations":["http://127.0.0.1:18080/api/configs/abc/toml"],"statistics":{"errors":0,"warnings":0,"metrics":1},"logs":[]}`,
		`{"id":"agent-\u0026{region:eu}","version":"Telegraf 1.39.3 (git: HEAD@eb37a442)","schema":1,"last":1795764126,"hostname":"vm","configurations":["http://bob:xxxxx@127.0.0.1:18080/api/configs/abc/toml?region=eu\u0026env=prod","/etc/telegraf/telegraf.d/local.conf"],"statistics":{"errors":0,"warnings":0,"metrics":1},"logs":[],"status":"OK"}`,
		" { \"id\" : \"a\" ,\n\t\"version\" : \"v\" , \"configurations\" : [ ] , \"statistics\" : { } , \"logs\" : [ ] } ",
		`{"id":"a\"b\\c\/d\b\f\n\r\t\u00e9\u20AC","version":"v","status":"warn"}`,
		`{"id":"a","version":"v","metrics":120}`,
		`{"id":"a","version":"v","statistics":{"errors":18446744073709551615,"warnings":0,"metrics":0}}`,
		`{}`, `{"id":"a"}`, `{"version":"v"}`, `{"id":"","version":"v"}`,
		`{"id":"a","version":"v","status":"GREEN"}`,
		`{"id":"a","version":"v","logs":[{"time":"t","level":"ERROR","source":"","message":"m"}]}`,
		`{"id":"a","version":"v","logs":[{"time":"2026-11-27T07:20:43.266545801Z","level":"ERROR","source":"inputs.http::api","attributes":{"alias":"api","category":"inputs","plugin":"http"},"message":"E! [inputs.http::api] received status 503 from http://10.0.0.5/health \"a]b}\" \u0026 \\"}],"status":"WARN"}`,
		` {"id":"a","version":"v","logs": [ {"level":"WARN","message":"x"} , {"level":"ERROR","message":"y"} ] } `,
		`{"id":"a","version":"v","logs":[1,"x",null,[[]],{}]}`, // not entries: fromMessage's error, as encoding/json's
	}
	handOver := []string{
		`{"id":"a","version":"v","logs":{"entries":[],"errors":1}}`, // the early schema's object
		`{"id":"a","version":"v","logs":[{"message":"é"}]}`, `{"id":"a","version":"v","logs":[{"message":"\x"}]}`,
		`{"id":"a","version":"v","logs":[{"message":"m"}}`, `{"id":"a","version":"v","logs":[{"message":"m",}]}`,
		`{"id":"a","version":"v","logs":[{"message":"m"}]]}`, `{"id":"a","version":"v","logs":[{"message":"m"}],"logs":[]}`,
		`{"ID":"a","version":"v"}`, `{"id":"a","version":"v","future":1}`, `{"id":"a","id":"b","version":"v"}`,
		`{"id":"a","version":"v","schema":1.0}`, `{"id":"a","version":"v","last":-1}`, `{"id":"a","version":"v","schema":01}`,
		`{"id":"é","version":"v"}`, `{"id":"\ud83d\ude00","version":"v"}`, `{"id":null,"version":"v"}`,
		`{"id":"a","version":"v","statistics":{"errors":1,"errors":2}}`, `{"id":"a","version":"v","statistics":{"errors":18446744073709551616}}`,
		`{"id":"a","version":"v"} x`, `{"id":"a","version":"v",}`, "{\"id\":\"a\x01\",\"version\":\"v\"}", `[]`, ``,
	}
	for _, b := range accepted {
		if _, ok := decodeFast([]byte(b)); !ok {
			t.Errorf("decodeFast handed over %q; want it decoded", b)
		}
	}
	for _, b := range handOver {
		if _, ok := decodeFast([]byte(b)); ok {
			t.Errorf("decodeFast accepted %q; want it handed to encoding/json", b)
		}
	}
	// Every body, and cut, padded, quoted and shortened variants of it.
	var all []string
	for _, b := range append(accepted, handOver...) {
		all = append(all, b)
		for i := 0; i < len(b); i += 3 {
			all = append(all, b[:i], b[:i]+" "+b[i:], b[:i]+`"`+b[i:], b[:i]+b[i+1:], b[:i]+`\`+b[i:], b[:i]+"0"+b[i:])
		}
	}
	at := time.Unix(1, 0)
	for _, b := range all {
		m, ok := decodeFast([]byte(b))
		if !ok {
			continue
		}
		var want message
		if err := json.Unmarshal([]byte(b), &want); err != nil {
			t.Errorf("decodeFast accepted %q, encoding/json refuses it: %v", b, err)
			continue
		}
		got, gotErr := fromMessage(&m, at)
		exp, expErr := fromMessage(&want, at)
		if fmt.Sprint(gotErr) != fmt.Sprint(expErr) || !reflect.DeepEqual(got, exp) {
			t.Errorf("body %q:\n fast %+v, %v\n json %+v, %v", b, got, gotErr, exp, expErr)
		}
	}
}

func BenchmarkParse(b *testing.B) {
	body := []byte(`{"id":"5a1e0c3d-0000-4000-8000-000000000007","version":"Telegraf 1.39.3 (git: HEAD@eb37a442)","schema":1,"hostname":"host-7","configurations":["http://127.0.0.1:8888/api/configs/0c0f1a00-0000-4000-8000-000000000017/toml?agent_id=5a1e0c3d-0000-4000-8000-000000000007\u0026region=eu"],"statistics":{"errors":0,"warnings":0,"metrics":3},"logs":[],"status":"OK"}`)
	at := time.Unix(1, 0)
	b.Run("encoding_json", func(b *testing.B) {
		for b.Loop() {
			var m message
			if err := json.Unmarshal(body, &m); err != nil {
				b.Fatal(err)
			}
			fromMessage(&m, at)
		}
	})
	b.Run("fast", func(b *testing.B) {
		for b.Loop() {
			if _, err := parse(body, at); err != nil {
				b.Fatal(err)
			}
		}
	})
	// A beat with log entries: its entries take encoding/json (fromMessage).
	logged := []byte(`{"id":"agent-abc-1","version":"Telegraf 1.39.3 (git: HEAD@eb37a442)","schema":1,"last":1795764126,"hostname":"vm","configurations":["http://127.0.0.1:18080/api/configs/abc/toml"],"statistics":{"errors":2,"warnings":0,"metrics":2},"logs":[{"time":"2026-11-27T07:22:11.126656508Z","level":"ERROR","source":"outputs.heartbeat","attributes":{"category":"outputs","plugin":"heartbeat"},"message":"received status 401 (401 Unauthorized) with message {\"error\":\"invalid token\"}"},{"time":"2026-11-27T07:22:16.123797479Z","level":"ERROR","source":"outputs.heartbeat","attributes":{"category":"outputs","plugin":"heartbeat"},"message":"received status 401 (401 Unauthorized) with message {\"error\":\"invalid token\"}"}],"status":"WARN"}`)
	b.Run("with_logs", func(b *testing.B) {
		for b.Loop() {
			if _, err := parse(logged, at); err != nil {
				b.Fatal(err)
			}
		}
	})
}
