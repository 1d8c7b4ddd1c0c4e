package heartbeat_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/apptest"
	"github.com/telegrafcontroller/tc/internal/auth"
	"github.com/telegrafcontroller/tc/internal/store"
)

// Bodies exactly as a real Telegraf 1.39.3 sent them (reference
// telegraf-agent.md §4): Go's HTML escaping, logs: [], source "", last.
const (
	capturedFirst  = `{"id":"agent-abc-1","version":"Telegraf 1.39.3 (git: HEAD@eb37a442)","schema":1,"hostname":"vm","configurations":["http://127.0.0.1:18080/api/configs/abc/toml"],"statistics":{"errors":0,"warnings":0,"metrics":1},"logs":[]}`
	capturedLogged = `{"id":"agent-abc-1","version":"Telegraf 1.39.3 (git: HEAD@eb37a442)","schema":1,"hostname":"vm","configurations":["http://127.0.0.1:18080/api/configs/abc/toml"],"statistics":{"errors":1,"warnings":0,"metrics":1},"logs":[{"time":"2026-11-27T07:20:43.266545801Z","level":"ERROR","source":"outputs.heartbeat::broken","attributes":{"alias":"broken","category":"outputs","plugin":"heartbeat"},"message":"sending message failed: Post \"http://127.0.0.1:1/agents/heartbeat\": dial tcp 127.0.0.1:1: connect: connection refused"}]}`
	capturedLast   = `{"id":"agent-abc-1","version":"Telegraf 1.39.3 (git: HEAD@eb37a442)","schema":1,"last":1795764126,"hostname":"vm","configurations":["http://127.0.0.1:18080/api/configs/abc/toml"],"statistics":{"errors":2,"warnings":0,"metrics":2},"logs":[{"time":"2026-11-27T07:22:11.126656508Z","level":"ERROR","source":"outputs.heartbeat","attributes":{"category":"outputs","plugin":"heartbeat"},"message":"received status 401 (401 Unauthorized) with message {\"error\":\"invalid token\"}"},{"time":"2026-11-27T07:22:16.123797479Z","level":"ERROR","source":"outputs.heartbeat","attributes":{"category":"outputs","plugin":"heartbeat"},"message":"received status 401 (401 Unauthorized) with message {\"error\":\"invalid token\"}"}],"status":"WARN"}`
	capturedCore   = `{"id":"agent-abc-1","version":"Telegraf 1.39.3 (git: HEAD@eb37a442)","schema":1,"hostname":"vm","configurations":["http://127.0.0.1:18080/api/configs/abc/toml"],"statistics":{"errors":1,"warnings":0,"metrics":0},"logs":[{"time":"2026-11-27T07:30:01.5Z","level":"ERROR","source":"","message":"Last-Modified header not found, stopping the watcher for http://127.0.0.1:18080/api/configs/abc/toml"}],"status":"OK"}`
	capturedRedact = `{"id":"agent-\u0026{region:eu}","version":"Telegraf 1.39.3 (git: HEAD@eb37a442)","schema":1,"hostname":"vm","configurations":["http://bob:xxxxx@127.0.0.1:18080/api/configs/abc/toml?region=eu\u0026env=prod","/etc/telegraf/telegraf.d/local.conf"],"statistics":{"errors":0,"warnings":0,"metrics":1},"logs":[]}`
)

// agentRow is the stored agent, read straight from the tables.
type agentRow struct {
	Hostname, IP, Version, Status, Reported, Rule string
	FirstSeen, LastSeen                           int64
	Last, Total                                   tc.HeartbeatStats
	External                                      []string
	Managed                                       []string
	Logs                                          []tc.AgentLog
}

