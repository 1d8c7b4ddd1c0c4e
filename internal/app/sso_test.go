package app_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/app"
	"github.com/telegrafcontroller/tc/internal/apptest"
)

// ldapArgs are the options of a controller signing in against d.
func ldapArgs(d *apptest.Slapd, extra ...string) apptest.Option {
	return apptest.WithArgs(append([]string{"--auth-ldap-enabled", "--auth-ldap-url", d.LDAPSURL, "--auth-ldap-ca-cert-path", d.CAFile,
		"--auth-ldap-bind-dn", d.BindDN, "--auth-ldap-bind-password", d.BindPassword, "--auth-ldap-user-search-base", d.Base,
		"--auth-ldap-attr-username", "uid"}, extra...)...)
}

// TestLDAPSignIn drives LDAP sign-in through the controller's API against a
// real slapd over ldaps, on both databases: provisioning by the owner's
// settings, a group mapping giving manager, a changed group demoting at the
// next sign-in (its tokens narrowed to none: a viewer holds none), reject on
// no match, wrong password, injection, a directory that is down, and a
// directory account that never signs in with a local password.
func TestLDAPSignIn(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		dir := apptest.StartSlapd(t)
		inst := apptest.MustStart(t, db, ldapArgs(dir))
		owner := inst.MustSession(t, inst.MustOwner(t))
		admin := inst.MustSession(t, inst.MustUser(t, tc.RoleAdministrator))
		login := func(user, password string) (*apptest.Response, *http.Client) {
			t.Helper()
			c := apptest.NewSessionClient()
			return inst.Do(t, apptest.Req{Method: "POST", Path: "/api/auth/login/ldap", Client: c,
				Body: map[string]string{"username": user, "password": password}}), c
		}
		st := apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/auth/status"}), 200).Map(t)
		if ps, _ := st["providers"].([]any); len(ps) != 2 || ps[0] != "local" || ps[1] != "ldap" {
			t.Fatalf("providers = %v, want [local ldap]", st["providers"])
		}
		// invite_only by default: alice has no invite.
		r, _ := login("alice", "alice-secret")
		apptest.MustStatus(t, r, 403)
		if !strings.Contains(r.Map(t)["message"].(string), "invite") {
			t.Fatalf("uninvited: %s", r.Body)
		}
		// Only the owner changes provisioning.
		prov := tc.DefaultProvisioning
		prov.Strategy = tc.ProvisionAutoCreate
		prov.GroupMappings = []tc.GroupMapping{{Group: apptest.GroupDN("managers"), Role: tc.RoleManager},
			{Group: apptest.GroupDN("staff"), Role: tc.RoleViewer}}
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "PATCH", Path: "/api/auth/settings", Client: admin, Body: map[string]any{"ldap": prov}}), 403)
		got := apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "PATCH", Path: "/api/auth/settings", Client: owner, Body: map[string]any{"ldap": prov}}), 200).Map(t)
		ldapSet := got["ldap"].(map[string]any)
		if ldapSet["connected"] != true || ldapSet["provisioning"].(map[string]any)["provisioningStrategy"] != "auto_create" {
			t.Fatalf("ldap settings = %v", ldapSet)
		}
		if strings.Contains(string(inst.Do(t, apptest.Req{Method: "GET", Path: "/api/auth/settings", Client: owner}).Body), dir.BindPassword) {
			t.Fatal("the settings show the bind password")
		}
		// alice: managers and staff → manager (the highest).
		r, alice := login("alice", "alice-secret")
		me := apptest.MustStatus(t, r, 200).Map(t)
		if me["role"] != "manager" {
			t.Fatalf("alice signed in as %v, want manager", me["role"])
		}
		u := me["user"].(map[string]any)
		if u["authProvider"] != "ldap" || u["externalId"] != "alice" || u["email"] != "alice@example.org" {
			t.Fatalf("alice's account: %v", u)
		}
		aliceID := u["id"].(string)
		tok := apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/tokens", Client: alice,
			Body: map[string]any{"description": "alice's", "permissions": []string{"configs:read"}}}), 201).Map(t)
		// Out of managers: the next sign-in demotes her to viewer; her
		// other sessions end and her token is revoked, as by hand.
		dir.SetGroups(t, "alice", "staff")
		r, _ = login("alice", "alice-secret")
		if me := apptest.MustStatus(t, r, 200).Map(t); me["role"] != "viewer" {
			t.Fatalf("after leaving managers alice is %v, want viewer", me["role"])
		}
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/auth/me", Client: alice}), 401)
		if g := apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/tokens/" + tok["id"].(string), Client: owner}), 200).Map(t); g["status"] != "revoked" {
			t.Fatalf("the demoted user's token is %v", g["status"])
		}
		// carol is in no mapped group: the default role; with reject, refused.
		r, _ = login("carol", "carol-secret")
		if me := apptest.MustStatus(t, r, 200).Map(t); me["role"] != "viewer" {
			t.Fatalf("carol is %v, want the default viewer", me["role"])
		}
		prov.OnNoGroupMatch = tc.NoMatchReject
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "PATCH", Path: "/api/auth/settings", Client: owner, Body: map[string]any{"ldap": prov}}), 200)
		r, _ = login("carol", "carol-secret")
		apptest.MustStatus(t, r, 403)
		// Wrong password, unknown user, injection: one answer.
		for _, c := range [][2]string{{"alice", "wrong"}, {"nobody", "alice-secret"}, {"*", "alice-secret"}, {"a*)(uid=*", "alice-secret"}} {
			r, _ := login(c[0], c[1])
			if apptest.MustStatus(t, r, 401).Map(t)["message"] != "Invalid username or password" {
				t.Fatalf("%q: %s", c[0], r.Body)
			}
		}
		// A directory account never signs in with a local password, even
		// one set through a reset link.
		link := inst.MustPasswordReset(t, &tc.User{ID: aliceID}, time.Hour)
		apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/password-resets/" + link, Body: map[string]string{"password": goodPassword}}), 204)
		r = inst.Do(t, apptest.Req{Method: "POST", Path: "/api/auth/login/local", Client: apptest.NewSessionClient(),
			Body: map[string]string{"username": "alice", "password": goodPassword}})
		apptest.MustStatus(t, r, 401)
		// Down: a clear 503, never a local fall-back.
		dir.Stop()
		r, _ = login("alice", "alice-secret")
		if apptest.MustStatus(t, r, 503).Map(t)["error"] != "unavailable" {
			t.Fatalf("directory down: %s", r.Body)
		}
		if ldapSet := apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/auth/settings", Client: owner}), 200).Map(t)["ldap"].(map[string]any); ldapSet["connected"] != false {
			t.Fatalf("with the directory down the settings say %v", ldapSet)
		}
		// Every refusal and the provisioning decisions are in the audit log.
		inst.Main.FlushAudit(context.Background())
		entries, _, err := inst.Store.AuditEntries(context.Background(), tc.AuditFilter{Action: tc.ActionLogin, Outcome: tc.OutcomeFailure, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		reasons := map[string]bool{}
		for _, e := range entries {
			for _, want := range []string{"not_invited", "no_group_match", "bad_credentials", "provider_unavailable"} {
				if strings.Contains(string(e.Details), `"`+want+`"`) {
					reasons[want] = true
				}
			}
			if strings.Contains(string(e.Details), "secret") {
				t.Fatalf("an audit entry holds a password: %+v", e)
			}
		}
		if len(reasons) != 4 {
			t.Fatalf("refusal reasons in the audit log: %v", reasons)
		}
		if strings.Contains(inst.Logs.String(), "alice-secret") || strings.Contains(inst.Logs.String(), dir.BindPassword) {
			t.Fatal("a password reached the logs")
		}
	})
}

