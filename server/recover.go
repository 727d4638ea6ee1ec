package server

import (
	"context"
	"fmt"
	"time"

	"github.com/pantheon-oracles/pantheon/contract"
)

// ResultLookup is implemented by sinks that can say whether they already
// hold a match's result (outbox.Outbox does). Crash recovery asks it so
// that a room whose result reached the sink just before a crash is
// reported with its real outcome rather than as aborted.
type ResultLookup interface {
	// Outcome returns the outcome of matchID's result and true when the
	// sink holds one; false when it does not.
	Outcome(ctx context.Context, matchID string) (outcome contract.Outcome, found bool, err error)
}

// recoverJournal opens the journal and records every room it lists as
// open (accepted, never ended: the process that hosted it died) as an
// aborted match through the sink, synchronously, before the server takes
// new rooms. Its players' seats are released, wagers refunded (the store
// settles aborted matches so) and the lobby hears of it through the ended
// feed. s.mu is held.
func (s *Server) recoverJournal() error {
	j, open, err := openJournal(s.cfg.Journal)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.FlushTimeout)
	defer cancel()
	now := time.Now()
	for _, spec := range open {
		var outcome contract.Outcome
		if lk, ok := s.sink.(ResultLookup); ok {
			if o, found, err := lk.Outcome(ctx, spec.MatchID); err == nil && found {
				outcome = o
			}
		}
		if outcome == "" {
			rec := abortedRecord(spec)
			rec.MatchID, rec.ServerID, rec.Mode, rec.Seed, rec.Arena = spec.MatchID, s.cfg.ServerID, spec.Mode, spec.Seed, spec.Arena
			rec.ContentVersion = s.contentVersion
			rec.StartedAt, rec.EndedAt = now, now
			if err := s.sink.Submit(ctx, rec); err != nil {
				j.close()
				return fmt.Errorf("server: recovering match %s from the journal: %w", spec.MatchID, err)
			}
			outcome = rec.Outcome
		}
		if err := j.end(spec.MatchID); err != nil {
			j.close()
			return err
		}
		s.metrics.recovered.WithLabelValues(outcome.String()).Inc()
		s.ended.add(contract.EndedMatch{MatchID: spec.MatchID, Outcome: outcome, Reason: contract.ReasonServerRestart, Players: spec.Players(), Tickets: spec.Tickets()})
		s.log.Warn("room lost in a crash recovered from the journal", "match", spec.MatchID, "mode", spec.Mode, "outcome", outcome)
	}
	s.journal = j
	return nil
}

// resultDurable is called by the result queue once the sink holds r's
// record: the room is ended in the journal and the lobby is told.
func (s *Server) resultDurable(r queuedResult) {
	rec := &r.rec
	if s.journal != nil {
		if err := s.journal.end(rec.MatchID); err != nil {
			s.metrics.journalErrors.Inc()
			s.log.Error("journal: match end not written (a restart will record it again, harmlessly)", "match", rec.MatchID, "err", err)
		}
	}
	players := make([]string, 0, len(rec.Participants))
	for _, p := range rec.Participants {
		players = append(players, p.PlayerID)
	}
	var tickets []string
	if r.room != nil {
		tickets = r.room.spec.Tickets()
	}
	s.ended.add(contract.EndedMatch{MatchID: rec.MatchID, Outcome: rec.Outcome, Reason: contract.ReasonMatchOver, Players: players, Tickets: tickets})
}
