package server

import (
	"github.com/pantheon-oracles/pantheon/ecs"
	"github.com/pantheon-oracles/pantheon/netcode"
)

// privateEventSeat reports whether ev goes only to the seat it names, and
// which seat that is. A seat's rejected inputs and casts (cast_rejected,
// input_clamped, input_rejected) are its own business: sent to everyone
// they would show opponents its cooldowns, energy and mistakes. Their seat
// is the event's seat field (EVENTS.md); one naming no seat (-1) goes to
// nobody. Every other event goes to every player.
func privateEventSeat(ev *netcode.Event) (seat int, private bool) {
	switch ecs.EventKind(ev.Kind) {
	case ecs.EventCastRejected, ecs.EventInputClamped, ecs.EventInputRejected:
		if ev.N < 2 {
			return -1, true
		}
		return int(ev.Fields[1]), true
	default: // every other kind is for everyone
		return 0, false
	}
}

// fanEvents queues a tick's events before its snapshot: the shared ones
// to every live connection, each frame encoded once; the private ones
// (privateEventSeat) only to their seat's connection, in frames encoded
// per seat, after the shared frames of the tick, and only on ticks that
// have any. Within each list the order is the simulation's. On the final
// tick (done) the frames are held for settle instead, to go out once the
// result is durable. Steady state allocates nothing: the lists and the
// frame buffer are the room's, reused every tick.
func (r *room) fanEvents(tick uint32, events []netcode.Event, done bool) {
	private := false
	for i := range events {
		if _, ok := privateEventSeat(&events[i]); ok {
			private = true
			break
		}
	}
	if !private { // the common tick: one list for everyone
		r.sendEvents(tick, events, done, -1)
		return
	}
	if cap(r.shared) < len(events) {
		r.shared = make([]netcode.Event, 0, cap(events)) // events is at its high-water mark
	}
	r.shared = r.shared[:0]
	for i := range r.own {
		r.own[i] = r.own[i][:0]
	}
	for i := range events {
		ev := &events[i]
		seat, ok := privateEventSeat(ev)
		if !ok {
			r.shared = append(r.shared, *ev)
			continue
		}
		for j := range r.seats {
			if r.seats[j].spec.Seat == seat {
				r.own[j] = append(r.own[j], *ev)
				break
			}
		}
	}
	r.sendEvents(tick, r.shared, done, -1)
	for j := range r.own {
		r.sendEvents(tick, r.own[j], done, j)
	}
}

// sendEvents queues events in frames of at most MaxEventsPerFrame, each
// encoded once into the room's buffer and copied into each connection's
// own: to every connection (seat -1) or to the one of seat index seat.
func (r *room) sendEvents(tick uint32, events []netcode.Event, done bool, seat int) {
	for len(events) > 0 {
		batch := events[:min(len(events), netcode.MaxEventsPerFrame)]
		events = events[len(batch):]
		r.evFrame = netcode.AppendEvents(r.evFrame[:0], &netcode.EventsFrame{Tick: tick, Events: batch})
		switch {
		case done && seat < 0:
			r.held = append(r.held, append([]byte(nil), r.evFrame...))
		case done:
			if r.heldOwn == nil {
				r.heldOwn = make([][][]byte, len(r.seats))
			}
			r.heldOwn[seat] = append(r.heldOwn[seat], append([]byte(nil), r.evFrame...))
		case seat < 0:
			r.offerEvents(r.evFrame)
		default:
			r.offerSeatEvents(seat, r.evFrame)
		}
	}
}

// offerEvents queues an events frame on every live connection; one whose
// control queue is full is closed as a slow consumer.
func (r *room) offerEvents(frame []byte) {
	for i := range r.seats {
		r.offerSeatEvents(i, frame)
	}
}

// offerSeatEvents queues an events frame on the connection of seat index
// i, if it is live; a full control queue closes it as a slow consumer.
func (r *room) offerSeatEvents(i int, frame []byte) {
	s := &r.seats[i]
	if c := s.conn; c != nil && !c.isClosed() && !c.queueControl(frame) {
		r.closeSlow(s, "events queue full")
	}
}
