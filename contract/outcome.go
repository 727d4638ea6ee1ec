package contract

// Outcome is how a match ended (MatchRecord.Outcome, EndedMatch.Outcome).
// Its wire, log and database form is the constant's string.
type Outcome string

// Match outcomes.
const (
	OutcomeTeamWin Outcome = "team_win" // a battle won by WinningTeam
	OutcomeDraw    Outcome = "draw"
	OutcomeRaidWin Outcome = "raid_win"
	OutcomeWipe    Outcome = "wipe"
	OutcomeTimeout Outcome = "timeout"
	OutcomeSuccess Outcome = "ritual_success"
	OutcomeFailure Outcome = "ritual_failure"
	OutcomeAborted Outcome = "aborted" // closed or crashed room: wagers refunded, no rating change
)

// String returns the outcome's wire string.
func (o Outcome) String() string { return string(o) }

// Valid reports whether o is one of the Outcome constants.
func (o Outcome) Valid() bool {
	switch o {
	case OutcomeTeamWin, OutcomeDraw, OutcomeRaidWin, OutcomeWipe, OutcomeTimeout, OutcomeSuccess, OutcomeFailure, OutcomeAborted:
		return true
	}
	return false
}

// Result is one seat's part in how a match ended (Participant.Result). Its
// wire, log and database form is the constant's string.
type Result string

// Per-seat results.
const (
	ResultWin       Result = "win"
	ResultLoss      Result = "loss"
	ResultDraw      Result = "draw"
	ResultAbandoned Result = "abandoned" // the seat's player left for good before the end
)

// String returns the result's wire string.
func (r Result) String() string { return string(r) }

// Valid reports whether r is one of the Result constants.
func (r Result) Valid() bool {
	switch r {
	case ResultWin, ResultLoss, ResultDraw, ResultAbandoned:
		return true
	}
	return false
}
