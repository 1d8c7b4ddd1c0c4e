-- Identity: users, sessions, API tokens, settings (PostgreSQL twin of the SQLite file).
-- Times are Unix milliseconds written by the application.
CREATE TABLE users (
	id            TEXT PRIMARY KEY,
	username      TEXT NOT NULL,
	email         TEXT NOT NULL,
	role          TEXT NOT NULL CHECK (role IN ('owner', 'administrator', 'manager', 'viewer')),
	password_hash TEXT NOT NULL DEFAULT '',
	disabled      BOOLEAN NOT NULL DEFAULT FALSE,
	failed_logins INTEGER NOT NULL DEFAULT 0,
	locked_until  BIGINT,
	created_at    BIGINT NOT NULL,
	updated_at    BIGINT NOT NULL,
	last_login_at BIGINT
);
CREATE UNIQUE INDEX users_username_key ON users (lower(username));
CREATE UNIQUE INDEX users_email_key ON users (lower(email));
-- At most one owner, enforced by the database itself.
CREATE UNIQUE INDEX users_single_owner ON users (role) WHERE role = 'owner';

CREATE TABLE sessions (
	id_hash      TEXT PRIMARY KEY,
	user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	created_at   BIGINT NOT NULL,
	last_seen_at BIGINT NOT NULL,
	expires_at   BIGINT NOT NULL
);
CREATE INDEX sessions_user_id ON sessions (user_id);

CREATE TABLE tokens (
	id           TEXT PRIMARY KEY,
	user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	description  TEXT NOT NULL,
	token_hash   TEXT NOT NULL UNIQUE,
	last4        TEXT NOT NULL,
	permissions  TEXT NOT NULL,
	preset       TEXT NOT NULL DEFAULT '',
	status       TEXT NOT NULL CHECK (status IN ('active', 'revoked')),
	created_at   BIGINT NOT NULL,
	expires_at   BIGINT,
	revoked_at   BIGINT,
	last_used_at BIGINT
);
CREATE INDEX tokens_user_id ON tokens (user_id);

CREATE TABLE settings (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
);
