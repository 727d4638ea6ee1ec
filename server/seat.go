package server

import (
	"slices"
	"time"

	"github.com/pantheon-oracles/pantheon/contract"
	"github.com/pantheon-oracles/pantheon/netcode"
)

// sortedSeats returns a copy of seats ordered by seat number.
func sortedSeats(seats []contract.SeatSpec) []contract.SeatSpec {
	out := slices.Clone(seats)
	slices.SortFunc(out, func(a, b contract.SeatSpec) int { return a.Seat - b.Seat })
	return out
}

// findSeat returns the room's seat numbered n, or nil.
func (r *room) findSeat(n int) *seat {
	for i := range r.seats {
		if r.seats[i].spec.Seat == n {
			return &r.seats[i]
		}
	}
	return nil
}

// seatIndex is s's index in r.seats.
func (r *room) seatIndex(s *seat) int {
	for i := range r.seats {
		if &r.seats[i] == s {
			return i
		}
	}
	panic("server: seat not in its room") // broken invariant
}

// admit seats every queued join and resume.
func (r *room) admit(now time.Time) {
	for {
		select {
		case j := <-r.joins:
			r.seatJoin(j, now)
		default:
			r.countPlayers()
			return
		}
	}
}

// refuseJoins closes every queued connection with code.
func (r *room) refuseJoins(code netcode.Code, msg string) {
	for {
		select {
		case j := <-r.joins:
			r.refuse(j, code, msg)
		default:
			return
		}
	}
}

// refuseBackoff refuses j with rate_limited because its seat is backing
// off for d more after a rate_limited close.
func (r *room) refuseBackoff(j joinReq, d time.Duration) {
	r.env.metrics.refused(netcode.CodeRateLimited).Inc()
	r.env.log.Info("join refused", "room", r.id, "seat", j.claims.Seat, "player", j.claims.Player(),
		"resume", j.resume, "code", netcode.CodeRateLimited.String(), "why", "backing off", "retry_after", d)
	j.c.closeWith(netcode.AppendError(nil, &netcode.ErrorFrame{Code: netcode.CodeRateLimited,
		Message: "seat is backing off after a rate_limited close", RetryAfter: d}))
}

func (r *room) refuse(j joinReq, code netcode.Code, msg string) {
	r.env.metrics.refused(code).Inc()
	r.env.log.Info("join refused", "room", r.id, "seat", j.claims.Seat, "player", j.claims.Player(),
		"resume", j.resume, "code", code.String(), "why", msg)
	j.c.closeCode(code, msg)
}

// seatJoin attaches j's connection to its seat, or refuses it. A join
// needs a seat that is not held by a live session; a resume needs the
// seat's current resume token. Either replaces a connection the server has
// not yet noticed is dead, and either gets a fresh resume token.
func (r *room) seatJoin(j joinReq, now time.Time) {
	s := r.findSeat(j.claims.Seat)
	if s != nil && s.conn != nil && s.conn.isClosed() {
		r.dropped(r.seatIndex(s), now) // before checkDrops saw it: take its back-off
	}
	switch {
	case s == nil || s.spec.PlayerID != j.claims.Player():
		r.refuse(j, netcode.CodeBadTicket, "no such seat for this player")
		return
	case s.released:
		r.refuse(j, netcode.CodeResumeFailed, "seat released after the grace period")
		return
	case j.resume && !tokenEqual(s.token, j.token):
		r.refuse(j, netcode.CodeResumeFailed, "unknown or outdated resume token")
		return
	case !j.resume && s.conn != nil && !s.conn.isClosed():
		r.refuse(j, netcode.CodeTicketReused, "seat is held by a live session")
		return
	case !checkKeyTag(j.c, r.id, s.spec.Seat, keyGen(j.resume, s.gen)):
		r.refuse(j, netcode.CodeBadTicket, "KCP session sealed with a key that is not this seat's")
		return
	case now.Before(s.retryAt):
		// Refused without a change: the seat stays held, its token and
		// resume key stay valid for the resume after the back-off.
		r.refuseBackoff(j, s.retryAt.Sub(now))
		return
	}
	resumeKey, err := r.seatKey(s.spec.Seat, s.gen+1)
	if err != nil {
		r.refuse(j, netcode.CodeInternal, "no resume key: "+err.Error())
		return
	}
	// The key this connection came with admits no other: a join's key
	// (generation 0) and the previous resume key leave the ring.
	r.dropSeatKey(s.spec.Seat, s.gen)
	s.gen++
	if old := s.conn; old != nil {
		old.closeWith(netcode.AppendBye(nil, netcode.KindServerBye, netcode.CodeNone))
	}
	s.conn = j.c
	r.seated[r.seatIndex(s)].Store(j.c)
	s.droppedAt = time.Time{}
	s.token = randomToken()
	if j.resume {
		s.enc.Resume(j.lastAck)
	} else {
		s.enc.Resume(0)
	}
	j.c.behind = 0
	w := netcode.Welcome{
		Version:      netcode.Version,
		Seat:         uint32(s.spec.Seat),
		TickRate:     uint32(time.Second / r.clock.Step()),
		ServerTick:   r.tick.Load(),
		ResumeToken:  s.token,
		EntityID:     r.eng.SeatEntity(s.spec.Seat),
		ServerTimeUs: now.UnixMicro(),
		ResumeKey:    resumeKey,
	}
	j.c.queueControl(netcode.AppendWelcome(nil, &w)) // the shard sends it after this service
	j.c.admit(r, s.lastSeq)
	r.env.metrics.admitted.Inc()
	r.env.log.Info("player seated", "room", r.id, "seat", s.spec.Seat, "player", s.spec.PlayerID,
		"resume", j.resume, "transport", j.c.transport, "baseline", s.enc.Baseline())
}

// checkDrops notices lost connections and releases seats whose grace has
// run out.
func (r *room) checkDrops(now time.Time) {
	grace := r.env.cfg.graceFor(r.spec.Mode)
	for i := range r.seats {
		s := &r.seats[i]
		if s.conn != nil && s.conn.isClosed() {
			r.dropped(i, now)
		}
		if s.conn == nil && !s.droppedAt.IsZero() && !s.released && now.Sub(s.droppedAt) >= grace {
			s.released = true
			s.token = ""
			r.released.Add(1)
			r.env.log.Info("seat released", "room", r.id, "seat", s.spec.Seat, "player", s.spec.PlayerID)
		}
	}
	r.countPlayers()
}

// dropped forgets seat i's closed connection at now, holding the seat for
// its grace and taking on the connection's back-off, if it had one.
func (r *room) dropped(i int, now time.Time) {
	s := &r.seats[i]
	if until := s.conn.backoffUntil(); until.After(s.retryAt) {
		s.retryAt = until
	}
	s.conn = nil
	r.seated[i].Store(nil)
	s.droppedAt = now
	r.env.log.Info("player dropped; seat held", "room", r.id, "seat", s.spec.Seat, "grace", r.env.cfg.graceFor(r.spec.Mode))
}

// countPlayers publishes how many seats have a live connection.
func (r *room) countPlayers() {
	n := 0
	for i := range r.seats {
		if c := r.seats[i].conn; c != nil && !c.isClosed() {
			n++
		}
	}
	r.players.Store(int32(n))
}

// keyGen is the key generation a join (0) or a resume of a seat seated gen
// times must be sealed with.
func keyGen(resume bool, gen uint32) uint32 {
	if !resume {
		return 0
	}
	return gen
}
