package lobby

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/pantheon-oracles/pantheon/lobby/auth"
	"github.com/pantheon-oracles/pantheon/persistence"
)

// Page sizes of the history endpoints (?limit).
const (
	defaultPageLimit   = 20  // /v1/me/matches and /v1/me/ledger without ?limit
	maxPageLimit       = 100 // larger ?limit values are lowered to this
	defaultBoardLimit  = 100 // /v1/leaderboards/{mode} without ?limit
	maxBoardLimit      = 100
	defaultAroundLimit = 5  // rows above and below the caller with ?around=me
	maxAroundLimit     = 50 // larger ?limit values with ?around=me are lowered to this
)

// history returns the durable history or a 404 when the lobby has none.
func (l *Lobby) history() (persistence.History, error) {
	if l.hist == nil {
		return nil, fail(http.StatusNotFound, CodeNotFound, "this lobby was started without a history database")
	}
	return l.hist, nil
}

// queryLimit parses ?limit: def when absent, lowered to most, 400 when not
// a positive integer.
func queryLimit(r *http.Request, def, most int) (int, error) {
	s := r.URL.Query().Get("limit")
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return 0, fail(http.StatusBadRequest, CodeBadRequest, "limit must be a positive integer")
	}
	return min(n, most), nil
}

// queryPage reads ?cursor and ?limit.
func queryPage(r *http.Request) (persistence.Page, error) {
	n, err := queryLimit(r, defaultPageLimit, maxPageLimit)
	return persistence.Page{Cursor: r.URL.Query().Get("cursor"), Limit: n}, err
}

// badCursor translates the store's refusal of a cursor.
func badCursor(err error) error {
	if errors.Is(err, persistence.ErrInvalid) {
		return fail(http.StatusBadRequest, CodeBadRequest, "malformed cursor").because(err)
	}
	return err
}

// optTime is a JSON time that is null when unknown.
func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// durationMS is end - start in milliseconds, 0 when either is unknown.
func durationMS(start, end time.Time) int64 {
	if start.IsZero() || end.IsZero() {
		return 0
	}
	return end.Sub(start).Milliseconds()
}

// matchSummaryView is one entry of GET /v1/me/matches.
type matchSummaryView struct {
	MatchID        string     `json:"match_id"`
	Mode           string     `json:"mode"`
	Arena          string     `json:"arena"`
	ContentVersion string     `json:"content_version"`
	StartedAt      *time.Time `json:"started_at"`
	EndedAt        *time.Time `json:"ended_at"`
	DurationMS     int64      `json:"duration_ms"`
	Ticks          int        `json:"ticks"`
	Outcome        string     `json:"outcome"`
	Result         string     `json:"result"`
	Team           int        `json:"team"`
	ReplayBytes    int64      `json:"replay_bytes"`
}

// handleMyMatches: GET /v1/me/matches, the caller's matches newest first.
func (l *Lobby) handleMyMatches(w http.ResponseWriter, r *http.Request, c auth.Claims) error {
	return writeMinePage(l, w, r, "matches", func(h persistence.History, page persistence.Page) ([]persistence.MatchSummary, string, error) {
		return h.MatchesOf(r.Context(), c.PlayerID, page)
	}, func(m persistence.MatchSummary) matchSummaryView {
		return matchSummaryView{
			MatchID: m.MatchID, Mode: m.Mode, Arena: m.Arena, ContentVersion: m.ContentVersion,
			StartedAt: optTime(m.StartedAt), EndedAt: optTime(m.EndedAt), DurationMS: durationMS(m.StartedAt, m.EndedAt),
			Ticks: m.Ticks, Outcome: m.Outcome.String(), Result: m.Result.String(), Team: m.Team, ReplayBytes: m.ReplaySize,
		}
	})
}

