-- The audit log (issue 14, docs/audit.md). audit_log is append-only: the
-- triggers refuse every UPDATE, and every DELETE but retention's, which
-- first moves audit_checkpoint to the last entry it removes and then
-- removes entries up to it, oldest first. audit_head is the newest entry's
-- seq and hash: the next entry chains to it (its row lock orders writers
-- across nodes), and verification compares the log's end with it (a
-- removed tail shows).
CREATE TABLE audit_log (
    seq           BIGINT PRIMARY KEY,
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
CREATE FUNCTION audit_log_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        RAISE EXCEPTION 'audit log entries cannot be changed';
    END IF;
    IF OLD.seq > (SELECT seq FROM audit_checkpoint WHERE id = 1) THEN
        RAISE EXCEPTION 'audit log entries are removed only by retention, oldest first';
    END IF;
    RETURN OLD;
END $$;
CREATE TRIGGER audit_log_guard BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_guard();
CREATE FUNCTION audit_log_no_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log cannot be truncated';
END $$;
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_no_truncate();
CREATE FUNCTION audit_head_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.seq < OLD.seq THEN
        RAISE EXCEPTION 'the audit log head only moves forward';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER audit_head_guard BEFORE UPDATE ON audit_head
    FOR EACH ROW EXECUTE FUNCTION audit_head_guard();
CREATE FUNCTION audit_checkpoint_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.seq < OLD.seq OR NEW.hash IS DISTINCT FROM (SELECT hash FROM audit_log WHERE seq = NEW.seq) THEN
        RAISE EXCEPTION 'the audit checkpoint only moves forward, to an entry of the log';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER audit_checkpoint_guard BEFORE UPDATE ON audit_checkpoint
    FOR EACH ROW EXECUTE FUNCTION audit_checkpoint_guard();
