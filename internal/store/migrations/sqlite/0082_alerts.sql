-- Alerts (issue 18, docs/alerts.md): rules, their alerts (active and
-- history), each rule's notification group, mutes, and the durable outbox
-- of notifications with its delivery log. Times are Unix milliseconds.

-- alert_rules: scope is a JSON tc.AlertScope (label ids, config, group,
-- reporting rule): a label deleted later matches no agent rather than
-- widening the rule.
CREATE TABLE alert_rules (
	id                      TEXT PRIMARY KEY,
	name                    TEXT NOT NULL,
	description             TEXT NOT NULL DEFAULT '',
	enabled                 BOOLEAN NOT NULL DEFAULT TRUE,
	event                   TEXT NOT NULL CHECK (event IN ('not_reporting', 'fail', 'warn', 'stale', 'token_expiry')),
	scope                   TEXT NOT NULL DEFAULT '{}',
	for_seconds             BIGINT NOT NULL,
	group_wait_seconds      BIGINT NOT NULL,
	group_interval_seconds  BIGINT NOT NULL,
	repeat_interval_seconds BIGINT NOT NULL,
	send_resolved           BOOLEAN NOT NULL,
	token_expiry_days       INTEGER NOT NULL DEFAULT 0,
	created_at              BIGINT NOT NULL,
	updated_at              BIGINT NOT NULL
);
CREATE UNIQUE INDEX alert_rules_name_key ON alert_rules (lower(name));

-- alert_rule_channels: where each rule's group notifications go, in order.
CREATE TABLE alert_rule_channels (
	rule_id    TEXT NOT NULL REFERENCES alert_rules (id) ON DELETE CASCADE,
	channel_id TEXT NOT NULL REFERENCES notification_channels (id) ON DELETE CASCADE,
	position   INTEGER NOT NULL,
	PRIMARY KEY (rule_id, channel_id)
);
CREATE INDEX alert_rule_channels_channel ON alert_rule_channels (channel_id);

-- alerts: one row per rule and subject from pending to resolved; at most
-- one active (pending or firing) per rule and subject. Resolved rows are
-- the history, removed by retention. notified marks the subjects of the
-- group's last message (a resolved message names them).
CREATE TABLE alerts (
	id           TEXT PRIMARY KEY,
	rule_id      TEXT NOT NULL REFERENCES alert_rules (id) ON DELETE CASCADE,
	subject_kind TEXT NOT NULL CHECK (subject_kind IN ('agent', 'token')),
	subject_id   TEXT NOT NULL,
	subject_name TEXT NOT NULL DEFAULT '',
	detail       TEXT NOT NULL DEFAULT '',
	state        TEXT NOT NULL CHECK (state IN ('pending', 'firing', 'resolved')),
	since        BIGINT NOT NULL,
	fired_at     BIGINT,
	resolved_at  BIGINT,
	notified     BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE UNIQUE INDEX alerts_active ON alerts (rule_id, subject_id) WHERE state <> 'resolved';
CREATE INDEX alerts_state ON alerts (state, rule_id);
CREATE INDEX alerts_resolved ON alerts (resolved_at) WHERE state = 'resolved';

-- alert_groups: each rule's notification state (tc.AlertGroup).
CREATE TABLE alert_groups (
	rule_id        TEXT PRIMARY KEY REFERENCES alert_rules (id) ON DELETE CASCADE,
	since          BIGINT NOT NULL DEFAULT 0,
	notified_at    BIGINT NOT NULL DEFAULT 0,
	notified_count INTEGER NOT NULL DEFAULT 0
);

-- alert_mutes: an agent, a label or a rule silenced until ends_at.
CREATE TABLE alert_mutes (
	id              TEXT PRIMARY KEY,
	kind            TEXT NOT NULL CHECK (kind IN ('agent', 'label', 'rule')),
	target_id       TEXT NOT NULL,
	target_name     TEXT NOT NULL DEFAULT '',
	ends_at         BIGINT NOT NULL,
	reason          TEXT NOT NULL DEFAULT '',
	created_by      TEXT NOT NULL DEFAULT '',
	created_by_name TEXT NOT NULL DEFAULT '',
	created_at      BIGINT NOT NULL
);
CREATE INDEX alert_mutes_ends ON alert_mutes (ends_at);

-- notification_outbox: one row per message to one channel, written in the
-- transaction that changed the alerts it tells of, so that a restart or a
-- failover loses none; the delivery worker sends it under its idempotency
-- key, retrying with backoff. No foreign keys: a row outlives its rule and
-- channel (it is dropped or fails when delivered).
CREATE TABLE notification_outbox (
	id              INTEGER PRIMARY KEY, -- the rowid: ordered as written
	idempotency_key TEXT NOT NULL UNIQUE,
	rule_id         TEXT NOT NULL,
	channel_id      TEXT NOT NULL,
	status          TEXT NOT NULL CHECK (status IN ('firing', 'resolved')),
	reason          TEXT NOT NULL DEFAULT '',
	subjects        INTEGER NOT NULL DEFAULT 0,
	payload         TEXT NOT NULL,
	state           TEXT NOT NULL CHECK (state IN ('queued', 'sent', 'failed', 'dropped')),
	attempts        INTEGER NOT NULL DEFAULT 0,
	next_attempt_at BIGINT NOT NULL,
	last_error      TEXT NOT NULL DEFAULT '',
	created_at      BIGINT NOT NULL,
	updated_at      BIGINT NOT NULL,
	sent_at         BIGINT
);
CREATE INDEX notification_outbox_due ON notification_outbox (next_attempt_at) WHERE state = 'queued';
CREATE INDEX notification_outbox_queue ON notification_outbox (rule_id, channel_id, id) WHERE state = 'queued';
CREATE INDEX notification_outbox_created ON notification_outbox (created_at);

-- notification_deliveries: every attempt at an outbox row, per channel.
CREATE TABLE notification_deliveries (
	id          INTEGER PRIMARY KEY,
	outbox_id   BIGINT NOT NULL,
	channel_id  TEXT NOT NULL,
	rule_id     TEXT NOT NULL,
	attempt     INTEGER NOT NULL,
	at          BIGINT NOT NULL,
	outcome     TEXT NOT NULL CHECK (outcome IN ('sent', 'retry', 'failed')),
	error       TEXT NOT NULL DEFAULT '',
	duration_ms BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX notification_deliveries_channel ON notification_deliveries (channel_id, id);
CREATE INDEX notification_deliveries_at ON notification_deliveries (at);
