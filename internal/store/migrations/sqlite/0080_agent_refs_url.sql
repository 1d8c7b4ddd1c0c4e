-- agent_refs.url is the URL (tc.ServeURL) under which the agent reported a
-- group id or an alias, matched against config_serve_latest and
-- config_watches like agent_configs.url: what an agent runs of a group, or
-- of what an alias names when read. Written with the links, only when an
-- agent's config list changes; '' (no serve) for rows written before, until
-- then.
ALTER TABLE agent_refs ADD COLUMN url TEXT NOT NULL DEFAULT '';
CREATE INDEX agent_refs_url ON agent_refs (url);
