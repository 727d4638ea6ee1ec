package server

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// ResultLookup is implemented by sinks that can say whether they already
// hold a match's result (outbox.Outbox does). Crash recovery asks it so
// that a room whose result reached the sink just before a crash is
// reported with its real outcome rather than as aborted.
type ResultLookup interface {
	// Outcome returns the outcome of matchID's result and true when the
	// sink holds one; false when it does not.
	Outcome(ctx context.Context, matchID string) (outcome string, found bool, err error)
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
		outcome := ""
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
		s.metrics.recovered.WithLabelValues(outcome).Inc()
		s.ended.add(EndedMatch{MatchID: spec.MatchID, Outcome: outcome, Reason: "room_server_restarted", Players: specPlayers(spec), Tickets: specTickets(spec)})
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
		tickets = specTickets(r.room.spec)
	}
	s.ended.add(EndedMatch{MatchID: rec.MatchID, Outcome: rec.Outcome, Reason: "match_over", Players: players, Tickets: tickets})
}

// specTickets returns the distinct lobby tickets of spec's seats.
func specTickets(spec RoomSpec) []string {
	var out []string
	for _, st := range spec.Seats {
		if st.TicketID != "" && !slices.Contains(out, st.TicketID) {
			out = append(out, st.TicketID)
		}
	}
	return out
}

func specPlayers(spec RoomSpec) []string {
	out := make([]string, 0, len(spec.Seats))
	for _, st := range spec.Seats {
		out = append(out, st.PlayerID)
	}
	return out
}
