-- Config groups (an ordered list of member configs served as one TOML
-- document), their labels, aliases of configs and groups, and the refs
-- (group ids and aliases) agents name in their heartbeats' config URLs.
-- A group's revision_at (Unix ms, whole seconds) is its Last-Modified:
-- every change of what feeds its render moves it forward by >= 1 s.
CREATE TABLE config_groups (
	id          TEXT PRIMARY KEY,
	name        TEXT NOT NULL,
	description TEXT NOT NULL DEFAULT '',
	created_at  BIGINT NOT NULL,
	updated_at  BIGINT NOT NULL,
	created_by  TEXT NOT NULL DEFAULT '',
	updated_by  TEXT NOT NULL DEFAULT '',
	revision_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX config_groups_name_key ON config_groups (lower(name));
CREATE INDEX config_groups_updated_at ON config_groups (updated_at, id);

CREATE TABLE config_group_members (
	group_id  TEXT NOT NULL REFERENCES config_groups (id) ON DELETE CASCADE,
	position  INTEGER NOT NULL,
	config_id TEXT NOT NULL REFERENCES configs (id) ON DELETE CASCADE,
	PRIMARY KEY (group_id, position),
	UNIQUE (group_id, config_id)
);
CREATE INDEX config_group_members_config ON config_group_members (config_id, group_id);

CREATE TABLE config_group_labels (
	group_id TEXT NOT NULL REFERENCES config_groups (id) ON DELETE CASCADE,
	label_id TEXT NOT NULL REFERENCES labels (id) ON DELETE CASCADE,
	PRIMARY KEY (group_id, label_id)
);
CREATE INDEX config_group_labels_label ON config_group_labels (label_id, group_id);

-- One namespace for configs and groups: each alias names exactly one.
CREATE TABLE aliases (
	alias      TEXT PRIMARY KEY,
	config_id  TEXT REFERENCES configs (id) ON DELETE CASCADE,
	group_id   TEXT REFERENCES config_groups (id) ON DELETE CASCADE,
	created_at BIGINT NOT NULL,
	updated_at BIGINT NOT NULL,
	created_by TEXT NOT NULL DEFAULT '',
	CHECK ((config_id IS NULL) <> (group_id IS NULL))
);
CREATE INDEX aliases_config ON aliases (config_id);
CREATE INDEX aliases_group ON aliases (group_id);

-- agent_refs: per agent, the group ids and aliases its config URLs name
-- (tc.ConfigRefs), written with agent_configs.
CREATE TABLE agent_refs (
	agent_id TEXT NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
	ref      TEXT NOT NULL,
	PRIMARY KEY (agent_id, ref)
);
CREATE INDEX agent_refs_ref ON agent_refs (ref, agent_id);
