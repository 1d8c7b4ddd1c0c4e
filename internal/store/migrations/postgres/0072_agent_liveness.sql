-- agent_liveness holds what changes on every heartbeat: the exact time the
-- agent was last heard and its statistics. A heartbeat that brings nothing
-- else updates only this row, which no index covers but its primary key,
-- so the update is heap-only (HOT: no index entry moves) and the free space
-- left by fillfactor keeps the new version on the same page. Updating
-- agents instead moved entries in its six indexes at every beat.
--
-- agents keeps last_seen as the key of its indexes (the list sorted by last
-- heard, auto-delete): a copy that heartbeats refresh only when the exact
-- time has moved past it by more than 5 to 10 minutes (indexed_seen here is
-- what was last written there), never ahead of the exact time. Its
-- statistics columns are those the agent was created with; readers take
-- agent_liveness's. The exact last heard is GREATEST(agents.last_seen,
-- agent_liveness.last_seen).
--
-- meta and host are digests of agents' ip, version and status, and of its
-- hostname (agent_meta, hashtextextended), kept by triggers: the narrow
-- update checks a beat against them on the row it locks, so that another
-- controller's newer write of those columns, which updates this row too, is
-- seen (PostgreSQL rechecks a locked row's conditions, not those on another
-- table's rows). Digests, not copies, keep the row narrow; two values that
-- collide in 64 bits would make a beat that changes them take the narrow
-- update, leaving the old values until the agent's next full write.
--
-- Triggers, not a foreign key, tie it to agents, as for agent_search (0061).
CREATE FUNCTION agent_meta(ip TEXT, version TEXT, status TEXT) RETURNS BIGINT
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
	RETURN hashtextextended(ip || chr(10) || version || chr(10) || status, 0);

CREATE TABLE agent_liveness (
	agent_id       TEXT PRIMARY KEY,
	meta           BIGINT NOT NULL,
	host           BIGINT NOT NULL,
	last_seen      BIGINT NOT NULL,
	indexed_seen   BIGINT NOT NULL,
	last_errors    BIGINT NOT NULL,
	last_warnings  BIGINT NOT NULL,
	last_metrics   BIGINT NOT NULL,
	total_errors   BIGINT NOT NULL,
	total_warnings BIGINT NOT NULL,
	total_metrics  BIGINT NOT NULL
) WITH (fillfactor = 70);

INSERT INTO agent_liveness (agent_id, meta, host, last_seen, indexed_seen,
	last_errors, last_warnings, last_metrics, total_errors, total_warnings, total_metrics)
SELECT id, agent_meta(ip, version, status), hashtextextended(hostname, 0), last_seen, last_seen,
	last_errors, last_warnings, last_metrics, total_errors, total_warnings, total_metrics FROM agents;

-- Statement triggers over transition tables: a flush that creates or
-- rewrites thousands of agents keeps their rows here in step in one
-- statement each, not one trigger call per row.
CREATE FUNCTION agent_liveness_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO agent_liveness (agent_id, meta, host, last_seen, indexed_seen,
		last_errors, last_warnings, last_metrics, total_errors, total_warnings, total_metrics)
	SELECT n.id, agent_meta(n.ip, n.version, n.status), hashtextextended(n.hostname, 0), n.last_seen, n.last_seen,
		n.last_errors, n.last_warnings, n.last_metrics, n.total_errors, n.total_warnings, n.total_metrics
	FROM new_agents n
	ON CONFLICT (agent_id) DO UPDATE SET meta = excluded.meta, host = excluded.host,
		last_seen = excluded.last_seen, indexed_seen = excluded.indexed_seen,
		last_errors = excluded.last_errors, last_warnings = excluded.last_warnings, last_metrics = excluded.last_metrics,
		total_errors = excluded.total_errors, total_warnings = excluded.total_warnings, total_metrics = excluded.total_metrics;
	RETURN NULL;
END
$$;
CREATE FUNCTION agent_liveness_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	UPDATE agent_liveness l SET meta = agent_meta(n.ip, n.version, n.status), host = hashtextextended(n.hostname, 0)
	FROM new_agents n
	WHERE l.agent_id = n.id AND (l.meta, l.host) IS DISTINCT FROM (agent_meta(n.ip, n.version, n.status), hashtextextended(n.hostname, 0));
	RETURN NULL;
END
$$;
CREATE FUNCTION agent_liveness_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	DELETE FROM agent_liveness l USING old_agents o WHERE l.agent_id = o.id;
	RETURN NULL;
END
$$;
CREATE TRIGGER agents_liveness_insert AFTER INSERT ON agents
	REFERENCING NEW TABLE AS new_agents FOR EACH STATEMENT EXECUTE FUNCTION agent_liveness_insert();
-- (A trigger with transition tables takes no column list: this one runs
-- after every UPDATE of agents, and writes only rows whose digests moved.)
CREATE TRIGGER agents_liveness_update AFTER UPDATE ON agents
	REFERENCING NEW TABLE AS new_agents FOR EACH STATEMENT EXECUTE FUNCTION agent_liveness_update();
CREATE TRIGGER agents_liveness_delete AFTER DELETE ON agents
	REFERENCING OLD TABLE AS old_agents FOR EACH STATEMENT EXECUTE FUNCTION agent_liveness_delete();
