-- Notification channels (docs/alerts.md, "Channels"): where alerts are
-- sent. settings is the kind's JSON without its secrets; secrets is the
-- kind's secrets (webhook secret and header values, Slack and Teams URLs,
-- SMTP and Alertmanager passwords, bearer token) as JSON sealed with
-- AES-256-GCM under the controller's secret key ("v1:" + base64 of nonce
-- and ciphertext, the channel id as additional data), '' when there are
-- none. created_by is the creating user's id.
CREATE TABLE notification_channels (
	id         TEXT PRIMARY KEY,
	name       TEXT NOT NULL,
	kind       TEXT NOT NULL,
	enabled    BOOLEAN NOT NULL DEFAULT TRUE,
	settings   TEXT NOT NULL DEFAULT '{}',
	secrets    TEXT NOT NULL DEFAULT '',
	created_at BIGINT NOT NULL,
	updated_at BIGINT NOT NULL,
	created_by TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX notification_channels_name_key ON notification_channels (lower(name));
