package devbots

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/pantheon-oracles/pantheon/bench"
)

const (
	// MaxRunBots bounds the bots of one run (a raid's 39 free seats).
	MaxRunBots = 39
	// MaxRuns bounds the bot runs going on at once.
	MaxRuns = 4
	// RunTimeout ends a bot run that has not finished its match.
	RunTimeout = 12 * time.Minute
	// playedKept is how many finished matches Runner.Played remembers.
	playedKept = 100
)

// ErrBusy is Runner.Start's answer while MaxRuns runs are going on.
var ErrBusy = errors.New("devbots: every bot run slot is taken")

// Runner starts bot runs in the background, at most MaxRuns at once: each
// run's bots log in as guests, save an oracle, queue for a mode and play
// one match each, then stop.
type Runner struct {
	lobbyURL string
	log      *slog.Logger

	ctx  context.Context // cancelled by Close: ends the runs
	stop context.CancelFunc
	runs sync.WaitGroup
	sem  chan struct{} // one token per run going on

	mu     sync.Mutex // guards played, and orders Start against Close
	played []string   // matches the runs finished, oldest first (the last playedKept)
}

// NewRunner returns a Runner whose bots play through the lobby at
// lobbyURL; log (nil: discarded) gets a line per run.
func NewRunner(lobbyURL string, log *slog.Logger) *Runner {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ctx, stop := context.WithCancel(context.Background())
	return &Runner{lobbyURL: lobbyURL, log: log, ctx: ctx, stop: stop, sem: make(chan struct{}, MaxRuns)}
}

// Start starts a run of n bots (1..MaxRunBots, checked by the caller) in
// mode for the player who asked (logged), or returns ErrBusy when MaxRuns
// runs are going on, or the run's context error once Close was called.
func (r *Runner) Start(mode string, n int, forPlayer string) error {
	r.mu.Lock() // Close cannot begin waiting between the check and Add
	defer r.mu.Unlock()
	if err := r.ctx.Err(); err != nil {
		return err
	}
	select {
	case r.sem <- struct{}{}:
	default:
		return ErrBusy
	}
	r.runs.Add(1)
	go func() {
		defer r.runs.Done()
		defer func() { <-r.sem }()
		r.run(mode, n, forPlayer)
	}()
	return nil
}

func (r *Runner) run(mode string, n int, forPlayer string) {
	r.log.Info("page bots start", "mode", mode, "bots", n, "for", forPlayer)
	rep, err := bench.Run(r.ctx, bench.Config{Scenario: bench.ScenarioMatch, Lobby: r.lobbyURL, Mode: mode,
		Clients: n, Timeout: RunTimeout})
	switch {
	case err != nil && r.ctx.Err() == nil:
		r.log.Warn("page bots failed", "mode", mode, "err", err)
	case rep.Failed > 0 && r.ctx.Err() == nil:
		r.log.Warn("page bots had failures", "mode", mode, "failed", rep.Failed, "errors", rep.Errors)
	default:
		r.log.Info("page bots done", "mode", mode, "bots", n)
	}
	if rep.Match != nil {
		r.mu.Lock()
		r.played = append(r.played, rep.Match.MatchIDs...)
		r.played = r.played[max(0, len(r.played)-playedKept):]
		r.mu.Unlock()
		r.log.Info("page bots played", "mode", mode, "matches", rep.Match.MatchIDs)
	}
}

// Played lists the matches the runs finished (the last 100), oldest first.
func (r *Runner) Played() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.played...)
}

// Close stops the runs going on and waits for them; Start fails after it.
func (r *Runner) Close() {
	r.mu.Lock()
	r.stop()
	r.mu.Unlock()
	r.runs.Wait()
}
