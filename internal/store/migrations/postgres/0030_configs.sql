-- Configurations, their labels and versions, and global constants.
-- revision_at (Unix ms, whole seconds) is the Last-Modified of the served
-- TOML: every change of what feeds the render moves it forward by >= 1 s.
CREATE TABLE configs (
	id              TEXT PRIMARY KEY,
	name            TEXT NOT NULL,
	description     TEXT NOT NULL DEFAULT '',
	toml            TEXT NOT NULL,
	created_at      BIGINT NOT NULL,
	updated_at      BIGINT NOT NULL,
	created_by      TEXT NOT NULL DEFAULT '',
	updated_by      TEXT NOT NULL DEFAULT '',
	revision_at     BIGINT NOT NULL,
	current_version INTEGER NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX configs_name_key ON configs (lower(name));
CREATE INDEX configs_updated_at ON configs (updated_at, id);

CREATE TABLE config_labels (
	config_id TEXT NOT NULL REFERENCES configs (id) ON DELETE CASCADE,
	label_id  TEXT NOT NULL REFERENCES labels (id) ON DELETE CASCADE,
	PRIMARY KEY (config_id, label_id)
);
CREATE INDEX config_labels_label ON config_labels (label_id, config_id);

CREATE TABLE config_versions (
	config_id  TEXT NOT NULL REFERENCES configs (id) ON DELETE CASCADE,
	version    INTEGER NOT NULL,
	toml       TEXT NOT NULL,
	note       TEXT NOT NULL DEFAULT '',
	author_id  TEXT NOT NULL DEFAULT '',
	created_at BIGINT NOT NULL,
	PRIMARY KEY (config_id, version)
);

CREATE TABLE constants (
	name        TEXT PRIMARY KEY,
	value       TEXT NOT NULL,
	description TEXT NOT NULL DEFAULT '',
	created_at  BIGINT NOT NULL,
	updated_at  BIGINT NOT NULL
);