func readAgent(t *testing.T, inst *apptest.Instance, id string) (*agentRow, bool) {
	t.Helper()
	db := inst.Store.ReadDB()
	var a agentRow
	var ext string
	// The exact last heard time and the statistics are agent_liveness's
	// (migrations 0072 on PostgreSQL, 0084 on SQLite).
	greatest := "max"
	if inst.Store.Dialect() == store.Postgres {
		greatest = "GREATEST"
	}
	q := `SELECT a.hostname, a.ip, a.version, a.status, a.reported_status, a.reporting_rule_id, a.first_seen,
		` + greatest + `(a.last_seen, l.last_seen), l.last_errors, l.last_warnings, l.last_metrics,
		l.total_errors, l.total_warnings, l.total_metrics, a.external_configs
		FROM agents a JOIN agent_liveness l ON l.agent_id = a.id WHERE a.id = $1`
	err := db.QueryRow(q, id).Scan(&a.Hostname, &a.IP, &a.Version, &a.Status, &a.Reported, &a.Rule,
		&a.FirstSeen, &a.LastSeen, &a.Last.Errors, &a.Last.Warnings, &a.Last.Metrics,
		&a.Total.Errors, &a.Total.Warnings, &a.Total.Metrics, &ext)
	if err == sql.ErrNoRows {
		return nil, false
	}
	if err != nil {
		t.Fatalf("read agent %q: %v", id, err)
	}
	if err := json.Unmarshal([]byte(ext), &a.External); err != nil {
		t.Fatalf("external_configs %q: %v", ext, err)
	}
	rows, err := db.Query(`SELECT config_id FROM agent_configs WHERE agent_id = $1 ORDER BY config_id`, id)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	a.Managed = []string{}
	for rows.Next() {
		var c string
		rows.Scan(&c)
		a.Managed = append(a.Managed, c)
	}
	var logs string
	err = db.QueryRow(`SELECT logs FROM agent_logs WHERE agent_id = $1`, id).Scan(&logs)
	if err == nil {
		if err := json.Unmarshal([]byte(logs), &a.Logs); err != nil {
			t.Fatalf("agent_logs %q: %v", logs, err)
		}
	} else if err != sql.ErrNoRows {
		t.Fatal(err)
	}
	return &a, true
}

func mustAgent(t *testing.T, inst *apptest.Instance, id string) *agentRow {
	t.Helper()
	a, ok := readAgent(t, inst, id)
	if !ok {
		t.Fatalf("agent %q not stored", id)
	}
	return a
}

func flush(t *testing.T, inst *apptest.Instance) {
	t.Helper()
	if err := inst.HB.Ingest.Flush(context.Background()); err != nil {
		t.Fatalf("flush: %v", err)
	}
}

// beat posts body to the heartbeat listener with the headers given.
func beat(t *testing.T, inst *apptest.Instance, path, token, body string, header ...string) *apptest.Response {
	t.Helper()
	h := http.Header{"Content-Type": {"application/json"}, "User-Agent": {"Telegraf/1.39.3 Go/1.26.8"}}
	for i := 0; i+1 < len(header); i += 2 {
		h.Add(header[i], header[i+1])
	}
	if token != "" {
		h.Add("Authorization", "Bearer "+token)
	}
	return inst.Do(t, apptest.Req{Method: "POST", Path: inst.HeartbeatURL + path, Body: []byte(body), Header: h})
}

func mustBeat(t *testing.T, inst *apptest.Instance, token, body string, header ...string) {
	t.Helper()
	apptest.MustStatus(t, beat(t, inst, "/agents/heartbeat", token, body, header...), http.StatusNoContent)
}

