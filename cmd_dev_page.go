package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/pantheon-oracles/pantheon/bench"
	"github.com/pantheon-oracles/pantheon/contract"
	"github.com/pantheon-oracles/pantheon/ecs"
	"github.com/pantheon-oracles/pantheon/lobby"
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
const (
	// maxPageBots bounds the bots of one request (a raid's 39 free seats).
	maxPageBots = 39
	// maxBotRuns bounds the bot runs going on at once.
	maxBotRuns = 4
	// botRunTimeout ends a bot run that has not finished its match.
	botRunTimeout = 12 * time.Minute
	// maxMatchWait bounds GET /dev/matches/{id}?wait_ms=.
	maxMatchWait = 15 * time.Second
)

// devPage is the site `pantheon dev` mounts on the lobby: the page and the
// /dev/ endpoints.
type devPage struct {
	lobby    *lobby.Lobby // set once the lobby exists
	lobbyURL string       // set once the lobby listens
	store    persistence.Store
	content  *ecs.Content
	log      *slog.Logger

	ctx  context.Context // cancelled by stop: ends the bot runs
	stop context.CancelFunc
	runs sync.WaitGroup
	sem  chan struct{} // one token per bot run going on

	mu     sync.Mutex
	played []string // matches the bot runs finished, oldest first (the last 100)
}

func newDevPage(store persistence.Store, content *ecs.Content, log *slog.Logger) *devPage {
	ctx, stop := context.WithCancel(context.Background())
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &devPage{store: store, content: content, log: log, ctx: ctx, stop: stop, sem: make(chan struct{}, maxBotRuns)}
}

// handler routes the page's requests.
func (p *devPage) handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/", web.Handler())
	mux.HandleFunc("POST /dev/bots", p.authed(p.handleBots))
	mux.HandleFunc("GET /dev/rating", p.authed(p.handleRating))
	mux.HandleFunc("GET /dev/matches/{match_id}", p.authed(p.handleMatch))
	return mux
}

// close stops the bot runs and waits for them.
func (p *devPage) close() {
	p.stop()
	p.runs.Wait()
}

// pageError is a /dev/ endpoint's error, written like the lobby's.
type pageError struct {
	status int
	code   string
	msg    string
}

func (e *pageError) Error() string { return e.msg }

func (p *devPage) authed(f func(w http.ResponseWriter, r *http.Request, player string) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, err := p.lobby.Authenticate(r)
		if err == nil {
			err = f(w, r, c.PlayerID)
		}
		var pe *pageError
		switch {
		case err == nil:
		case errors.As(err, &pe):
			writePageJSON(w, pe.status, map[string]string{"code": pe.code, "message": pe.msg})
		default:
			p.lobby.WriteError(w, r, err)
		}
	}
}

func writePageJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// modeOf returns the content's mode id, or a 400.
func (p *devPage) modeOf(id string) (ecs.ModeDef, error) {
	for _, m := range p.content.Modes() {
		if m.ID == id {
			return m, nil
		}
	}
	return ecs.ModeDef{}, &pageError{http.StatusBadRequest, lobby.CodeBadRequest, fmt.Sprintf("unknown mode %q", id)}
}

