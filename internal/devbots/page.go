package devbots

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/pantheon-oracles/pantheon/contract"
	"github.com/pantheon-oracles/pantheon/ecs/content"
	"github.com/pantheon-oracles/pantheon/lobby"
	"github.com/pantheon-oracles/pantheon/lobby/auth"
	"github.com/pantheon-oracles/pantheon/persistence"
	"github.com/pantheon-oracles/pantheon/web"
)

// The browser page `pantheon dev` serves at / on the lobby port (package
// web) plays through the lobby's public API like any client. Two things a
// page needs are not in that API, so dev serves them beside it, under
// /dev/, for the page's own player (bearer access token):
//
//	POST /dev/bots {"mode": "ritual", "bots": 5}  start bots that queue for mode and play one match each (202)
//	GET  /dev/rating?mode=ritual                  the caller's rating in mode: {"mode","mu","sigma","matches"}
//	GET  /dev/matches/{match_id}?wait_ms=N        the stored result of a match the caller played; waits up to N ms
//	                                              (at most 15000) for the outbox to flush it, then 404
//
// They exist only in `pantheon dev`: a public lobby fills seats with
// players, and results reach players through the game's own services.

// MaxMatchWait bounds GET /dev/matches/{id}?wait_ms=.
const MaxMatchWait = 15 * time.Second

// Lobby is what the page needs of the lobby it is mounted on (a
// *lobby.Lobby): its players' identity and its error format.
type Lobby interface {
	// Authenticate checks the request's bearer access token.
	Authenticate(r *http.Request) (auth.Claims, error)
	// WriteError answers err as the lobby answers its own errors.
	WriteError(w http.ResponseWriter, r *http.Request, err error)
}

// Page is the site `pantheon dev` mounts on the lobby (lobby.Deps.Site):
// the browser page and the /dev/ endpoints.
type Page struct {
	store   Store
	content *content.Bundle
	log     *slog.Logger

	lobby  Lobby   // set by Bind
	runner *Runner // set by Bind
}

// NewPage returns the page reading results from store and modes from
// content; log (nil: discarded) gets the bot runs' lines. Bind it to its
// lobby before serving.
func NewPage(store Store, content *content.Bundle, log *slog.Logger) *Page {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Page{store: store, content: content, log: log}
}

// Bind mounts the page on the lobby l, listening at lobbyURL (where its
// bots log in). Call it once, before the lobby serves.
func (p *Page) Bind(l Lobby, lobbyURL string) {
	p.lobby, p.runner = l, NewRunner(lobbyURL, p.log)
}

// Handler routes the page's requests.
func (p *Page) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/", web.Handler())
	mux.HandleFunc("POST /dev/bots", p.authed(p.handleBots))
	mux.HandleFunc("GET /dev/rating", p.authed(p.handleRating))
	mux.HandleFunc("GET /dev/matches/{match_id}", p.authed(p.handleMatch))
	return mux
}

// Played lists the matches the page's bot runs finished (the last 100).
func (p *Page) Played() []string {
	if p.runner == nil {
		return nil
	}
	return p.runner.Played()
}

// Close stops the page's bot runs and waits for them.
func (p *Page) Close() {
	if p.runner != nil {
		p.runner.Close()
	}
}

// pageError is a /dev/ endpoint's error, written like the lobby's.
type pageError struct {
	status int
	code   string
	msg    string
}

func (e *pageError) Error() string { return e.msg }

func (p *Page) authed(f func(w http.ResponseWriter, r *http.Request, player string) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, err := p.lobby.Authenticate(r)
		if err == nil {
			err = f(w, r, c.PlayerID)
		}
		var pe *pageError
		switch {
		case err == nil:
		case errors.As(err, &pe):
			writeJSON(w, pe.status, map[string]string{"code": pe.code, "message": pe.msg})
		default:
			p.lobby.WriteError(w, r, err)
		}
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// modeOf returns the content's mode id, or a 400.
func (p *Page) modeOf(id string) (content.ModeDef, error) {
	for _, m := range p.content.Modes() {
		if m.ID == id {
			return m, nil
		}
	}
	return content.ModeDef{}, &pageError{http.StatusBadRequest, lobby.CodeBadRequest, fmt.Sprintf("unknown mode %q", id)}
}

// handleBots starts a bot run: n bots log in as guests, save an oracle,
// queue for mode and play one match each with the ecs bot, then stop.
func (p *Page) handleBots(w http.ResponseWriter, r *http.Request, player string) error {
	var req struct {
		Mode string `json:"mode"`
		Bots int    `json:"bots"`
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return &pageError{http.StatusBadRequest, lobby.CodeBadRequest, "body: " + err.Error()}
	}
	if _, err := p.modeOf(req.Mode); err != nil {
		return err
	}
	if req.Bots < 1 || req.Bots > MaxRunBots {
		return &pageError{http.StatusBadRequest, lobby.CodeBadRequest, fmt.Sprintf("bots must be 1..%d", MaxRunBots)}
	}
	switch err := p.runner.Start(req.Mode, req.Bots, player); {
	case errors.Is(err, ErrBusy):
		w.Header().Set("Retry-After", "10")
		return &pageError{http.StatusTooManyRequests, "rate_limited", fmt.Sprintf("%d bot runs are already playing; try again when one ends", MaxRuns)}
	case err != nil:
		return &pageError{http.StatusServiceUnavailable, lobby.CodeUnavailable, "pantheon dev is stopping"}
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"mode": req.Mode, "bots": req.Bots})
	return nil
}

