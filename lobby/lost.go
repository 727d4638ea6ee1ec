package lobby

import (
	"context"
	"sync"
	"time"

	"github.com/pantheon-oracles/pantheon/lobby/store"
	"github.com/prometheus/client_golang/prometheus"
)

// EventTicketLost: the lobby's state store no longer holds the ticket (a
// Redis restarted without persistence, or the key evicted): the ticket
// will never be matched and its players may queue again at once. Sent by
// the replica that created the ticket, within about LostCheck, and again
// 1, 3 and 7 s later for a client that was reconnecting its push channel;
// that replica's GET /v1/tickets/{id} then answers state "lost".
const EventTicketLost = "ticket_lost"

// StateLost is the state a ticket the store lost reads as (GET
// /v1/tickets/{id} on the replica that created it, and ticket_lost).
const StateLost store.TicketState = "lost"

// ReasonStoreLost explains a lost ticket.
const ReasonStoreLost = "state_store_lost_ticket"

// lostResends are the delays, after the first ticket_lost, of its resends.
var lostResends = []time.Duration{time.Second, 3 * time.Second, 7 * time.Second}

// Bounds of the lost-ticket watch.
const (
	maxTracked      = 100_000 // tickets watched per replica; more are counted untracked
	maxLost         = 100_000 // lost tickets remembered for GET
	lostCheckBatch  = 1_000   // tickets checked per LostCheck
	lostRememberFor = 10 * time.Minute
)

// trackedTicket is a ticket this replica created and watches.
type trackedTicket struct {
	mode    string
	players []string
}

// lostTicket is a ticket found lost: its view for GET, and its resends.
type lostTicket struct {
	view    ticketView
	players []string
	at      time.Time
	sent    int // ticket_lost events sent (1 + resends)
}

// lostWatch watches the tickets this replica created until they reach a
// terminal state, and finds those the store lost. Overflow policy: past
// maxTracked new tickets are not watched (counted in
// pantheon_lobby_tickets_untracked_total); past maxLost the oldest lost
// ticket is forgotten. Safe for concurrent use.
type lostWatch struct {
	mu      sync.Mutex
	tracked map[string]trackedTicket
	order   []string // round-robin order of checks
	next    int
	lost    map[string]*lostTicket
	lostIDs []string // oldest first

	untracked prometheus.Counter
	found     prometheus.Counter
	size      prometheus.GaugeFunc
}

func newLostWatch(reg prometheus.Registerer) *lostWatch {
	w := &lostWatch{tracked: map[string]trackedTicket{}, lost: map[string]*lostTicket{}}
	w.untracked = prometheus.NewCounter(prometheus.CounterOpts{Namespace: "pantheon_lobby", Name: "tickets_untracked_total",
		Help: "Tickets created while this replica already watched its maximum for loss (100k): their loss would not be told."})
	w.found = prometheus.NewCounter(prometheus.CounterOpts{Namespace: "pantheon_lobby", Name: "tickets_lost_total",
		Help: "Tickets the state store lost (Redis restarted empty or a key evicted), told to their players with ticket_lost."})
	w.size = prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "pantheon_lobby", Name: "tickets_tracked",
		Help: "Tickets this replica created and watches for loss (until they reach a terminal state)."}, func() float64 {
		w.mu.Lock()
		defer w.mu.Unlock()
		return float64(len(w.tracked))
	})
	reg.MustRegister(w.untracked, w.found, w.size)
	return w
}

func (w *lostWatch) track(rec store.TicketRecord) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.tracked) >= maxTracked {
		w.untracked.Inc()
		return
	}
	w.tracked[rec.ID] = trackedTicket{mode: rec.Mode, players: append([]string(nil), rec.PlayerIDs...)}
	w.order = append(w.order, rec.ID)
}

