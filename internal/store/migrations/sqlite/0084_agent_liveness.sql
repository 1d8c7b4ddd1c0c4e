-- agent_liveness holds what changes on every heartbeat: the exact time the
-- agent was last heard and its statistics, as on PostgreSQL (0072). A
-- heartbeat that brings nothing else updates only this row: a narrow
-- record (about 100 bytes) in a table WITHOUT ROWID keyed by the agent id,
-- so the update is one B-tree search and one record rewritten, where the
-- update of agents searched its primary key's index, moved the entries of
-- agents_last_seen and agents_status_last_seen (whose key is last_seen),
-- and rewrote the whole agents row (300 bytes and more with
-- external_configs) into the WAL.
--
-- agents keeps last_seen as the key of its indexes (the list sorted by
-- last heard, the sweep's auto-delete): a copy that heartbeats refresh only
-- when the exact time has moved past it by more than 5 to 10 minutes
-- (indexed_seen here is what was last written there), never ahead of the
-- exact time. Its statistics columns are those of its last full write;
-- readers take agent_liveness's. The exact last heard is
-- max(agents.last_seen, agent_liveness.last_seen).
--
-- reporting is 0 while the agent is marked not_reporting: its next beat
-- takes the full write, which restores its status. A trigger keeps it.
-- Unlike PostgreSQL's row there are no digests of the agent's metadata:
-- one process writes a SQLite database, so the flusher's digests are what
-- is stored.
CREATE TABLE agent_liveness (
	agent_id       TEXT PRIMARY KEY,
	reporting      INTEGER NOT NULL,
	last_seen      INTEGER NOT NULL,
	indexed_seen   INTEGER NOT NULL,
	last_errors    INTEGER NOT NULL,
	last_warnings  INTEGER NOT NULL,
	last_metrics   INTEGER NOT NULL,
	total_errors   INTEGER NOT NULL,
	total_warnings INTEGER NOT NULL,
	total_metrics  INTEGER NOT NULL
) WITHOUT ROWID;

INSERT INTO agent_liveness (agent_id, reporting, last_seen, indexed_seen,
	last_errors, last_warnings, last_metrics, total_errors, total_warnings, total_metrics)
SELECT id, status <> 'not_reporting', last_seen, last_seen,
	last_errors, last_warnings, last_metrics, total_errors, total_warnings, total_metrics FROM agents ORDER BY id;

-- Triggers, not a foreign key, tie it to agents, as on PostgreSQL. A new
-- agent's row takes its first values; a heartbeat's full write of an
-- existing agent updates its row in the store's code (heartbeat.go), which
-- knows the statistics to add. (An upsert that updates fires no INSERT
-- trigger; DO NOTHING keeps a row that is there anyway.)
CREATE TRIGGER agents_liveness_insert AFTER INSERT ON agents BEGIN
	INSERT INTO agent_liveness (agent_id, reporting, last_seen, indexed_seen,
		last_errors, last_warnings, last_metrics, total_errors, total_warnings, total_metrics)
	VALUES (NEW.id, NEW.status <> 'not_reporting', NEW.last_seen, NEW.last_seen,
		NEW.last_errors, NEW.last_warnings, NEW.last_metrics, NEW.total_errors, NEW.total_warnings, NEW.total_metrics)
	ON CONFLICT (agent_id) DO NOTHING;
END;
CREATE TRIGGER agents_liveness_delete AFTER DELETE ON agents BEGIN
	DELETE FROM agent_liveness WHERE agent_id = OLD.id;
END;
CREATE TRIGGER agents_liveness_status AFTER UPDATE OF status ON agents
WHEN (OLD.status = 'not_reporting') <> (NEW.status = 'not_reporting') BEGIN
	UPDATE agent_liveness SET reporting = NEW.status <> 'not_reporting' WHERE agent_id = NEW.id;
END;
-- A beat's narrow update that moves indexed_seen (its time is past the lag)
-- moves agents.last_seen with it, never backwards: a trigger, because
-- asking the update for that (RETURNING) cost the flush a query per beat,
-- half its time through database/sql.
CREATE TRIGGER agent_liveness_indexed AFTER UPDATE OF indexed_seen ON agent_liveness
WHEN NEW.indexed_seen > OLD.indexed_seen BEGIN
	UPDATE agents SET last_seen = NEW.indexed_seen WHERE id = NEW.agent_id AND last_seen < NEW.indexed_seen;
END;
