-- The audit log (issue 14, docs/audit.md). audit_log is append-only: the
-- triggers refuse every UPDATE, and every DELETE but retention's, which
-- first moves audit_checkpoint to the last entry it removes and then
-- removes entries up to it, oldest first. audit_head is the newest entry's
-- seq and hash: the next entry chains to it, and verification compares the
-- log's end with it (a removed tail shows).
CREATE TABLE audit_log (
    seq           INTEGER PRIMARY KEY, -- the rowid itself: no second B-tree
    at            BIGINT NOT NULL,
    action        TEXT NOT NULL,
    actor_type    TEXT NOT NULL,
    actor_id      TEXT NOT NULL,
    actor_user_id TEXT NOT NULL,
    ip_address    TEXT NOT NULL,
    user_agent    TEXT NOT NULL,
    outcome       TEXT NOT NULL,
    target_type   TEXT NOT NULL,
    target_id     TEXT NOT NULL,
    target_name   TEXT NOT NULL,
    details       TEXT NOT NULL,
    prev_hash     TEXT NOT NULL,
    hash          TEXT NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_target ON audit_log (target_id, seq);
CREATE TABLE audit_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '');
CREATE TABLE audit_checkpoint (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_checkpoint (id, seq, hash) VALUES (1, 0, '');
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit log entries cannot be changed'); END;
CREATE TRIGGER audit_log_prune_only BEFORE DELETE ON audit_log
WHEN OLD.seq > (SELECT seq FROM audit_checkpoint WHERE id = 1)
BEGIN SELECT RAISE(ABORT, 'audit log entries are removed only by retention, oldest first'); END;
CREATE TRIGGER audit_head_forward BEFORE UPDATE ON audit_head
WHEN NEW.seq < OLD.seq
BEGIN SELECT RAISE(ABORT, 'the audit log head only moves forward'); END;
CREATE TRIGGER audit_checkpoint_forward BEFORE UPDATE ON audit_checkpoint
WHEN NEW.seq < OLD.seq OR NEW.hash IS NOT (SELECT hash FROM audit_log WHERE seq = NEW.seq)
BEGIN SELECT RAISE(ABORT, 'the audit checkpoint only moves forward, to an entry of the log'); END;
