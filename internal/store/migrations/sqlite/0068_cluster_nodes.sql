-- Cluster mode (issue 13, docs/cluster.md): the nodes whose caches follow
-- the change feed. A node registers the backend of its listening
-- connection; it counts as live while that backend exists (listen_start
-- tells a reused pid apart), and a write waits for every live node to
-- confirm its changes (store/cluster.go). Unused on SQLite, which has no
-- cluster mode; created on both dialects so the schemas stay alike.
CREATE TABLE cluster_nodes (
    node         TEXT PRIMARY KEY,
    listen_pid   BIGINT NOT NULL,
    listen_start TEXT NOT NULL,
    joined_at    BIGINT NOT NULL
);
