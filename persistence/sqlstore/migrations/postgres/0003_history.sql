-- Version 3 (PostgreSQL): the player-facing history (persistence.History).

-- The rating of each rated participant before and after one match, written
-- by the result transaction together with the ratings update (so once per
-- match). Aborted and single-team matches rate nobody and have no rows.
CREATE TABLE match_ratings (
	match_id     TEXT NOT NULL REFERENCES matches (match_id) ON DELETE CASCADE,
	seat         INTEGER NOT NULL,
	player_id    TEXT NOT NULL,
	mu_before    DOUBLE PRECISION NOT NULL,
	sigma_before DOUBLE PRECISION NOT NULL,
	mu_after     DOUBLE PRECISION NOT NULL,
	sigma_after  DOUBLE PRECISION NOT NULL,
	PRIMARY KEY (match_id, seat)
);

-- Leaderboards: a mode's board sorted by the conservative score
-- mu - 3 * sigma, highest first, ties by player id; a top-N read is an
-- index scan (BenchmarkLeaderboard). Queries must spell the expression
-- exactly so. Building it locks ratings against writes; on a large live
-- table create it CONCURRENTLY by hand first (this then is a no-op).
CREATE INDEX IF NOT EXISTS ratings_leaderboard ON ratings (mode, (mu - 3 * sigma) DESC, player_id);
