package persistence

import (
	"context"
	"time"

	"github.com/pantheon-oracles/pantheon/contract"
)

// Page asks for one page of a newest-first listing: Cursor is "" for the
// first page, else the NextCursor of the previous page; Limit is the most
// rows wanted (values below 1 mean 1; implementations may cap it).
type Page struct {
	Cursor string
	Limit  int
}

// MatchSummary is one line of a player's match history.
type MatchSummary struct {
	MatchID        string
	Mode           string
	Arena          string
	ContentVersion string
	StartedAt      time.Time // UTC; zero when not recorded
	EndedAt        time.Time // UTC; zero when not recorded
	Ticks          int
	Outcome        contract.Outcome // the match's outcome
	Result         contract.Result  // this player's result
	Team           int              // this player's team
	ReplaySize     int64            // bytes of the stored replay; 0 when none
}

// Duration is EndedAt - StartedAt, or 0 when either is unknown.
func (m MatchSummary) Duration() time.Duration {
	if m.StartedAt.IsZero() || m.EndedAt.IsZero() {
		return 0
	}
	return m.EndedAt.Sub(m.StartedAt)
}

// RatingChange is what one match did to one participant's rating.
type RatingChange struct {
	PlayerID      string
	Before, After Rating // Before.Matches and After.Matches are not recorded (0)
}

// MatchDetail is one stored match as the history shows it: the record
// without its replay bytes (ReplaySize says how many there are) and the
// rating change of each rated participant (none for aborted or
// single-team matches).
type MatchDetail struct {
	contract.MatchRecord                // Replay is nil
	ReplaySize           int64          // bytes of the stored replay; 0 when none
	RatingChanges        []RatingChange // in seat order
}

// Participated reports whether playerID played in the match.
func (d MatchDetail) Participated(playerID string) bool {
	for _, p := range d.Participants {
		if p.PlayerID == playerID {
			return true
		}
	}
	return false
}

// Ranked is one leaderboard row: a rating, its score and its 1-based rank
// in the mode (ties broken by player id).
type Ranked struct {
	Rating
	Score float64 // Mu - 3*Sigma, what the board sorts by (highest first)
	Rank  int64
}

// Score is the leaderboard's sort key of a rating: the conservative
// estimate Mu - 3*Sigma (0 for a new player at the default rating).
func Score(r Rating) float64 { return r.Mu - 3*r.Sigma }

// WalletBalance is one currency of a player's wallet.
type WalletBalance struct {
	Currency string
	Balance  int64
}

// LedgerItem is one ledger entry of a player's wallet with the operation
// that made it.
type LedgerItem struct {
	LedgerEntry
	Operation string // grant, transfer, wager, rewards, settle
	MatchID   string // the match the operation belongs to, or ""
}

// History reads what results, ratings and the ledger recorded, for the
// player-facing API. Listings are newest first and paged with an opaque
// cursor (Page); a player with nothing recorded gets empty lists, never an
// error.
type History interface {
	// MatchesOf lists the matches playerID took part in, newest (by end,
	// else apply time) first, and the cursor of the next page ("" when
	// this page is the last).
	MatchesOf(ctx context.Context, playerID string, page Page) ([]MatchSummary, string, error)
	// MatchDetail reads one match for the history, or ErrNotFound.
	MatchDetail(ctx context.Context, matchID string) (MatchDetail, error)
	// Replay returns a match's stored replay bytes, or ErrNotFound when
	// the match or its replay is not stored.
	Replay(ctx context.Context, matchID string) ([]byte, error)
	// RatingsOf lists a player's ratings, one per mode played, by mode.
	RatingsOf(ctx context.Context, playerID string) ([]Rating, error)
	// Leaderboard returns the top limit ratings of mode by Score.
	Leaderboard(ctx context.Context, mode string, limit int) ([]Ranked, error)
	// Around returns up to n rows above playerID in mode's board, the
	// player's own row and up to n rows below it; empty when the player
	// has no rating in mode.
	Around(ctx context.Context, mode, playerID string, n int) ([]Ranked, error)
	// Wallet lists a player's balances by currency (wallets that never
	// moved are absent).
	Wallet(ctx context.Context, playerID string) ([]WalletBalance, error)
	// LedgerOf lists a player's ledger entries in every currency, newest
	// first, and the cursor of the next page.
	LedgerOf(ctx context.Context, playerID string, page Page) ([]LedgerItem, string, error)
	// Codex is Progress.Codex: the player's codex entries and the matches
	// that unlocked them.
	Codex(ctx context.Context, playerID string) ([]CodexUnlock, error)
}
