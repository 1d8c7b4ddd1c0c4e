package tc

import (
	"slices"
	"strings"
	"time"
)

// AuthProvider names where a user signs in: the controller's own passwords
// or an external identity provider.
type AuthProvider string

const (
	ProviderLocal AuthProvider = "local"
	ProviderLDAP  AuthProvider = "ldap"
	ProviderOIDC  AuthProvider = "oidc"
)

// Valid reports whether p is a known provider.
func (p AuthProvider) Valid() bool {
	return p == ProviderLocal || p == ProviderLDAP || p == ProviderOIDC
}

// External reports whether p is an external identity provider.
func (p AuthProvider) External() bool { return p == ProviderLDAP || p == ProviderOIDC }

// ExternalIdentity is a person an external provider has just vouched for:
// an LDAP bind as the user, or a verified OIDC ID token.
type ExternalIdentity struct {
	Provider AuthProvider
	// Subject is the provider's stable name for the person: the OIDC `sub`
	// claim; for LDAP, the value of the username attribute, lower-cased.
	Subject       string
	Username      string
	Email         string
	EmailVerified bool // LDAP: the directory is the organisation's own, so true
	DisplayName   string
	Groups        []string // group names (OIDC claim) or DNs (LDAP memberOf)
}

// ProvisioningStrategy decides who an external provider may bring in
// without an account.
type ProvisioningStrategy string

const (
	// ProvisionInviteOnly admits only people with a pending invite for
	// their email and this provider.
	ProvisionInviteOnly ProvisioningStrategy = "invite_only"
	// ProvisionDomainRestricted also admits emails in the allowed domains.
	ProvisionDomainRestricted ProvisioningStrategy = "domain_restricted"
	// ProvisionAutoCreate admits anyone the provider vouches for.
	ProvisionAutoCreate ProvisioningStrategy = "auto_create"
)

// NoGroupMatch is what happens when a provider has group mappings and none
// matches the person's groups.
type NoGroupMatch string

const (
	NoMatchDefaultRole NoGroupMatch = "use_default_role"
	NoMatchReject      NoGroupMatch = "reject"
)

// GroupMapping gives a role to the members of a group. ProviderID names
// one of several directories of a kind; there is one, "default".
type GroupMapping struct {
	ProviderID string `json:"providerId"`
	Group      string `json:"group"`
	Role       Role   `json:"role"`
}

// Provisioning is a provider's runtime settings (the owner edits them).
type Provisioning struct {
	Strategy       ProvisioningStrategy `json:"provisioningStrategy"`
	DefaultRole    Role                 `json:"defaultRole"`
	AllowedDomains []string             `json:"allowedDomains"`
	// AutoLinkByEmail links a person to an existing local account with
	// the same email (verified, for OIDC); never to the owner's.
	AutoLinkByEmail bool           `json:"autoLinkByEmail"`
	OnNoGroupMatch  NoGroupMatch   `json:"onNoGroupMatch"`
	GroupMappings   []GroupMapping `json:"groupMappings"`
	// OIDC only: the sign-in button's name and the claim holding groups
	// (empty: the environment's).
	DisplayName string `json:"displayName,omitempty"`
	GroupsClaim string `json:"groupsClaim,omitempty"`
}

// DefaultProvisioning is a provider's settings until the owner edits them.
var DefaultProvisioning = Provisioning{Strategy: ProvisionInviteOnly, DefaultRole: RoleViewer,
	AllowedDomains: []string{}, OnNoGroupMatch: NoMatchDefaultRole, GroupMappings: []GroupMapping{}}

// Limits on provisioning settings.
const (
	MaxGroupMappings  = 500
	MaxAllowedDomains = 100
	MaxGroupLen       = 1024
)

// Normalize trims and lower-cases domains and trims group names, so that
// stored settings compare as they match.
func (p *Provisioning) Normalize() {
	if p.AllowedDomains == nil {
		p.AllowedDomains = []string{}
	}
	if p.GroupMappings == nil {
		p.GroupMappings = []GroupMapping{}
	}
	for i, d := range p.AllowedDomains {
		p.AllowedDomains[i] = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(d), "@"))
	}
	for i := range p.GroupMappings {
		m := &p.GroupMappings[i]
		m.Group = strings.TrimSpace(m.Group)
		if m.ProviderID = strings.TrimSpace(m.ProviderID); m.ProviderID == "" {
			m.ProviderID = "default"
		}
	}
	p.DisplayName, p.GroupsClaim = strings.TrimSpace(p.DisplayName), strings.TrimSpace(p.GroupsClaim)
}

