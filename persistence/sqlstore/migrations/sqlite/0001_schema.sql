-- Pantheon schema, version 1 (SQLite). Times are INTEGER Unix nanoseconds (UTC).

CREATE TABLE players (
	id           TEXT PRIMARY KEY,
	display_name TEXT NOT NULL DEFAULT '',
	created_at   INTEGER NOT NULL
);

CREATE TABLE identities (
	provider  TEXT NOT NULL CHECK (provider <> ''),
	subject   TEXT NOT NULL CHECK (subject <> ''),
	player_id TEXT NOT NULL REFERENCES players (id) ON DELETE CASCADE,
	linked_at INTEGER NOT NULL,
	PRIMARY KEY (provider, subject)
);
CREATE INDEX identities_player ON identities (player_id, linked_at);

CREATE TABLE refresh_families (
	id           TEXT PRIMARY KEY,
	player_id    TEXT NOT NULL REFERENCES players (id) ON DELETE CASCADE,
	current_hash BLOB NOT NULL,
	generation   INTEGER NOT NULL CHECK (generation >= 0),
	expires_at   INTEGER NOT NULL,
	revoked_at   INTEGER
);
CREATE INDEX refresh_families_live ON refresh_families (player_id) WHERE revoked_at IS NULL;

CREATE TABLE oracles (
	player_id  TEXT NOT NULL REFERENCES players (id) ON DELETE CASCADE,
	id         TEXT NOT NULL CHECK (id <> ''),
	name       TEXT NOT NULL,
	archetype  TEXT NOT NULL,
	role       TEXT NOT NULL CHECK (role IN ('host', 'friend', 'descendant')),
	loadout    TEXT NOT NULL, -- JSON array of ability ids
	pet        TEXT NOT NULL,
	form       TEXT NOT NULL,
	totem      TEXT NOT NULL,
	updated_at INTEGER NOT NULL,
	PRIMARY KEY (player_id, id)
);

CREATE TABLE matches (
	match_id        TEXT PRIMARY KEY CHECK (match_id <> ''),
	room_id         TEXT NOT NULL,
	server_id       TEXT NOT NULL,
	mode            TEXT NOT NULL,
	arena           TEXT NOT NULL,
	content_version TEXT NOT NULL,
	seed            INTEGER NOT NULL, -- uint64 bit pattern
	started_at      INTEGER,
	ended_at        INTEGER,
	ticks           INTEGER NOT NULL CHECK (ticks >= 0),
	outcome         TEXT NOT NULL CHECK (outcome IN ('team_win', 'draw', 'raid_win', 'wipe', 'timeout',
	                                                 'ritual_success', 'ritual_failure', 'aborted')),
	winning_team    INTEGER NOT NULL,
	final_hash      INTEGER NOT NULL, -- uint64 bit pattern
	applied_at      INTEGER NOT NULL
);

CREATE TABLE match_participants (
	match_id     TEXT NOT NULL REFERENCES matches (match_id) ON DELETE CASCADE,
	seat         INTEGER NOT NULL CHECK (seat >= 0),
	player_id    TEXT NOT NULL REFERENCES players (id),
	team         INTEGER NOT NULL,
	result       TEXT NOT NULL CHECK (result IN ('win', 'loss', 'draw', 'abandoned')),
	kills        INTEGER NOT NULL CHECK (kills >= 0),
	deaths       INTEGER NOT NULL CHECK (deaths >= 0),
	damage_dealt INTEGER NOT NULL,
	damage_taken INTEGER NOT NULL,
	healing      INTEGER NOT NULL,
	score        INTEGER NOT NULL,
	PRIMARY KEY (match_id, seat)
);
CREATE INDEX match_participants_player ON match_participants (player_id);

CREATE TABLE match_rewards (
	match_id  TEXT NOT NULL REFERENCES matches (match_id) ON DELETE CASCADE,
	seq       INTEGER NOT NULL,
	player_id TEXT NOT NULL REFERENCES players (id),
	currency  TEXT NOT NULL,
	amount    INTEGER NOT NULL CHECK (amount >= 0),
	item_id   TEXT NOT NULL,
	PRIMARY KEY (match_id, seq)
);

