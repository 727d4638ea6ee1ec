package server

import (
	"crypto/rand"
	"crypto/subtle"
	"fmt"
	"slices"
	"sync/atomic"
	"time"

	"github.com/pantheon-oracles/pantheon/contract"
	"github.com/pantheon-oracles/pantheon/netcode"
)

// Result states of an ended room (room.durable), set by the result queue.
const (
	resultQueued  int32 = iota // handed to the sink, not yet confirmed
	resultDurable              // the sink's Submit returned nil: the result is on disk
	resultLost                 // the server gave up on it (flush deadline): it is not durable
)

// snapshotRing is how many past snapshots a room keeps as delta baselines
// (about a second at 30 Hz).
const snapshotRing = 32

// room is one match. Everything below the atomics is owned by the goroutine
// of the shard the room lives on; other goroutines reach the room only
// through joins (bounded; on overflow the reader closes the connection with
// CodeInternal "room busy"), requestAbort and the atomics.
type room struct {
	id      string
	spec    contract.RoomSpec
	env     *roomEnv
	shard   *shard // set before the room is visible to other goroutines; never changes
	created time.Time
	mm      modeMetrics

	// Read by other goroutines.
	state    atomic.Uint32 // a RoomState
	players  atomic.Int32  // connected players
	released atomic.Int32  // seats released after their grace ran out
	tick     atomic.Uint32
	durable  atomic.Int32 // resultQueued, resultDurable or resultLost, once queued
	joins    chan joinReq
	abort    atomic.Pointer[abortReq] // set once by requestAbort
	seated   []atomic.Pointer[conn]   // by seat index: the seat's live connection, for observers

	// Owned by the shard goroutine.
	eng      engine
	clock    *Clock
	seats    []seat // ordered by seat number
	started  time.Time
	deadline time.Time // waiting: start or give up by then
	ring     *netcode.SnapshotRing
	snap     netcode.Snapshot
	inputs   []seatInput
	events   []netcode.Event       // the tick's events, reused every tick
	shared   []netcode.Event       // of those, the ones for every seat, on ticks with private ones (fanEvents)
	own      [][]netcode.Event     // by seat index: the seat's private events of the tick
	evFrame  []byte                // the tick's events frame, reused every tick
	record   *contract.MatchRecord // set when ended, until the result queue takes it
	ended    bool
	queued   bool       // the record is in the result queue (durable says how it went)
	held     [][]byte   // the final tick's events frames, sent once the result is durable
	heldOwn  [][][]byte // by seat index: the final tick's private events frames, sent with held
	final    []byte     // the bye or error frame sent after held
	holdEnd  time.Time  // past it, clients get result_pending instead of the end
	endedAt  time.Time  // when the match ended (the hold's start)
	counted  ClockStats // clock counters already added to the metrics

	keys roomKeys // ids of the room's per-seat KCP keys in the server's ring
}

// seat is one seat's connection state.
type seat struct {
	spec      contract.SeatSpec
	conn      *conn
	enc       *netcode.DeltaEncoder
	token     string    // current resume token; "" before the first join or once released
	droppedAt time.Time // when the connection was lost; zero while connected
	released  bool      // grace expired: the seat is no longer held
	lastSeq   uint32    // newest input sequence handed to the engine
	gen       uint32    // connections seated so far: a resume seals with the key of this generation
	retryAt   time.Time // a rate_limited close's back-off: no connection is seated before it
}

// joinReq asks a room's goroutine to seat a connection. The reader has
// checked the ticket's signature and kind (and redeemed a join ticket).
type joinReq struct {
	c       *conn
	claims  TicketClaims
	resume  bool
	token   string
	lastAck uint32
}

