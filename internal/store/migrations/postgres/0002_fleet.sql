-- Fleet: labels, reporting rules, agents and what they link to.
CREATE TABLE labels (
	id          TEXT PRIMARY KEY,
	name        TEXT NOT NULL,
	color       TEXT NOT NULL,
	description TEXT NOT NULL DEFAULT '',
	created_at  BIGINT NOT NULL,
	updated_at  BIGINT NOT NULL
);
CREATE UNIQUE INDEX labels_name_key ON labels (lower(name));

CREATE TABLE reporting_rules (
	id                          TEXT PRIMARY KEY,
	name                        TEXT NOT NULL,
	description                 TEXT NOT NULL DEFAULT '',
	not_reporting_after_seconds BIGINT NOT NULL CHECK (not_reporting_after_seconds >= 1),
	auto_delete_after_seconds   BIGINT CHECK (auto_delete_after_seconds IS NULL OR auto_delete_after_seconds >= 1),
	is_default                  BOOLEAN NOT NULL DEFAULT FALSE,
	created_at                  BIGINT NOT NULL,
	updated_at                  BIGINT NOT NULL
);
CREATE UNIQUE INDEX reporting_rules_name_key ON reporting_rules (lower(name));
-- Exactly one default rule: at most one by this index, at least one by the application.
CREATE UNIQUE INDEX reporting_rules_single_default ON reporting_rules (is_default) WHERE is_default;
INSERT INTO reporting_rules (id, name, description, not_reporting_after_seconds, auto_delete_after_seconds, is_default, created_at, updated_at)
VALUES ('00000000-0000-4000-8000-000000000001', 'Default', 'Not reporting after 3 minutes without a heartbeat', 180, NULL, TRUE, 0, 0);

-- agents holds one row per Telegraf instance id. Liveness columns (last_seen,
-- status, statistics) change on every heartbeat; the rest rarely does.
CREATE TABLE agents (
	id                TEXT PRIMARY KEY,
	hostname          TEXT NOT NULL DEFAULT '',
	ip                TEXT NOT NULL DEFAULT '',
	version           TEXT NOT NULL DEFAULT '',
	reported_status   TEXT NOT NULL DEFAULT 'ok' CHECK (reported_status IN ('ok', 'warn', 'fail', 'undefined')),
	status            TEXT NOT NULL DEFAULT 'ok' CHECK (status IN ('ok', 'warn', 'fail', 'undefined', 'not_reporting')),
	reporting_rule_id TEXT NOT NULL REFERENCES reporting_rules (id),
	first_seen        BIGINT NOT NULL,
	last_seen         BIGINT NOT NULL,
	last_errors       BIGINT NOT NULL DEFAULT 0,
	last_warnings     BIGINT NOT NULL DEFAULT 0,
	last_metrics      BIGINT NOT NULL DEFAULT 0,
	total_errors      BIGINT NOT NULL DEFAULT 0,
	total_warnings    BIGINT NOT NULL DEFAULT 0,
	total_metrics     BIGINT NOT NULL DEFAULT 0,
	external_configs  TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX agents_status ON agents (status, id);
CREATE INDEX agents_last_seen ON agents (last_seen, id);
CREATE INDEX agents_hostname ON agents (hostname, id);
CREATE INDEX agents_rule ON agents (reporting_rule_id, id);

-- agent_logs keeps the most recent log entries per agent as a JSON array,
-- newest first; it is written only when a heartbeat brings new entries.
CREATE TABLE agent_logs (
	agent_id TEXT PRIMARY KEY REFERENCES agents (id) ON DELETE CASCADE,
	logs     TEXT NOT NULL
);

CREATE TABLE agent_labels (
	agent_id TEXT NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
	label_id TEXT NOT NULL REFERENCES labels (id) ON DELETE CASCADE,
	PRIMARY KEY (agent_id, label_id)
);
CREATE INDEX agent_labels_label ON agent_labels (label_id, agent_id);

-- agent_configs links agents to the controller's configs they loaded
-- (managed configs). config_id has no foreign key so that links survive the
-- order of migrations; deleting a config deletes its links.
CREATE TABLE agent_configs (
	agent_id  TEXT NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
	config_id TEXT NOT NULL,
	PRIMARY KEY (agent_id, config_id)
);
CREATE INDEX agent_configs_config ON agent_configs (config_id, agent_id);
