package lobby

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/pantheon-oracles/pantheon/contract"
	"github.com/pantheon-oracles/pantheon/lobby/auth"
	"github.com/pantheon-oracles/pantheon/lobby/fleet"
	"github.com/pantheon-oracles/pantheon/lobby/match"
	"github.com/pantheon-oracles/pantheon/lobby/store"
)

// PassReport says what one matchmaking pass did.
type PassReport struct {
	Mode string
	// Leader reports whether this replica held the mode's lease; a pass
	// without it does nothing.
	Leader bool
	// Queued is the snapshot size.
	Queued int
	// Formed is how many matches the matchmaker proposed.
	Formed int
	// Claimed is how many of them this replica claimed atomically.
	Claimed int
	// Conflicts is how many proposals lost their claim (a ticket was
	// cancelled or taken meanwhile).
	Conflicts int
	// Assigned is how many claimed matches got a room.
	Assigned int
	// Requeued is how many claimed matches found no room; their tickets went
	// back to the queue with their original wait.
	Requeued int
	// Expired is how many tickets expired.
	Expired int
	// Held is how many formed matches were not claimed because no room
	// server can take them now (doc.go, "No room server"); their tickets
	// stay queued and were told waiting_for_server once.
	Held int
}

// Pass runs one matchmaking pass of mode: if this replica holds (or takes)
// the mode's lease, it snapshots the queue, runs match.Process, expires old
// tickets, claims each proposed match atomically, allocates rooms for the
// claimed ones (up to AllocWorkers at once) and publishes the events. It
// returns when every allocation of the pass has finished. The background
// loop calls it every PassInterval; tests call it directly.
func (l *Lobby) Pass(ctx context.Context, modeID string) (PassReport, error) {
	rep := PassReport{Mode: modeID}
	mode, err := l.modes.Lookup(modeID)
	if err != nil {
		return rep, err
	}
	ok, err := l.st.Lease(ctx, "mm:"+modeID, l.cfg.ReplicaID, l.cfg.LeaseTTL)
	if err != nil || !ok {
		return rep, err
	}
	rep.Leader = true
	start := time.Now()
	defer func() { l.met.passDuration.WithLabelValues(modeID).Observe(time.Since(start).Seconds()) }()
	recs, err := l.st.Queued(ctx, modeID)
	if err != nil {
		return rep, err
	}
	rep.Queued = len(recs)
	tickets := make([]match.Ticket, 0, len(recs))
	for _, rec := range recs {
		t, err := decodeTicket(rec)
		if err != nil {
			l.log.Error("undecodable ticket; failing it", "ticket", rec.ID, "err", err)
			_ = l.st.Transition(ctx, rec.ID, store.StateQueued, store.StateFailed, nil)
			continue
		}
		tickets = append(tickets, t)
	}
	now := l.now()
	res := match.Process(mode, l.cfg.Policy, tickets, now)
	rep.Formed = len(res.Matches)
	for _, t := range res.Expired {
		if err := l.st.Transition(ctx, t.ID, store.StateQueued, store.StateExpired, nil); err != nil {
			if errors.Is(err, store.ErrUnavailable) {
				return rep, err
			}
			continue // cancelled or claimed meanwhile
		}
		rep.Expired++
		l.met.observeWait(modeID, waitExpired, now.Sub(t.EnqueuedAt))
		l.notifyPlayers(ctx, t.PlayerIDs(), Event{Type: EventQueueStatus, TicketID: t.ID, Mode: modeID, State: store.StateExpired,
			WaitedMs: now.Sub(t.EnqueuedAt).Milliseconds()})
	}

	plan := capacityPlan{}
	if len(res.Matches) > 0 {
		servers, err := l.servers(ctx, now)
		if err != nil {
			return rep, err
		}
		queued := make(map[string]bool, len(tickets))
		for _, t := range tickets {
			queued[t.ID] = true
		}
		plan = l.planPlacement(modeID, res.Matches, l.placer.Rank(servers, l.cfg.ContentVersion, l.cfg.TickBudgetMs), queued, now)
	}
	rep.Held = len(plan.held)
	for _, t := range plan.fresh {
		l.notifyPlayers(ctx, t.PlayerIDs(), Event{Type: EventQueueStatus, TicketID: t.ID, Mode: modeID, State: store.StateQueued,
			Reason: ReasonWaitingForServer, WaitedMs: now.Sub(t.EnqueuedAt).Milliseconds()})
	}

	var mu sync.Mutex
	var wg sync.WaitGroup
	var capacityFailures int
	var requeued []string
	var firstErr error
	sem := make(chan struct{}, l.cfg.AllocWorkers)
	for _, m := range plan.place {
		matchID := auth.NewID("m_")
		ts := m.Tickets()
		ids := make([]string, len(ts))
		for i, t := range ts {
			ids[i] = t.ID
		}
		ok, err := l.st.Claim(ctx, modeID, matchID, ids, now)
		if err != nil {
			wg.Wait()
			return rep, err
		}
		if !ok {
			rep.Conflicts++
			continue
		}
		rep.Claimed++
		l.met.matches.WithLabelValues(modeID).Inc()
		for _, t := range ts {
			l.met.observeWait(modeID, waitMatched, now.Sub(t.EnqueuedAt))
			if plan.quiet[t.ID] {
				continue // told it waits for a server; match_found is its next event
			}
			l.notifyPlayers(ctx, t.PlayerIDs(), Event{Type: EventQueueStatus, TicketID: t.ID, Mode: modeID, State: store.StateMatched,
				WaitedMs: now.Sub(t.EnqueuedAt).Milliseconds()})
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			err := l.allocate(ctx, matchID, m, plan.quiet)
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				rep.Assigned++
				return
			}
			rep.Requeued++
			if errors.Is(err, fleet.ErrNoServer) {
				capacityFailures++
				requeued = append(requeued, ids...)
				if firstErr == nil {
					firstErr = err
				}
			}
		}()
	}
	wg.Wait()
	if len(plan.place) > 0 {
		l.placed(modeID, capacityFailures, rep.Assigned, requeued, plan.fp, firstErr, now)
	}
	l.queueStatus(ctx, modeID, tickets, res, now)
	return rep, nil
}