// newRoom builds room id for spec on eng, waiting for its players from
// env.now(). It is not scheduled: the caller hands it to a shard.
func newRoom(id string, spec contract.RoomSpec, eng engine, env *roomEnv) *room {
	now := env.now()
	r := &room{
		id: id, spec: spec, env: env, created: now, eng: eng,
		mm:       env.metrics.forMode(spec.Mode),
		joins:    make(chan joinReq, env.cfg.joinQueue),
		deadline: now.Add(env.cfg.waitDeadline),
		ring:     netcode.NewSnapshotRing(snapshotRing),
	}
	rate := eng.TickRate()
	if hz, ok := env.cfg.tickRates[spec.Mode]; ok {
		rate = hz
	}
	r.clock = NewClock(rate, env.cfg.maxCatchUp)
	r.state.Store(uint32(StateWaiting))
	r.seats = make([]seat, len(spec.Seats))
	r.seated = make([]atomic.Pointer[conn], len(spec.Seats))
	r.own = make([][]netcode.Event, len(spec.Seats))
	for i := range r.own {
		r.own[i] = make([]netcode.Event, 0, 8) // a seat's rejections of a tick: a few
	}
	for i, st := range sortedSeats(spec.Seats) {
		r.seats[i] = seat{spec: st, enc: netcode.NewDeltaEncoder(r.ring)}
	}
	return r
}

// seatConn returns the connection seated at seat number n, or nil. Safe
// from any goroutine.
func (r *room) seatConn(n int) *conn {
	for i := range r.seats {
		if r.seats[i].spec.Seat == n { // spec is immutable after newRoom
			return r.seated[i].Load()
		}
	}
	return nil
}

// summary is the room as GET /v1/rooms lists it.
func (r *room) summary() contract.RoomSummary {
	return contract.RoomSummary{
		RoomID: r.id, MatchID: r.spec.MatchID, Mode: r.spec.Mode,
		State: r.loadState().String(), Players: int(r.players.Load()), Tick: r.tick.Load(),
	}
}

// loadState returns the room's state. Safe from any goroutine.
func (r *room) loadState() RoomState { return RoomState(r.state.Load()) }

// setState moves the room to st and the rooms gauge with it (the room's
// goroutine only).
func (r *room) setState(st RoomState) {
	r.env.metrics.roomMoved(r.loadState(), st)
	r.state.Store(uint32(st))
}

// abortReq is why a room was asked to end early.
type abortReq struct {
	code   netcode.Code // sent to the clients
	reason string
}

// requestAbort asks the room to end with an aborted result at its next
// service; the first request wins. code and reason go to the clients' error
// frame and the log.
func (r *room) requestAbort(code netcode.Code, reason string) {
	r.abort.CompareAndSwap(nil, &abortReq{code: code, reason: reason})
}

// offerJoin queues a join for the room's goroutine without blocking.
func (r *room) offerJoin(j joinReq) bool {
	select {
	case r.joins <- j:
		return true
	default:
		return false
	}
}

// service does everything the room owes at now: seat joins, handle drops,
// start or give up waiting, run owed ticks, hand its result on. It reports
// whether the room is finished and can be forgotten.
func (r *room) service(now time.Time) (finished bool) {
	if r.ended {
		r.refuseJoins(netcode.CodeRoomEnded, "the match is over")
		return r.settle(now)
	}
	r.admit(now)
	r.checkDrops(now)
	if a := r.abort.Load(); a != nil {
		r.finish(now, a.code, a.reason)
		return r.settle(now)
	}
	if r.loadState() == StateWaiting {
		present := int(r.players.Load())
		if present == len(r.seats) || (!now.Before(r.deadline) && present > 0) {
			r.start(now)
		} else if !now.Before(r.deadline) {
			r.finish(now, netcode.CodeRoomEnded, "no player joined before the deadline")
			return r.settle(now)
		}
	}
	if r.loadState() == StateRunning {
		n, late := r.clock.Advance(now)
		if n > 0 {
			r.mm.lateness.Observe(late.Seconds())
		}
		for i := 0; i < n && !r.ended; i++ {
			r.step(now)
		}
		r.countClock()
	}
	if r.ended {
		return r.settle(now)
	}
	return false
}

// countClock adds the clock's new late and skipped ticks to the metrics.
func (r *room) countClock() {
	st := r.clock.Stats()
	if d := st.Late - r.counted.Late; d > 0 {
		r.mm.late.Add(float64(d))
	}
	if d := st.Skipped - r.counted.Skipped; d > 0 {
		r.mm.skipped.Add(float64(d))
	}
	r.counted = st
}