// Validate checks every field, naming the first bad one. A mapping never
// gives the owner role.
func (p Provisioning) Validate() error {
	switch p.Strategy {
	case ProvisionInviteOnly, ProvisionDomainRestricted, ProvisionAutoCreate:
	default:
		return FieldErrorf("provisioningStrategy", "Provisioning strategy must be invite_only, domain_restricted or auto_create")
	}
	if !p.DefaultRole.Valid() || p.DefaultRole == RoleOwner {
		return FieldErrorf("defaultRole", "Default role must be administrator, manager or viewer")
	}
	if p.OnNoGroupMatch != NoMatchDefaultRole && p.OnNoGroupMatch != NoMatchReject {
		return FieldErrorf("onNoGroupMatch", "On no group match must be use_default_role or reject")
	}
	if len(p.AllowedDomains) > MaxAllowedDomains {
		return FieldErrorf("allowedDomains", "At most %d allowed domains", MaxAllowedDomains)
	}
	for _, d := range p.AllowedDomains {
		if d == "" || strings.ContainsAny(d, "@ /,") || !strings.Contains(d, ".") || len(d) > 253 {
			return FieldErrorf("allowedDomains", "%q is not a domain name", d)
		}
	}
	if p.Strategy == ProvisionDomainRestricted && len(p.AllowedDomains) == 0 {
		return FieldErrorf("allowedDomains", "Domain-restricted provisioning needs at least one allowed domain")
	}
	if len(p.GroupMappings) > MaxGroupMappings {
		return FieldErrorf("groupMappings", "At most %d group mappings", MaxGroupMappings)
	}
	for _, m := range p.GroupMappings {
		if m.Group == "" || len(m.Group) > MaxGroupLen {
			return FieldErrorf("groupMappings", "A group mapping needs a group name of at most %d characters", MaxGroupLen)
		}
		if !m.Role.Valid() || m.Role == RoleOwner {
			return FieldErrorf("groupMappings", "A group mapping gives administrator, manager or viewer, not %q", m.Role)
		}
	}
	if len(p.DisplayName) > 100 || len(p.GroupsClaim) > 200 {
		return FieldErrorf("displayName", "Display name must be at most 100 characters, groups claim at most 200")
	}
	return nil
}

// MappedRole returns the highest role the mappings give to groups, and
// whether any matched. Group names compare without regard to case (LDAP DNs
// and most directories' names are case-insensitive).
func (p Provisioning) MappedRole(groups []string) (Role, bool) {
	var best Role
	for _, m := range p.GroupMappings {
		if m.Role == RoleOwner {
			continue
		}
		if slices.ContainsFunc(groups, func(g string) bool { return strings.EqualFold(strings.TrimSpace(g), m.Group) }) &&
			(best == "" || m.Role.Rank() > best.Rank()) {
			best = m.Role
		}
	}
	return best, best != ""
}

// ProvisionAction is what a sign-in through an external provider does.
type ProvisionAction string

const (
	ProvisionSignIn ProvisionAction = "sign_in" // the linked account signs in
	ProvisionLink   ProvisionAction = "link"    // a local account is linked by email, then signs in
	ProvisionCreate ProvisionAction = "create"  // a new account is created, then signs in
)

// Reasons a sign-in through an external provider is refused (the audit
// log's reason classes; the messages say them in words).
const (
	RefuseDisabled        = "disabled"
	RefuseNotInvited      = "not_invited"
	RefuseDomain          = "domain_not_allowed"
	RefuseNoGroupMatch    = "no_group_match"
	RefuseEmailTaken      = "email_in_use"
	RefuseNoEmail         = "no_email"
	RefuseEmailUnverified = "email_unverified"
	RefuseOwnerLink       = "owner_not_linkable"
)

// ProvisionDecision is the outcome of Provision: an action and the role
// the account has after it, or a refusal.
type ProvisionDecision struct {
	Action ProvisionAction
	Role   Role
	// RoleFrom says where Role came from: "groups", "invite", "default",
	// or "unchanged".
	RoleFrom string
	Refusal  string // a Refuse* reason when refused
}

// ExternalSignIn is the outcome of a sign-in through an external
// provider: the account signed in, or the decision that refused it.
type ExternalSignIn struct {
	User     *User
	Decision ProvisionDecision
}

// Refused reports whether the decision refuses the sign-in.
func (d ProvisionDecision) Refused() bool { return d.Refusal != "" }

// ProvisionCandidates are the accounts and invite an identity may match:
// the account already linked to it, the account with its email, and a
// pending invite for its email and provider.
type ProvisionCandidates struct {
	Linked  *User
	ByEmail *User
	Invite  *Invite
}

