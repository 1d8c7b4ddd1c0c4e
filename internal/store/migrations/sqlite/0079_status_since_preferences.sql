-- status_since is when an agent's status last changed: the heartbeat that
-- brought a new reported status, or, for an agent marked not reporting, the
-- last time it was heard (the silence began then). Heartbeat writes and the
-- status sweep set it in the statement that changes the status, so a beat
-- that changes nothing else leaves it, and its index entries, alone.
-- Agents known before this migration have 0, "not known" (the API's null),
-- until their status changes, except those not reporting, whose silence
-- began when they were last heard. Adding a column with a constant default
-- rewrites no row: the migration of a million agents is the time of its
-- indexes, not of a rewrite of the table.
ALTER TABLE agents ADD COLUMN status_since INTEGER NOT NULL DEFAULT 0;
UPDATE agents SET status_since = last_seen WHERE status = 'not_reporting';

-- The sort by severity (store.severityRank) orders, within a status, by how
-- long the agent has had it, longest first. Unlike 0075's index on
-- last_seen, the key moves only when the status does: the narrow liveness
-- update of a beat (which sets last_seen on SQLite) no longer moves it.
DROP INDEX agents_severity;
CREATE INDEX agents_severity ON agents ((CASE status WHEN 'fail' THEN 0 WHEN 'not_reporting' THEN 1 WHEN 'warn' THEN 2 WHEN 'undefined' THEN 3 ELSE 4 END), status_since, id);
-- agents_status_since serves a status filter sorted by severity (one
-- status: the order is then status_since's), which the list walks in order.
CREATE INDEX agents_status_since ON agents (status, status_since, id);

-- user_preferences holds each person's choices for the UI (the agents
-- list's columns and density) as a JSON object, tc.Preferences. A row of
-- its own: writing it is not a change to the user, which would drop their
-- tokens from the cache.
CREATE TABLE user_preferences (
	user_id     TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
	preferences TEXT NOT NULL,
	updated_at  INTEGER NOT NULL
);
