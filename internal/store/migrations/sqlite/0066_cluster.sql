-- Cluster mode (issue 13, docs/cluster.md). cluster_leader holds the epoch
-- of the current leader: a node that wins the leader's advisory lock moves
-- the epoch on, and every leader-only transaction proves that its epoch is
-- still the current one (store/cluster.go). cluster_changes counts the
-- transactions that announced changes, so a node can tell that it missed a
-- notification. Each holds exactly one row. Unused on SQLite, which has no
-- cluster mode; created on both dialects so the schemas stay alike.
CREATE TABLE cluster_leader (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    epoch       BIGINT NOT NULL,
    node        TEXT NOT NULL,
    acquired_at BIGINT NOT NULL
);
INSERT INTO cluster_leader (id, epoch, node, acquired_at) VALUES (1, 0, '', 0);
CREATE TABLE cluster_changes (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    counter BIGINT NOT NULL
);
INSERT INTO cluster_changes (id, counter) VALUES (1, 0);
