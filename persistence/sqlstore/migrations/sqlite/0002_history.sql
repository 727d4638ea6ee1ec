-- Version 2 (SQLite): the player-facing history (persistence.History).

-- The rating of each rated participant before and after one match, written
-- by the result transaction together with the ratings update (so once per
-- match). Aborted and single-team matches rate nobody and have no rows.
CREATE TABLE match_ratings (
	match_id     TEXT NOT NULL REFERENCES matches (match_id) ON DELETE CASCADE,
	seat         INTEGER NOT NULL,
	player_id    TEXT NOT NULL,
	mu_before    REAL NOT NULL,
	sigma_before REAL NOT NULL,
	mu_after     REAL NOT NULL,
	sigma_after  REAL NOT NULL,
	PRIMARY KEY (match_id, seat)
);

-- Leaderboards: a mode's board sorted by the conservative score
-- mu - 3 * sigma, highest first, ties by player id; a top-N read is an
-- index scan. Queries must spell the expression exactly so.
CREATE INDEX ratings_leaderboard ON ratings (mode, (mu - 3 * sigma) DESC, player_id);