func TestHeartbeatCapturedBodies(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db)
		tok := inst.MustToken(t, inst.MustUser(t, tc.RoleManager), tc.Perm(tc.ResHeartbeat, tc.ActionWrite))
		start := inst.Clock.Now()

		mustBeat(t, inst, tok, capturedFirst)
		flush(t, inst)
		a := mustAgent(t, inst, "agent-abc-1")
		want := agentRow{Hostname: "vm", IP: "127.0.0.1", Version: "Telegraf 1.39.3 (git: HEAD@eb37a442)",
			Status: "ok", Reported: "ok", Rule: tc.DefaultReportingRuleID,
			FirstSeen: start.UnixMilli(), LastSeen: start.UnixMilli(),
			Last: tc.HeartbeatStats{Metrics: 1}, Total: tc.HeartbeatStats{Metrics: 1},
			External: []string{}, Managed: []string{"abc"}}
		if got := *a; !equalRow(got, want) {
			t.Errorf("after first beat:\n got %+v\nwant %+v", got, want)
		}

		inst.Clock.Advance(5 * time.Second)
		mustBeat(t, inst, tok, capturedLogged)
		flush(t, inst)
		inst.Clock.Advance(5 * time.Second)
		mustBeat(t, inst, tok, capturedLast)
		flush(t, inst)
		inst.Clock.Advance(5 * time.Second)
		mustBeat(t, inst, tok, capturedCore)
		flush(t, inst)

		a = mustAgent(t, inst, "agent-abc-1")
		if got, want := a.Status, "ok"; got != want {
			t.Errorf("status = %q, want %q", got, want)
		}
		if got, want := a.LastSeen, start.Add(15*time.Second).UnixMilli(); got != want {
			t.Errorf("last_seen = %d, want %d", got, want)
		}
		if got, want := a.FirstSeen, start.UnixMilli(); got != want {
			t.Errorf("first_seen = %d, want %d", got, want)
		}
		if got, want := a.Last, (tc.HeartbeatStats{Errors: 1}); got != want {
			t.Errorf("latest statistics = %+v, want %+v", got, want)
		}
		if got, want := a.Total, (tc.HeartbeatStats{Errors: 4, Metrics: 4}); got != want {
			t.Errorf("total statistics = %+v, want %+v", got, want)
		}
		var times []string
		for _, l := range a.Logs {
			times = append(times, l.Time)
		}
		wantTimes := []string{"2026-11-27T07:30:01.5Z", "2026-11-27T07:22:16.123797479Z", "2026-11-27T07:22:11.126656508Z", "2026-11-27T07:20:43.266545801Z"}
		if !slices.Equal(times, wantTimes) {
			t.Errorf("log times (newest first) = %v, want %v", times, wantTimes)
		}
		if len(a.Logs) == 4 {
			if got := a.Logs[0]; got.Source != "" || got.Attributes != nil || got.Level != "ERROR" {
				t.Errorf("core log entry = %+v, want empty source and no attributes", got)
			}
			if got, want := a.Logs[3].Attributes["alias"], "broken"; got != want {
				t.Errorf("plugin log attributes alias = %v, want %v", got, want)
			}
			if got := a.Logs[1].Message; !strings.Contains(got, `{"error":"invalid token"}`) {
				t.Errorf("log message = %q, want the escaped quotes decoded", got)
			}
		}

		// \u0026 in the id and in a redacted URL with a query; a file is external.
		mustBeat(t, inst, tok, capturedRedact)
		flush(t, inst)
		a = mustAgent(t, inst, "agent-&{region:eu}")
		if got, want := a.Managed, []string{"abc"}; !slices.Equal(got, want) {
			t.Errorf("managed configs = %v, want %v", got, want)
		}
		if got, want := a.External, []string{"/etc/telegraf/telegraf.d/local.conf"}; !slices.Equal(got, want) {
			t.Errorf("external configs = %v, want %v", got, want)
		}
		if a.Logs != nil {
			t.Errorf("logs: [] stored %v, want no agent_logs row", a.Logs)
		}
	})
}

func equalRow(a, b agentRow) bool {
	return a.Hostname == b.Hostname && a.IP == b.IP && a.Version == b.Version && a.Status == b.Status &&
		a.Reported == b.Reported && a.Rule == b.Rule && a.FirstSeen == b.FirstSeen && a.LastSeen == b.LastSeen &&
		a.Last == b.Last && a.Total == b.Total && slices.Equal(a.External, b.External) && slices.Equal(a.Managed, b.Managed)
}

func TestHeartbeatAuth(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db)
		writer := inst.MustToken(t, inst.MustUser(t, tc.RoleManager), tc.Perm(tc.ResHeartbeat, tc.ActionWrite))
		reader := inst.MustToken(t, inst.MustUser(t, tc.RoleViewer))
		body := `{"id":"auth-agent","version":"Telegraf 1.39.3"}`
		for _, tt := range []struct {
			name    string
			path    string
			headers []string
			status  int
			message string
		}{
			{"no header", "/agents/heartbeat", nil, 401, "Missing or invalid Authorization header"},
			{"empty bearer", "/agents/heartbeat", []string{"Authorization", "Bearer"}, 401, "Missing or invalid Authorization header"},
			{"bad format", "/agents/heartbeat", []string{"Authorization", "Bearer hb-fake-token-123"}, 401, "Invalid token format"},
			{"unknown token", "/agents/heartbeat", []string{"Authorization", "Bearer " + tc.NewTokenSecret()}, 401, "Invalid token"},
			{"no heartbeat:write", "/agents/heartbeat", []string{"Authorization", "Bearer " + reader}, 403, "Insufficient permissions: heartbeat:write required"},
			{"bearer", "/agents/heartbeat", []string{"Authorization", "Bearer " + writer}, 204, ""},
			{"token scheme", "/agents/heartbeat", []string{"Authorization", "Token " + writer}, 204, ""},
			{"alias path", "/heartbeat", []string{"Authorization", "Bearer " + writer}, 204, ""},
			// Custom headers.Authorization plus token: two headers, Bearer second (run15).
			{"two headers", "/agents/heartbeat", []string{"Authorization", "Basic eHg6eXk=", "Authorization", "Bearer " + writer}, 204, ""},
		} {
			t.Run(tt.name, func(t *testing.T) {
				r := beat(t, inst, tt.path, "", body, tt.headers...)
				apptest.MustStatus(t, r, tt.status)
				if tt.message != "" {
					m := r.Map(t)
					if m["message"] != tt.message {
						t.Errorf("message = %q, want %q", m["message"], tt.message)
					}
				}
			})
		}

		// A session cookie authenticates nothing here, even the owner's that
		// holds heartbeat:write: a page the owner visits could send it.
		session := inst.MustSession(t, inst.MustOwner(t))
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/auth/me", Client: session}), 200)
		for _, path := range []string{"/agents/heartbeat", "/heartbeat"} {
			r := inst.Do(t, apptest.Req{Method: "POST", Path: inst.HeartbeatURL + path, Client: session, Body: `{"id":"auth-agent-cookie","version":"Telegraf 1.39.3"}`,
				Header: http.Header{"Origin": {"http://evil.example.test"}, "Sec-Fetch-Site": {"same-site"}}})
			if r.Request.Header.Get("Cookie") == "" {
				t.Fatal("the session client sent no cookie to the heartbeat listener")
			}
			apptest.MustStatus(t, r, 401)
			if m := r.Map(t); m["message"] != auth.MsgMissing {
				t.Errorf("session cookie on %s: message = %q, want %q", path, m["message"], auth.MsgMissing)
			}
		}
		flush(t, inst)
		if _, ok := readAgent(t, inst, "auth-agent-cookie"); ok {
			t.Error("a heartbeat sent with a session cookie stored its agent")
		}

		exempt := apptest.MustStart(t, db, apptest.WithArgs("--disable-auth-endpoints", "heartbeat"))
		apptest.MustStatus(t, beat(t, exempt, "/agents/heartbeat", "", body), 204)
		flush(t, exempt)
		mustAgent(t, exempt, "auth-agent")
	})
}

