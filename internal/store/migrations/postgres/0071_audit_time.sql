-- Entries' times never go backwards: the head keeps the newest entry's
-- time, and a writer stamps its entries with the later of its clock and
-- the head's (audit.go). A time range is then a range of seq, found by
-- bisecting the primary key, so the index on at, one more B-tree insert
-- per entry (a tenth of a 100,000-agent sweep's time with the audit log
-- on), goes.
ALTER TABLE audit_head ADD COLUMN at BIGINT NOT NULL DEFAULT 0;
UPDATE audit_head SET at = COALESCE((SELECT max(at) FROM audit_log), 0) WHERE id = 1;
DROP INDEX audit_log_at;