// participantView is one seat of a match.
type participantView struct {
	Seat        int    `json:"seat"`
	PlayerID    string `json:"player_id"`
	Result      string `json:"result"`
	Kills       int    `json:"kills"`
	Deaths      int    `json:"deaths"`
	DamageDealt int64  `json:"damage_dealt"`
	DamageTaken int64  `json:"damage_taken"`
	Healing     int64  `json:"healing"`
	Score       int64  `json:"score"`
}

// teamView is one team of a match and its seats.
type teamView struct {
	Team    int               `json:"team"`
	Players []participantView `json:"players"`
}

// rewardView is one drop of a match.
type rewardView struct {
	PlayerID string `json:"player_id"`
	Currency string `json:"currency,omitempty"`
	Amount   int64  `json:"amount"`
	ItemID   string `json:"item_id,omitempty"`
}

// ratingChangeView is what a match did to one player's rating.
type ratingChangeView struct {
	PlayerID    string  `json:"player_id"`
	MuBefore    float64 `json:"mu_before"`
	SigmaBefore float64 `json:"sigma_before"`
	MuAfter     float64 `json:"mu_after"`
	SigmaAfter  float64 `json:"sigma_after"`
}

// matchView is GET /v1/matches/{match_id}.
type matchView struct {
	MatchID        string             `json:"match_id"`
	Mode           string             `json:"mode"`
	Arena          string             `json:"arena"`
	ContentVersion string             `json:"content_version"`
	StartedAt      *time.Time         `json:"started_at"`
	EndedAt        *time.Time         `json:"ended_at"`
	DurationMS     int64              `json:"duration_ms"`
	Ticks          int                `json:"ticks"`
	Outcome        string             `json:"outcome"`
	WinningTeam    int                `json:"winning_team"`
	Teams          []teamView         `json:"teams"`
	Rewards        []rewardView       `json:"rewards"`
	RatingChanges  []ratingChangeView `json:"rating_changes"`
	ReplayBytes    int64              `json:"replay_bytes"`
}

// participantMatch reads a match the caller played in; a match that does
// not exist and one the caller did not play answer the same 404, so that
// the answer does not tell whether the match exists.
func (l *Lobby) participantMatch(r *http.Request, c auth.Claims) (persistence.MatchDetail, error) {
	h, err := l.history()
	if err != nil {
		return persistence.MatchDetail{}, err
	}
	d, err := h.MatchDetail(r.Context(), r.PathValue("match_id"))
	if errors.Is(err, persistence.ErrNotFound) || (err == nil && !d.Participated(c.PlayerID)) {
		return persistence.MatchDetail{}, fail(http.StatusNotFound, CodeMatchNotFound, "no such match among yours")
	}
	return d, err
}

