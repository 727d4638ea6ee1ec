package lobby

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/pantheon-oracles/pantheon/contract"
	"github.com/pantheon-oracles/pantheon/lobby/auth"
	"github.com/pantheon-oracles/pantheon/lobby/match"
	"github.com/pantheon-oracles/pantheon/lobby/store"
)

// ticketRequest is the body of POST /v1/tickets.
type ticketRequest struct {
	Mode     string `json:"mode"`
	OracleID string `json:"oracle_id"`
	// Party holds one consent token (POST /v1/parties/consent) per other
	// member; empty for a solo ticket.
	Party []string `json:"party,omitempty"`
}

// consentRequest is the body of POST /v1/parties/consent.
type consentRequest struct {
	LeaderID string `json:"leader_id"`
	Mode     string `json:"mode"`
	OracleID string `json:"oracle_id"`
}

// consentResponse is its answer.
type consentResponse struct {
	Consent   string    `json:"consent"`
	ExpiresAt time.Time `json:"expires_at"`
}

// consentTTL is how long a party consent stays usable.
const consentTTL = 5 * time.Minute

// queueOracle reads player's oracle oracleID from the roster and validates it.
func (l *Lobby) queueOracle(r *http.Request, player, oracleID string) (contract.Oracle, error) {
	roster, err := l.rosters.Oracles(r.Context(), player)
	if err != nil {
		return contract.Oracle{}, err
	}
	i := slices.IndexFunc(roster, func(o contract.Oracle) bool { return o.ID == oracleID })
	if i < 0 {
		return contract.Oracle{}, fail(http.StatusNotFound, CodeOracleNotFound, "no oracle "+oracleID+" in the roster of "+player)
	}
	if err := l.checkOracle(roster[i]); err != nil {
		return contract.Oracle{}, err
	}
	return roster[i], nil
}

// handleConsent: POST /v1/parties/consent, the caller agrees to queue in
// leader_id's party for mode with one of their oracles. The answer is a
// signed consent the leader passes in its ticket's party list; no party
// state is kept.
func (l *Lobby) handleConsent(w http.ResponseWriter, r *http.Request, c auth.Claims) error {
	var req consentRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if _, err := l.modes.Lookup(req.Mode); err != nil {
		return err
	}
	if req.LeaderID == "" || req.LeaderID == c.PlayerID {
		return fail(http.StatusBadRequest, CodeBadRequest, "leader_id must name another player")
	}
	if _, err := l.queueOracle(r, c.PlayerID, req.OracleID); err != nil {
		return err
	}
	tok, exp, err := l.tokens.IssueConsent(auth.Consent{Member: c.PlayerID, Leader: req.LeaderID, Mode: req.Mode, OracleID: req.OracleID}, l.now(), consentTTL)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, consentResponse{Consent: tok, ExpiresAt: exp.UTC()})
	return nil
}

// assignment is what a ticket in state assigned stores: one seat per member.
type assignment struct {
	Seats []Seat `json:"seats"`
}

// ticketView is a ticket in API bodies; Seat is the caller's seat once
// assigned.
type ticketView struct {
	ID         string            `json:"id"`
	Mode       string            `json:"mode"`
	State      store.TicketState `json:"state"`
	Players    []string          `json:"players"`
	EnqueuedAt time.Time         `json:"enqueued_at"`
	MatchID    string            `json:"match_id,omitempty"`
	// Outcome is how the ticket's match ended (state ended): team_win,
	// draw, ..., or aborted.
	Outcome contract.Outcome `json:"outcome,omitempty"`
	Seat    *Seat            `json:"seat,omitempty"`
	// Reason says why the ticket was last requeued or why it failed
	// (ReasonNoRoomServer, ReasonAssignTimeout).
	Reason string `json:"reason,omitempty"`
}

