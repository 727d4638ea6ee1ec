package client

import "time"

// ackPolicy decides when a snapshot ack goes out as a frame of its own.
// Every input frame carries the newest applied tick as its ack_tick, so a
// client that sends an input every tick never needs an ack frame: one
// goes out alone only when no frame has carried the newest applied tick
// for ackGrace (one and a half ticks, room for a game loop's jitter), or,
// for a full snapshot (the server has no baseline of this client and
// keeps sending full snapshots until it hears an ack), when no frame
// carried an ack for a tick. Both wait at least a tick since the last
// frame that carried an ack, so acks stay at most one a tick and a
// backlog applied in a burst is acked once. The policy is checked as each
// snapshot is applied and on every ping: a client whose snapshots stop
// (the end of a burst, a quiet room) acks the newest with its next ping.
// It holds no clock; callers pass now.
type ackPolicy struct {
	carried   uint32    // newest tick a frame on the current conn carried (ack_tick, ack, last_ack_tick)
	carriedAt time.Time // when that frame went out
	since     time.Time // when the oldest applied tick newer than carried was applied; zero when none is
}

// ackGrace is how long the newest applied tick may wait for a frame to
// carry it before an ack goes out alone: 1.5 ticks of a room at period.
func ackGrace(period time.Duration) time.Duration { return period * 3 / 2 }

// applied records that tick was applied at now.
func (a *ackPolicy) applied(tick uint32, now time.Time) {
	if tick > a.carried && a.since.IsZero() {
		a.since = now
	}
}

// due reports whether an ack of latest should go out alone at now: the
// newest applied tick latest has waited ackGrace for a frame to carry it,
// or full (latest was a full snapshot) and no frame carried an ack for a
// tick of period.
func (a *ackPolicy) due(latest uint32, full bool, now time.Time, period time.Duration) bool {
	if latest <= a.carried || a.since.IsZero() {
		return false
	}
	if full && now.Sub(a.carriedAt) >= period {
		return true
	}
	return now.Sub(a.since) >= ackGrace(period)
}

// carry records a frame carrying tick (the newest applied) going out at
// now: an input frame, an ack or a resume's last_ack_tick.
func (a *ackPolicy) carry(tick uint32, now time.Time) {
	a.carried, a.carriedAt, a.since = tick, now, time.Time{}
}