// decodeTicket decodes the match.Ticket a store record carries.
func decodeTicket(rec store.TicketRecord) (match.Ticket, error) {
	var t match.Ticket
	if err := json.Unmarshal(rec.Data, &t); err != nil {
		return match.Ticket{}, fmt.Errorf("ticket %s: decode: %w", rec.ID, err)
	}
	if t.ID != rec.ID {
		return match.Ticket{}, fmt.Errorf("ticket %s: record carries ticket %q", rec.ID, t.ID)
	}
	return t, nil
}

// queueStatus publishes a queue_status to every ticket left queued, at most
// once per QueueStatusInterval per mode.
func (l *Lobby) queueStatus(ctx context.Context, mode string, tickets []match.Ticket, res match.Result, now time.Time) {
	if l.cfg.QueueStatusInterval < 0 {
		return
	}
	l.mu.Lock()
	due := now.Sub(l.lastStatus[mode]) >= l.cfg.QueueStatusInterval
	if due {
		l.lastStatus[mode] = now
	}
	l.mu.Unlock()
	if !due {
		return
	}
	gone := map[string]bool{}
	for _, t := range res.Expired {
		gone[t.ID] = true
	}
	for _, m := range res.Matches {
		for _, t := range m.Tickets() {
			gone[t.ID] = true
		}
	}
	for _, t := range tickets {
		if gone[t.ID] {
			continue
		}
		wait := now.Sub(t.EnqueuedAt)
		l.notifyPlayers(ctx, t.PlayerIDs(), Event{Type: EventQueueStatus, TicketID: t.ID, Mode: mode, State: store.StateQueued,
			WaitedMs: wait.Milliseconds(), Window: l.cfg.Policy.WindowFor(t, wait)})
	}
}

func randomSeed() uint64 {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return binary.LittleEndian.Uint64(b[:])
}

