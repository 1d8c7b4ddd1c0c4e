package app_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"
	"time"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/apptest"
)

// TestAuditRecordsWhoDidWhat follows one story through the audit log: a
// refused and a successful sign-in, a token created in the session and used
// to change a user's role and revoke another token, a refused request, and
// checks each entry's actor, origin, outcome, target and details; then that
// no password or token secret is anywhere in the export, and that the chain
// verifies.
func TestAuditRecordsWhoDidWhat(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db)
		ctx := context.Background()
		admin := inst.MustPasswordUser(t, tc.RoleAdministrator, goodPassword)
		hdr := http.Header{"User-Agent": {"audit-test/1"}}
		jar, _ := cookiejar.New(nil)
		browser := &http.Client{Jar: jar}

		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/auth/login/local", Client: browser, Header: hdr,
			Body: map[string]string{"username": admin.Username, "password": "Wrong-Password-1"}}), 401)
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/auth/login/local", Client: browser, Header: hdr,
			Body: map[string]string{"username": admin.Username, "password": goodPassword}}), 200)
		var tok struct{ ID, Token string }
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/tokens", Client: browser, Header: hdr,
			Body: map[string]any{"description": "ops", "preset": "full-access"}}), 201).JSON(t, &tok)
		viewer := inst.MustUser(t, tc.RoleViewer)
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "PATCH", Path: "/api/users/" + viewer.ID, Token: tok.Token, Header: hdr,
			Body: map[string]any{"role": "manager"}}), 200)
		victim := inst.MustToken(t, admin, tc.AllPermissions...)
		victimID := tokenIDOf(t, inst, victim)
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/tokens/" + victimID + "/revoke", Token: tok.Token, Header: hdr}), 200)
		mgrToken := inst.MustRoleToken(t, tc.RoleManager)
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/users", Token: mgrToken, Header: hdr}), 403)
		apptest.Eventually(t, 5*time.Second, "the refusal recorded", func() bool { // written once answered, in a batch
			inst.Main.FlushAudit(ctx)
			es, _, _ := inst.Store.AuditEntries(ctx, tc.AuditFilter{Outcome: tc.OutcomeDenied, Limit: 1})
			return len(es) > 0
		})

		find := func(action, outcome, target string) tc.AuditEntry {
			t.Helper()
			es, _, err := inst.Store.AuditEntries(ctx, tc.AuditFilter{Action: action, Outcome: outcome, TargetID: target, Limit: 10})
			if err != nil || len(es) != 1 {
				t.Fatalf("%s %s on %q: %d entries, %v; want 1", action, outcome, target, len(es), err)
			}
			return es[0]
		}
		failed := find(tc.ActionLogin, tc.OutcomeFailure, "")
		if failed.TargetName != admin.Username || failed.ActorType != tc.ActorSystem || failed.IPAddress != "127.0.0.1" ||
			failed.UserAgent != "audit-test/1" || !strings.Contains(string(failed.Details), `"reason":"bad_credentials"`) {
			t.Errorf("refused sign-in: %+v", failed)
		}
		login := find(tc.ActionLogin, tc.OutcomeSuccess, admin.ID)
		if login.ActorType != tc.ActorUser || login.ActorID != admin.ID || login.UserAgent != "audit-test/1" {
			t.Errorf("sign-in: %+v", login)
		}
		created := find("token.create", tc.OutcomeSuccess, tok.ID)
		if created.ActorType != tc.ActorUser || created.ActorID != admin.ID || created.TargetName != "ops" ||
			!strings.Contains(string(created.Details), `"preset":"full-access"`) {
			t.Errorf("token created in the session: %+v", created)
		}
		role := find("user.update", tc.OutcomeSuccess, viewer.ID)
		if role.ActorType != tc.ActorToken || role.ActorID != tok.ID || role.ActorUserID != admin.ID ||
			string(role.Details) != `{"role":["viewer","manager"]}` {
			t.Errorf("role change through a token: %+v, details %s", role, role.Details)
		}
		if r := find("token.revoke", tc.OutcomeSuccess, victimID); r.ActorID != tok.ID || r.ActorUserID != admin.ID {
			t.Errorf("revocation: %+v", r)
		}
		denied := find(tc.ActionAccessDenied, tc.OutcomeDenied, "")
		if denied.ActorType != tc.ActorToken || denied.ActorID != tokenIDOf(t, inst, mgrToken) ||
			string(denied.Details) != `{"route":"GET /api/users"}` {
			t.Errorf("refusal: %+v, details %s", denied, denied.Details)
		}

		// No secret anywhere in the log.
		owner := inst.MustSession(t, inst.MustOwner(t))
		export := apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/audit-logger/export", Client: owner}), 200)
		for _, secret := range []string{goodPassword, "Wrong-Password-1", tok.Token, victim, mgrToken, sessionCookie(t, inst, browser)} {
			if secret != "" && strings.Contains(string(export.Body), secret) {
				t.Errorf("the audit export holds a secret %q", secret[:6])
			}
		}
		lines := 0
		sc := bufio.NewScanner(strings.NewReader(string(export.Body)))
		for sc.Scan() {
			var e tc.AuditEntry
			if err := json.Unmarshal(sc.Bytes(), &e); err != nil || e.Hash != e.ComputeHash() {
				t.Fatalf("export line %d: %v %s", lines+1, err, sc.Text())
			}
			lines++
		}
		var v tc.AuditVerification
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/audit-logger/verify", Client: owner}), 200).JSON(t, &v)
		if !v.OK || int(v.Entries) != lines || lines < 8 {
			t.Errorf("verify %+v over %d exported entries", v, lines)
		}
		list := apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/audit-logger?limit=2&page=1", Client: owner}), 200)
		var page []tc.AuditEntry
		list.JSON(t, &page)
		if len(page) != 2 || page[0].Seq != v.LastSeq || list.Header.Get("X-Total-Count") == "" {
			t.Errorf("first page: %d entries, newest %d (last %d), total %q", len(page), page[0].Seq, v.LastSeq, list.Header.Get("X-Total-Count"))
		}
	})
}

