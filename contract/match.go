package contract

import "time"

// Match outcomes (MatchRecord.Outcome) and per-seat results
// (Participant.Result).
const (
	OutcomeTeamWin  = "team_win" // a battle won by WinningTeam
	OutcomeDraw     = "draw"
	OutcomeRaidWin  = "raid_win"
	OutcomeWipe     = "wipe"
	OutcomeTimeout  = "timeout"
	OutcomeSuccess  = "ritual_success"
	OutcomeFailure  = "ritual_failure"
	OutcomeAborted  = "aborted" // closed or crashed room: wagers refunded, no rating change
	ResultWin       = "win"
	ResultLoss      = "loss"
	ResultDraw      = "draw"
	ResultAbandoned = "abandoned"
)

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
	Outcome        string // one of the Outcome constants
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
	Result      string // ResultWin, ResultLoss, ResultDraw or ResultAbandoned
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
