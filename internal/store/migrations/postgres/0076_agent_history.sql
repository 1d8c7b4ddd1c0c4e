-- agent_history is each agent's reporting history (docs/agents.md): per
-- bucket of --agent-history-bucket (bucket is its start, Unix seconds), the
-- worst status the agent reported (tc.StatusRank: 0 ok, 1 undefined, 2
-- warn, 3 fail), how many heartbeats, and the metrics, errors and warnings
-- they added. The heartbeat flush adds to it, one batched upsert per flush;
-- silences are the gaps between buckets, so the status sweep writes
-- nothing here. No index on bucket: pruning walks the agents
-- (store/history.go), so a new bucket costs one index entry, and an update
-- of a bucket changes no indexed column, which fillfactor leaves room to
-- keep heap-only (HOT).
--
-- A trigger, not a foreign key, deletes an agent's history with it, as for
-- agent_liveness (0072): a foreign key's check would lock the agents row of
-- every agent at every flush (FOR KEY SHARE writes the row's header), which
-- the narrow liveness update exists to leave alone.
CREATE TABLE agent_history (
	agent_id TEXT NOT NULL,
	bucket   BIGINT NOT NULL,
	status   SMALLINT NOT NULL,
	beats    BIGINT NOT NULL,
	metrics  BIGINT NOT NULL,
	errors   BIGINT NOT NULL,
	warnings BIGINT NOT NULL,
	PRIMARY KEY (agent_id, bucket)
) WITH (fillfactor = 80);

CREATE FUNCTION agent_history_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	DELETE FROM agent_history h USING old_agents o WHERE h.agent_id = o.id;
	RETURN NULL;
END
$$;
CREATE TRIGGER agents_history_delete AFTER DELETE ON agents
	REFERENCING OLD TABLE AS old_agents FOR EACH STATEMENT EXECUTE FUNCTION agent_history_delete();
