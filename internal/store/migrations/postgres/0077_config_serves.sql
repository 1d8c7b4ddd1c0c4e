-- config_serves records every successful GET of a config's TOML (kind
-- 'config') or, later, of a config group's ('group'): what the client was
-- given. Written in batches by the serve recorder (internal/serves), off the
-- request path; kept for store.ServeRetention. No foreign keys: a config
-- deleted while its serves wait for the flush must not fail the batch.
CREATE TABLE config_serves (
	kind          TEXT    NOT NULL,
	source_id     TEXT    NOT NULL,
	version       INTEGER NOT NULL,
	members       TEXT    NOT NULL DEFAULT '[]',
	last_modified BIGINT  NOT NULL,
	digest        TEXT    NOT NULL,
	url           TEXT    NOT NULL,
	params        TEXT    NOT NULL DEFAULT '[]',
	token_id      TEXT    NOT NULL DEFAULT '',
	client_ip     TEXT    NOT NULL DEFAULT '',
	agent_id      TEXT    NOT NULL DEFAULT '',
	telegraf      BOOLEAN NOT NULL DEFAULT FALSE,
	served_at     BIGINT  NOT NULL,
	-- count: like serves within one write of the recorder (the same
	-- render of the same URL to the same client and token) are one row.
	count         INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX config_serves_source ON config_serves (source_id, served_at);
CREATE INDEX config_serves_time ON config_serves (served_at);

-- config_serve_latest is the latest serve of each URL to a Telegraf agent:
-- what an agent reporting that URL in its heartbeats runs. Kept while an
-- agent reports the URL, or within the retention.
CREATE TABLE config_serve_latest (
	url           TEXT    PRIMARY KEY,
	kind          TEXT    NOT NULL,
	source_id     TEXT    NOT NULL,
	version       INTEGER NOT NULL,
	members       TEXT    NOT NULL DEFAULT '[]',
	last_modified BIGINT  NOT NULL,
	digest        TEXT    NOT NULL,
	params        TEXT    NOT NULL DEFAULT '[]',
	token_id      TEXT    NOT NULL DEFAULT '',
	client_ip     TEXT    NOT NULL DEFAULT '',
	agent_id      TEXT    NOT NULL DEFAULT '',
	served_at     BIGINT  NOT NULL
);

-- config_watches is what the HEADs of each URL (Telegraf's config watcher)
-- tell: when the last came and the interval inferred from their spacing.
CREATE TABLE config_watches (
	url          TEXT   PRIMARY KEY,
	last_head_at BIGINT NOT NULL,
	interval_ms  BIGINT NOT NULL DEFAULT 0,
	heads        BIGINT NOT NULL DEFAULT 0,
	client_ip    TEXT   NOT NULL DEFAULT ''
);

-- agent_configs.url is the URL (tc.ServeURL) under which the agent reported
-- the config, matched against config_serve_latest and config_watches.
-- Written with the links, only when an agent's config list changes.
ALTER TABLE agent_configs ADD COLUMN url TEXT NOT NULL DEFAULT '';
CREATE INDEX agent_configs_url ON agent_configs (url);