// TestLocalSignInOff: AUTH_LOCAL_ENABLED=false needs the owner linked to an
// enabled provider (a one-line start-up error otherwise); then local
// sign-in and setup answer 403, the status lists no local provider, and the
// owner signs in through LDAP, as owner whatever the group mappings say.
func TestLocalSignInOff(t *testing.T) {
	dir := apptest.StartSlapd(t)
	db := apptest.DB{Name: "sqlite"}
	m := app.NewMain()
	m.Getenv = func(string) string { return "" }
	m.LogOutput = io.Discard
	cfg, err := app.ParseConfig([]string{"--port", "0", "--heartbeat-port", "0", "--bind", "127.0.0.1", "--drain-period", "0",
		"--data-dir", t.TempDir(), "--auth-local-enabled=false"}, m.Getenv, nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	m.Config = cfg
	err = m.Run(context.Background())
	m.Close()
	if err == nil || !strings.Contains(err.Error(), "AUTH_LOCAL_ENABLED=false needs") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("local sign-in off without a linked owner: err = %v", err)
	}

	inst := apptest.MustStart(t, db, ldapArgs(dir, "--auth-local-enabled=false", "--owner-username", "root", "--owner-email", "root@example.org",
		"--owner-password", goodPassword, "--owner-auth-provider", "ldap", "--owner-external-id", "alice"))
	st := apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/auth/status"}), 200).Map(t)
	if ps, _ := st["providers"].([]any); len(ps) != 1 || ps[0] != "ldap" {
		t.Fatalf("providers = %v, want [ldap]", st["providers"])
	}
	apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/auth/login/local",
		Body: map[string]string{"username": "root", "password": goodPassword}}), 403)
	apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "POST", Path: "/api/auth/setup",
		Body: map[string]string{"username": "late", "email": "late@example.org", "password": goodPassword}}), 403)
	prov := tc.DefaultProvisioning
	prov.OnNoGroupMatch = tc.NoMatchReject
	prov.GroupMappings = []tc.GroupMapping{{Group: apptest.GroupDN("nobody-is-here"), Role: tc.RoleViewer}}
	if _, err := inst.Store.UpdateSettings(context.Background(), func(s *tc.Settings) { s.LDAP = prov }); err != nil {
		t.Fatal(err)
	}
	r := inst.Do(t, apptest.Req{Method: "POST", Path: "/api/auth/login/ldap", Client: apptest.NewSessionClient(),
		Body: map[string]string{"username": "alice", "password": "alice-secret"}})
	if me := apptest.MustStatus(t, r, 200).Map(t); me["role"] != "owner" || me["user"].(map[string]any)["username"] != "root" {
		t.Fatalf("the linked owner signed in as %v", me)
	}
}
