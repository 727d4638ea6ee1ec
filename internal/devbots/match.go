package devbots

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/pantheon-oracles/pantheon/bench"
	"github.com/pantheon-oracles/pantheon/contract"
	"github.com/pantheon-oracles/pantheon/persistence"
)

// Store is what devbots reads from the database: stored matches and the
// ratings they moved.
type Store interface {
	persistence.Ratings
	Match(ctx context.Context, matchID string) (contract.MatchRecord, error)
}

// MatchTimeout bounds one start-up bot match (PlayMatch), login to result.
const MatchTimeout = 3 * time.Minute

// storeWait bounds how long PlayMatch waits for each finished match to
// reach the database.
const storeWait = 30 * time.Second

// PlayMatch runs the bench "match" scenario with n bots queueing for mode
// at the lobby at lobbyURL, waits for each finished match to land in store
// and writes it, with the players' new ratings, to out.
func PlayMatch(ctx context.Context, lobbyURL string, n int, mode string, store Store, out io.Writer) (bench.Report, []contract.MatchRecord, error) {
	fmt.Fprintf(out, "\n%d bots: guest login, roster, queue for %s, play to the end...\n", n, mode)
	rep, err := bench.Run(ctx, bench.Config{Scenario: bench.ScenarioMatch, Lobby: lobbyURL, Mode: mode, Clients: n, Timeout: MatchTimeout})
	if err != nil {
		return rep, nil, err
	}
	if err := rep.WriteText(out); err != nil {
		return rep, nil, err
	}
	if rep.Failed > 0 || rep.Match == nil || rep.Match.Finished != n {
		return rep, nil, fmt.Errorf("the bot match did not finish cleanly (%d failed)", rep.Failed)
	}
	var recs []contract.MatchRecord
	for _, id := range rep.Match.MatchIDs {
		wctx, cancel := context.WithTimeout(ctx, storeWait)
		rec, err := WaitStored(wctx, store, id, storeWait)
		cancel()
		if errors.Is(err, persistence.ErrNotFound) {
			err = fmt.Errorf("match %s never reached the database in %v", id, storeWait)
		}
		if err != nil {
			return rep, recs, err
		}
		recs = append(recs, rec)
		fmt.Fprintf(out, "stored %s: %s %s after %d ticks, %d rewards, replay %d bytes, final hash %016x\n",
			rec.MatchID, rec.Mode, rec.Outcome, rec.Ticks, len(rec.Rewards), len(rec.Replay), rec.FinalHash)
		ids := make([]string, len(rec.Participants))
		for i, p := range rec.Participants {
			ids[i] = p.PlayerID
		}
		ratings, err := store.Ratings(ctx, rec.Mode, ids)
		if err != nil {
			return rep, recs, err
		}
		for i, p := range rec.Participants {
			fmt.Fprintf(out, "  seat %d team %d %-4s player %s: rating mu %.2f sigma %.2f after %d match(es)\n",
				p.Seat, p.Team, p.Result, p.PlayerID, ratings[i].Mu, ratings[i].Sigma, ratings[i].Matches)
		}
	}
	return rep, recs, nil
}

// WaitStored reads match id from store, polling every 100 ms for up to wait
// (or until ctx ends) while the outbox has not flushed it yet. Past wait it
// returns persistence.ErrNotFound; an ended ctx returns ctx's error.
func WaitStored(ctx context.Context, store Store, id string, wait time.Duration) (contract.MatchRecord, error) {
	deadline := time.Now().Add(wait)
	for {
		rec, err := store.Match(ctx, id)
		if !errors.Is(err, persistence.ErrNotFound) || time.Now().After(deadline) {
			return rec, err
		}
		select {
		case <-ctx.Done():
			return rec, fmt.Errorf("match %s never reached the database: %w", id, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}
