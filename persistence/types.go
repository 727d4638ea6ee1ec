package persistence

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/pantheon-oracles/pantheon/contract"
)

// More sentinel errors.
var (
	// ErrInvalid: an argument is malformed (empty id, non-positive amount,
	// unknown role or outcome, a record that contradicts itself).
	ErrInvalid = errors.New("persistence: invalid argument")
	// ErrWagersClosed: the match's wagers are already settled or refunded.
	ErrWagersClosed = errors.New("persistence: wagers closed for match")
)

// Sentinel errors. Callers compare with errors.Is; the lobby maps them to
// HTTP status codes and stable error codes.
var (
	// ErrNotFound: the row asked for does not exist.
	ErrNotFound = errors.New("persistence: not found")
	// ErrIdentityTaken: the (provider, subject) identity is linked to another player.
	ErrIdentityTaken = errors.New("persistence: identity linked to another player")
	// ErrRefreshReused: a refresh token that was already rotated was presented
	// again; the whole family has been revoked as a result.
	ErrRefreshReused = errors.New("persistence: refresh token reused; family revoked")
	// ErrRevoked: the refresh-token family was revoked (logout or reuse) or expired.
	ErrRevoked = errors.New("persistence: refresh token family revoked or expired")
	// ErrInsufficientFunds: the debit would make a balance negative.
	ErrInsufficientFunds = errors.New("persistence: insufficient funds")
	// ErrIdempotencyMismatch: an idempotency key was reused with different parameters.
	ErrIdempotencyMismatch = errors.New("persistence: idempotency key reused with different parameters")
	// ErrUnavailable: the database cannot be reached; retry later.
	ErrUnavailable = errors.New("persistence: database unavailable")
)

// Player is one account.
type Player struct {
	ID          string    // opaque, stable player id
	DisplayName string    // shown to other players; may be empty
	CreatedAt   time.Time // UTC
}

// Identity is one login identity linked to a player. Provider is "device"
// for guest logins (Subject is the device id), or a platform such as
// "discord", "steam", "apple", "google", "gpt", "dev".
type Identity struct {
	Provider string
	Subject  string
	PlayerID string
	LinkedAt time.Time
}

// Accounts stores players and their linked identities.
type Accounts interface {
	// LoginIdentity returns the player linked to (provider, subject), creating
	// the player and the link when none exists (created reports which).
	LoginIdentity(ctx context.Context, provider, subject, displayName string) (p Player, created bool, err error)
	// LinkIdentity links (provider, subject) to playerID. Linking an identity
	// already linked to the same player is a no-op; to another player it
	// returns ErrIdentityTaken.
	LinkIdentity(ctx context.Context, playerID, provider, subject string) error
	// Identities lists a player's linked identities, oldest first.
	Identities(ctx context.Context, playerID string) ([]Identity, error)
	// Player returns one player or ErrNotFound.
	Player(ctx context.Context, playerID string) (Player, error)
}

// RefreshFamily is one chain of rotating refresh tokens, started by a login.
// Only a hash of the current token's secret is stored.
type RefreshFamily struct {
	ID          string
	PlayerID    string
	CurrentHash []byte    // SHA-256 of the current token secret
	Generation  int       // 0 at login, +1 per rotation
	ExpiresAt   time.Time // absolute end of the family
	RevokedAt   time.Time // zero when live
}