// handleBots starts a bot run: n bots log in as guests, save an oracle,
// queue for mode and play one match each with the ecs bot, then stop.
func (p *devPage) handleBots(w http.ResponseWriter, r *http.Request, player string) error {
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
	if req.Bots < 1 || req.Bots > maxPageBots {
		return &pageError{http.StatusBadRequest, lobby.CodeBadRequest, fmt.Sprintf("bots must be 1..%d", maxPageBots)}
	}
	select {
	case p.sem <- struct{}{}:
	default:
		w.Header().Set("Retry-After", "10")
		return &pageError{http.StatusTooManyRequests, "rate_limited", fmt.Sprintf("%d bot runs are already playing; try again when one ends", maxBotRuns)}
	}
	p.runs.Add(1)
	go func() {
		defer p.runs.Done()
		defer func() { <-p.sem }()
		p.log.Info("page bots start", "mode", req.Mode, "bots", req.Bots, "for", player)
		rep, err := bench.Run(p.ctx, bench.Config{Scenario: bench.ScenarioMatch, Lobby: p.lobbyURL, Mode: req.Mode,
			Clients: req.Bots, Timeout: botRunTimeout})
		switch {
		case err != nil && p.ctx.Err() == nil:
			p.log.Warn("page bots failed", "mode", req.Mode, "err", err)
		case rep.Failed > 0 && p.ctx.Err() == nil:
			p.log.Warn("page bots had failures", "mode", req.Mode, "failed", rep.Failed, "errors", rep.Errors)
		default:
			p.log.Info("page bots done", "mode", req.Mode, "bots", req.Bots)
		}
		if rep.Match != nil {
			p.mu.Lock()
			p.played = append(p.played, rep.Match.MatchIDs...)
			p.played = p.played[max(0, len(p.played)-100):]
			p.mu.Unlock()
			p.log.Info("page bots played", "mode", req.Mode, "matches", rep.Match.MatchIDs)
		}
	}()
	writePageJSON(w, http.StatusAccepted, map[string]any{"mode": req.Mode, "bots": req.Bots})
	return nil
}

// ratingBody is a player's rating in one mode.
type ratingBody struct {
	Mode    string  `json:"mode"`
	Mu      float64 `json:"mu"`
	Sigma   float64 `json:"sigma"`
	Matches int     `json:"matches"`
}

func (p *devPage) rating(ctx context.Context, mode, player string) (ratingBody, error) {
	rs, err := p.store.Ratings(ctx, mode, []string{player})
	if err != nil {
		return ratingBody{}, err
	}
	if len(rs) != 1 {
		return ratingBody{}, fmt.Errorf("ratings: %d for one player", len(rs))
	}
	return ratingBody{Mode: mode, Mu: rs[0].Mu, Sigma: rs[0].Sigma, Matches: rs[0].Matches}, nil
}

// handleRating answers the caller's rating in ?mode=.
func (p *devPage) handleRating(w http.ResponseWriter, r *http.Request, player string) error {
	m, err := p.modeOf(r.URL.Query().Get("mode"))
	if err != nil {
		return err
	}
	rb, err := p.rating(r.Context(), m.ID, player)
	if err != nil {
		return err
	}
	writePageJSON(w, http.StatusOK, rb)
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
	Rating       ratingBody        `json:"rating"`
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
func (p *devPage) handleMatch(w http.ResponseWriter, r *http.Request, player string) error {
	notFound := &pageError{http.StatusNotFound, lobby.CodeNotFound, "no stored result of that match for you (yet)"}
	wait := time.Duration(0)
	if v := r.URL.Query().Get("wait_ms"); v != "" {
		ms, err := strconv.Atoi(v)
		if err != nil || ms < 0 || ms > int(maxMatchWait/time.Millisecond) {
			return &pageError{http.StatusBadRequest, lobby.CodeBadRequest, fmt.Sprintf("wait_ms must be 0..%d", maxMatchWait/time.Millisecond)}
		}
		wait = time.Duration(ms) * time.Millisecond
	}
	rec, err := p.waitMatch(r.Context(), r.PathValue("match_id"), wait)
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
	writePageJSON(w, http.StatusOK, out)
	return nil
}

// waitMatch reads match id, polling for up to wait while it is not stored.
func (p *devPage) waitMatch(ctx context.Context, id string, wait time.Duration) (contract.MatchRecord, error) {
	deadline := time.Now().Add(wait)
	for {
		rec, err := p.store.Match(ctx, id)
		if !errors.Is(err, persistence.ErrNotFound) || time.Now().After(deadline) {
			return rec, err
		}
		select {
		case <-ctx.Done():
			return rec, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// botMatches lists the matches the bot runs finished (the last 100).
func (p *devPage) botMatches() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.played...)
}