func TestHeartbeatRejects(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db, apptest.WithArgs("--heartbeat-max-body-bytes", "2048"))
		tok := inst.MustRoleToken(t, tc.RoleOwner)
		long := strings.Repeat("é", 256)
		for _, tt := range []struct {
			name, body string
			status     int
			field      string
			message    string
		}{
			{"invalid JSON", `{"id":"a","version":`, 400, "", "invalid JSON"},
			{"trailing garbage", `{"id":"a","version":"v"} x`, 400, "", "invalid JSON"},
			{"empty", ``, 400, "", "empty"},
			{"not an object", `["a"]`, 400, "", "must be a JSON object"},
			{"missing id", `{"version":"Telegraf 1.39.3"}`, 400, "id", "id is required"},
			{"null id", `{"id":null,"version":"Telegraf 1.39.3"}`, 400, "id", "id is required"},
			{"missing version", `{"id":"a"}`, 400, "version", "version is required"},
			{"id too long", `{"id":"` + long + `","version":"v"}`, 400, "id", "at most 255"},
			{"id a number", `{"id":5,"version":"v"}`, 400, "id", "id must be a string"},
			{"id a dot", `{"id":".","version":"v"}`, 400, "id", "must not be . or .."},
			{"id two dots", `{"id":"..","version":"v"}`, 400, "id", "must not be . or .."},
			{"statistics a string", `{"id":"a","version":"v","statistics":"x"}`, 400, "statistics", "must be an object"},
			{"errors a string", `{"id":"a","version":"v","statistics":{"errors":"1","warnings":0,"metrics":0}}`, 400, "statistics.errors", "statistics.errors must be a non-negative integer"},
			{"negative metrics", `{"id":"a","version":"v","statistics":{"errors":0,"warnings":0,"metrics":-1}}`, 400, "statistics.metrics", "non-negative"},
			{"configurations not array", `{"id":"a","version":"v","configurations":"x"}`, 400, "configurations", "must be an array"},
			{"logs a string", `{"id":"a","version":"v","logs":"x"}`, 400, "logs", "logs must be an array"},
			{"log message a number", `{"id":"a","version":"v","logs":[{"time":"t","level":"ERROR","source":"","message":5}]}`, 400, "logs.message", "must be a string"},
			{"bad status", `{"id":"a","version":"v","status":"GREEN"}`, 400, "status", "status must be one of OK, WARN, FAIL, UNDEFINED"},
			{"NUL in hostname", `{"id":"a","version":"v","hostname":"h\u0000"}`, 400, "", "NUL"},
			{"NUL in a log attribute", `{"id":"a","version":"v","logs":[{"message":"m","attributes":{"k":"\u0000"}}]}`, 400, "", "NUL"},
			// Invalid UTF-8 anywhere is refused, as the API refuses it
			// (encoding/json would store U+FFFD in its place).
			{"invalid UTF-8 in hostname", "{\"id\":\"a\",\"version\":\"v\",\"hostname\":\"h\xff\"}", 400, "", "request body must be valid UTF-8"},
			{"invalid UTF-8 in id", "{\"id\":\"a\xc3\",\"version\":\"v\"}", 400, "", "valid UTF-8"},
			{"invalid UTF-8 in a log message", "{\"id\":\"a\",\"version\":\"v\",\"logs\":[{\"message\":\"m\xed\xa0\x80\"}]}", 400, "", "valid UTF-8"},
			{"invalid UTF-8 in an unknown field", "{\"id\":\"a\",\"version\":\"v\",\"future\":\"\xc0\xaf\"}", 400, "", "valid UTF-8"},
			{"invalid UTF-8 in a key", "{\"id\":\"a\",\"version\":\"v\",\"\xfe\":1}", 400, "", "valid UTF-8"},
			{"too large", `{"id":"a","version":"v","hostname":"` + strings.Repeat("x", 2100) + `"}`, 413, "", "exceeds 2048 bytes"},
			{"id of 255", `{"id":"` + long[:255*2] + `","version":"v"}`, 204, "", ""},
			{"unknown fields", `{"id":"u","version":"v","schema":2,"future":{"x":[1]},"status":"undefined"}`, 204, "", ""},
		} {
			t.Run(tt.name, func(t *testing.T) {
				r := beat(t, inst, "/agents/heartbeat", tok, tt.body)
				apptest.MustStatus(t, r, tt.status)
				if tt.status == 204 {
					return
				}
				m := r.Map(t)
				if msg, _ := m["message"].(string); !strings.Contains(msg, tt.message) {
					t.Errorf("message = %q, want it to contain %q", msg, tt.message)
				}
				if field, _ := m["field"].(string); field != tt.field {
					t.Errorf("field = %q, want %q", field, tt.field)
				}
			})
		}
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: inst.HeartbeatURL + "/agents/heartbeat"}), 405)
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: inst.HeartbeatURL + "/nope"}), 404)
		flush(t, inst)
		if _, ok := readAgent(t, inst, "a"); ok {
			t.Error("a rejected heartbeat stored agent \"a\"")
		}
		if a := mustAgent(t, inst, "u"); a.Status != "undefined" {
			t.Errorf("status = %q, want undefined", a.Status)
		}

		r := apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/metrics"}), 200)
		for _, want := range []string{`tc_heartbeats_received_total{result="invalid"}`, `tc_heartbeats_received_total{result="too_large"} 1`,
			`tc_heartbeats_received_total{result="accepted"} 2`, "tc_heartbeat_flush_batch_size_count", "tc_heartbeat_flush_duration_seconds_bucket", "tc_heartbeat_pending_agents 0"} {
			if !strings.Contains(string(r.Body), want) {
				t.Errorf("/metrics lacks %s", want)
			}
		}
	})
}

