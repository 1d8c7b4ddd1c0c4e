-- agents_status_last_seen lets each status sweep read only the agents whose
-- status changes (live ones gone silent, silent ones heard again) instead of
-- every silent agent at every tick, and serves a status filter sorted by
-- last heard. It costs heartbeats one more index entry to move.
CREATE INDEX agents_status_last_seen ON agents (status, last_seen, id);
