-- agent_counts keeps the number of agents per (reporting rule, status) so that
-- the summary and unfiltered list totals never count a million rows.
-- Triggers maintain it; SQLite has a single writer, so each trigger updates
-- its row in place.
CREATE TABLE agent_counts (
	reporting_rule_id TEXT NOT NULL,
	status            TEXT NOT NULL,
	n                 BIGINT NOT NULL,
	PRIMARY KEY (reporting_rule_id, status)
);
INSERT INTO agent_counts (reporting_rule_id, status, n)
SELECT reporting_rule_id, status, COUNT(*) FROM agents GROUP BY reporting_rule_id, status;

CREATE TRIGGER agents_count_insert AFTER INSERT ON agents BEGIN
	INSERT INTO agent_counts (reporting_rule_id, status, n) VALUES (NEW.reporting_rule_id, NEW.status, 1)
	ON CONFLICT (reporting_rule_id, status) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER agents_count_delete AFTER DELETE ON agents BEGIN
	UPDATE agent_counts SET n = n - 1 WHERE reporting_rule_id = OLD.reporting_rule_id AND status = OLD.status;
END;
CREATE TRIGGER agents_count_update AFTER UPDATE OF status, reporting_rule_id ON agents
WHEN OLD.status <> NEW.status OR OLD.reporting_rule_id <> NEW.reporting_rule_id BEGIN
	UPDATE agent_counts SET n = n - 1 WHERE reporting_rule_id = OLD.reporting_rule_id AND status = OLD.status;
	INSERT INTO agent_counts (reporting_rule_id, status, n) VALUES (NEW.reporting_rule_id, NEW.status, 1)
	ON CONFLICT (reporting_rule_id, status) DO UPDATE SET n = n + 1;
END;

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