func tokenIDOf(t *testing.T, inst *apptest.Instance, secret string) string {
	t.Helper()
	tok, err := inst.Store.TokenByHash(context.Background(), tc.HashSecret(secret))
	if err != nil {
		t.Fatal(err)
	}
	return tok.ID
}

// TestAuditHeartbeatRefusal: a heartbeat refused for want of
// heartbeat:write is a Denied entry naming the token, as on the main
// listener.
func TestAuditHeartbeatRefusal(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db)
		viewer := inst.MustRoleToken(t, tc.RoleViewer)
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: inst.HeartbeatURL + "/agents/heartbeat", Token: viewer,
			Body: `{"id":"a1","version":"1.39.3","status":"OK"}`}), 403)
		var es []tc.AuditEntry
		var err error
		apptest.Eventually(t, 5*time.Second, "the refusal recorded", func() bool { // written once answered, in a batch
			inst.Main.FlushAudit(context.Background())
			es, _, err = inst.Store.AuditEntries(context.Background(), tc.AuditFilter{Outcome: tc.OutcomeDenied, Limit: 10})
			return err != nil || len(es) > 0
		})
		if err != nil || len(es) != 1 || es[0].ActorID != tokenIDOf(t, inst, viewer) || string(es[0].Details) != `{"route":"POST /agents/heartbeat"}` {
			t.Fatalf("Denied entries %+v, %v; want the heartbeat's, naming the token", es, err)
		}
	})
}

// TestAuditRetention: a shorter retention set in the settings removes the
// expired entries at once, and the chain still verifies from the
// checkpoint.
func TestAuditRetention(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db)
		ctx := context.Background()
		admin := inst.MustRoleToken(t, tc.RoleAdministrator)
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/labels", Token: admin,
			Body: map[string]string{"name": "old", "color": "#000000"}}), 201)
		inst.Clock.Advance(40 * 24 * time.Hour)
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "PATCH", Path: "/api/settings", Token: admin,
			Body: map[string]any{"auditLogRetentionHours": 720}}), 200)
		apptest.Eventually(t, 10*time.Second, "the label's entry removed by retention", func() bool {
			es, _, err := inst.Store.AuditEntries(ctx, tc.AuditFilter{Action: "label.create", Limit: 1})
			return err == nil && len(es) == 0
		})
		v, err := inst.Store.VerifyAudit(ctx)
		if err != nil || !v.OK || v.From == 0 {
			t.Fatalf("verify after retention: %+v, %v; want ok from a checkpoint", v, err)
		}
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "PATCH", Path: "/api/settings", Token: admin,
			Body: map[string]any{"auditLogRetentionHours": 100}}), 400)
	})
}
