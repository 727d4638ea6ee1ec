package lobby

import (
	"context"
	"errors"
	"fmt"

	"github.com/pantheon-oracles/pantheon/contract"
	"github.com/pantheon-oracles/pantheon/lobby/fleet"
	"github.com/pantheon-oracles/pantheon/lobby/store"
	"github.com/prometheus/client_golang/prometheus"
)

// EventMatchEnded: the match a ticket was assigned to ended; MatchID,
// Outcome (team_win, draw, ..., aborted) and Reason (match_over, or
// room_server_restarted when its room server crashed and the match was
// recorded as aborted) say how. The ticket is then in state ended and its
// players may queue again. Sent once the result is durable.
const EventMatchEnded = "match_ended"

// maxEndedPerHeartbeat and maxTicketsPerEnded bound a heartbeat's
// matches_ended (the room server sends at most 256 a heartbeat).
const (
	maxEndedPerHeartbeat = 256
	maxTicketsPerEnded   = 64
)

// endedMetrics count what heartbeats' matches_ended settle.
type endedMetrics struct {
	matches *prometheus.CounterVec // outcome
	tickets prometheus.Counter
}

func newEndedMetrics(reg prometheus.Registerer) endedMetrics {
	m := endedMetrics{
		matches: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "pantheon_lobby", Name: "matches_ended_total",
			Help: "Matches room servers reported ended (results durable), by outcome; repeats are not counted."}, []string{"outcome"}),
		tickets: prometheus.NewCounter(prometheus.CounterOpts{Namespace: "pantheon_lobby", Name: "tickets_ended_total",
			Help: "Tickets moved from assigned to ended by a match end."}),
	}
	reg.MustRegister(m.matches, m.tickets)
	return m
}

// validateEnded checks a heartbeat's matches_ended.
func validateEnded(ended []fleet.EndedMatch) error {
	if len(ended) > maxEndedPerHeartbeat {
		return fmt.Errorf("matches_ended: %d entries, at most %d", len(ended), maxEndedPerHeartbeat)
	}
	for _, m := range ended {
		if m.MatchID == "" || len(m.MatchID) > 128 || len(m.Tickets) > maxTicketsPerEnded || len(m.Reason) > 64 {
			return fmt.Errorf("matches_ended: entry %q: match_id 1..128 bytes, at most %d tickets, a reason of at most 64 bytes", m.MatchID, maxTicketsPerEnded)
		}
		switch m.Outcome {
		case contract.OutcomeTeamWin, contract.OutcomeDraw, contract.OutcomeRaidWin, contract.OutcomeWipe,
			contract.OutcomeTimeout, contract.OutcomeSuccess, contract.OutcomeFailure, contract.OutcomeAborted:
		default:
			return fmt.Errorf("matches_ended: match %s: unknown outcome %q", m.MatchID, m.Outcome)
		}
	}
	return nil
}

// matchesEnded settles the tickets of matches server reported ended:
// each ticket assigned to the match moves to ended (with the outcome and
// reason) and its players get a match_ended event. A repeated report
// changes nothing. A store failure fails the heartbeat, so the server
// reports the match again.
func (l *Lobby) matchesEnded(ctx context.Context, server string, ended []fleet.EndedMatch) error {
	for _, m := range ended {
		settled := 0
		for _, id := range m.Tickets {
			err := l.st.EndTicket(ctx, id, m.MatchID, m.Outcome, m.Reason)
			switch {
			case errors.Is(err, store.ErrStateConflict), errors.Is(err, store.ErrNotFound):
				continue // already ended (a repeat), or gone past retention
			case err != nil:
				return err
			}
			settled++
			l.ended.tickets.Inc()
			rec, err := l.st.Ticket(ctx, id)
			if err != nil {
				return err
			}
			l.notifyPlayers(ctx, rec.PlayerIDs, Event{Type: EventMatchEnded, TicketID: id, Mode: rec.Mode,
				State: store.StateEnded, MatchID: m.MatchID, Outcome: m.Outcome, Reason: m.Reason})
		}
		if settled > 0 {
			l.ended.matches.WithLabelValues(m.Outcome).Inc()
			l.log.Info("match ended", "match", m.MatchID, "server", server, "outcome", m.Outcome, "reason", m.Reason, "tickets", settled)
		}
	}
	return nil
}