func TestHeartbeatEarlyVariant(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db)
		tok := inst.MustRoleToken(t, tc.RoleOwner)
		mustBeat(t, inst, tok, `{"id":"early","version":"Telegraf 1.37.0-c3db479e","metrics":120,"logs":{"errors":2,"warnings":1,"entries":[{"time":"2025-10-22T16:02:30.12345+02:00","level":"ERROR","source":"inputs.http::myservice","message":"boom"}]}}`)
		flush(t, inst)
		a := mustAgent(t, inst, "early")
		if got, want := a.Last, (tc.HeartbeatStats{Errors: 2, Warnings: 1, Metrics: 120}); got != want {
			t.Errorf("statistics = %+v, want %+v", got, want)
		}
		if len(a.Logs) != 1 || a.Logs[0].Message != "boom" {
			t.Errorf("logs = %+v, want the one entry", a.Logs)
		}
	})
}

func TestHeartbeatStatusAndCoalescing(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db)
		tok := inst.MustRoleToken(t, tc.RoleOwner)
		ctx := context.Background()

		// Two beats before one flush: latest values win, deltas add up.
		mustBeat(t, inst, tok, `{"id":"c","version":"v1","hostname":"h1","statistics":{"errors":1,"warnings":2,"metrics":3},"status":"FAIL","logs":[{"time":"1","level":"ERROR","source":"","message":"m1"},{"time":"2","level":"ERROR","source":"","message":"m2"}]}`)
		inst.Clock.Advance(time.Second)
		mustBeat(t, inst, tok, `{"id":"c","version":"v2","statistics":{"errors":10,"warnings":20,"metrics":30},"logs":[{"time":"3","level":"WARN","source":"","message":"m3"}]}`)
		if got := inst.HB.Ingest.Pending(); got != 1 {
			t.Errorf("pending agents = %d, want 1", got)
		}
		flush(t, inst)
		a := mustAgent(t, inst, "c")
		if a.Version != "v2" || a.Hostname != "h1" || a.Status != "ok" {
			t.Errorf("version, hostname, status = %q, %q, %q; want v2, h1 (kept), ok (no status means ok)", a.Version, a.Hostname, a.Status)
		}
		if got, want := a.Last, (tc.HeartbeatStats{Errors: 10, Warnings: 20, Metrics: 30}); got != want {
			t.Errorf("latest = %+v, want %+v", got, want)
		}
		if got, want := a.Total, (tc.HeartbeatStats{Errors: 11, Warnings: 22, Metrics: 33}); got != want {
			t.Errorf("totals = %+v, want %+v", got, want)
		}
		var msgs []string
		for _, l := range a.Logs {
			msgs = append(msgs, l.Message)
		}
		if want := []string{"m3", "m2", "m1"}; !slices.Equal(msgs, want) {
			t.Errorf("logs = %v, want %v", msgs, want)
		}

		// A not_reporting agent returns to its reported status with its next beat.
		if _, err := inst.Store.WithTxExec(ctx, `UPDATE agents SET status = 'not_reporting' WHERE id = $1`, "c"); err != nil {
			t.Fatal(err)
		}
		mustBeat(t, inst, tok, `{"id":"c","version":"v2","status":"WARN"}`)
		flush(t, inst)
		if a := mustAgent(t, inst, "c"); a.Status != "warn" || a.Reported != "warn" {
			t.Errorf("status, reported = %q, %q; want warn, warn", a.Status, a.Reported)
		}
		// The same again: nothing but liveness changed, and still the status
		// comes back at once.
		if _, err := inst.Store.WithTxExec(ctx, `UPDATE agents SET status = 'not_reporting' WHERE id = $1`, "c"); err != nil {
			t.Fatal(err)
		}
		inst.Clock.Advance(time.Second)
		mustBeat(t, inst, tok, `{"id":"c","version":"v2","status":"WARN","statistics":{"errors":0,"warnings":0,"metrics":7}}`)
		flush(t, inst)
		if a := mustAgent(t, inst, "c"); a.Status != "warn" || a.Last.Metrics != 7 || a.Total.Metrics != 40 || a.LastSeen != inst.Clock.Now().UnixMilli() {
			t.Errorf("status %q, last metrics %d, total %d, last_seen %d; want warn, 7, 40, %d", a.Status, a.Last.Metrics, a.Total.Metrics, a.LastSeen, inst.Clock.Now().UnixMilli())
		}
		inst.Clock.Advance(time.Second)
		mustBeat(t, inst, tok, `{"id":"c","version":"v2","status":"WARN","statistics":{"errors":1,"warnings":0,"metrics":2}}`)
		flush(t, inst)
		if a := mustAgent(t, inst, "c"); a.Status != "warn" || a.Last != (tc.HeartbeatStats{Errors: 1, Metrics: 2}) || a.Total.Metrics != 42 || a.LastSeen != inst.Clock.Now().UnixMilli() {
			t.Errorf("liveness update: status %q, last %+v, total metrics %d, last_seen %d; want warn, {1 0 2}, 42, %d", a.Status, a.Last, a.Total.Metrics, a.LastSeen, inst.Clock.Now().UnixMilli())
		}

		// At most 200 log entries are kept, newest first, across beats.
		var entries []string
		for i := range 150 {
			entries = append(entries, fmt.Sprintf(`{"time":"%03d","level":"ERROR","source":"","message":"x"}`, i))
		}
		many := `{"id":"c","version":"v2","logs":[` + strings.Join(entries, ",") + `]}`
		mustBeat(t, inst, tok, many)
		flush(t, inst)
		mustBeat(t, inst, tok, many)
		mustBeat(t, inst, tok, many)
		flush(t, inst)
		a = mustAgent(t, inst, "c")
		if got, want := len(a.Logs), tc.MaxAgentLogs; got != want {
			t.Fatalf("kept logs = %d, want %d", got, want)
		}
		if a.Logs[0].Time != "149" || a.Logs[149].Time != "000" || a.Logs[150].Time != "149" {
			t.Errorf("log order: [0]=%s [149]=%s [150]=%s, want 149, 000, 149", a.Logs[0].Time, a.Logs[149].Time, a.Logs[150].Time)
		}
		// A beat without logs leaves them alone.
		mustBeat(t, inst, tok, `{"id":"c","version":"v2","logs":[]}`)
		flush(t, inst)
		if a := mustAgent(t, inst, "c"); len(a.Logs) != tc.MaxAgentLogs {
			t.Errorf("logs after an empty beat = %d, want %d", len(a.Logs), tc.MaxAgentLogs)
		}
	})
}

