-- Invitations and password-reset links. Link tokens are stored only as
-- HashSecret(token). Rows are kept after use or deletion (status) so that a
-- used or withdrawn link answers 410 rather than 404.
CREATE TABLE invites (
	id         TEXT PRIMARY KEY,
	token_hash TEXT NOT NULL UNIQUE,
	username   TEXT NOT NULL,
	email      TEXT NOT NULL,
	role       TEXT NOT NULL CHECK (role IN ('administrator', 'manager', 'viewer')),
	status     TEXT NOT NULL CHECK (status IN ('pending', 'used', 'deleted')),
	created_by TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	expires_at BIGINT NOT NULL,
	closed_at  BIGINT
);
CREATE INDEX invites_status ON invites (status);

CREATE TABLE password_resets (
	id         TEXT PRIMARY KEY,
	token_hash TEXT NOT NULL UNIQUE,
	user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	created_by TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	expires_at BIGINT NOT NULL,
	used_at    BIGINT
);
CREATE INDEX password_resets_user_id ON password_resets (user_id);