// allocate places claimed match m in a room on the healthiest server and
// assigns its tickets, or requeues them when no server takes it. The
// requeue's queue_status (no_room_server) is not sent to tickets in quiet
// (told in this capacity episode).
func (l *Lobby) allocate(ctx context.Context, matchID string, m match.Match, quiet map[string]bool) error {
	req := contract.RoomSpec{MatchID: matchID, Mode: m.Mode, ContentVersion: l.cfg.ContentVersion, Seed: randomSeed()}
	team := map[string]int{}
	for ti, ts := range m.Teams {
		for _, t := range ts {
			for _, mb := range t.Members {
				req.Seats = append(req.Seats, contract.SeatSpec{Seat: len(req.Seats), PlayerID: mb.PlayerID, Team: ti, TicketID: t.ID, Oracle: mb.Oracle.OracleSpec})
				team[mb.PlayerID] = ti
			}
		}
	}
	// The registry is read again after the claim: it is the freshest view,
	// and the pass's own read may be a few allocations old.
	servers, err := l.servers(ctx, l.now())
	var room contract.RoomCreated
	var srv contract.Heartbeat
	if err == nil {
		actx, cancel := context.WithTimeout(ctx, time.Duration(l.cfg.AllocAttempts)*l.cfg.AllocTimeout)
		room, srv, err = l.fleet.Allocate(actx, l.placer.Rank(servers, l.cfg.ContentVersion, l.cfg.TickBudgetMs), req, l.cfg.AllocAttempts)
		cancel()
	}
	// Settling the claim must not be cut short by a shutdown: a claim left
	// unsettled waits for the sweeper (AssignDeadline).
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), l.cfg.AllocTimeout)
	defer cancel()
	if err != nil {
		l.met.allocFailures.WithLabelValues(m.Mode).Inc()
		l.met.countUnavailable(err)
		// No server taking it starts (or continues) the mode's capacity
		// episode, which logs once; anything else is worth a line each.
		level := slog.LevelWarn
		if errors.Is(err, fleet.ErrNoServer) {
			level = slog.LevelDebug
		}
		l.log.Log(sctx, level, "no room for match; requeueing", "match", matchID, "mode", m.Mode, "err", err)
		for _, t := range m.Tickets() {
			if serr := l.st.Settle(sctx, t.ID, matchID, store.Outcome{State: store.StateQueued, Reason: ReasonNoRoomServer}); serr != nil {
				l.log.Warn("requeue failed", "ticket", t.ID, "match", matchID, "err", serr)
				continue
			}
			if quiet[t.ID] {
				continue
			}
			l.notifyPlayers(sctx, t.PlayerIDs(), Event{Type: EventQueueStatus, TicketID: t.ID, Mode: m.Mode, State: store.StateQueued, Reason: ReasonNoRoomServer})
		}
		return fmt.Errorf("match %s: %w", matchID, err)
	}
	// Counted until the server's next heartbeat, which includes the room;
	// a failure only makes the next placements see the server a room
	// emptier than it is.
	if err := l.st.AddPlaced(sctx, srv.ServerID); err != nil {
		l.log.Warn("placed count not updated", "server", srv.ServerID, "match", matchID, "err", err)
	}
	rm := RecentMatch{MatchID: matchID, Mode: m.Mode, ServerID: srv.ServerID, RoomID: room.RoomID, PlacedAt: l.now().UTC()}
	for _, t := range m.Tickets() {
		rm.Tickets = append(rm.Tickets, t.ID)
		rm.Players = append(rm.Players, t.PlayerIDs()...)
	}
	l.recent.placed(rm)
	for _, t := range m.Tickets() {
		var a assignment
		for _, mb := range t.Members {
			st, _ := room.Ticket(mb.PlayerID)
			a.Seats = append(a.Seats, Seat{PlayerID: mb.PlayerID, MatchID: matchID, RoomID: room.RoomID, ServerID: srv.ServerID,
				KCPAddr: room.KCPAddr, WSURL: room.WSURL, KCPKey: st.KCPKey, Seat: st.Seat, Team: team[mb.PlayerID],
				Ticket: st.Ticket, ExpiresAt: st.ExpiresAt})
		}
		data, err := json.Marshal(a)
		if err != nil {
			return err
		}
		if err := l.st.Settle(sctx, t.ID, matchID, store.Outcome{State: store.StateAssigned, Assignment: data}); err != nil {
			// Swept past AssignDeadline (requeued or claimed by another
			// match) or the store failed: the room's seat for this ticket
			// stays empty and the room server's join deadline ends it.
			l.log.Error("assign failed; the room exists but the ticket does not say so", "ticket", t.ID, "match", matchID, "err", err)
			continue
		}
		for i := range a.Seats {
			seat := a.Seats[i]
			l.notifyPlayers(sctx, []string{seat.PlayerID}, Event{Type: EventMatchFound, TicketID: t.ID, Mode: m.Mode, State: store.StateAssigned, Match: &seat})
		}
	}
	return nil
}