func viewTicket(rec store.TicketRecord, player string) ticketView {
	v := ticketView{ID: rec.ID, Mode: rec.Mode, State: rec.State, Players: rec.PlayerIDs, EnqueuedAt: rec.EnqueuedAt.UTC(),
		MatchID: rec.MatchID, Reason: rec.Reason, Outcome: rec.Outcome}
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
	writeJSON(w, http.StatusOK, map[string]any{"modes": l.modes.All(), "policy": l.cfg.Policy})
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
	if err := l.limit(r.Context(), limitTickets, "tickets:"+c.PlayerID, l.cfg.Limits.TicketsPerPlayer); err != nil {
		return err
	}
	mode, err := l.modes.Lookup(req.Mode)
	if err != nil {
		return err
	}
	if len(req.Party) >= mode.MaxParty {
		return fail(http.StatusBadRequest, CodeInvalidTicket, fmt.Sprintf("mode %s takes parties of at most %d", mode.ID, mode.MaxParty))
	}
	players := []string{c.PlayerID}
	oracleIDs := []string{req.OracleID}
	for _, tok := range req.Party {
		pc, err := l.tokens.VerifyConsent(tok, l.now())
		if err != nil {
			return fail(http.StatusBadRequest, CodeInvalidTicket, "party: "+err.Error()).because(err)
		}
		if pc.Leader != c.PlayerID || pc.Mode != mode.ID || slices.Contains(players, pc.Member) {
			return fail(http.StatusBadRequest, CodeInvalidTicket, "party: consent of "+pc.Member+" is for another leader or mode, or repeated")
		}
		players = append(players, pc.Member)
		oracleIDs = append(oracleIDs, pc.OracleID)
	}
	if err := l.checkModeFlag(r, mode.ID, players); err != nil {
		return err
	}
	ratings, err := l.ratings.Ratings(r.Context(), mode.ID, players)
	if err != nil {
		return err
	}
	if len(ratings) != len(players) {
		return fmt.Errorf("ratings in %s: %d rows for %d players", mode.ID, len(ratings), len(players))
	}
	now := l.now().UTC()
	t := match.Ticket{ID: auth.NewID("t_"), Mode: mode.ID, EnqueuedAt: now}
	for i, p := range players {
		oracle, err := l.queueOracle(r, p, oracleIDs[i])
		if err != nil {
			return err
		}
		t.Members = append(t.Members, match.Member{PlayerID: p, Mu: ratings[i].Mu, Sigma: ratings[i].Sigma, Oracle: oracle})
	}
	if err := mode.CheckTicket(t); err != nil {
		return err
	}
	data, err := json.Marshal(t)
	if err != nil {
		return err
	}
	rec := store.TicketRecord{ID: t.ID, Mode: t.Mode, PlayerIDs: t.PlayerIDs(), EnqueuedAt: now, Data: data, State: store.StateQueued}
	if err := l.st.Enqueue(r.Context(), rec, l.cfg.QueueCap); err != nil {
		if errors.Is(err, store.ErrQueueFull) {
			l.met.rateLimited.WithLabelValues(limitQueueFull).Inc()
		}
		return err
	}
	l.lostTickets.track(rec)
	l.notifyPlayers(r.Context(), rec.PlayerIDs, Event{Type: EventQueueStatus, TicketID: t.ID, Mode: t.Mode,
		State: store.StateQueued, Window: l.cfg.Policy.WindowFor(t, 0)})
	writeJSON(w, http.StatusCreated, viewTicket(rec, c.PlayerID))
	return nil
}

// ownTicket reads a ticket the caller belongs to; others' tickets are 404.
func (l *Lobby) ownTicket(r *http.Request, c auth.Claims) (store.TicketRecord, error) {
	rec, err := l.st.Ticket(r.Context(), r.PathValue("ticket_id"))
	if errors.Is(err, store.ErrNotFound) {
		if v, players, ok := l.lostTickets.view(r.PathValue("ticket_id")); ok && slices.Contains(players, c.PlayerID) {
			return store.TicketRecord{ID: v.ID, Mode: v.Mode, PlayerIDs: v.Players, State: v.State, Reason: v.Reason}, nil
		}
	}
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
	l.met.observeWait(rec.Mode, waitCancelled, l.now().Sub(rec.EnqueuedAt))
	l.notifyPlayers(r.Context(), rec.PlayerIDs, Event{Type: EventQueueStatus, TicketID: rec.ID, Mode: rec.Mode, State: store.StateCancelled})
	w.WriteHeader(http.StatusNoContent)
	return nil
}
