-- OIDC sign-ins in flight (internal/oidc): one row from the redirect to
-- the identity provider until its callback takes it, at most ten minutes.
-- A table rather than memory because the callback may reach another node
-- of a cluster than the one that started the sign-in. The state travels in
-- URLs, so only its hash is kept, as for the browser-binding cookie; the
-- nonce and the PKCE verifier are needed as they are. Times are Unix ms
-- written by Go.
CREATE TABLE oidc_states (
    state_hash   TEXT PRIMARY KEY,
    nonce        TEXT NOT NULL,
    verifier     TEXT NOT NULL,
    binding_hash TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL
);
-- Saving a state prunes the expired ones.
CREATE INDEX oidc_states_expires_at ON oidc_states (expires_at);
