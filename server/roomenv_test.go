package server

import (
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/pantheon-oracles/pantheon/contract"
	"github.com/pantheon-oracles/pantheon/netcode"
	"github.com/prometheus/client_golang/prometheus"
)

// testEnv is a room environment with no server behind it: a synthetic
// clock the test moves, results taken and confirmed durable at once (or
// held for the test to confirm), and a record of the rooms that finished.
type testEnv struct {
	roomEnv
	now   time.Time // the clock; the test goroutine's
	inbox int       // connections' inbox size

	mu        sync.Mutex
	hold      bool           // offer keeps results unconfirmed until confirm
	held      []queuedResult // guarded by mu
	records   []contract.MatchRecord
	forgotten []*room
}

// newTestEnv returns an environment for rooms configured as cfg (after
// defaults) says, for the test modes.
func newTestEnv(cfg Config) *testEnv {
	cfg = cfg.WithDefaults()
	e := &testEnv{now: time.Unix(1_700_000_000, 0), inbox: cfg.InboxSize}
	m := newMetrics(prometheus.NewRegistry(), testModes)
	e.roomEnv = roomEnv{
		cfg: roomConfigOf(cfg), contentVersion: "v-test",
		log:     slog.New(slog.NewTextHandler(io.Discard, nil)),
		metrics: m, ticks: new(tickHist), results: e,
		drops: inputDrops{
			inboxFull:   m.inboxDrops.WithLabelValues("inbox_full"),
			rateLimited: m.inboxDrops.WithLabelValues("rate_limited"),
			stale:       m.inboxDrops.WithLabelValues("stale"),
		},
		now:    func() time.Time { return e.now },
		forget: e.forget,
	}
	return e
}

// offer takes the record and confirms it durable at once, unless hold is
// set.
func (e *testEnv) offer(q queuedResult) bool {
	e.mu.Lock()
	e.records = append(e.records, q.rec)
	hold := e.hold
	if hold {
		e.held = append(e.held, q)
	}
	e.mu.Unlock()
	if !hold {
		q.tell(resultDurable)
	}
	return true
}

// confirm tells every held result's room it is durable, and stops holding.
func (e *testEnv) confirm() {
	e.mu.Lock()
	held := e.held
	e.held, e.hold = nil, false
	e.mu.Unlock()
	for _, q := range held {
		q.tell(resultDurable)
	}
}

func (e *testEnv) forget(r *room) {
	e.mu.Lock()
	e.forgotten = append(e.forgotten, r)
	e.mu.Unlock()
}

// newRoom builds a room for spec on eng, scheduled on sh (a shard of e
// that the test drives with pass).
func (e *testEnv) newRoom(tb testing.TB, id string, spec contract.RoomSpec, factory engineFactory, sh *shard) *room {
	tb.Helper()
	eng, err := factory(spec)
	if err != nil {
		tb.Fatal(err)
	}
	r := newRoom(id, spec, eng, &e.roomEnv)
	r.shard = sh
	e.metrics.roomAdded()
	sh.add(r)
	return r
}

// seat queues a join for seat st of r over a discardConn, as a reader
// that checked the player's ticket would, with the connection's writer on
// a goroutine of wg.
func (e *testEnv) seat(tb testing.TB, r *room, st contract.SeatSpec, count bool, wg *sync.WaitGroup) (*conn, *discardConn) {
	tb.Helper()
	d := newDiscardConn(count)
	c := newConn(d, "mem", e.inbox, e.metrics.bytesOut.WithLabelValues("mem"))
	wg.Go(c.writeLoop)
	claims := TicketClaims{Kind: KindJoin, Room: r.id, Seat: st.Seat,
		RegisteredClaims: jwt.RegisteredClaims{Subject: st.PlayerID}}
	if !r.offerJoin(joinReq{c: c, claims: claims}) {
		tb.Fatal("join queue full")
	}
	return c, d
}