CREATE TABLE replays (
	match_id        TEXT PRIMARY KEY REFERENCES matches (match_id) ON DELETE CASCADE,
	content_version TEXT NOT NULL,
	seed            INTEGER NOT NULL,
	final_hash      INTEGER NOT NULL,
	inputs          BLOB NOT NULL -- the encoded replay record
);

CREATE TABLE codex_entries (
	match_id  TEXT NOT NULL REFERENCES matches (match_id) ON DELETE CASCADE,
	seq       INTEGER NOT NULL,
	player_id TEXT NOT NULL REFERENCES players (id),
	entry_id  TEXT NOT NULL,
	tick      INTEGER NOT NULL,
	detail    TEXT NOT NULL,
	PRIMARY KEY (match_id, seq)
);
CREATE INDEX codex_entries_player ON codex_entries (player_id, entry_id);

CREATE TABLE achievements (
	player_id      TEXT NOT NULL REFERENCES players (id) ON DELETE CASCADE,
	achievement_id TEXT NOT NULL CHECK (achievement_id <> ''),
	match_id       TEXT REFERENCES matches (match_id),
	unlocked_at    INTEGER NOT NULL,
	PRIMARY KEY (player_id, achievement_id)
);

CREATE TABLE ratings (
	player_id  TEXT NOT NULL REFERENCES players (id) ON DELETE CASCADE,
	mode       TEXT NOT NULL,
	mu         REAL NOT NULL,
	sigma      REAL NOT NULL CHECK (sigma > 0),
	matches    INTEGER NOT NULL CHECK (matches >= 0),
	updated_at INTEGER NOT NULL,
	PRIMARY KEY (player_id, mode)
);

-- Wallets: one per (account, currency). account is a player id, 'house'
-- (the issuer, the only account allowed below zero) or 'escrow:<match id>'.
CREATE TABLE wallets (
	account   TEXT NOT NULL,
	currency  TEXT NOT NULL CHECK (currency <> ''),
	kind      TEXT NOT NULL CHECK (kind IN ('player', 'house', 'escrow')),
	player_id TEXT REFERENCES players (id),
	balance   INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (account, currency),
	CONSTRAINT wallets_balance_nonnegative CHECK (balance >= 0 OR kind = 'house'),
	CHECK ((kind = 'player') = (player_id IS NOT NULL)),
	CHECK (kind <> 'player' OR player_id = account)
);

-- One row per ledger operation: the idempotency key, what was asked
-- (params, compared on retry) and the wallet whose entry is the result.
CREATE TABLE ledger_ops (
	idempotency_key TEXT PRIMARY KEY CHECK (idempotency_key <> ''),
	kind            TEXT NOT NULL,
	params          TEXT NOT NULL,
	account         TEXT NOT NULL,
	currency        TEXT NOT NULL,
	created_at      INTEGER NOT NULL
);

CREATE TABLE ledger_entries (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	account    TEXT NOT NULL,
	currency   TEXT NOT NULL,
	amount     INTEGER NOT NULL CHECK (amount <> 0),
	op_key     TEXT NOT NULL REFERENCES ledger_ops (idempotency_key),
	reason     TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	FOREIGN KEY (account, currency) REFERENCES wallets (account, currency),
	UNIQUE (op_key, account, currency)
);
CREATE INDEX ledger_entries_wallet ON ledger_entries (account, currency, id);

-- One row per match that has or had wagers; closed when the match is
-- settled or refunded, after which no wager is accepted.
CREATE TABLE wager_books (
	match_id  TEXT PRIMARY KEY,
	state     TEXT NOT NULL CHECK (state IN ('open', 'closed')),
	closed_at INTEGER
);

CREATE TABLE wagers (
	idempotency_key TEXT PRIMARY KEY REFERENCES ledger_ops (idempotency_key),
	match_id        TEXT NOT NULL REFERENCES wager_books (match_id),
	player_id       TEXT NOT NULL REFERENCES players (id),
	currency        TEXT NOT NULL,
	amount          INTEGER NOT NULL CHECK (amount > 0),
	state           TEXT NOT NULL CHECK (state IN ('escrowed', 'won', 'lost', 'refunded')),
	payout          INTEGER NOT NULL DEFAULT 0 CHECK (payout >= 0),
	placed_at       INTEGER NOT NULL,
	settled_at      INTEGER
);
CREATE INDEX wagers_open ON wagers (match_id) WHERE state = 'escrowed';
