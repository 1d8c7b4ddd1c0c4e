-- agent_search is a trigram index over each agent's id, hostname and IP, so
-- that a substring search does not read every agent. FTS5 rows need integer
-- keys: agent_search_keys gives each agent one (an INTEGER PRIMARY KEY, which
-- VACUUM keeps). Triggers keep both in step with agents; heartbeats that do
-- not change the hostname or IP do not touch them.
CREATE TABLE agent_search_keys (
	key      INTEGER PRIMARY KEY,
	agent_id TEXT NOT NULL UNIQUE
);
CREATE VIRTUAL TABLE agent_search USING fts5(terms, tokenize = 'trigram case_sensitive 0');

INSERT INTO agent_search_keys (agent_id) SELECT id FROM agents;
INSERT INTO agent_search (rowid, terms)
SELECT k.key, a.id || char(10) || a.hostname || char(10) || a.ip FROM agents a JOIN agent_search_keys k ON k.agent_id = a.id;

CREATE TRIGGER agents_search_insert AFTER INSERT ON agents BEGIN
	INSERT INTO agent_search_keys (agent_id) VALUES (NEW.id);
	INSERT INTO agent_search (rowid, terms)
	VALUES ((SELECT key FROM agent_search_keys WHERE agent_id = NEW.id), NEW.id || char(10) || NEW.hostname || char(10) || NEW.ip);
END;
CREATE TRIGGER agents_search_delete AFTER DELETE ON agents BEGIN
	DELETE FROM agent_search WHERE rowid = (SELECT key FROM agent_search_keys WHERE agent_id = OLD.id);
	DELETE FROM agent_search_keys WHERE agent_id = OLD.id;
END;
CREATE TRIGGER agents_search_update AFTER UPDATE OF hostname, ip ON agents
WHEN OLD.hostname <> NEW.hostname OR OLD.ip <> NEW.ip BEGIN
	UPDATE agent_search SET terms = NEW.id || char(10) || NEW.hostname || char(10) || NEW.ip
	WHERE rowid = (SELECT key FROM agent_search_keys WHERE agent_id = NEW.id);
END;
