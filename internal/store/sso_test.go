package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/apptest"
	"github.com/telegrafcontroller/tc/internal/store"
)

// TestSignInExternal walks the provisioning decisions through the store on
// both databases: what each creates, links, changes and refuses, and that
// a refusal writes nothing.
func TestSignInExternal(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		ctx := context.Background()
		s := MustOpen(t, db)
		owner := &tc.User{Username: "owner", Email: "owner@example.org", Role: tc.RoleOwner, PasswordHash: "x"}
		if err := s.CreateUser(ctx, owner); err != nil {
			t.Fatal(err)
		}
		expires := time.Now().Add(time.Hour)
		n := 0
		signIn := func(id tc.ExternalIdentity, p tc.Provisioning) tc.ExternalSignIn {
			t.Helper()
			n++
			out, err := s.SignInExternal(ctx, id, p, tc.HashSecret("session-"+string(rune('a'+n))), expires)
			if err != nil {
				t.Fatalf("sign in %+v: %v", id, err)
			}
			return out
		}
		users := func() int {
			t.Helper()
			us, err := s.ListUsers(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return len(us)
		}
		p := tc.DefaultProvisioning
		alice := tc.ExternalIdentity{Provider: tc.ProviderOIDC, Subject: "sub-alice", Username: "alice", Email: "Alice@Example.org",
			EmailVerified: true, Groups: []string{"managers"}}

		// invite_only without an invite: refused, nothing written.
		if out := signIn(alice, p); out.Decision.Refusal != tc.RefuseNotInvited || out.User != nil || users() != 1 {
			t.Fatalf("uninvited: %+v, %d users", out.Decision, users())
		}
		// An invite for the email through this provider admits, with its role and username.
		inv := &tc.Invite{Username: "alice-invited", Email: "alice@example.org", Role: tc.RoleAdministrator, CreatedBy: owner.ID,
			ExpiresAt: time.Now().Add(time.Hour), TokenHash: tc.HashSecret("inv"), AuthProvider: tc.ProviderOIDC}
		if err := s.CreateInvite(ctx, inv); err != nil {
			t.Fatal(err)
		}
		out := signIn(alice, p)
		if out.Decision.Action != tc.ProvisionCreate || out.User.Role != tc.RoleAdministrator || out.User.Username != "alice-invited" ||
			out.User.AuthProvider != tc.ProviderOIDC || out.User.ExternalID != "sub-alice" {
			t.Fatalf("invited: %+v %+v", out.Decision, out.User)
		}
		if pending, _ := s.ListInvites(ctx); len(pending) != 0 {
			t.Fatalf("the invite is still pending: %+v", pending)
		}
		aliceID := out.User.ID
		tok := &tc.Token{UserID: aliceID, Description: "t", Permissions: []tc.Permission{"configs:read"}, Hash: tc.HashSecret("tok"), Last4: "abcd"}
		if err := s.CreateToken(ctx, tok); err != nil {
			t.Fatal(err)
		}
		// With mappings, groups decide at every sign-in: managers → manager.
		mapped := p
		mapped.GroupMappings = []tc.GroupMapping{{ProviderID: "default", Group: "managers", Role: tc.RoleManager}}
		if out := signIn(alice, mapped); out.Decision.Action != tc.ProvisionSignIn || out.User.Role != tc.RoleManager {
			t.Fatalf("mapped: %+v %+v", out.Decision, out.User)
		}
		// Out of the group: demoted to the default role, viewer, whose tokens go.
		alice.Groups = nil
		if out := signIn(alice, mapped); out.User.Role != tc.RoleViewer || out.Decision.RoleFrom != "default" {
			t.Fatalf("demoted: %+v %+v", out.Decision, out.User)
		}
		if toks, _ := s.Tokens(ctx, store.TokenFilter{UserID: aliceID, Status: tc.TokenActive}); len(toks) != 0 {
			t.Fatalf("a viewer keeps %d active tokens", len(toks))
		}
		// reject on no match refuses and changes nothing.
		rejecting := mapped
		rejecting.OnNoGroupMatch = tc.NoMatchReject
		if out := signIn(alice, rejecting); out.Decision.Refusal != tc.RefuseNoGroupMatch {
			t.Fatalf("reject: %+v", out.Decision)
		}
		if u, _ := s.UserByID(ctx, aliceID); u.Role != tc.RoleViewer {
			t.Fatalf("a refused sign-in changed the role to %s", u.Role)
		}
		// auto_create: a new account, named from the provider, default role.
		auto := p
		auto.Strategy = tc.ProvisionAutoCreate
		bob := tc.ExternalIdentity{Provider: tc.ProviderLDAP, Subject: "bob", Username: "Owner", Email: "bob@example.org", EmailVerified: true}
		out = signIn(bob, auto)
		if out.Decision.Action != tc.ProvisionCreate || out.User.Role != tc.RoleViewer || out.User.Username != "bob" {
			t.Fatalf("auto-created (username Owner is taken, the email's local part is free): %+v %+v", out.Decision, out.User)
		}
		// Auto-link a local account by verified email; never the owner's.
		carol := &tc.User{Username: "carol", Email: "carol@example.org", Role: tc.RoleManager, PasswordHash: "x"}
		if err := s.CreateUser(ctx, carol); err != nil {
			t.Fatal(err)
		}
		linking := auto
		linking.AutoLinkByEmail = true
		out = signIn(tc.ExternalIdentity{Provider: tc.ProviderLDAP, Subject: "carol", Username: "carol", Email: "carol@example.org", EmailVerified: true}, linking)
		if out.Decision.Action != tc.ProvisionLink || out.User.ID != carol.ID || out.User.Role != tc.RoleManager {
			t.Fatalf("link: %+v %+v", out.Decision, out.User)
		}
		if u, _ := s.UserByID(ctx, carol.ID); u.AuthProvider != tc.ProviderLDAP || u.ExternalID != "carol" {
			t.Fatalf("linked account %+v", u)
		}
		out = signIn(tc.ExternalIdentity{Provider: tc.ProviderLDAP, Subject: "mallory", Username: "owner2", Email: "owner@example.org", EmailVerified: true}, linking)
		if out.Decision.Refusal != tc.RefuseOwnerLink {
			t.Fatalf("owner link: %+v", out.Decision)
		}
		// The owner is linked at start-up instead, and signs in through the provider as owner.
		if err := s.LinkOwner(ctx, tc.ProviderOIDC, "sub-owner"); err != nil {
			t.Fatal(err)
		}
		out = signIn(tc.ExternalIdentity{Provider: tc.ProviderOIDC, Subject: "sub-owner", Email: "owner@example.org", EmailVerified: true}, rejecting)
		if out.Decision.Action != tc.ProvisionSignIn || out.User.ID != owner.ID || out.User.Role != tc.RoleOwner {
			t.Fatalf("owner: %+v %+v", out.Decision, out.User)
		}
		if err := s.LinkOwner(ctx, tc.ProviderOIDC, "sub-alice"); tc.ErrorCode(err) != tc.ECONFLICT {
			t.Fatalf("linking the owner to alice's identity: %v", err)
		}
	})
}
