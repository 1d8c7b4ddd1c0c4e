-- Look-alike usernames (issue 11): tc.UsernameSkeleton of each username,
-- unique, so that two users whose names look alike cannot both exist. The
-- store computes it in Go: for users created before this migration it is
-- filled at start-up (fillUsernameSkeletons), and left NULL for a user whose
-- name already collided with an older user's.
ALTER TABLE users ADD COLUMN username_skeleton TEXT;
CREATE UNIQUE INDEX users_username_skeleton_key ON users (username_skeleton);
