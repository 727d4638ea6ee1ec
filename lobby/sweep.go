package lobby

import (
	"context"
	"errors"
	"fmt"

	"github.com/pantheon-oracles/pantheon/lobby/store"
)

// SweepReport says what one sweep of a mode's stuck claims did.
type SweepReport struct {
	Mode string
	// Leader reports whether this replica held the mode's sweep lease; a
	// sweep without it does nothing.
	Leader bool
	// Stuck is how many claimed tickets were older than AssignDeadline.
	Stuck int
	// Requeued went back to the queue with their original enqueue time.
	Requeued int
	// Failed were past the ticket TTL and failed with ReasonAssignTimeout.
	Failed int
	// Conflicts were settled by someone else meanwhile (their replica came
	// back, or another sweeper was first) and left alone.
	Conflicts int
}

// Sweep settles mode's stuck claims: tickets still matched AssignDeadline
// after their claim, because the replica that claimed them died (or stalled)
// before assigning a room. Each goes back to the queue with its original
// enqueue time (so its window stays wide), or fails when it has waited past
// the ticket TTL; either way its players get a queue_status with
// ReasonAssignTimeout. At most SweepBatch tickets are settled per call.
//
// The sweep lease ("sweep:<mode>") keeps replicas from duplicating the work,
// but correctness does not depend on it: each ticket is settled with
// store.Settle under the match id it was read with, so of two racing
// sweepers (or a sweeper and a late allocation) exactly one acts. The
// background loop calls Sweep every SweepInterval; tests call it directly.
func (l *Lobby) Sweep(ctx context.Context, modeID string) (SweepReport, error) {
	rep := SweepReport{Mode: modeID}
	if _, err := l.modes.Lookup(modeID); err != nil {
		return rep, err
	}
	ok, err := l.st.Lease(ctx, "sweep:"+modeID, l.cfg.ReplicaID, l.cfg.LeaseTTL)
	if err != nil || !ok {
		return rep, err
	}
	rep.Leader = true
	now := l.now()
	recs, err := l.st.Stuck(ctx, modeID, now.Add(-l.cfg.AssignDeadline), l.cfg.SweepBatch)
	if err != nil {
		return rep, err
	}
	rep.Stuck = len(recs)
	for _, rec := range recs {
		wait := now.Sub(rec.EnqueuedAt)
		out := store.Outcome{State: store.StateQueued, Reason: ReasonAssignTimeout}
		if wait >= l.cfg.Policy.TicketTTL {
			out.State = store.StateFailed
		}
		err := l.st.Settle(ctx, rec.ID, rec.MatchID, out)
		switch {
		case errors.Is(err, store.ErrStateConflict), errors.Is(err, store.ErrNotFound):
			rep.Conflicts++
			continue
		case err != nil:
			return rep, fmt.Errorf("sweep %s: ticket %s: %w", modeID, rec.ID, err)
		}
		l.log.Warn("claimed ticket got no room in time", "ticket", rec.ID, "match", rec.MatchID, "mode", modeID,
			"claimed_at", rec.ClaimedAt, "to", out.State)
		ev := Event{Type: EventQueueStatus, TicketID: rec.ID, Mode: modeID, State: out.State, Reason: ReasonAssignTimeout,
			WaitedMs: wait.Milliseconds()}
		if out.State == store.StateQueued {
			l.met.swept.WithLabelValues(modeID, "requeued").Inc()
			rep.Requeued++
			if t, err := decodeTicket(rec); err == nil {
				ev.Window = l.cfg.Policy.WindowFor(t, wait)
			}
		} else {
			l.met.swept.WithLabelValues(modeID, "failed").Inc()
			rep.Failed++
			l.met.observeWait(modeID, waitFailed, wait)
		}
		l.notifyPlayers(ctx, rec.PlayerIDs, ev)
	}
	return rep, nil
}
