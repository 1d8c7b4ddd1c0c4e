-- Single sign-on (issue 15): where each user signs in, and the external
-- provider's stable name for them (tc.ExternalIdentity.Subject), unique per
-- provider; invites say through which provider the invited person comes.
ALTER TABLE users ADD COLUMN auth_provider TEXT NOT NULL DEFAULT 'local'
    CHECK (auth_provider IN ('local', 'ldap', 'oidc'));
ALTER TABLE users ADD COLUMN external_id TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX users_external_key ON users (auth_provider, external_id) WHERE external_id <> '';
ALTER TABLE invites ADD COLUMN auth_provider TEXT NOT NULL DEFAULT 'local'
    CHECK (auth_provider IN ('local', 'ldap', 'oidc'));
