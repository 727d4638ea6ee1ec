package contract

import "time"

// MatchRecord is one finished match as the room server reports it. MatchID is
// the idempotency key: applying the same record twice changes nothing.
type MatchRecord struct {
	MatchID        string
	RoomID         string
	ServerID       string
	Mode           string // "battle_1v1", "battle_3v3", "battle_5v5", "raid", "ritual"
	Arena          string
	ContentVersion string
	Seed           uint64
	StartedAt      time.Time
	EndedAt        time.Time
	Ticks          int
	Outcome        Outcome
	WinningTeam    int    // -1 when no team won
	FinalHash      uint64 // the sim's state hash at the last tick
	Participants   []Participant
	Rewards        []Reward
	Codex          []CodexEntry
	Replay         []byte // encoded replay record; opaque here
}

// Participant is one seat's part in a match.
type Participant struct {
	PlayerID    string
	Seat        int
	Team        int
	Result      Result
	Kills       int
	Deaths      int
	DamageDealt int64
	DamageTaken int64
	Healing     int64
	Score       int64
}

// Reward is one drop for one player: Currency with Amount > 0 is credited to
// the player's wallet; ItemID names an item drop.
type Reward struct {
	PlayerID string
	Currency string
	Amount   int64
	ItemID   string
}

// CodexEntry is a notable oracle action recorded from match events.
type CodexEntry struct {
	PlayerID string
	EntryID  string // content id of the codex entry
	Tick     int
	Detail   string
}
