-- agent_history is each agent's reporting history (docs/agents.md): per
-- bucket of --agent-history-bucket (bucket is its start, Unix seconds), the
-- worst status the agent reported (tc.StatusRank: 0 ok, 1 undefined, 2
-- warn, 3 fail), how many heartbeats, and the metrics, errors and warnings
-- they added. The heartbeat flush adds to it, one upsert per agent per
-- flush; silences are the gaps between buckets, so the status sweep writes
-- nothing here. WITHOUT ROWID: the rows live in the primary key's B-tree,
-- an agent's buckets side by side, which is what a read and the pruning
-- walk. No index on bucket: pruning walks the agents (store/history.go),
-- so a new bucket costs one B-tree insert. Deleting an agent deletes its
-- history (the foreign key).
CREATE TABLE agent_history (
	agent_id TEXT NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
	bucket   INTEGER NOT NULL,
	status   INTEGER NOT NULL,
	beats    INTEGER NOT NULL,
	metrics  INTEGER NOT NULL,
	errors   INTEGER NOT NULL,
	warnings INTEGER NOT NULL,
	PRIMARY KEY (agent_id, bucket)
) WITHOUT ROWID;
