-- agents_severity serves the agents list sorted by severity, problems first
-- (fail, not reporting, warn, undefined, ok), then the longest unheard. The
-- list orders by this same expression (store.severityRank), so the index
-- walks it in order without a stored column for heartbeats to keep up.
CREATE INDEX agents_severity ON agents ((CASE status WHEN 'fail' THEN 0 WHEN 'not_reporting' THEN 1 WHEN 'warn' THEN 2 WHEN 'undefined' THEN 3 ELSE 4 END), last_seen, id);