// TestRoomStandalone: one room built from an environment alone (no
// Server, no listener, no goroutine of its own), seated, stepped at a
// synthetic clock through its match to the end: it waits, runs when every
// seat is taken, ticks once per period of the clock, hands its record on
// stamped with the environment's server id and content version, tells its
// clients the end once the record is durable, and is forgotten.
func TestRoomStandalone(t *testing.T) {
	cfg := testConfig()
	cfg.ServerID = "room-alone"
	e := newTestEnv(cfg)
	sh := newShard(&e.roomEnv, 0)
	const endAt = 12
	r := e.newRoom(t, "r_alone", battleSpec("m_alone"), scriptFactory(30, endAt), sh)
	if st := r.loadState(); st != StateWaiting {
		t.Fatalf("new room %s, want waiting", st)
	}
	if got := e.metrics.value("pantheon_room_rooms", "waiting"); got != 1 {
		t.Fatalf("rooms{waiting} = %v, want 1", got)
	}
	clock := func() time.Time { return e.now }
	var writers sync.WaitGroup
	conns := make([]*conn, 0, 2)
	wires := make([]*discardConn, 0, 2)
	c0, d0 := e.seat(t, r, r.spec.Seats[0], false, &writers)
	conns, wires = append(conns, c0), append(wires, d0)
	sh.pass(clock)
	if st := r.loadState(); st != StateWaiting || r.players.Load() != 1 {
		t.Fatalf("one of two seated: %s with %d players, want waiting with 1", st, r.players.Load())
	}
	c1, d1 := e.seat(t, r, r.spec.Seats[1], false, &writers)
	conns, wires = append(conns, c1), append(wires, d1)
	startedAt := e.now
	sh.pass(clock)
	// Full: it runs, and its first tick is due at once.
	if st := r.loadState(); st != StateRunning || r.players.Load() != 2 || r.tick.Load() != 1 {
		t.Fatalf("both seated: %s with %d players at tick %d, want running with 2 at tick 1", st, r.players.Load(), r.tick.Load())
	}
	if got := e.metrics.value("pantheon_room_rooms", "running"); got != 1 {
		t.Fatalf("rooms{running} = %v, want 1", got)
	}
	// No time passed: no tick.
	sh.pass(clock)
	if tick := r.tick.Load(); tick != 1 {
		t.Fatalf("tick %d before the clock moved", tick)
	}
	for i := 2; i <= endAt; i++ {
		for _, c := range conns {
			waitFor(t, "the writer taking the tick's snapshot", c.settled)
			c.push(netcode.Input{Seq: uint32(i), MoveX: 10})
		}
		e.now = e.now.Add(r.clock.Step())
		sh.pass(clock)
		if i < endAt && r.tick.Load() != uint32(i) {
			t.Fatalf("after %d periods the room is at tick %d", i-1, r.tick.Load())
		}
	}
	e.mu.Lock()
	recs, forgotten := e.records, e.forgotten
	e.mu.Unlock()
	if len(recs) != 1 || len(forgotten) != 1 || forgotten[0] != r {
		t.Fatalf("after the last tick: %d records, %d rooms forgotten; want 1 and this room", len(recs), len(forgotten))
	}
	rec := recs[0]
	if rec.MatchID != "m_alone" || rec.RoomID != "r_alone" || rec.ServerID != "room-alone" || rec.ContentVersion != "v-test" ||
		rec.Outcome != contract.OutcomeTeamWin || rec.Ticks != endAt || len(rec.Participants) != 2 {
		t.Fatalf("record %+v", rec)
	}
	if !rec.StartedAt.Equal(startedAt) || !rec.EndedAt.Equal(e.now) || e.now.Sub(startedAt) != (endAt-1)*r.clock.Step() {
		t.Fatalf("record started %v ended %v; the clock started the match at %v and is at %v",
			rec.StartedAt, rec.EndedAt, startedAt, e.now)
	}
	if got, want := r.eng.(*scriptEngine).inputs, 2*(endAt-1); got != want {
		t.Fatalf("the engine saw %d inputs, want %d (one per seat and tick after the first)", got, want)
	}
	if st := r.loadState(); st != StateEnded || r.players.Load() != 0 {
		t.Fatalf("finished room %s with %d players", st, r.players.Load())
	}
	if got := e.metrics.value("pantheon_room_rooms", "ended") + e.metrics.value("pantheon_room_rooms", "running"); got != 0 {
		t.Fatalf("rooms gauge still counts the forgotten room: %v", got)
	}
	if sh.load.Load() != 0 || len(sh.rooms) != 0 {
		t.Fatalf("shard still holds %d rooms", sh.load.Load())
	}
	writers.Wait() // the end closed every connection: the writers return
	for i, d := range wires {
		if d.frames[netcode.KindWelcome].Load() != 1 || d.frames[netcode.KindServerBye].Load() != 1 {
			t.Fatalf("seat %d got %d welcomes and %d byes, want 1 and 1", i, d.frames[netcode.KindWelcome].Load(), d.frames[netcode.KindServerBye].Load())
		}
		// One a tick, the last one's written before the bye.
		if n := d.frames[netcode.KindSnapshot].Load(); n != endAt {
			t.Fatalf("seat %d got %d snapshots, want %d", i, n, endAt)
		}
	}
}
