package tc_test

import (
	"testing"

	"github.com/telegrafcontroller/tc"
)

func TestProvision(t *testing.T) {
	base := tc.DefaultProvisioning
	mapped := base
	mapped.GroupMappings = []tc.GroupMapping{{ProviderID: "default", Group: "staff", Role: tc.RoleViewer},
		{ProviderID: "default", Group: "Managers", Role: tc.RoleManager}}
	rejecting := mapped
	rejecting.OnNoGroupMatch = tc.NoMatchReject
	auto := base
	auto.Strategy = tc.ProvisionAutoCreate
	domain := base
	domain.Strategy, domain.AllowedDomains = tc.ProvisionDomainRestricted, []string{"example.org"}
	linking := base
	linking.AutoLinkByEmail = true

	who := tc.ExternalIdentity{Provider: tc.ProviderOIDC, Subject: "s1", Username: "alice", Email: "alice@example.org", EmailVerified: true}
	unverified := who
	unverified.EmailVerified = false
	inGroups := func(groups ...string) tc.ExternalIdentity { id := who; id.Groups = groups; return id }
	admin := &tc.User{ID: "u1", Role: tc.RoleAdministrator, AuthProvider: tc.ProviderOIDC}
	local := &tc.User{ID: "u2", Role: tc.RoleManager, AuthProvider: tc.ProviderLocal}
	owner := &tc.User{ID: "u0", Role: tc.RoleOwner, AuthProvider: tc.ProviderLocal}
	linkedOwner := &tc.User{ID: "u0", Role: tc.RoleOwner, AuthProvider: tc.ProviderOIDC}
	disabled := &tc.User{ID: "u3", Role: tc.RoleViewer, AuthProvider: tc.ProviderOIDC, Disabled: true}
	invite := &tc.Invite{Role: tc.RoleAdministrator, AuthProvider: tc.ProviderOIDC}

	cases := []struct {
		name    string
		p       tc.Provisioning
		id      tc.ExternalIdentity
		c       tc.ProvisionCandidates
		action  tc.ProvisionAction
		role    tc.Role
		refusal string
	}{
		{"linked, no mappings: keeps its role", base, who, tc.ProvisionCandidates{Linked: admin}, tc.ProvisionSignIn, tc.RoleAdministrator, ""},
		{"linked, groups demote", mapped, inGroups("staff"), tc.ProvisionCandidates{Linked: admin}, tc.ProvisionSignIn, tc.RoleViewer, ""},
		{"linked, highest group wins, names case-blind", mapped, inGroups("staff", "managers"), tc.ProvisionCandidates{Linked: admin}, tc.ProvisionSignIn, tc.RoleManager, ""},
		{"linked, no match: default role", mapped, inGroups("other"), tc.ProvisionCandidates{Linked: admin}, tc.ProvisionSignIn, tc.RoleViewer, ""},
		{"linked, no match: reject", rejecting, inGroups("other"), tc.ProvisionCandidates{Linked: admin}, "", "", tc.RefuseNoGroupMatch},
		{"linked owner: no mapping touches it", rejecting, inGroups("staff"), tc.ProvisionCandidates{Linked: linkedOwner}, tc.ProvisionSignIn, tc.RoleOwner, ""},
		{"linked but disabled", auto, who, tc.ProvisionCandidates{Linked: disabled}, "", "", tc.RefuseDisabled},
		{"no email", auto, tc.ExternalIdentity{Provider: tc.ProviderOIDC, Subject: "s9"}, tc.ProvisionCandidates{}, "", "", tc.RefuseNoEmail},
		{"email taken, no auto-link", auto, who, tc.ProvisionCandidates{ByEmail: local}, "", "", tc.RefuseEmailTaken},
		{"auto-link a local account", linking, who, tc.ProvisionCandidates{ByEmail: local}, tc.ProvisionLink, tc.RoleManager, ""},
		{"auto-link needs a verified email", linking, unverified, tc.ProvisionCandidates{ByEmail: local}, "", "", tc.RefuseEmailUnverified},
		{"never auto-link the owner", linking, who, tc.ProvisionCandidates{ByEmail: owner}, "", "", tc.RefuseOwnerLink},
		{"never auto-link another provider's account", linking, who, tc.ProvisionCandidates{ByEmail: admin}, "", "", tc.RefuseEmailTaken},
		{"invite only, not invited", base, who, tc.ProvisionCandidates{}, "", "", tc.RefuseNotInvited},
		{"invite only, invited: the invite's role", base, who, tc.ProvisionCandidates{Invite: invite}, tc.ProvisionCreate, tc.RoleAdministrator, ""},
		{"invited, groups decide when mapped", mapped, inGroups("managers"), tc.ProvisionCandidates{Invite: invite}, tc.ProvisionCreate, tc.RoleManager, ""},
		{"domain restricted, in domain", domain, who, tc.ProvisionCandidates{}, tc.ProvisionCreate, tc.RoleViewer, ""},
		{"domain restricted, unverified", domain, unverified, tc.ProvisionCandidates{}, "", "", tc.RefuseEmailUnverified},
		{"domain restricted, other domain", domain, tc.ExternalIdentity{Subject: "s2", Email: "eve@evil.example", EmailVerified: true}, tc.ProvisionCandidates{}, "", "", tc.RefuseDomain},
		{"domain restricted, look-alike suffix", domain, tc.ExternalIdentity{Subject: "s2", Email: "eve@notexample.org", EmailVerified: true}, tc.ProvisionCandidates{}, "", "", tc.RefuseDomain},
		{"auto create: default role", auto, who, tc.ProvisionCandidates{}, tc.ProvisionCreate, tc.RoleViewer, ""},
	}
	for _, c := range cases {
		d := c.p.Provision(c.id, c.c)
		if d.Action != c.action || d.Role != c.role || d.Refusal != c.refusal {
			t.Errorf("%s: got %+v, want action %q role %q refusal %q", c.name, d, c.action, c.role, c.refusal)
		}
		if d.Refused() && tc.RefusalMessage(d.Refusal) == "Sign-in refused" {
			t.Errorf("%s: refusal %q has no message", c.name, d.Refusal)
		}
	}
}

