-- agent_search holds each agent's id, hostname and IP, lower-cased, under a
-- pg_trgm index so that a substring search does not read every agent. It is
-- a table of its own so that heartbeats, which rewrite agents rows, do not
-- touch the trigram index. Triggers keep it in step with agents (a foreign
-- key would check agents once per inserted agent, which bulk inserts of new
-- agents pay dearly for).
CREATE TABLE agent_search (
	agent_id TEXT PRIMARY KEY,
	terms    TEXT NOT NULL
);
INSERT INTO agent_search (agent_id, terms)
SELECT id, lower(id || chr(10) || hostname || chr(10) || ip) FROM agents;

-- pg_trgm ships with PostgreSQL (contrib) and is a trusted extension, but a
-- server may lack it: search then still works, by scanning.
DO $$
BEGIN
	CREATE EXTENSION IF NOT EXISTS pg_trgm;
	EXECUTE 'CREATE INDEX agent_search_trgm ON agent_search USING gin (terms gin_trgm_ops)';
EXCEPTION WHEN OTHERS THEN
	RAISE WARNING 'pg_trgm is not available (%); agent search will scan', SQLERRM;
END
$$;

CREATE FUNCTION agent_search_track() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'DELETE' THEN
		DELETE FROM agent_search WHERE agent_id = OLD.id;
		RETURN NULL;
	END IF;
	INSERT INTO agent_search (agent_id, terms) VALUES (NEW.id, lower(NEW.id || chr(10) || NEW.hostname || chr(10) || NEW.ip))
	ON CONFLICT (agent_id) DO UPDATE SET terms = excluded.terms;
	RETURN NULL;
END
$$;
CREATE TRIGGER agents_search_insert_delete AFTER INSERT OR DELETE ON agents
	FOR EACH ROW EXECUTE FUNCTION agent_search_track();
CREATE TRIGGER agents_search_update AFTER UPDATE OF hostname, ip ON agents
	FOR EACH ROW WHEN (OLD.hostname IS DISTINCT FROM NEW.hostname OR OLD.ip IS DISTINCT FROM NEW.ip)
	EXECUTE FUNCTION agent_search_track();