// NewestFamilies sorts fams in PlayerFamilies' order (latest expiry
// first, then by ID) and keeps at most limit of them, for the
// implementations of RefreshTokens.
func NewestFamilies(fams []RefreshFamily, limit int) []RefreshFamily {
	slices.SortFunc(fams, func(a, b RefreshFamily) int {
		if c := b.ExpiresAt.Compare(a.ExpiresAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return fams[:min(len(fams), max(limit, 0))]
}

// RefreshTokens stores refresh-token families.
type RefreshTokens interface {
	// CreateRefreshFamily stores a new family.
	CreateRefreshFamily(ctx context.Context, f RefreshFamily) error
	// RotateRefresh atomically replaces the family's current hash with
	// newHash when presentedHash equals it and the family is live, and
	// returns the updated family. A presentedHash that does not match means
	// an old token was replayed: the family is revoked and ErrRefreshReused
	// returned. A revoked or expired family gives ErrRevoked.
	RotateRefresh(ctx context.Context, familyID string, presentedHash, newHash []byte, now time.Time) (RefreshFamily, error)
	// RevokeFamily revokes one family (logout). Revoking twice is a no-op.
	RevokeFamily(ctx context.Context, familyID string, now time.Time) error
	// RevokePlayerFamilies revokes every live family of a player (logout everywhere).
	RevokePlayerFamilies(ctx context.Context, playerID string, now time.Time) error
	// PlayerFamilies lists a player's families (sessions) that expire
	// after now, live and revoked, newest expiry first, at most limit.
	PlayerFamilies(ctx context.Context, playerID string, now time.Time, limit int) ([]RefreshFamily, error)
}

// Rosters stores players' oracles.
type Rosters interface {
	// Oracles lists a player's oracles ordered by ID.
	Oracles(ctx context.Context, playerID string) ([]contract.Oracle, error)
	// SaveOracle inserts or updates an oracle owned by o.PlayerID.
	SaveOracle(ctx context.Context, o contract.Oracle) error
	// DeleteOracle removes one oracle; ErrNotFound if the player has no such oracle.
	DeleteOracle(ctx context.Context, playerID, oracleID string) error
}

// Rating is a player's skill estimate in one mode (OpenSkill-style: Mu is
// the mean, Sigma the uncertainty). New players start at the rating
// package's defaults.
type Rating struct {
	PlayerID string
	Mode     string
	Mu       float64
	Sigma    float64
	Matches  int
}

// Ratings reads ratings; they are written by ApplyMatches.
type Ratings interface {
	// Ratings returns the rating of each player in mode; players without a
	// row get the default rating with Matches == 0.
	Ratings(ctx context.Context, mode string, playerIDs []string) ([]Rating, error)
}

// Transfer moves Amount of Currency from one player's wallet to another's
// as a double-entry ledger pair under IdempotencyKey.
type Transfer struct {
	IdempotencyKey string
	From, To       string // player ids
	Currency       string
	Amount         int64 // > 0
}

// Grant credits (Amount > 0) or debits (Amount < 0) a wallet against the
// house account under IdempotencyKey (purchases, admin grants).
type Grant struct {
	IdempotencyKey string
	PlayerID       string
	Currency       string
	Amount         int64
	Reason         string
}

// Wager escrows Amount of a player's Currency for MatchID. It is settled
// when the match result is applied (the winners share the pot) or refunded
// when the match is aborted.
type Wager struct {
	IdempotencyKey string
	MatchID        string
	PlayerID       string
	Currency       string
	Amount         int64 // > 0
}

// LedgerEntry is one signed movement on one wallet.
type LedgerEntry struct {
	ID             int64
	PlayerID       string // the house account is "house", escrow is "escrow:<match id>"
	Currency       string
	Amount         int64 // signed
	IdempotencyKey string
	Reason         string
	CreatedAt      time.Time
}

// Ledger is the economy: wallets, double-entry transfers and wagers. Every
// call with an idempotency key already used with the same parameters returns
// the first result and changes nothing; with different parameters it returns
// ErrIdempotencyMismatch. No balance ever goes negative.
type Ledger interface {
	Balance(ctx context.Context, playerID, currency string) (int64, error)
	Transfer(ctx context.Context, t Transfer) (LedgerEntry, error)
	Grant(ctx context.Context, g Grant) (LedgerEntry, error)
	PlaceWager(ctx context.Context, w Wager) (LedgerEntry, error)
	// RefundWagers returns every unsettled wager of an aborted match.
	RefundWagers(ctx context.Context, matchID string) error
	// Entries lists a wallet's ledger entries, oldest first.
	Entries(ctx context.Context, playerID, currency string) ([]LedgerEntry, error)
}

// Results applies finished matches.
type Results interface {
	// ApplyMatches applies each record exactly once, in one transaction per
	// record or batch: the match and participant rows, the replay, rating
	// updates, reward credits, wager settlement and codex entries. Records
	// whose MatchID is already stored are skipped. It returns how many were
	// newly applied.
	ApplyMatches(ctx context.Context, recs []contract.MatchRecord) (applied int, err error)
	// Match reads one stored match back, or ErrNotFound.
	Match(ctx context.Context, matchID string) (contract.MatchRecord, error)
}

// Store is everything a backend (Postgres or embedded) provides.
type Store interface {
	Accounts
	RefreshTokens
	Rosters
	Ratings
	Ledger
	Results
	Progress // added with the implementation: codex entries and achievements (progress.go)
	History  // player-facing reads of results, ratings and the ledger (history.go)
	// Ping reports whether the database answers; ErrUnavailable when not.
	Ping(ctx context.Context) error
	Close() error
}

// Ledger accounts besides players.
const (
	// HouseAccount issues and absorbs currency (grants, rewards, purchases).
	// It is the only wallet allowed below zero: its balance is minus the
	// money in circulation.
	HouseAccount = "house"
	// escrowPrefix + match id holds the wagers of one match until settlement.
	escrowPrefix = "escrow:"
)

// EscrowAccount returns the ledger account holding a match's wagers.
func EscrowAccount(matchID string) string { return escrowPrefix + matchID }

// Achievement is one achievement a player unlocked.
type Achievement struct {
	PlayerID      string
	AchievementID string    // content id of the achievement
	MatchID       string    // the match that earned it, or ""
	UnlockedAt    time.Time // UTC
}

// CodexUnlock is one codex entry recorded for a player by a match.
type CodexUnlock struct {
	MatchID string
	contract.CodexEntry
}

// Progress reads and records what players unlocked. Codex entries are
// written by ApplyMatches; achievements by whoever evaluates their rules.
type Progress interface {
	// Codex lists a player's codex entries in the order the matches were
	// applied, then record order.
	Codex(ctx context.Context, playerID string) ([]CodexUnlock, error)
	// Achievements lists a player's achievements, oldest first.
	Achievements(ctx context.Context, playerID string) ([]Achievement, error)
	// UnlockAchievement records an achievement once: unlocked is false when
	// the player already had it (the first unlock is kept). ErrNotFound for
	// an unknown player or match.
	UnlockAchievement(ctx context.Context, a Achievement) (unlocked bool, err error)
}

// ValidateRecord reports (ErrInvalid) a record the store would refuse: an
// empty match id, an unknown outcome or result, a seat or player twice, a
// team_win whose winning team has no participant, a negative reward.
func ValidateRecord(r contract.MatchRecord) error {
	if r.MatchID == "" {
		return invalid("match record: empty match id")
	}
	if !r.Outcome.Valid() {
		return invalid("match %s: unknown outcome %q", r.MatchID, r.Outcome)
	}
	if r.Ticks < 0 {
		return invalid("match %s: negative ticks", r.MatchID)
	}
	seats := map[int]bool{}
	players := map[string]bool{}
	winners := false
	for _, p := range r.Participants {
		switch {
		case p.PlayerID == "":
			return invalid("match %s: seat %d has no player", r.MatchID, p.Seat)
		case p.Seat < 0 || seats[p.Seat]:
			return invalid("match %s: seat %d negative or twice", r.MatchID, p.Seat)
		case players[p.PlayerID]:
			return invalid("match %s: player %s twice", r.MatchID, p.PlayerID)
		case p.Kills < 0 || p.Deaths < 0:
			return invalid("match %s: seat %d negative kills or deaths", r.MatchID, p.Seat)
		}
		if !p.Result.Valid() {
			return invalid("match %s: seat %d unknown result %q", r.MatchID, p.Seat, p.Result)
		}
		seats[p.Seat], players[p.PlayerID] = true, true
		winners = winners || p.Team == r.WinningTeam
	}
	if r.Outcome == contract.OutcomeTeamWin && !winners {
		return invalid("match %s: team_win by team %d, which has no participant", r.MatchID, r.WinningTeam)
	}
	for i, rw := range r.Rewards {
		if rw.PlayerID == "" || rw.Amount < 0 || (rw.Amount > 0 && rw.Currency == "") {
			return invalid("match %s: reward %d malformed", r.MatchID, i)
		}
	}
	for i, c := range r.Codex {
		if c.PlayerID == "" || c.EntryID == "" {
			return invalid("match %s: codex entry %d malformed", r.MatchID, i)
		}
	}
	return nil
}

// invalid wraps ErrInvalid with a message.
func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}