func TestProvisioningValidate(t *testing.T) {
	ok := tc.DefaultProvisioning
	if err := ok.Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	bad := map[string]func(p *tc.Provisioning){
		"provisioningStrategy": func(p *tc.Provisioning) { p.Strategy = "everyone" },
		"defaultRole":          func(p *tc.Provisioning) { p.DefaultRole = tc.RoleOwner },
		"onNoGroupMatch":       func(p *tc.Provisioning) { p.OnNoGroupMatch = "shrug" },
		"allowedDomains": func(p *tc.Provisioning) {
			p.Strategy, p.AllowedDomains = tc.ProvisionDomainRestricted, nil
		},
		"groupMappings": func(p *tc.Provisioning) {
			p.GroupMappings = []tc.GroupMapping{{Group: "admins", Role: tc.RoleOwner}}
		},
	}
	for field, change := range bad {
		p := tc.DefaultProvisioning
		p.AllowedDomains, p.GroupMappings = nil, nil
		change(&p)
		p.Normalize()
		err := p.Validate()
		if e, _ := err.(*tc.Error); e == nil || e.Field != field {
			t.Errorf("%s: err = %v, want a field error on it", field, err)
		}
	}
	p := tc.Provisioning{Strategy: tc.ProvisionDomainRestricted, DefaultRole: tc.RoleViewer, OnNoGroupMatch: tc.NoMatchReject,
		AllowedDomains: []string{" @Example.ORG "}, GroupMappings: []tc.GroupMapping{{Group: " CN=Admins,DC=corp ", Role: tc.RoleAdministrator}}}
	p.Normalize()
	if err := p.Validate(); err != nil || p.AllowedDomains[0] != "example.org" || p.GroupMappings[0].ProviderID != "default" ||
		p.GroupMappings[0].Group != "CN=Admins,DC=corp" {
		t.Errorf("normalized %+v: %v", p, err)
	}
	if r, ok := p.MappedRole([]string{"cn=admins,dc=corp"}); !ok || r != tc.RoleAdministrator {
		t.Errorf("an AD DN in another case: %q %v", r, ok)
	}
}