// nextWake is when the room next needs service.
func (r *room) nextWake(now time.Time) time.Time {
	switch {
	case r.ended && !r.queued:
		return now.Add(10 * time.Millisecond) // retry the result queue
	case r.ended:
		return r.holdEnd // the result queue pokes the shard when the sink answers
	case r.loadState() == StateWaiting:
		return r.deadline
	}
	return r.clock.Next()
}

func (r *room) start(now time.Time) {
	r.started = now
	r.setState(StateRunning)
	r.env.log.Info("room running", "room", r.id, "match", r.spec.MatchID, "mode", r.spec.Mode,
		"players", r.players.Load(), "seats", len(r.seats), "tick_rate", int(time.Second/r.clock.Step()))
}

// step runs one tick: frozen inputs, the simulation, snapshots and events.
func (r *room) step(now time.Time) {
	t0 := time.Now()
	r.inputs = r.inputs[:0]
	for i := range r.seats {
		s := &r.seats[i]
		if s.conn == nil {
			continue
		}
		for _, in := range s.conn.takeInputs() {
			if in.Seq <= s.lastSeq {
				r.env.drops.stale.Inc()
				continue
			}
			s.lastSeq = in.Seq
			r.inputs = append(r.inputs, seatInput{Seat: s.spec.Seat, Input: in})
		}
		s.enc.Ack(s.conn.ackTick.Load())
	}
	tick, events, done := r.eng.Step(r.inputs, r.events[:0])
	r.events = events
	r.tick.Store(tick)
	r.snap.Tick = tick
	r.snap.Entities = r.eng.AppendEntities(r.snap.Entities[:0])
	r.ring.Put(&r.snap)
	// Events go first: shared ones to all, a seat's rejections to that
	// seat only (fanEvents). The final tick's events say who won: they are
	// held with the bye until the result is durable (settle).
	r.fanEvents(tick, events, done)
	for i := range r.seats {
		s := &r.seats[i]
		c := s.conn
		if c == nil || c.isClosed() {
			continue
		}
		if c.offerSnapshot(s.enc.Encode(&r.snap, s.lastSeq)) {
			c.behind++
			if c.behind >= r.env.cfg.slowConsumerTicks {
				r.closeSlow(s, fmt.Sprintf("%d snapshots not taken", c.behind))
			}
		} else {
			c.behind = 0
		}
	}
	d := time.Since(t0)
	r.mm.duration.Observe(d.Seconds())
	r.env.ticks.observe(d)
	if d > r.clock.Step() {
		r.mm.overruns.Inc()
	}
	if done {
		r.finish(now, netcode.CodeNone, "match over")
	}
}

// send hands every seated connection's queued frames to its socket
// (conn.send). The shard calls it after servicing the room.
func (r *room) send() {
	for i := range r.seats {
		if c := r.seats[i].conn; c != nil {
			c.send()
		}
	}
}

func (r *room) closeSlow(s *seat, why string) {
	r.env.metrics.slowCloses.Inc()
	r.env.log.Info("slow consumer closed", "room", r.id, "seat", s.spec.Seat, "why", why)
	s.conn.closeCode(netcode.CodeSlowConsumer, why)
}

// finish ends the match: the engine's result (or an aborted one), every
// connection told why and closed, the record built.
func (r *room) finish(now time.Time, code netcode.Code, why string) {
	rec, err := r.eng.Finish()
	if err != nil {
		r.env.log.Error("room result unavailable; recording an aborted match", "room", r.id, "err", err)
		rec = abortedRecord(r.spec)
	}
	r.end(now, rec, code, why)
}

