-- agent_counts keeps the number of agents per (reporting rule, status) so that
-- the summary and unfiltered list totals never count a million rows.
-- Triggers append +1/-1 rows instead of updating one row per key: concurrent
-- writers (heartbeat flushes, the scheduler, the API) would otherwise queue on
-- those few rows and could deadlock. The scheduler folds the rows back into
-- one per key at each tick; readers sum them.
CREATE TABLE agent_counts (
	reporting_rule_id TEXT NOT NULL,
	status            TEXT NOT NULL,
	n                 BIGINT NOT NULL
);
CREATE INDEX agent_counts_key ON agent_counts (reporting_rule_id, status);
INSERT INTO agent_counts (reporting_rule_id, status, n)
SELECT reporting_rule_id, status, COUNT(*) FROM agents GROUP BY reporting_rule_id, status;

CREATE FUNCTION agent_counts_track() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP IN ('UPDATE', 'DELETE') THEN
		INSERT INTO agent_counts (reporting_rule_id, status, n) VALUES (OLD.reporting_rule_id, OLD.status, -1);
	END IF;
	IF TG_OP IN ('UPDATE', 'INSERT') THEN
		INSERT INTO agent_counts (reporting_rule_id, status, n) VALUES (NEW.reporting_rule_id, NEW.status, 1);
	END IF;
	RETURN NULL;
END
$$;
CREATE TRIGGER agents_count_insert_delete AFTER INSERT OR DELETE ON agents
	FOR EACH ROW EXECUTE FUNCTION agent_counts_track();
CREATE TRIGGER agents_count_update AFTER UPDATE OF status, reporting_rule_id ON agents
	FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.reporting_rule_id IS DISTINCT FROM NEW.reporting_rule_id)
	EXECUTE FUNCTION agent_counts_track();

-- fleet_health holds one sample of the status counts per scheduler tick, for
-- the fleet health chart; the scheduler prunes samples older than a week.
CREATE TABLE fleet_health (
	at            BIGINT PRIMARY KEY,
	total         BIGINT NOT NULL,
	ok            BIGINT NOT NULL,
	warn          BIGINT NOT NULL,
	fail          BIGINT NOT NULL,
	undefined     BIGINT NOT NULL,
	not_reporting BIGINT NOT NULL
);
