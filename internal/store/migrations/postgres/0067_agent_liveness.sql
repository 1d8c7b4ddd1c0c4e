-- agent_liveness holds what changes on every heartbeat: the exact time the
-- agent was last heard and its statistics. A heartbeat that brings nothing
-- else updates only this row, which no index covers but its primary key,
-- so the update is heap-only (HOT: no index entry moves) and the free space
-- left by fillfactor keeps the new version on the same page. Updating
-- agents instead moved entries in its six indexes at every beat.
--
-- agents keeps last_seen as the key of its indexes (the list sorted by last
-- heard, auto-delete): a copy that heartbeats refresh only when the exact
-- time has moved past it by more than a few minutes (indexed_seen here is
-- what was last written there), never ahead of the exact time. Its
-- statistics columns are those the agent was created with; readers take
-- agent_liveness's. The exact last heard is GREATEST(agents.last_seen,
-- agent_liveness.last_seen).
--
-- hostname, ip, version and status are copies of agents', kept by a
-- trigger: the narrow update checks a beat against them on the row it
-- locks, so that another controller's newer write of those columns, which
-- updates this row too, is seen (PostgreSQL rechecks a locked row's
-- conditions, not those on another table's rows).
--
-- Triggers, not a foreign key, tie it to agents, as for agent_search (0061).
CREATE TABLE agent_liveness (
	agent_id       TEXT PRIMARY KEY,
	hostname       TEXT NOT NULL,
	ip             TEXT NOT NULL,
	version        TEXT NOT NULL,
	status         TEXT NOT NULL,
	last_seen      BIGINT NOT NULL,
	indexed_seen   BIGINT NOT NULL,
	last_errors    BIGINT NOT NULL,
	last_warnings  BIGINT NOT NULL,
	last_metrics   BIGINT NOT NULL,
	total_errors   BIGINT NOT NULL,
	total_warnings BIGINT NOT NULL,
	total_metrics  BIGINT NOT NULL
) WITH (fillfactor = 50);

INSERT INTO agent_liveness (agent_id, hostname, ip, version, status, last_seen, indexed_seen,
	last_errors, last_warnings, last_metrics, total_errors, total_warnings, total_metrics)
SELECT id, hostname, ip, version, status, last_seen, last_seen,
	last_errors, last_warnings, last_metrics, total_errors, total_warnings, total_metrics FROM agents;

CREATE FUNCTION agent_liveness_track() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'DELETE' THEN
		DELETE FROM agent_liveness WHERE agent_id = OLD.id;
	ELSIF TG_OP = 'INSERT' THEN
		INSERT INTO agent_liveness (agent_id, hostname, ip, version, status, last_seen, indexed_seen,
			last_errors, last_warnings, last_metrics, total_errors, total_warnings, total_metrics)
		VALUES (NEW.id, NEW.hostname, NEW.ip, NEW.version, NEW.status, NEW.last_seen, NEW.last_seen,
			NEW.last_errors, NEW.last_warnings, NEW.last_metrics, NEW.total_errors, NEW.total_warnings, NEW.total_metrics)
		ON CONFLICT (agent_id) DO UPDATE SET hostname = excluded.hostname, ip = excluded.ip, version = excluded.version,
			status = excluded.status, last_seen = excluded.last_seen, indexed_seen = excluded.indexed_seen,
			last_errors = excluded.last_errors, last_warnings = excluded.last_warnings, last_metrics = excluded.last_metrics,
			total_errors = excluded.total_errors, total_warnings = excluded.total_warnings, total_metrics = excluded.total_metrics;
	ELSE
		UPDATE agent_liveness SET hostname = NEW.hostname, ip = NEW.ip, version = NEW.version, status = NEW.status
		WHERE agent_id = NEW.id;
	END IF;
	RETURN NULL;
END
$$;
CREATE TRIGGER agents_liveness_insert_delete AFTER INSERT OR DELETE ON agents
	FOR EACH ROW EXECUTE FUNCTION agent_liveness_track();
CREATE TRIGGER agents_liveness_update AFTER UPDATE OF hostname, ip, version, status ON agents
	FOR EACH ROW WHEN (OLD.hostname IS DISTINCT FROM NEW.hostname OR OLD.ip IS DISTINCT FROM NEW.ip
		OR OLD.version IS DISTINCT FROM NEW.version OR OLD.status IS DISTINCT FROM NEW.status)
	EXECUTE FUNCTION agent_liveness_track();
