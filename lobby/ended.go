package lobby

import (
	"context"
	"errors"

	"github.com/pantheon-oracles/pantheon/contract"
	"github.com/pantheon-oracles/pantheon/lobby/store"
	"github.com/prometheus/client_golang/prometheus"
)

// EventMatchEnded: the match a ticket was assigned to ended; MatchID,
// Outcome (team_win, draw, ..., aborted) and Reason (match_over, or
// room_server_restarted when its room server crashed and the match was
// recorded as aborted) say how. The ticket is then in state ended and its
// players may queue again. Sent once the result is durable.
const EventMatchEnded = "match_ended"

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
	for _, o := range []contract.Outcome{contract.OutcomeTeamWin, contract.OutcomeDraw, contract.OutcomeRaidWin, contract.OutcomeWipe,
		contract.OutcomeTimeout, contract.OutcomeSuccess, contract.OutcomeFailure, contract.OutcomeAborted} {
		m.matches.WithLabelValues(o.String()) // exported at 0 from start
	}
	return m
}

// matchesEnded settles the tickets of matches server reported ended:
// each ticket assigned to the match moves to ended (with the outcome and
// reason) and its players get a match_ended event. A repeated report
// changes nothing. A store failure fails the heartbeat, so the server
// reports the match again.
func (l *Lobby) matchesEnded(ctx context.Context, server string, ended []contract.EndedMatch) error {
	for _, m := range ended {
		l.recent.ended(server, m, l.now().UTC())
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
			l.ended.matches.WithLabelValues(m.Outcome.String()).Inc()
			l.log.Info("match ended", "match", m.MatchID, "server", server, "outcome", m.Outcome, "reason", m.Reason, "tickets", settled)
		}
	}
	return nil
}
