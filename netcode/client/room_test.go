package client

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/pantheon-oracles/pantheon/internal/testwait"
	"github.com/pantheon-oracles/pantheon/netcode"
	"github.com/pantheon-oracles/pantheon/netcode/transport"
)

// testRoom is a minimal authoritative server for the client tests, built
// only on netcode's public API the way the room server uses it: it admits
// sessions from any listener, answers hello/resume with a welcome, steps a
// seeded world at a fixed rate, sends each seat a delta against its acked
// baseline, consumes inputs, acks them in snapshots and answers pings. It
// records every tick's world so tests can check what clients report.
type testRoom struct {
	t      testing.TB
	period time.Duration

	mu      sync.Mutex
	rng     *rand.Rand
	world   netcode.Snapshot
	nextID  uint32
	ring    *netcode.SnapshotRing
	history map[uint32]*netcode.Snapshot
	seats   map[string]*testSeat // by resume token
	resumes []netcode.Hello      // every resume hello seen
	resumed []time.Time          // when each resume hello was seated
	// backoffRefusals counts resumes refused because their seat was still
	// backing off (kickRateLimited), as the room server refuses them.
	backoffRefusals int

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

type testSeat struct {
	seat     uint32
	token    string
	conn     transport.Conn
	enc      *netcode.DeltaEncoder
	inputAck uint32 // highest contiguous input sequence consumed
	bases    []uint32
	acks     []uint32  // the tick of every ack frame, in arrival order
	inAcks   []uint32  // the ack_tick of every input frame, in arrival order
	retryAt  time.Time // resumes before then are refused with rate_limited
}

// testRingTicks is how many past ticks the test room keeps as delta
// baselines: about 10 s at its 10 ms period, so a baseline the client
// acked never ages out of the ring during a test, however slowly a loaded
// machine delivers acks, and a full snapshot after the client's first ack
// (or after a resume) always means a bug rather than a slow run.
const testRingTicks = 1024

func newTestRoom(t testing.TB, entities int, period time.Duration, lns ...transport.Listener) *testRoom {
	r := openTestRoom(t, entities, period, lns...)
	r.wg.Add(1)
	go r.tickLoop()
	return r
}

// newScriptedRoom is a test room that steps only when the test calls
// burst; its welcome states the tick rate of period all the same.
func newScriptedRoom(t testing.TB, entities int, period time.Duration, lns ...transport.Listener) *testRoom {
	return openTestRoom(t, entities, period, lns...)
}

// openTestRoom builds the room and accepts on lns; the caller starts the
// tick loop or not.
func openTestRoom(t testing.TB, entities int, period time.Duration, lns ...transport.Listener) *testRoom {
	r := &testRoom{
		t: t, period: period,
		rng:     rand.New(rand.NewPCG(1, 2)),
		ring:    netcode.NewSnapshotRing(testRingTicks),
		history: make(map[uint32]*netcode.Snapshot),
		seats:   make(map[string]*testSeat),
		nextID:  1,
	}
	r.world.Tick = 1
	for range entities {
		r.spawn()
	}
	r.record()
	r.ctx, r.cancel = context.WithCancel(context.Background())
	for _, ln := range lns {
		r.wg.Add(1)
		go r.acceptLoop(ln)
	}
	return r
}

func (r *testRoom) spawn() {
	var e netcode.Entity
	e.ID = r.nextID
	r.nextID += 1 + uint32(r.rng.IntN(4))
	e.Fields[netcode.FieldKind] = 2
	e.Fields[netcode.FieldX] = r.rng.Int32N(10000)
	e.Fields[netcode.FieldY] = r.rng.Int32N(10000)
	e.Fields[netcode.FieldHP] = 1000
	r.world.Entities = append(r.world.Entities, e)
}

// record stores the current world as history and in the ring. r.mu held.
func (r *testRoom) record() {
	s := &netcode.Snapshot{}
	s.CopyFrom(&r.world)
	r.history[s.Tick] = s
	r.ring.Put(s)
}

// step moves most entities, hurts some, and now and then removes one and
// spawns another. r.mu held.
func (r *testRoom) step() {
	r.world.Tick++
	for i := range r.world.Entities {
		e := &r.world.Entities[i]
		if r.rng.IntN(10) < 8 {
			e.Fields[netcode.FieldX] += r.rng.Int32N(31) - 15
			e.Fields[netcode.FieldY] += r.rng.Int32N(31) - 15
		}
		if r.rng.IntN(10) == 0 {
			e.Fields[netcode.FieldHP] -= r.rng.Int32N(50)
		}
		if r.rng.IntN(50) == 0 { // any field, any value: the codec is game-agnostic
			e.Fields[r.rng.IntN(netcode.MaxFields)] = int32(r.rng.Uint32())
		}
	}
	if len(r.world.Entities) > 2 && r.rng.IntN(4) == 0 {
		k := r.rng.IntN(len(r.world.Entities))
		r.world.Entities = append(r.world.Entities[:k], r.world.Entities[k+1:]...)
		r.spawn()
	}
	r.record()
}

func (r *testRoom) tickLoop() {
	defer r.wg.Done()
	t := time.NewTicker(r.period)
	defer t.Stop()
	for {
		select {
		case <-r.ctx.Done():
			return
		case <-t.C:
		}
		r.mu.Lock()
		r.stepAndSend()
		r.mu.Unlock()
	}
}

// stepAndSend steps the world and sends each live seat its snapshot (and
// every tenth tick an events frame). r.mu held.
func (r *testRoom) stepAndSend() {
	r.step()
	for _, s := range r.seats {
		if s.conn == nil {
			continue
		}
		s.bases = append(s.bases, s.enc.Baseline())
		_ = s.conn.WriteFrame(s.enc.Encode(&r.world, s.inputAck))
		if r.world.Tick%10 == 0 {
			ev := netcode.EventsFrame{Tick: r.world.Tick, Events: []netcode.Event{netcode.MakeEvent(1, int32(r.world.Tick))}}
			_ = s.conn.WriteFrame(netcode.AppendEvents(nil, &ev))
		}
	}
}

// burst steps the world n times at once, sending every tick's snapshot
// back to back, as a backlog reaches a client after a stall, and returns
// the newest tick.
func (r *testRoom) burst(n int) uint32 {
	r.mu.Lock()
	defer r.mu.Unlock()
	for range n {
		r.stepAndSend()
	}
	return r.world.Tick
}

func (r *testRoom) acceptLoop(ln transport.Listener) {
	defer r.wg.Done()
	for {
		c, err := ln.Accept(r.ctx)
		if err != nil {
			return
		}
		r.wg.Add(1)
		go r.serve(c)
	}
}

func (r *testRoom) send(c transport.Conn, p []byte) { _ = c.WriteFrame(p) }

// serve runs one session: handshake, then inputs, acks and pings.
func (r *testRoom) serve(c transport.Conn) {
	defer r.wg.Done()
	defer c.Close()
	stop := context.AfterFunc(r.ctx, func() { c.Close() })
	defer stop()
	p, err := c.ReadFrame()
	if err != nil {
		return
	}
	var h netcode.Hello
	if err := netcode.DecodeHello(p, &h); err != nil {
		return
	}
	if h.Version != netcode.Version {
		r.send(c, netcode.AppendError(nil, &netcode.ErrorFrame{Code: netcode.CodeVersionMismatch}))
		return
	}
	if h.Ticket == "bad" {
		r.send(c, netcode.AppendError(nil, &netcode.ErrorFrame{Code: netcode.CodeBadTicket, Message: "signature"}))
		return
	}
	r.mu.Lock()
	var s *testSeat
	if h.Resume() {
		s = r.seats[h.ResumeToken]
		if s == nil {
			r.mu.Unlock()
			r.send(c, netcode.AppendError(nil, &netcode.ErrorFrame{Code: netcode.CodeResumeFailed}))
			return
		}
		if d := time.Until(s.retryAt); d > 0 {
			r.backoffRefusals++
			r.mu.Unlock()
			r.send(c, netcode.AppendError(nil, &netcode.ErrorFrame{Code: netcode.CodeRateLimited, Message: "backing off", RetryAfter: d}))
			return
		}
		r.resumes = append(r.resumes, h)
		r.resumed = append(r.resumed, time.Now())
		if s.conn != nil {
			s.conn.Close()
		}
		s.enc.Resume(h.LastAckTick)
	} else {
		s = &testSeat{seat: uint32(len(r.seats)), enc: netcode.NewDeltaEncoder(r.ring)}
		s.token = fmt.Sprintf("resume-%d-%d", s.seat, r.rng.Uint64())
		r.seats[s.token] = s
	}
	s.conn = c
	welcome := netcode.AppendWelcome(nil, &netcode.Welcome{
		Version: netcode.Version, Seat: s.seat, TickRate: uint32(time.Second / r.period),
		ServerTick: r.world.Tick, ResumeToken: s.token, EntityID: 0, ServerTimeUs: time.Now().UnixMicro(),
	})
	r.mu.Unlock()
	r.send(c, welcome)

	var in netcode.InputFrame
	for {
		p, err := c.ReadFrame()
		if err != nil {
			r.detach(s, c)
			return
		}
		k, err := netcode.PeekKind(p)
		if err != nil {
			r.send(c, netcode.AppendError(nil, &netcode.ErrorFrame{Code: netcode.CodeProtocolError}))
			r.detach(s, c)
			return
		}
		switch k {
		case netcode.KindHello, netcode.KindResume: // duplicated hello: same welcome again
			r.send(c, welcome)
		case netcode.KindInput:
			if netcode.DecodeInputFrame(p, &in) != nil {
				r.detach(s, c)
				return
			}
			r.mu.Lock()
			for _, x := range in.Inputs {
				if x.Seq == s.inputAck+1 {
					s.inputAck = x.Seq
				}
			}
			s.inAcks = append(s.inAcks, in.AckTick)
			s.enc.Ack(in.AckTick)
			r.mu.Unlock()
		case netcode.KindAck:
			if tick, err := netcode.DecodeAck(p); err == nil {
				r.mu.Lock()
				s.acks = append(s.acks, tick)
				s.enc.Ack(tick)
				r.mu.Unlock()
			}
		case netcode.KindPing:
			var ping netcode.Ping
			if netcode.DecodePing(p, &ping) == nil {
				r.mu.Lock()
				tick := r.world.Tick
				r.mu.Unlock()
				r.send(c, netcode.AppendPong(nil, &netcode.Pong{ID: ping.ID, ClientTimeUs: ping.ClientTimeUs, ServerTick: tick, ServerTimeUs: time.Now().UnixMicro()}))
			}
		case netcode.KindClientBye:
			r.detach(s, c)
			return
		default:
			// server-to-client kinds from a client are ignored by this scripted room.
		}
	}
}

func (r *testRoom) detach(s *testSeat, c transport.Conn) {
	r.mu.Lock()
	if s.conn == c {
		s.conn = nil
	}
	r.mu.Unlock()
}

// kick closes a seat's live conn from the server side (a drop).
func (r *testRoom) kick(token string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if s := r.seats[token]; s != nil && s.conn != nil {
		s.conn.Close()
	}
}

// kickRateLimited closes a seat's live conn as the room server closes a
// flood: with rate_limited and a back-off d, refusing its resumes until d
// has passed. With tell false the error frame states no back-off (an
// older server's close, or one the client missed) and only the refusals
// of the resumes say it.
func (r *testRoom) kickRateLimited(token string, d time.Duration, tell bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.seats[token]
	if s == nil || s.conn == nil {
		r.t.Fatalf("kickRateLimited: no live seat %q", token)
	}
	s.retryAt = time.Now().Add(d)
	ef := &netcode.ErrorFrame{Code: netcode.CodeRateLimited, Message: "too many inputs"}
	if tell {
		ef.RetryAfter = d
	}
	r.send(s.conn, netcode.AppendError(nil, ef))
	s.conn.Close()
}

// acksOf returns a copy of the ack ticks the seat with token sent.
func (r *testRoom) acksOf(token string) []uint32 {
	return r.seatTicks(token, func(s *testSeat) []uint32 { return s.acks })
}

// inputAcksOf returns a copy of the ack_tick of every input frame the
// seat with token sent.
func (r *testRoom) inputAcksOf(token string) []uint32 {
	return r.seatTicks(token, func(s *testSeat) []uint32 { return s.inAcks })
}

// seatTicks returns a copy of the ticks field picks of the seat with token.
func (r *testRoom) seatTicks(token string, field func(*testSeat) []uint32) []uint32 {
	r.mu.Lock()
	defer r.mu.Unlock()
	if s := r.seats[token]; s != nil {
		return append([]uint32(nil), field(s)...)
	}
	return nil
}

// stepMarked steps the world once and sends each live seat its snapshot
// followed by an events frame of the same tick: a client that reports
// those events (OnEvents, on its reader goroutine, in frame order) has
// finished handling the snapshot, acks included. It returns the tick.
func (r *testRoom) stepMarked() uint32 {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.step()
	ev := netcode.EventsFrame{Tick: r.world.Tick, Events: []netcode.Event{netcode.MakeEvent(1, int32(r.world.Tick))}}
	for _, s := range r.seats {
		if s.conn == nil {
			continue
		}
		s.bases = append(s.bases, s.enc.Baseline())
		_ = s.conn.WriteFrame(s.enc.Encode(&r.world, s.inputAck))
		_ = s.conn.WriteFrame(netcode.AppendEvents(nil, &ev))
	}
	return r.world.Tick
}

// tick returns the room's current tick.
func (r *testRoom) tick() uint32 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.world.Tick
}

// snapshotAt returns the world the room had at tick.
func (r *testRoom) snapshotAt(tick uint32) *netcode.Snapshot {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.history[tick]
}

func (r *testRoom) close() {
	r.cancel()
	r.wg.Wait()
}

// verifier checks every snapshot a client reports against the room's
// history and counts them.
type verifier struct {
	room *testRoom
	mu   sync.Mutex
	n    int
	bad  error
}

func (v *verifier) onSnapshot(s *netcode.Snapshot) {
	want := v.room.snapshotAt(s.Tick)
	v.mu.Lock()
	defer v.mu.Unlock()
	v.n++
	if v.bad == nil && (want == nil || !want.Equal(s)) {
		v.bad = fmt.Errorf("tick %d: the client's world differs from the server's", s.Tick)
	}
}

func (v *verifier) result() (int, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.n, v.bad
}

// waitFor polls cond until it holds or d passes (testwait.ErrTimeout).
func waitFor(d time.Duration, cond func() bool) error {
	return testwait.Until(d, 2*time.Millisecond, cond)
}