func TestHeartbeatLinksAndRecreation(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db)
		tok := inst.MustRoleToken(t, tc.RoleOwner)
		ctx := context.Background()
		body := func(configs ...string) string {
			b, _ := json.Marshal(map[string]any{"id": "l", "version": "v", "configurations": configs})
			return string(b)
		}
		mustBeat(t, inst, tok, body("https://tc.example:8888/api/configs/c1/toml?agent_id=l", "http://other/api/configs/c2/toml", "/etc/telegraf/a.conf", "http://example.com/telegraf.conf"))
		flush(t, inst)
		a := mustAgent(t, inst, "l")
		if want := []string{"c1", "c2"}; !slices.Equal(a.Managed, want) {
			t.Errorf("managed = %v, want %v", a.Managed, want)
		}
		if want := []string{"/etc/telegraf/a.conf", "http://example.com/telegraf.conf"}; !slices.Equal(a.External, want) {
			t.Errorf("external = %v, want %v", a.External, want)
		}
		// Changed sources replace the links; a beat without them keeps them.
		mustBeat(t, inst, tok, body("http://h/api/configs/c3/toml"))
		flush(t, inst)
		mustBeat(t, inst, tok, `{"id":"l","version":"v"}`)
		flush(t, inst)
		a = mustAgent(t, inst, "l")
		if want := []string{"c3"}; !slices.Equal(a.Managed, want) || len(a.External) != 0 {
			t.Errorf("managed, external = %v, %v; want %v, []", a.Managed, a.External, want)
		}

		// A new default rule applies to new agents only.
		now := inst.Clock.Now().UnixMilli()
		if err := inst.Store.WithTx(ctx, func(tx *store.Tx) error {
			if _, err := tx.ExecContext(ctx, `UPDATE reporting_rules SET is_default = FALSE`); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO reporting_rules (id, name, not_reporting_after_seconds, is_default, created_at, updated_at)
				VALUES ('r2', 'Fast', 30, TRUE, $1, $1)`, now)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		// Deleting an agent that keeps beating recreates it, with the same links
		// even though they did not change.
		if _, err := inst.Store.WithTxExec(ctx, `DELETE FROM agents WHERE id = $1`, "l"); err != nil {
			t.Fatal(err)
		}
		inst.Clock.Advance(time.Minute)
		mustBeat(t, inst, tok, body("http://h/api/configs/c3/toml"))
		flush(t, inst)
		a = mustAgent(t, inst, "l")
		if a.Rule != "r2" || !slices.Equal(a.Managed, []string{"c3"}) || a.FirstSeen != inst.Clock.Now().UnixMilli() {
			t.Errorf("recreated agent: rule %q, managed %v, first_seen %d; want r2, [c3], %d", a.Rule, a.Managed, a.FirstSeen, inst.Clock.Now().UnixMilli())
		}
	})
}

func TestHeartbeatTrustedProxies(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		for _, tt := range []struct {
			name, proxies string
			xff           []string // header lines
			want          string
		}{
			{"no proxies trusted", "", []string{"203.0.113.7"}, "127.0.0.1"},
			{"peer trusted", "10.0.0.0/8, 127.0.0.0/8", []string{"203.0.113.7, 10.1.2.3"}, "203.0.113.7"},
			{"ipv6 hop", "127.0.0.1", []string{"2001:db8::1"}, "2001:db8::1"},
			{"peer not covered", "10.0.0.0/8", []string{"203.0.113.7"}, "127.0.0.1"},
			{"garbage hop", "127.0.0.1/32", []string{"unknown"}, "127.0.0.1"},
			// The agent's own X-Forwarded-For, to which the proxy appended.
			{"spoofed leftmost hop", "127.0.0.1/32", []string{"198.51.100.66, 203.0.113.7"}, "203.0.113.7"},
			{"spoofed proxy-looking hop", "10.0.0.0/8, 127.0.0.0/8", []string{"10.6.6.6, 203.0.113.7, 10.1.2.3"}, "203.0.113.7"},
			{"two header lines", "10.0.0.0/8, 127.0.0.0/8", []string{"198.51.100.66", "203.0.113.7, 10.1.2.3"}, "203.0.113.7"},
			{"all trusted", "10.0.0.0/8, 127.0.0.0/8", []string{"10.1.2.3, 10.4.5.6"}, "10.1.2.3"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				inst := apptest.MustStart(t, db, apptest.WithArgs("--trusted-proxies", tt.proxies, "--disable-auth-endpoints", "heartbeat"))
				var h []string
				for _, v := range tt.xff {
					h = append(h, "X-Forwarded-For", v)
				}
				mustBeat(t, inst, "", `{"id":"p","version":"v"}`, h...)
				flush(t, inst)
				if got := mustAgent(t, inst, "p").IP; got != tt.want {
					t.Errorf("ip = %q, want %q", got, tt.want)
				}
			})
		}
	})
}

// TestHeartbeatFlushTriggers checks the two triggers of a flush without
// calling Flush: the interval, and the number of pending agents.
func TestHeartbeatFlushTriggers(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		for _, tt := range []struct {
			name string
			args []string
			n    int
		}{
			{"interval", []string{"--heartbeat-flush-interval", "20ms"}, 1},
			{"size", []string{"--heartbeat-flush-interval", "1h", "--heartbeat-flush-agents", "3"}, 3},
		} {
			t.Run(tt.name, func(t *testing.T) {
				inst := apptest.MustStart(t, db, apptest.WithArgs(append(tt.args, "--disable-auth-endpoints", "heartbeat")...))
				for i := range tt.n {
					mustBeat(t, inst, "", fmt.Sprintf(`{"id":"t%d","version":"v"}`, i))
				}
				waitFor(t, func() bool { _, ok := readAgent(t, inst, fmt.Sprintf("t%d", tt.n-1)); return ok })
			})
		}
	})
}

// waitFor polls cond until it holds, failing after a generous bound.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatal("condition not met within 20s")
}

// TestHeartbeatBacklog: past --heartbeat-max-pending agents waiting for the
// database, new agents get 503 (Telegraf resends their data), pending ones
// still coalesce, and a flush makes room.
func TestHeartbeatBacklog(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db, apptest.WithArgs("--heartbeat-max-pending", "2", "--heartbeat-flush-interval", "1h", "--disable-auth-endpoints", "heartbeat"))
		mustBeat(t, inst, "", `{"id":"a","version":"v"}`)
		mustBeat(t, inst, "", `{"id":"b","version":"v"}`)
		r := apptest.MustStatus(t, beat(t, inst, "/agents/heartbeat", "", `{"id":"c","version":"v"}`), 503)
		if m := r.Map(t); !strings.Contains(m["message"].(string), "backlog") {
			t.Errorf("message = %q, want it to name the backlog", m["message"])
		}
		mustBeat(t, inst, "", `{"id":"a","version":"v"}`)
		flush(t, inst)
		mustBeat(t, inst, "", `{"id":"c","version":"v"}`)
	})
}

// TestHeartbeatShutdownFlush: everything answered 204 is in the database
// after a clean shutdown, with the periodic flush far away.
func TestHeartbeatShutdownFlush(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		for _, tt := range []struct {
			name     string
			deadline bool
		}{
			{"clean", false},
			// The shutdown timeout bounds draining requests, not the final flush.
			{"shutdown timeout already over", true},
		} {
			t.Run(tt.name, func(t *testing.T) {
				inst := apptest.MustStart(t, db, apptest.WithArgs("--heartbeat-flush-interval", "1h", "--disable-auth-endpoints", "heartbeat"))
				for i := range 50 {
					mustBeat(t, inst, "", fmt.Sprintf(`{"id":"s%d","version":"v","statistics":{"errors":0,"warnings":0,"metrics":%d}}`, i, i))
				}
				if got := inst.HB.Ingest.Pending(); got != 50 {
					t.Fatalf("pending before shutdown = %d, want 50", got)
				}
				if tt.deadline {
					ctx, cancel := context.WithTimeout(context.Background(), time.Nanosecond)
					defer cancel()
					<-ctx.Done()
					if err := inst.HB.Ingest.Close(ctx); err != nil {
						t.Fatalf("close ingester past its deadline: %v", err)
					}
				}
				if err := inst.Close(); err != nil {
					t.Fatalf("close: %v", err)
				}
				s, err := store.Open(context.Background(), inst.DSN, store.Options{})
				if err != nil {
					t.Fatal(err)
				}
				defer s.Close()
				var n, sum int
				// The statistics are agent_liveness's (migrations 0072, 0084).
				if err := s.ReadDB().QueryRow(`SELECT count(*), sum(last_metrics) FROM agent_liveness`).Scan(&n, &sum); err != nil {
					t.Fatal(err)
				}
				if n != 50 || sum != 49*50/2 {
					t.Errorf("after shutdown: %d agents with metrics sum %d, want 50 and %d", n, sum, 49*50/2)
				}
			})
		}
	})
}