// end records rec as the room's result. The clients are not told yet:
// they get the end (held events, then a bye for CodeNone or an error frame)
// from settle once the sink has made the result durable. Snapshots stop
// here; the connections stay open, at most Config.ResultWait.
func (r *room) end(now time.Time, rec contract.MatchRecord, code netcode.Code, why string) {
	r.ended = true
	r.setState(StateEnded)
	rec.MatchID, rec.RoomID, rec.ServerID = r.spec.MatchID, r.id, r.env.cfg.serverID
	rec.Mode, rec.Seed = r.spec.Mode, r.spec.Seed
	if rec.Arena == "" {
		rec.Arena = r.spec.Arena // the sim reports the resolved arena
	}
	if rec.ContentVersion == "" {
		rec.ContentVersion = r.env.contentVersion
	}
	rec.StartedAt, rec.EndedAt = r.started, now
	if rec.StartedAt.IsZero() {
		rec.StartedAt = now
	}
	for i := range rec.Participants {
		p := &rec.Participants[i]
		for j := range r.seats {
			if r.seats[j].spec.Seat == p.Seat && r.seats[j].released && rec.Outcome != contract.OutcomeAborted {
				p.Result = contract.ResultAbandoned
			}
		}
	}
	r.record = &rec
	if code == netcode.CodeNone {
		r.final = netcode.AppendBye(nil, netcode.KindServerBye, netcode.CodeNone)
	} else {
		r.final = netcode.AppendError(nil, &netcode.ErrorFrame{Code: code, Message: why})
	}
	r.holdEnd = now.Add(r.env.cfg.resultWait)
	r.endedAt = now
	r.env.log.Info("room ended", "room", r.id, "match", r.spec.MatchID, "outcome", rec.Outcome,
		"ticks", rec.Ticks, "why", why)
}

// settle moves an ended room on: its result into the queue, then, once
// the sink has it durably, the end to its clients; if the sink has not
// confirmed by holdEnd (or the server gave the result up), the clients get
// result_pending instead. It reports whether the room is done.
func (r *room) settle(now time.Time) bool {
	if !r.offerResult() {
		return false
	}
	switch r.durable.Load() {
	case resultDurable:
		r.env.metrics.endHold.Observe(now.Sub(r.endedAt).Seconds())
		r.release(r.held, r.heldOwn, r.final)
	case resultLost:
		r.pending("the server stopped before the result was saved")
	default:
		if now.Before(r.holdEnd) {
			return false
		}
		r.pending(fmt.Sprintf("the result was not saved within %s", r.env.cfg.resultWait))
	}
	r.forgetKeys()
	r.env.metrics.roomGone(StateEnded)
	r.env.forget(r)
	return true
}

// pending tells the clients the match is over but its result is not yet
// durable (it may still land: the queue keeps retrying).
func (r *room) pending(why string) {
	r.env.metrics.resultPending.Inc()
	r.env.log.Warn("match end told as result_pending", "room", r.id, "match", r.spec.MatchID, "why", why)
	r.release(nil, nil, netcode.AppendError(nil, &netcode.ErrorFrame{Code: netcode.CodeResultPending, Message: why}))
}

// release sends frames, then the seat's own frames (own, by seat index;
// nil for none), then final, to every connection and closes it.
func (r *room) release(frames [][]byte, own [][][]byte, final []byte) {
	for i := range r.seats {
		c := r.seats[i].conn
		if c == nil {
			continue
		}
		mine := frames
		if own != nil {
			mine = append(slices.Clip(frames), own[i]...)
		}
		for _, f := range mine {
			if !c.offerControl(f) {
				break // the close below still tells the end; the client resyncs from the lobby
			}
		}
		c.closeWith(final)
		r.seats[i].conn = nil
		r.seated[i].Store(nil)
	}
	r.players.Store(0)
	r.held, r.heldOwn, r.final = nil, nil, nil
}

// offerResult hands the record to the result queue once; false means the
// queue was full and the room keeps it for the next service.
func (r *room) offerResult() bool {
	if r.queued {
		return true
	}
	if !r.env.results.offer(queuedResult{rec: *r.record, room: r}) {
		return false
	}
	r.record = nil
	r.queued = true
	return true
}

// abortedRecord is the result of a room whose simulation cannot give one
// (it panicked): outcome aborted, every seat abandoned, no rewards.
func abortedRecord(spec contract.RoomSpec) contract.MatchRecord {
	rec := contract.MatchRecord{Outcome: contract.OutcomeAborted, WinningTeam: -1}
	for _, st := range sortedSeats(spec.Seats) {
		rec.Participants = append(rec.Participants, contract.Participant{
			PlayerID: st.PlayerID, Seat: st.Seat, Team: st.Team, Result: contract.ResultAbandoned,
		})
	}
	return rec
}

// randomToken returns 130 random bits as 26 base32 characters (resume
// tokens, room ids): crypto/rand.Text, which cannot fail.
func randomToken() string { return rand.Text() }

// tokenEqual compares resume tokens in constant time.
func tokenEqual(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