// batch returns up to n tracked ids to check, round-robin.
func (w *lostWatch) batch(n int) []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	// Compact the order of ids no longer tracked.
	kept := w.order[:0]
	for _, id := range w.order {
		if _, ok := w.tracked[id]; ok {
			kept = append(kept, id)
		}
	}
	clear(w.order[len(kept):])
	w.order = kept
	if len(w.order) == 0 {
		return nil
	}
	if w.next >= len(w.order) {
		w.next = 0
	}
	end := min(w.next+n, len(w.order))
	out := append([]string(nil), w.order[w.next:end]...)
	w.next = end
	return out
}

// view returns a lost ticket's view, if id is one.
func (w *lostWatch) view(id string) (ticketView, []string, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	lt, ok := w.lost[id]
	if !ok {
		return ticketView{}, nil, false
	}
	return lt.view, lt.players, true
}

// checkLost is one round of the watch: it reads the states of a batch of
// tracked tickets, stops watching those in a terminal state, tells the
// players of those the store no longer holds, and resends due
// ticket_lost events.
func (l *Lobby) checkLost(ctx context.Context) {
	w := l.lostTickets
	ids := w.batch(lostCheckBatch)
	if len(ids) > 0 {
		states, err := l.st.States(ctx, ids)
		if err != nil {
			if !l.dependencyFailed(err) {
				l.log.Warn("lost-ticket check failed", "err", err)
			}
		} else {
			l.settleTracked(ctx, ids, states)
		}
	}
	now := l.now()
	var due []*lostTicket
	w.mu.Lock()
	for _, id := range w.lostIDs {
		lt := w.lost[id]
		if lt.sent <= len(lostResends) && !now.Before(lt.at.Add(lostResends[lt.sent-1])) {
			lt.sent++
			due = append(due, lt)
		}
	}
	w.mu.Unlock()
	for _, lt := range due {
		l.tellLost(ctx, lt)
	}
}

func (l *Lobby) settleTracked(ctx context.Context, ids []string, states []store.TicketState) {
	w := l.lostTickets
	now := l.now()
	var told []*lostTicket
	w.mu.Lock()
	for i, id := range ids {
		switch st := states[i]; {
		case st == "":
			t, ok := w.tracked[id]
			if !ok {
				continue
			}
			delete(w.tracked, id)
			lt := &lostTicket{players: t.players, at: now, sent: 1,
				view: ticketView{ID: id, Mode: t.mode, State: StateLost, Players: t.players, Reason: ReasonStoreLost}}
			w.lost[id] = lt
			w.lostIDs = append(w.lostIDs, id)
			if len(w.lostIDs) > maxLost {
				delete(w.lost, w.lostIDs[0])
				w.lostIDs = w.lostIDs[1:]
			}
			w.found.Inc()
			told = append(told, lt)
		case store.Terminal(st):
			delete(w.tracked, id)
		}
	}
	// Forget lost tickets long past.
	for len(w.lostIDs) > 0 && now.Sub(w.lost[w.lostIDs[0]].at) > lostRememberFor {
		delete(w.lost, w.lostIDs[0])
		w.lostIDs = w.lostIDs[1:]
	}
	w.mu.Unlock()
	for _, lt := range told {
		l.log.Warn("ticket lost by the state store; players told", "ticket", lt.view.ID, "mode", lt.view.Mode, "players", len(lt.players))
		l.tellLost(ctx, lt)
	}
}

func (l *Lobby) tellLost(ctx context.Context, lt *lostTicket) {
	l.notifyPlayers(ctx, lt.players, Event{Type: EventTicketLost, TicketID: lt.view.ID, Mode: lt.view.Mode,
		State: StateLost, Reason: ReasonStoreLost})
}

// lostLoop runs checkLost every LostCheck until ctx ends.
func (l *Lobby) lostLoop(ctx context.Context) {
	t := time.NewTicker(l.cfg.LostCheck)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			cctx, cancel := context.WithTimeout(ctx, l.cfg.LostCheck)
			l.checkLost(cctx)
			cancel()
		}
	}
}