// handleMatch: GET /v1/matches/{match_id}, for its participants.
func (l *Lobby) handleMatch(w http.ResponseWriter, r *http.Request, c auth.Claims) error {
	d, err := l.participantMatch(r, c)
	if err != nil {
		return err
	}
	v := matchView{
		MatchID: d.MatchID, Mode: d.Mode, Arena: d.Arena, ContentVersion: d.ContentVersion,
		StartedAt: optTime(d.StartedAt), EndedAt: optTime(d.EndedAt), DurationMS: durationMS(d.StartedAt, d.EndedAt),
		Ticks: d.Ticks, Outcome: d.Outcome.String(), WinningTeam: d.WinningTeam, ReplayBytes: d.ReplaySize,
		Teams: []teamView{}, Rewards: []rewardView{}, RatingChanges: []ratingChangeView{},
	}
	for _, p := range d.Participants { // seat order
		i := slices.IndexFunc(v.Teams, func(t teamView) bool { return t.Team == p.Team })
		if i < 0 {
			v.Teams = append(v.Teams, teamView{Team: p.Team})
			i = len(v.Teams) - 1
		}
		v.Teams[i].Players = append(v.Teams[i].Players, participantView{
			Seat: p.Seat, PlayerID: p.PlayerID, Result: p.Result.String(), Kills: p.Kills, Deaths: p.Deaths,
			DamageDealt: p.DamageDealt, DamageTaken: p.DamageTaken, Healing: p.Healing, Score: p.Score,
		})
	}
	slices.SortFunc(v.Teams, func(a, b teamView) int { return a.Team - b.Team })
	for _, rw := range d.Rewards {
		v.Rewards = append(v.Rewards, rewardView{PlayerID: rw.PlayerID, Currency: rw.Currency, Amount: rw.Amount, ItemID: rw.ItemID})
	}
	for _, rc := range d.RatingChanges {
		v.RatingChanges = append(v.RatingChanges, ratingChangeView{PlayerID: rc.PlayerID,
			MuBefore: rc.Before.Mu, SigmaBefore: rc.Before.Sigma, MuAfter: rc.After.Mu, SigmaAfter: rc.After.Sigma})
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

// handleReplay: GET /v1/matches/{match_id}/replay, the stored replay
// record (what `pantheon replay verify` reads), for participants.
func (l *Lobby) handleReplay(w http.ResponseWriter, r *http.Request, c auth.Claims) error {
	d, err := l.participantMatch(r, c)
	if err != nil {
		return err
	}
	b, err := l.hist.Replay(r.Context(), d.MatchID)
	if errors.Is(err, persistence.ErrNotFound) {
		return fail(http.StatusNotFound, CodeReplayNotFound, "this match has no stored replay")
	}
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.Header().Set("Content-Disposition", `attachment; filename="`+d.MatchID+`.replay"`)
	w.Header().Set("Cache-Control", "private, no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
	return nil
}

// ratingView is one rating or leaderboard row.
type ratingView struct {
	Rank     int64   `json:"rank,omitempty"`
	PlayerID string  `json:"player_id,omitempty"`
	Mode     string  `json:"mode,omitempty"`
	Mu       float64 `json:"mu"`
	Sigma    float64 `json:"sigma"`
	Score    float64 `json:"score"`
	Matches  int     `json:"matches"`
}

// handleMyRatings: GET /v1/me/ratings, one rating per mode played.
func (l *Lobby) handleMyRatings(w http.ResponseWriter, r *http.Request, c auth.Claims) error {
	return writeMine(l, w, "ratings", func(h persistence.History) ([]persistence.Rating, error) { return h.RatingsOf(r.Context(), c.PlayerID) },
		func(x persistence.Rating) ratingView {
			return ratingView{Mode: x.Mode, Mu: x.Mu, Sigma: x.Sigma, Score: persistence.Score(x), Matches: x.Matches}
		})
}

// handleLeaderboard: GET /v1/leaderboards/{mode}: the top ?limit, or with
// ?around=me the ?limit rows above and below the caller and the caller's.
func (l *Lobby) handleLeaderboard(w http.ResponseWriter, r *http.Request, c auth.Claims) error {
	h, err := l.history()
	if err != nil {
		return err
	}
	mode := r.PathValue("mode")
	if _, err := l.modes.Lookup(mode); err != nil {
		return fail(http.StatusNotFound, CodeUnknownMode, "unknown mode")
	}
	var rows []persistence.Ranked
	switch around := r.URL.Query().Get("around"); around {
	case "":
		n, err := queryLimit(r, defaultBoardLimit, maxBoardLimit)
		if err != nil {
			return err
		}
		rows, err = h.Leaderboard(r.Context(), mode, n)
		if err != nil {
			return err
		}
	case "me":
		n, err := queryLimit(r, defaultAroundLimit, maxAroundLimit)
		if err != nil {
			return err
		}
		rows, err = h.Around(r.Context(), mode, c.PlayerID, n)
		if err != nil {
			return err
		}
	default:
		return fail(http.StatusBadRequest, CodeBadRequest, `around must be "me"`)
	}
	out := make([]ratingView, 0, len(rows))
	for _, x := range rows {
		out = append(out, ratingView{Rank: x.Rank, PlayerID: x.PlayerID, Mu: x.Mu, Sigma: x.Sigma, Score: x.Score, Matches: x.Matches})
	}
	writeJSON(w, http.StatusOK, map[string]any{"mode": mode, "entries": out})
	return nil
}

// balanceView is one currency of a wallet.
type balanceView struct {
	Currency string `json:"currency"`
	Balance  int64  `json:"balance"`
}

// handleMyWallet: GET /v1/me/wallet, balances by currency.
func (l *Lobby) handleMyWallet(w http.ResponseWriter, r *http.Request, c auth.Claims) error {
	return writeMine(l, w, "balances", func(h persistence.History) ([]persistence.WalletBalance, error) {
		return h.Wallet(r.Context(), c.PlayerID)
	},
		func(b persistence.WalletBalance) balanceView {
			return balanceView{Currency: b.Currency, Balance: b.Balance}
		})
}

// ledgerView is one ledger entry of the caller's wallet.
type ledgerView struct {
	ID        int64     `json:"id"`
	Currency  string    `json:"currency"`
	Amount    int64     `json:"amount"`
	Operation string    `json:"operation"`
	MatchID   string    `json:"match_id,omitempty"`
	Reason    string    `json:"reason"`
	CreatedAt time.Time `json:"created_at"`
}

// handleMyLedger: GET /v1/me/ledger, entries newest first.
func (l *Lobby) handleMyLedger(w http.ResponseWriter, r *http.Request, c auth.Claims) error {
	return writeMinePage(l, w, r, "entries", func(h persistence.History, page persistence.Page) ([]persistence.LedgerItem, string, error) {
		return h.LedgerOf(r.Context(), c.PlayerID, page)
	}, func(e persistence.LedgerItem) ledgerView {
		return ledgerView{ID: e.ID, Currency: e.Currency, Amount: e.Amount, Operation: e.Operation,
			MatchID: e.MatchID, Reason: e.Reason, CreatedAt: e.CreatedAt}
	})
}

// codexView is one codex entry and the match that unlocked it.
type codexView struct {
	EntryID string `json:"entry_id"`
	MatchID string `json:"match_id"`
	Tick    int    `json:"tick"`
	Detail  string `json:"detail"`
}

// handleMyCodex: GET /v1/me/codex, in unlock order.
func (l *Lobby) handleMyCodex(w http.ResponseWriter, r *http.Request, c auth.Claims) error {
	return writeMine(l, w, "entries", func(h persistence.History) ([]persistence.CodexUnlock, error) {
		return h.Codex(r.Context(), c.PlayerID)
	},
		func(e persistence.CodexUnlock) codexView {
			return codexView{EntryID: e.EntryID, MatchID: e.MatchID, Tick: e.Tick, Detail: e.Detail}
		})
}

// writeMine answers a GET of one of the caller's lists (ratings, balances,
// codex): read from the history store, each row as its view, under key.
func writeMine[T, V any](l *Lobby, w http.ResponseWriter, key string, read func(persistence.History) ([]T, error), view func(T) V) error {
	h, err := l.history()
	if err != nil {
		return err
	}
	rows, err := read(h)
	if err != nil {
		return err
	}
	out := make([]V, 0, len(rows))
	for _, x := range rows {
		out = append(out, view(x))
	}
	writeJSON(w, http.StatusOK, map[string]any{key: out})
	return nil
}

// writeMinePage is writeMine for a paged list (?cursor, ?limit): the page
// and, under "next_cursor", where the next one starts ("" after the last).
func writeMinePage[T, V any](l *Lobby, w http.ResponseWriter, r *http.Request, key string,
	read func(persistence.History, persistence.Page) ([]T, string, error), view func(T) V) error {
	h, err := l.history()
	if err != nil {
		return err
	}
	page, err := queryPage(r)
	if err != nil {
		return err
	}
	rows, next, err := read(h, page)
	if err != nil {
		return badCursor(err)
	}
	out := make([]V, 0, len(rows))
	for _, x := range rows {
		out = append(out, view(x))
	}
	writeJSON(w, http.StatusOK, map[string]any{key: out, "next_cursor": next})
	return nil
}
