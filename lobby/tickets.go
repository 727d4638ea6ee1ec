package lobby

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/pantheon-oracles/pantheon/lobby/auth"
	"github.com/pantheon-oracles/pantheon/lobby/match"
	"github.com/pantheon-oracles/pantheon/lobby/store"
	"github.com/pantheon-oracles/pantheon/persistence"
)

// ticketRequest is the body of POST /v1/tickets.
type ticketRequest struct {
	Mode     string `json:"mode"`
	OracleID string `json:"oracle_id"`
}

// assignment is what a ticket in state assigned stores: one seat per member.
type assignment struct {
	Seats []Seat `json:"seats"`
}

// ticketView is a ticket in API bodies; Seat is the caller's seat once
// assigned.
type ticketView struct {
	ID         string    `json:"id"`
	Mode       string    `json:"mode"`
	State      string    `json:"state"`
	Players    []string  `json:"players"`
	EnqueuedAt time.Time `json:"enqueued_at"`
	MatchID    string    `json:"match_id,omitempty"`
	Seat       *Seat     `json:"seat,omitempty"`
}

func viewTicket(rec store.TicketRecord, player string) ticketView {
	v := ticketView{ID: rec.ID, Mode: rec.Mode, State: rec.State, Players: rec.PlayerIDs, EnqueuedAt: rec.EnqueuedAt.UTC(), MatchID: rec.MatchID}
	if len(rec.Assignment) > 0 {
		var a assignment
		if json.Unmarshal(rec.Assignment, &a) == nil {
			for i := range a.Seats {
				if a.Seats[i].PlayerID == player {
					v.Seat = &a.Seats[i]
				}
			}
		}
	}
	return v
}

// handleModes: GET /v1/modes, every queue's composition rules.
func (l *Lobby) handleModes(w http.ResponseWriter, _ *http.Request) error {
	writeJSON(w, http.StatusOK, map[string]any{"modes": match.Modes(), "policy": l.cfg.Policy})
	return nil
}

// handleCreateTicket: POST /v1/tickets queues the caller with one of their
// oracles. The oracle is read from the caller's roster and validated here,
// server-side; the rating comes from persistence.
func (l *Lobby) handleCreateTicket(w http.ResponseWriter, r *http.Request, c auth.Claims) error {
	var req ticketRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if err := l.limit(r.Context(), "tickets:"+c.PlayerID, l.cfg.Limits.TicketsPerPlayer); err != nil {
		return err
	}
	mode, err := match.LookupMode(req.Mode)
	if err != nil {
		return err
	}
	roster, err := l.rosters.Oracles(r.Context(), c.PlayerID)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(roster, func(o persistence.Oracle) bool { return o.ID == req.OracleID })
	if i < 0 {
		return fail(http.StatusNotFound, CodeOracleNotFound, "no such oracle in your roster")
	}
	oracle := roster[i]
	if err := l.checkOracle(oracle); err != nil {
		return err
	}
	ratings, err := l.ratings.Ratings(r.Context(), mode.ID, []string{c.PlayerID})
	if err != nil {
		return err
	}
	if len(ratings) != 1 {
		return fmt.Errorf("ratings of %s in %s: got %d rows", c.PlayerID, mode.ID, len(ratings))
	}
	now := l.now().UTC()
	t := match.Ticket{ID: auth.NewID("t_"), Mode: mode.ID, EnqueuedAt: now, Members: []match.Member{{
		PlayerID: c.PlayerID, Mu: ratings[0].Mu, Sigma: ratings[0].Sigma, Oracle: oracle,
	}}}
	if err := mode.CheckTicket(t); err != nil {
		return err
	}
	data, err := json.Marshal(t)
	if err != nil {
		return err
	}
	rec := store.TicketRecord{ID: t.ID, Mode: t.Mode, PlayerIDs: t.PlayerIDs(), EnqueuedAt: now, Data: data, State: store.StateQueued}
	if err := l.st.Enqueue(r.Context(), rec, l.cfg.QueueCap); err != nil {
		return err
	}
	l.notifyPlayers(r.Context(), rec.PlayerIDs, Event{Type: EventQueueStatus, TicketID: t.ID, Mode: t.Mode,
		State: store.StateQueued, Window: l.cfg.Policy.Window.At(0)})
	writeJSON(w, http.StatusCreated, viewTicket(rec, c.PlayerID))
	return nil
}

// ownTicket reads a ticket the caller belongs to; others' tickets are 404.
func (l *Lobby) ownTicket(r *http.Request, c auth.Claims) (store.TicketRecord, error) {
	rec, err := l.st.Ticket(r.Context(), r.PathValue("ticket_id"))
	if errors.Is(err, store.ErrNotFound) || (err == nil && !slices.Contains(rec.PlayerIDs, c.PlayerID)) {
		return store.TicketRecord{}, fail(http.StatusNotFound, CodeTicketNotFound, "no such ticket")
	}
	return rec, err
}

// handleGetTicket: GET /v1/tickets/{ticket_id}, the ticket's state and,
// once assigned, the caller's seat (the same data as match_found).
func (l *Lobby) handleGetTicket(w http.ResponseWriter, r *http.Request, c auth.Claims) error {
	rec, err := l.ownTicket(r, c)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewTicket(rec, c.PlayerID))
	return nil
}

// handleCancelTicket: DELETE /v1/tickets/{ticket_id} leaves the queue. Only
// a queued ticket can be cancelled; once matched it is 409.
func (l *Lobby) handleCancelTicket(w http.ResponseWriter, r *http.Request, c auth.Claims) error {
	rec, err := l.ownTicket(r, c)
	if err != nil {
		return err
	}
	err = l.st.Transition(r.Context(), rec.ID, store.StateQueued, store.StateCancelled, nil)
	if errors.Is(err, store.ErrStateConflict) {
		return fail(http.StatusConflict, CodeTicketConflict, "the ticket is no longer queued")
	}
	if err != nil {
		return err
	}
	l.notifyPlayers(r.Context(), rec.PlayerIDs, Event{Type: EventQueueStatus, TicketID: rec.ID, Mode: rec.Mode, State: store.StateCancelled})
	w.WriteHeader(http.StatusNoContent)
	return nil
}
