-- Move configs.toml to the end of the row. SQLite stores a row's columns in
-- order, spilling a large value onto a chain of overflow pages; to read any
-- column after it (created_at, ..., current_version) it must walk that
-- chain, so listing 200 configs of 1 MiB read 200 MiB even though a list
-- never returns the TOML. With toml last, a listing stops before it.
-- Keep it last: a column added later with ADD COLUMN would land after it.
-- (PostgreSQL keeps large values out of line already; no change there.)
ALTER TABLE configs ADD COLUMN toml_last TEXT NOT NULL DEFAULT '';
UPDATE configs SET toml_last = toml;
ALTER TABLE configs DROP COLUMN toml;
ALTER TABLE configs RENAME COLUMN toml_last TO toml;
