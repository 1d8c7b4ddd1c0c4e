package app_test

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/apptest"
)

// commonPassword is on the embedded common-password list, and long and
// varied enough to pass the composition rules of the medium level.
const commonPassword = "Password123"

const tooCommon = "This password is too common; choose another"

// TestDefaultPasswordComplexityIsLow: with no PASSWORD_COMPLEXITY the
// setting starts at low, as upstream's does, so the documentation's
// example passwords are accepted.
func TestDefaultPasswordComplexityIsLow(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db)
		if got := apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/auth/status"}), 200).Map(t)["passwordComplexity"]; got != "low" {
			t.Errorf("auth status passwordComplexity = %v, want low", got)
		}
		owner := inst.MustSession(t, inst.MustOwner(t))
		if got := apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/settings", Client: owner}), 200).Map(t)["passwordComplexity"]; got != "low" {
			t.Errorf("settings passwordComplexity = %v, want low", got)
		}
		_, token := inst.MustInvite(t, tc.RoleViewer, time.Hour)
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/invites/" + token + "/accept", Body: map[string]string{"password": "secure-password-here"}}), 201)
	})
}

// TestCommonPasswordsRefused: every place a password is set refuses a
// common one, at every level, with a field error that does not repeat it.
func TestCommonPasswordsRefused(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		for _, level := range []string{"low", "medium"} {
			t.Run(level, func(t *testing.T) {
				inst := apptest.MustStart(t, db, apptest.WithEnv(map[string]string{"PASSWORD_COMPLEXITY": level}), apptest.WithArgs())
				refused := func(r *apptest.Response, field string) {
					t.Helper()
					apptest.MustStatus(t, r, 400)
					m := r.Map(t)
					if m["error"] != "invalid" || m["field"] != field || m["message"] != tooCommon {
						t.Errorf("%s %s: answer = %s, want invalid %s: %s", r.Request.Method, r.Request.URL.Path, r.Body, field, tooCommon)
					}
					if strings.Contains(string(r.Body), commonPassword) {
						t.Errorf("%s %s: answer repeats the password: %s", r.Request.Method, r.Request.URL.Path, r.Body)
					}
				}
				// Setup, before any owner exists.
				refused(inst.Do(t, apptest.Req{Method: "POST", Path: "/api/auth/setup", Body: map[string]string{"username": "first", "email": "first@example.test", "password": commonPassword}}), "password")
				// Invite acceptance, in any case; the invite stays usable.
				_, token := inst.MustInvite(t, tc.RoleViewer, time.Hour)
				for _, p := range []string{commonPassword, strings.ToUpper(commonPassword)} {
					refused(inst.Do(t, apptest.Req{Method: "POST", Path: "/api/invites/" + token + "/accept", Body: map[string]string{"password": p}}), "password")
				}
				apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/invites/" + token + "/accept", Body: map[string]string{"password": goodPassword}}), 201)
				// Password reset.
				u := inst.MustPasswordUser(t, tc.RoleViewer, goodPassword)
				reset := inst.MustPasswordReset(t, u, time.Hour)
				refused(inst.Do(t, apptest.Req{Method: "POST", Path: "/api/password-resets/" + reset, Body: map[string]string{"password": commonPassword}}), "password")
				// Account password change.
				here := apptest.NewSessionClient()
				apptest.MustStatus(t, login(t, inst, here, u.Username, goodPassword), 200)
				refused(inst.Do(t, apptest.Req{Method: "POST", Path: "/api/account/password", Client: here, Body: map[string]string{"currentPassword": goodPassword, "newPassword": commonPassword}}), "newPassword")
				if strings.Contains(inst.Logs.String(), commonPassword) {
					t.Error("logs contain the refused password")
				}
			})
		}
	})
}

// TestOwnerBootstrapPasswords starts the real Main with the documentation's
// bootstrap passwords (README.md, docs/), which must work with the default
// settings, and with a common one, which must not, neither at first start
// nor through RESET_OWNER_PASSWORD.
func TestOwnerBootstrapPasswords(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		ctx := context.Background()
		for _, password := range []string{"ChangeMeOnFirstLogin!", "secure-password-here"} {
			dsn := apptest.NewDSN(t, db)
			m, err := startOn(t, dsn, map[string]string{"OWNER_USERNAME": "admin", "OWNER_EMAIL": "admin@example.test", "OWNER_PASSWORD": password}, io.Discard)
			if err != nil {
				t.Fatalf("OWNER_PASSWORD=%q: start: %v", password, err)
			}
			o, err := m.Store.Owner(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if ok, _ := m.Passwords.Verify(o.PasswordHash, password); !ok {
				t.Fatalf("OWNER_PASSWORD=%q: owner password does not match", password)
			}
			m.Close()

			// A common password is refused by RESET_OWNER_PASSWORD too.
			_, err = startOn(t, dsn, map[string]string{"OWNER_PASSWORD": commonPassword, "RESET_OWNER_PASSWORD": "true"}, io.Discard)
			if err == nil || !strings.Contains(err.Error(), "too common") || strings.Contains(err.Error(), commonPassword) {
				t.Fatalf("RESET_OWNER_PASSWORD with a common password: err = %v, want too common, without the password", err)
			}
		}
		_, err := startOn(t, apptest.NewDSN(t, db), map[string]string{"OWNER_USERNAME": "admin", "OWNER_EMAIL": "admin@example.test", "OWNER_PASSWORD": commonPassword}, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "too common") || strings.Contains(err.Error(), commonPassword) || strings.Contains(err.Error(), "\n") {
			t.Fatalf("OWNER_PASSWORD common: err = %v, want one line saying too common, without the password", err)
		}
	})
}
