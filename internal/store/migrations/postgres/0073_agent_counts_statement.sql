-- The status counters (0060) follow agents with statement triggers over
-- transition tables instead of row triggers: a statement that changes the
-- status of many agents (a sweep marking 100,000 not_reporting, a flush
-- restoring 10,000 of them) appends one row per (rule, status) it moved,
-- not two rows per agent. The row trigger cost 24-29 µs per agent whose
-- status changed (2.4 s of a 100,000-agent marking's 8.9 s). The catch: a
-- trigger with transition tables takes no column list and no WHEN, so this
-- one runs after every UPDATE of agents and sums its rows, old ones -1 and
-- new ones +1, keeping the keys whose sum moved; agents' other
-- statement trigger (agents_liveness_update, 0072) already has PostgreSQL
-- keep the new rows of each UPDATE.
DROP TRIGGER agents_count_insert_delete ON agents;
DROP TRIGGER agents_count_update ON agents;

CREATE FUNCTION agent_counts_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO agent_counts (reporting_rule_id, status, n)
	SELECT reporting_rule_id, status, count(*) FROM new_agents GROUP BY reporting_rule_id, status;
	RETURN NULL;
END
$$;
CREATE FUNCTION agent_counts_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO agent_counts (reporting_rule_id, status, n)
	SELECT reporting_rule_id, status, -count(*) FROM old_agents GROUP BY reporting_rule_id, status;
	RETURN NULL;
END
$$;
CREATE FUNCTION agent_counts_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO agent_counts (reporting_rule_id, status, n)
	SELECT reporting_rule_id, status, sum(n) FROM (
		SELECT reporting_rule_id, status, -1 AS n FROM old_agents
		UNION ALL
		SELECT reporting_rule_id, status, 1 FROM new_agents
	) moved GROUP BY reporting_rule_id, status HAVING sum(n) <> 0;
	RETURN NULL;
END
$$;
CREATE TRIGGER agents_count_insert AFTER INSERT ON agents
	REFERENCING NEW TABLE AS new_agents FOR EACH STATEMENT EXECUTE FUNCTION agent_counts_insert();
CREATE TRIGGER agents_count_delete AFTER DELETE ON agents
	REFERENCING OLD TABLE AS old_agents FOR EACH STATEMENT EXECUTE FUNCTION agent_counts_delete();
CREATE TRIGGER agents_count_update AFTER UPDATE ON agents
	REFERENCING OLD TABLE AS old_agents NEW TABLE AS new_agents FOR EACH STATEMENT EXECUTE FUNCTION agent_counts_update();
DROP FUNCTION agent_counts_track();
