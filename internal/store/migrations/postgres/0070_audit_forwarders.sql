-- Audit forwarders' cursors (issue 14, docs/audit.md "Forwarders"): each
-- forwarder (syslog, webhook, file) tails audit_log by seq and records
-- here the last seq it delivered, so that after a restart, an outage of
-- its destination or a change of cluster leader it continues from there.
-- The seq only moves forward (store.SetAuditForwarderSeq).
CREATE TABLE audit_forwarders (
    name TEXT PRIMARY KEY,
    seq  BIGINT NOT NULL
);
