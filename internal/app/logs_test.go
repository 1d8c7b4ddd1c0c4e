package app_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/apptest"
	"github.com/telegrafcontroller/tc/internal/store"
)

// TestFailureLogsNameRouteNotPath: a 5xx on a one-time link's route is
// logged under the route pattern; the link's secret, which is in the path,
// never reaches the log. The store is broken by renaming the links' tables,
// so every lookup fails with an internal error.
func TestFailureLogsNameRouteNotPath(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db)
		_, invite := inst.MustInvite(t, tc.RoleViewer, time.Hour)
		reset := inst.MustPasswordReset(t, inst.MustUser(t, tc.RoleViewer), time.Hour)
		err := inst.Store.WithTx(context.Background(), func(tx *store.Tx) error {
			for _, q := range []string{"ALTER TABLE invites RENAME TO invites_gone", "ALTER TABLE password_resets RENAME TO password_resets_gone"} {
				if _, err := tx.Exec(q); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		body := map[string]string{"password": "Fresh-Password-88"}
		for _, c := range []struct {
			method, path string
			body         any
			route        string
		}{
			{"GET", "/api/invites/" + invite, nil, "GET /api/invites/{invite}"},
			{"POST", "/api/invites/" + invite + "/accept", body, "POST /api/invites/{token}/accept"},
			{"GET", "/api/password-resets/" + reset, nil, "GET /api/password-resets/{token}"},
			{"POST", "/api/password-resets/" + reset, body, "POST /api/password-resets/{token}"},
			// The UI's pages for the links read through the user service
			// and log their failure under their own route.
			{"GET", "/invite/" + invite, nil, "GET /invite/{token}"},
			{"GET", "/reset-password/" + reset, nil, "GET /reset-password/{token}"},
		} {
			before := len(inst.Logs.String())
			r := inst.Do(t, apptest.Req{Method: c.method, Path: c.path, Body: c.body})
			if r.StatusCode < 500 && !strings.HasPrefix(c.path, "/invite/") && !strings.HasPrefix(c.path, "/reset-password/") {
				t.Errorf("%s %s: status %d, want a 5xx from the broken store", c.method, c.path, r.StatusCode)
			}
			failed := "request failed"
			if !strings.HasPrefix(c.path, "/api/") {
				failed = "render page" // the UI's error boundary (web.Handler.fail)
			}
			logged := grepLines(inst.Logs.String()[before:], failed)
			if !strings.Contains(logged, `route="`+c.route+`"`) {
				t.Errorf("%s %s: log lacks the failure under route %q:\n%s", c.method, c.path, c.route, logged)
			}
		}
		logs := inst.Logs.String()
		for _, secret := range []string{invite, reset} {
			if strings.Contains(logs, secret) {
				t.Errorf("logs hold the one-time secret %q:\n%s", secret, grepLines(logs, secret))
			}
		}
	})
}

// TestTokenActionsLogTokenID: an action taken with an API token is logged
// under its owner and the token; one taken in a session under the user only.
func TestTokenActionsLogTokenID(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db, apptest.WithArgs("--log-format", "json"))
		owner := inst.MustOwner(t)
		secret := inst.MustToken(t, owner)
		tok, err := inst.Store.TokenByHash(context.Background(), tc.HashSecret(secret))
		if err != nil {
			t.Fatal(err)
		}
		session := inst.MustSession(t, owner)
		victim := inst.MustUser(t, tc.RoleViewer)
		other := inst.MustUser(t, tc.RoleViewer)

		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/invites", Token: secret,
			Body: map[string]string{"username": uniq("invitee"), "email": uniq("invitee") + "@example.test", "role": "viewer"}}), 201)
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/users/" + victim.ID + "/password-reset", Token: secret}), 201)
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "PATCH", Path: "/api/users/" + victim.ID, Token: secret, Body: map[string]any{"disabled": true}}), 200)
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "DELETE", Path: "/api/users/" + victim.ID, Token: secret}), 204)
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "DELETE", Path: "/api/users/" + other.ID, Client: session}), 204)

		lines := map[string][]map[string]any{}
		for _, line := range strings.Split(strings.TrimSpace(inst.Logs.String()), "\n") {
			var rec map[string]any
			if err := json.Unmarshal([]byte(line), &rec); err != nil {
				t.Fatalf("log line %q: %v", line, err)
			}
			msg, _ := rec["msg"].(string)
			lines[msg] = append(lines[msg], rec)
		}
		for _, msg := range []string{"invite created", "password reset link created", "user changed", "user deleted"} {
			if len(lines[msg]) == 0 {
				t.Errorf("no %q line", msg)
				continue
			}
			if rec := lines[msg][0]; rec["by"] != owner.ID || rec["by_token_id"] != tok.ID {
				t.Errorf("%q logged by=%v by_token_id=%v; want by=%s by_token_id=%s", msg, rec["by"], rec["by_token_id"], owner.ID, tok.ID)
			}
		}
		if d := lines["user deleted"]; len(d) != 2 {
			t.Errorf("%d \"user deleted\" lines, want 2", len(d))
		} else if d[1]["user_id"] != other.ID || d[1]["by"] != owner.ID || d[1]["by_token_id"] != nil {
			t.Errorf("session-made deletion logged %v; want user_id=%s by=%s and no by_token_id", d[1], other.ID, owner.ID)
		}
	})
}