// Rating is a player's rating in one mode, the body of GET /dev/rating.
type Rating struct {
	Mode    string  `json:"mode"`
	Mu      float64 `json:"mu"`
	Sigma   float64 `json:"sigma"`
	Matches int     `json:"matches"`
}

func (p *Page) rating(ctx context.Context, mode, player string) (Rating, error) {
	rs, err := p.store.Ratings(ctx, mode, []string{player})
	if err != nil {
		return Rating{}, err
	}
	if len(rs) != 1 {
		return Rating{}, fmt.Errorf("ratings: %d for one player", len(rs))
	}
	return Rating{Mode: mode, Mu: rs[0].Mu, Sigma: rs[0].Sigma, Matches: rs[0].Matches}, nil
}

// handleRating answers the caller's rating in ?mode=.
func (p *Page) handleRating(w http.ResponseWriter, r *http.Request, player string) error {
	m, err := p.modeOf(r.URL.Query().Get("mode"))
	if err != nil {
		return err
	}
	rb, err := p.rating(r.Context(), m.ID, player)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rb)
	return nil
}

// matchBody is a stored match as the page shows it: every seat's line,
// and the caller's own rewards, codex entries and rating after the match.
type matchBody struct {
	MatchID      string            `json:"match_id"`
	Mode         string            `json:"mode"`
	Arena        string            `json:"arena"`
	Outcome      contract.Outcome  `json:"outcome"`
	WinningTeam  int               `json:"winning_team"`
	Ticks        int               `json:"ticks"`
	DurationMs   int64             `json:"duration_ms"`
	EndedAt      time.Time         `json:"ended_at"`
	Participants []participantBody `json:"participants"`
	Rewards      []rewardBody      `json:"rewards"`
	Codex        []string          `json:"codex"`
	Rating       Rating            `json:"rating"`
}

type participantBody struct {
	PlayerID    string          `json:"player_id"`
	Seat        int             `json:"seat"`
	Team        int             `json:"team"`
	Result      contract.Result `json:"result"`
	Kills       int             `json:"kills"`
	Deaths      int             `json:"deaths"`
	DamageDealt int64           `json:"damage_dealt"`
	Healing     int64           `json:"healing"`
	Score       int64           `json:"score"`
	You         bool            `json:"you"`
}

type rewardBody struct {
	Currency string `json:"currency,omitempty"`
	Amount   int64  `json:"amount,omitempty"`
	ItemID   string `json:"item_id,omitempty"`
}

// handleMatch answers the stored result of a match the caller played: 404
// until the outbox has flushed it to the database (and for matches the
// caller was not in).
func (p *Page) handleMatch(w http.ResponseWriter, r *http.Request, player string) error {
	notFound := &pageError{http.StatusNotFound, lobby.CodeNotFound, "no stored result of that match for you (yet)"}
	wait := time.Duration(0)
	if v := r.URL.Query().Get("wait_ms"); v != "" {
		ms, err := strconv.Atoi(v)
		if err != nil || ms < 0 || ms > int(MaxMatchWait/time.Millisecond) {
			return &pageError{http.StatusBadRequest, lobby.CodeBadRequest, fmt.Sprintf("wait_ms must be 0..%d", MaxMatchWait/time.Millisecond)}
		}
		wait = time.Duration(ms) * time.Millisecond
	}
	rec, err := WaitStored(r.Context(), p.store, r.PathValue("match_id"), wait)
	if errors.Is(err, persistence.ErrNotFound) {
		return notFound
	}
	if err != nil {
		return err
	}
	out := matchBody{MatchID: rec.MatchID, Mode: rec.Mode, Arena: rec.Arena, Outcome: rec.Outcome, WinningTeam: rec.WinningTeam,
		Ticks: rec.Ticks, DurationMs: rec.EndedAt.Sub(rec.StartedAt).Milliseconds(), EndedAt: rec.EndedAt,
		Participants: []participantBody{}, Rewards: []rewardBody{}, Codex: []string{}}
	played := false
	for _, pt := range rec.Participants {
		you := pt.PlayerID == player
		played = played || you
		out.Participants = append(out.Participants, participantBody{PlayerID: pt.PlayerID, Seat: pt.Seat, Team: pt.Team,
			Result: pt.Result, Kills: pt.Kills, Deaths: pt.Deaths, DamageDealt: pt.DamageDealt, Healing: pt.Healing, Score: pt.Score, You: you})
	}
	if !played {
		return notFound
	}
	for _, rw := range rec.Rewards {
		if rw.PlayerID == player {
			out.Rewards = append(out.Rewards, rewardBody{Currency: rw.Currency, Amount: rw.Amount, ItemID: rw.ItemID})
		}
	}
	for _, c := range rec.Codex {
		if c.PlayerID == player {
			out.Codex = append(out.Codex, c.EntryID)
		}
	}
	if out.Rating, err = p.rating(r.Context(), rec.Mode, player); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