// Provision decides what a sign-in by id does under p. It is the one home
// of the provisioning rules:
//   - a linked account signs in unless disabled; with group mappings its
//     role is derived again from its groups at every sign-in (never the
//     owner's, which no mapping touches);
//   - otherwise a local account with the identity's email is linked when
//     AutoLinkByEmail is on, the email is verified, and it is not the
//     owner's; else the email being taken refuses;
//   - otherwise a pending invite for the email and provider creates the
//     account with the invite's role, and the strategy decides the rest:
//     invite_only refuses, domain_restricted admits verified emails in an
//     allowed domain, auto_create admits anyone;
//   - with group mappings, a matching group gives the highest mapped role
//     to a new or linked account too, and no match either gives the
//     default role or refuses (OnNoGroupMatch). Without mappings, groups
//     decide nothing: an existing account keeps its role.
func (p Provisioning) Provision(id ExternalIdentity, c ProvisionCandidates) ProvisionDecision {
	refuse := func(reason string) ProvisionDecision { return ProvisionDecision{Refusal: reason} }
	mapped, matched := p.MappedRole(id.Groups)
	mapping := len(p.GroupMappings) > 0
	role := func(current Role, from string) (ProvisionDecision, bool) {
		switch {
		case current == RoleOwner:
			return ProvisionDecision{Role: RoleOwner, RoleFrom: "unchanged"}, true
		case mapping && matched:
			return ProvisionDecision{Role: mapped, RoleFrom: "groups"}, true
		case mapping && p.OnNoGroupMatch == NoMatchReject:
			return refuse(RefuseNoGroupMatch), false
		case mapping || current == "":
			return ProvisionDecision{Role: p.DefaultRole, RoleFrom: "default"}, true
		}
		return ProvisionDecision{Role: current, RoleFrom: from}, true
	}
	if u := c.Linked; u != nil {
		if u.Disabled {
			return refuse(RefuseDisabled)
		}
		d, ok := role(u.Role, "unchanged")
		if ok {
			d.Action = ProvisionSignIn
		}
		return d
	}
	if id.Email == "" {
		return refuse(RefuseNoEmail)
	}
	if u := c.ByEmail; u != nil {
		switch {
		case !p.AutoLinkByEmail || u.AuthProvider.External():
			return refuse(RefuseEmailTaken)
		case u.Role == RoleOwner:
			return refuse(RefuseOwnerLink)
		case !id.EmailVerified:
			return refuse(RefuseEmailUnverified)
		case u.Disabled:
			return refuse(RefuseDisabled)
		}
		d, ok := role(u.Role, "unchanged")
		if ok {
			d.Action = ProvisionLink
		}
		return d
	}
	var d ProvisionDecision
	var ok bool
	switch {
	case c.Invite != nil:
		d, ok = role(c.Invite.Role, "invite")
		if ok && !mapping {
			d.Role, d.RoleFrom = c.Invite.Role, "invite"
		}
	case p.Strategy == ProvisionAutoCreate:
		d, ok = role("", "default")
	case p.Strategy == ProvisionDomainRestricted:
		if !id.EmailVerified {
			return refuse(RefuseEmailUnverified)
		}
		if !slices.Contains(p.AllowedDomains, EmailDomain(id.Email)) {
			return refuse(RefuseDomain)
		}
		d, ok = role("", "default")
	default:
		return refuse(RefuseNotInvited)
	}
	if ok {
		d.Action = ProvisionCreate
	}
	return d
}

// EmailDomain is the lower-cased part of email after its last '@'.
func EmailDomain(email string) string {
	i := strings.LastIndexByte(email, '@')
	if i < 0 {
		return ""
	}
	return strings.ToLower(email[i+1:])
}

// RefusalMessage says a refusal reason in words for the person signing in.
func RefusalMessage(reason string) string {
	switch reason {
	case RefuseDisabled:
		return "This account is disabled"
	case RefuseNotInvited:
		return "You have no account here; ask an administrator for an invite"
	case RefuseDomain:
		return "Your email domain is not allowed to sign in here; ask an administrator for an invite"
	case RefuseNoGroupMatch:
		return "None of your groups is allowed to sign in here"
	case RefuseEmailTaken:
		return "An account with your email already exists; sign in with it, or ask an administrator to link it"
	case RefuseNoEmail:
		return "Your identity provider gave no email address, which this controller needs"
	case RefuseEmailUnverified:
		return "Your identity provider has not verified your email address"
	case RefuseOwnerLink:
		return "The owner's account cannot be linked automatically"
	}
	return "Sign-in refused"
}

// CanEditProviderSettings allows only the owner to change how external
// providers admit people (upstream's rule: a provider's provisioning can
// make anyone an administrator). Errors: EFORBIDDEN.
func CanEditProviderSettings(actor *User) error {
	if actor == nil || actor.Role != RoleOwner || actor.Disabled {
		return Errorf(EFORBIDDEN, "Only the owner can change the LDAP and OIDC provisioning settings")
	}
	return nil
}

// OIDCState is an OIDC sign-in in flight: what the callback needs to
// finish the flow that Begin started (internal/oidc). It is kept under the
// hash of the state parameter, which travels in URLs.
type OIDCState struct {
	StateHash   string
	Nonce       string // compared with the ID token's nonce claim
	Verifier    string // the PKCE code verifier, sent with the code
	BindingHash string // hash of the cookie that ties the flow to its browser
	CreatedAt   time.Time
	ExpiresAt   time.Time
}

// CanHaveLocalPassword refuses a password kept here to an account of an
// external provider: it signs in there, never with a password here (not
// even one it had before it was linked). The owner keeps theirs as the
// recovery credential. Errors: EINVALID.
func CanHaveLocalPassword(u *User) error {
	if u == nil || !u.AuthProvider.External() || u.Role == RoleOwner {
		return nil
	}
	return Errorf(EINVALID, "%s signs in through %s and has no password here", u.Username, strings.ToUpper(string(u.AuthProvider)))
}
