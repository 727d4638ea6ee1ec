package server

import (
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pantheon-oracles/pantheon/contract"
	"github.com/pantheon-oracles/pantheon/ecs"
	"github.com/pantheon-oracles/pantheon/ecs/bot"
	"github.com/pantheon-oracles/pantheon/ecs/content"
	"github.com/pantheon-oracles/pantheon/internal/allocprof"
	"github.com/pantheon-oracles/pantheon/netcode"
)

// discardConn is the server side of a client that keeps up perfectly and
// costs nothing: frames written to it are counted by kind (events frames
// are decoded, into a reused frame, to count their events and check their
// ticks) and dropped; reads block until it is closed.
type discardConn struct {
	closed    chan struct{}
	closeOnce sync.Once
	count     bool              // count events (decoding their frames); set before use
	frames    [256]atomic.Int64 // by netcode.Kind
	events    atomic.Int64      // events in every events frame
	maxEvents atomic.Int64      // most events in one events frame
	mu        sync.Mutex        // guards ev and lastTick
	ev        netcode.EventsFrame
	lastTick  uint32 // tick of the last events frame
	badEvents atomic.Int64
	ownFrames atomic.Int64    // events frames of private events only (a seat's rejections, fanEvents)
	keep      bool            // keep every event; guarded by mu
	kept      []netcode.Event // guarded by mu
}

func newDiscardConn(count bool) *discardConn {
	return &discardConn{closed: make(chan struct{}), count: count}
}

func (d *discardConn) ReadFrame() ([]byte, error) {
	<-d.closed
	return nil, net.ErrClosed
}

func (d *discardConn) WriteFrame(p []byte) error {
	select {
	case <-d.closed:
		return net.ErrClosed
	default:
	}
	k, err := netcode.PeekKind(p)
	if err != nil {
		return err
	}
	d.frames[k].Add(1)
	if k == netcode.KindEvents && d.count {
		d.mu.Lock()
		if netcode.DecodeEvents(p, &d.ev) != nil || d.ev.Tick < d.lastTick {
			d.badEvents.Add(1)
		}
		d.lastTick = d.ev.Tick
		if len(d.ev.Events) > 0 {
			if _, own := privateEventSeat(&d.ev.Events[0]); own {
				d.ownFrames.Add(1)
			}
		}
		d.events.Add(int64(len(d.ev.Events)))
		if n := int64(len(d.ev.Events)); n > d.maxEvents.Load() {
			d.maxEvents.Store(n)
		}
		if d.keep {
			d.kept = append(d.kept, d.ev.Events...)
		}
		d.mu.Unlock()
	}
	return nil
}

func (d *discardConn) Close() error {
	d.closeOnce.Do(func() { close(d.closed) })
	return nil
}

func (d *discardConn) RemoteAddr() net.Addr { return &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)} }
func (d *discardConn) Transport() string    { return "mem" }

// settled reports whether the writer has written everything the room
// offered and given the buffers back (the snapshot buffer is returned
// last, after the control frames'). Test helper.
func (c *conn) settled() bool {
	c.outMu.Lock()
	defer c.outMu.Unlock()
	return len(c.ctrl) == 0 && c.snap == nil && c.snapFree != nil
}

// tickRig is one room built from a test environment alone (no Server), on
// a shard the test drives itself with synthetic time, its seats held by
// connections over discardConns fed inputs and acks directly (no reader
// goroutine, no transport): what runs is the room's tick and the
// connections' writers, nothing else.
type tickRig struct {
	tb      testing.TB
	env     *testEnv
	sh      *shard
	r       *room
	conns   []*conn
	wires   []*discardConn
	writers sync.WaitGroup
	clock   func() time.Time
	seq     uint32
	bots    []*bot.Bot // when set, bots play the seats (raid rigs)
	views   []ecs.EntityView

	ticked time.Duration // time spent in the shard's passes
	events int           // events the room's ticks produced
	closed bool
}

func newTickRig(tb testing.TB, factory engineFactory, spec contract.RoomSpec, countEvents bool) *tickRig {
	tb.Helper()
	cfg := testConfig()
	cfg.SlowConsumerTicks = 1 << 30
	g := &tickRig{tb: tb, env: newTestEnv(cfg)}
	g.clock = g.env.roomEnv.now
	g.sh = newShard(&g.env.roomEnv, 0)
	tb.Cleanup(g.close)
	g.r = g.env.newRoom(tb, "r_rig", spec, factory, g.sh)
	for _, st := range g.r.seats {
		c, d := g.env.seat(tb, g.r, st.spec, countEvents, &g.writers)
		g.conns, g.wires = append(g.conns, c), append(g.wires, d)
	}
	g.sh.pass(g.clock)
	if st := g.r.loadState(); st != StateRunning {
		tb.Fatalf("room %s after seating every player", st)
	}
	g.settle()
	return g
}

// playBots makes ecs bots play the room's seats (the seats spec was made
// from), seeing what a client sees: the room's last snapshot.
func (g *tickRig) playBots(content *content.Bundle, seats []ecs.Seat) {
	for _, st := range seats {
		b, err := bot.New(content, g.r.spec.Mode, g.r.spec.Arena, st, uint64(st.Seat)+1, 0)
		if err != nil {
			g.tb.Fatal(err)
		}
		g.bots = append(g.bots, b)
	}
}

// tick queues one input per seat (the bots', or else walking and casting
// slot 1 every fourth tick), acks the newest snapshot, runs one tick
// period and waits until every writer has written what the tick produced.
// The test goroutine is the shard's here, so it may read the room.
func (g *tickRig) tick() {
	g.seq++
	in := netcode.Input{Seq: g.seq, MoveX: int32(g.seq%64) * 16, MoveY: 500 - int32(g.seq%32)*32, CastSlot: -1}
	if g.seq%4 == 0 {
		in.CastSlot, in.CastTarget = 0, 0
	}
	if g.bots != nil {
		g.views = g.views[:0]
		for _, e := range g.r.snap.Entities {
			v := ecs.EntityView{ID: e.ID}
			copy(v.F[:], e.Fields[:ecs.ViewFields])
			g.views = append(g.views, v)
		}
	}
	ack := g.r.tick.Load()
	for i, c := range g.conns {
		if g.bots != nil {
			seat := g.r.seats[i].spec.Seat
			act, ok := g.bots[i].Act(int(ack)+1, g.r.eng.SeatEntity(seat), g.views)
			if !ok {
				continue
			}
			in = WireInput(act)
			in.Seq = g.seq
		}
		c.push(in)
		c.storeAck(ack)
	}
	g.env.now = g.env.now.Add(g.r.clock.Step())
	t0 := time.Now()
	g.sh.pass(g.clock)
	g.ticked += time.Since(t0)
	g.events += len(g.r.events)
	g.settle()
}

// settle waits until every writer is done (at once when the match has
// ended: its connections are closed).
func (g *tickRig) settle() {
	if g.r.ended {
		return
	}
	for _, c := range g.conns {
		poll(g.tb, 10*time.Second, 0, "a connection's writer draining its outbox", func() bool {
			if c.isClosed() {
				g.tb.Fatalf("connection closed: %s", g.r.loadState())
			}
			return c.settled()
		})
	}
}

// sent sums a frame kind over every wire.
func (g *tickRig) sent(k netcode.Kind) int64 {
	var n int64
	for _, d := range g.wires {
		n += d.frames[k].Load()
	}
	return n
}

// sharedFrames is how many events frames wire i got that every seat gets
// (those with a seat's own rejections are its alone).
func (g *tickRig) sharedFrames(i int) int64 {
	return g.wires[i].frames[netcode.KindEvents].Load() - g.wires[i].ownFrames.Load()
}

// sentShared sums sharedFrames over every wire.
func (g *tickRig) sentShared() int64 {
	var n int64
	for i := range g.wires {
		n += g.sharedFrames(i)
	}
	return n
}

func (g *tickRig) close() {
	if g.closed {
		return
	}
	g.closed = true
	g.r.requestAbort(netcode.CodeServerDraining, "test over")
	for g.sh.load.Load() > 0 {
		g.env.now = g.env.now.Add(time.Second)
		g.sh.pass(g.clock)
	}
	g.writers.Wait()
}

// raidRig is a tickRig of an 8-player raid on the real simulation, its
// seats played by bots, with every tick's events from the sim plus extra
// more, and a warm-up burst of 1,000 events and entities a tick over ticks
// 60..100 (eventsEngine). Call tick rigWarmup times before measuring.
func raidRig(tb testing.TB, content *content.Bundle, extra int, countEvents bool) *tickRig {
	tb.Helper()
	seats, err := bot.Seats(content, ModeRaid, 8, 7)
	if err != nil {
		tb.Fatal(err)
	}
	spec := contract.RoomSpec{MatchID: "m_raid_rig", Mode: ModeRaid, Seed: 7, Seats: seatsFromBots(seats)}
	g := newTickRig(tb, func(spec contract.RoomSpec) (engine, error) {
		e, err := simFactory(content)(spec)
		return &eventsEngine{engine: e, n: extra, burstFrom: 60, burstTo: 100, burst: 1000}, err
	}, spec, countEvents)
	g.playBots(content, seats)
	return g
}

// eventsEngine adds n events to every tick of the engine it wraps and,
// during ticks burstFrom..burstTo, a burst of more events and of entities
// whose every field changes every tick: a warm-up that grows every
// per-tick buffer (events, frames, snapshot ring slots, delta encoders,
// mailboxes) past what the wrapped engine needs later.
type eventsEngine struct {
	engine
	n                  int
	burstFrom, burstTo uint32
	burst              int // extra events and entities per burst tick
	tick               uint32
}

func (e *eventsEngine) bursting() bool { return e.tick >= e.burstFrom && e.tick <= e.burstTo }

func (e *eventsEngine) Step(in []seatInput, ev []netcode.Event) (uint32, []netcode.Event, bool) {
	tick, ev, done := e.engine.Step(in, ev)
	e.tick = tick
	n := e.n
	if e.bursting() {
		n += e.burst
	}
	for i := 0; i < n; i++ {
		ev = append(ev, netcode.MakeEvent(int32(ecs.EventHeal), 0, -1, 0, int32(i), int32(tick), -1))
	}
	return tick, ev, done
}

func (e *eventsEngine) AppendEntities(dst []netcode.Entity) []netcode.Entity {
	dst = e.engine.AppendEntities(dst)
	if !e.bursting() {
		return dst
	}
	for i := 0; i < e.burst; i++ {
		ent := netcode.Entity{ID: 1<<30 + uint32(i)} // above every real id
		for f := range ent.Fields {
			ent.Fields[f] = int32(e.tick)*7919 + int32(i*f)
		}
		dst = append(dst, ent)
	}
	return dst
}

// tickAllocations returns how many objects the room's tick and its
// connections' writers have allocated so far, by the runtime's allocation
// profile (runtime.MemProfileRate must be 1): chunks are the simulation's
// replay chunks (ecs.(*recorder).grow, bounded by what is recorded), other
// is everything else but the test's discardConn and the runtime refilling
// its per-P cache of waiter records when a mutex is contended
// (runtime.acquireSudog, which -race makes likelier).
func tickAllocations(t *testing.T) (chunks, other int64) {
	t.Helper()
	allocprof.Sites(t, func(objects int64, s allocprof.Stack) {
		inTick := s.Has("server.(*room).step") || s.Has("server.(*room).send") || s.Has("server.(*conn).writeLoop")
		inWire := s.Contains("server.(*discardConn)") || s.Has("runtime.acquireSudog")
		switch {
		case !inTick || inWire: // the test's wire, the runtime's waiter cache
		case s.Has("ecs.(*recorder).grow"):
			chunks += objects
		default:
			other += objects
		}
	})
	return chunks, other
}

// rigWarmup is how many ticks a raidRig needs before it is in steady
// state: past its burst and the ring's worth of ticks after it.
const rigWarmup = 150

// TestRoomTickAllocatesNothing runs an 8-player raid room on the real
// simulation with events flowing, and a room whose every tick carries 1,500
// more events (two events frames), and checks that after warm-up neither
// the room's tick (inputs, step, snapshots, events frames, control queues)
// nor the connections' writers allocate anything but the simulation's
// replay chunks. Steady state means every buffer has grown to its
// high-water mark: the warm-up's burst (raidRig) carries 1,000 extra events
// and entities a tick, more than any measured tick of the raid (the test
// checks the events), so the events slice, the room's frame buffer, each
// connection's control buffers, the snapshot ring and every encoder are at
// their size before measuring.
func TestRoomTickAllocatesNothing(t *testing.T) {
	bundle, err := content.Load()
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name        string
		extra       int   // events added to every tick
		minFrames   int64 // events frames each seat must get in the measured ticks
		framesPerTk int64 // exact events frames per tick, 0 to not check
	}{
		{"mode=raid/players=8", 0, 100, 0},
		{"mode=raid/players=8/events=1500", 1500, 2 * 300, 2},
	}
	defer func(rate int) { runtime.MemProfileRate = rate }(runtime.MemProfileRate)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := raidRig(t, bundle, tc.extra, true)
			for range rigWarmup {
				g.tick()
			}
			runtime.MemProfileRate = 1
			defer func() { runtime.MemProfileRate = 512 * 1024 }()
			chunks0, other0 := tickAllocations(t)
			frames0, events0 := g.sentShared(), g.wires[0].events.Load()
			g.wires[0].maxEvents.Store(0)
			const ticks = 300
			for range ticks {
				g.tick()
			}
			chunks1, other1 := tickAllocations(t)
			frames := g.sentShared() - frames0
			perSeat := g.sharedFrames(0)
			events := g.wires[0].events.Load() - events0
			if g.r.ended {
				t.Fatalf("the raid ended at tick %d, inside the measured ticks", g.r.tick.Load())
			}
			if other := other1 - other0; other != 0 {
				t.Fatalf("the tick path allocated %d objects in %d ticks (besides %d replay chunks)", other, ticks, chunks1-chunks0)
			}
			if frames < tc.minFrames*int64(len(g.wires)) {
				t.Fatalf("only %d events frames to %d seats in %d ticks: too few events to test", frames, len(g.wires), ticks)
			}
			if most := g.wires[0].maxEvents.Load(); tc.extra == 0 && most >= 1000 {
				t.Fatalf("a measured tick had %d events, as many as the warm-up's burst: warm up with more", most)
			}
			if tc.framesPerTk > 0 && frames != tc.framesPerTk*ticks*int64(len(g.wires)) {
				t.Fatalf("%d events frames in %d ticks to %d seats, want %d a tick each", frames, ticks, len(g.wires), tc.framesPerTk)
			}
			for i, d := range g.wires {
				if n := g.sharedFrames(i); n != perSeat || d.badEvents.Load() != 0 {
					t.Fatalf("seat %d: %d events frames (%d malformed or out of order), seat 0 got %d", i, n, d.badEvents.Load(), perSeat)
				}
			}
			t.Logf("%d ticks: %d events in %d events frames per seat (at most %d in one); %d replay chunks, nothing else allocated",
				ticks, events, frames/int64(len(g.wires)), g.wires[0].maxEvents.Load(), chunks1-chunks0)
		})
	}
}

// BenchmarkRoomTick measures one tick of one 8-player raid room on the
// real simulation, its seats played by bots, with events flowing, over
// connections that write to nowhere (no transport, no client). ns/op is
// the whole tick until the 8 writers have written it; tick-ns/op the
// room's own part (inputs, step, snapshots for 8 clients, events frames).
// allocs/op counts the tick and the 8 writers: 0 in steady state but for
// the simulation's replay chunks, about one 16 KiB chunk per 130 ticks,
// which rounds to 0. events=1500 adds 1,500 events to every tick (two
// events frames). A raid that ends is replaced outside the timed ticks.
//
//	go test -run '^$' -bench 'BenchmarkRoomTick' -benchmem ./server/
func BenchmarkRoomTick(b *testing.B) {
	bundle, err := content.Load()
	if err != nil {
		b.Fatal(err)
	}
	for _, extra := range []int{0, 1500} {
		name := "mode=raid/players=8"
		if extra > 0 {
			name += "/events=1500"
		}
		b.Run(name, func(b *testing.B) {
			fresh := func() *tickRig {
				g := raidRig(b, bundle, extra, false)
				for range rigWarmup {
					g.tick()
				}
				g.ticked, g.events = 0, 0
				return g
			}
			g := fresh()
			var ticked time.Duration
			var events, framesSent int64
			frames0 := g.sent(netcode.KindEvents)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if g.r.ended {
					b.StopTimer()
					ticked, events = ticked+g.ticked, events+int64(g.events)
					framesSent += g.sent(netcode.KindEvents) - frames0
					g.close()
					g = fresh()
					frames0 = g.sent(netcode.KindEvents)
					b.StartTimer()
				}
				g.tick()
			}
			b.StopTimer()
			ticked, events = ticked+g.ticked, events+int64(g.events)
			framesSent += g.sent(netcode.KindEvents) - frames0
			b.ReportMetric(float64(ticked.Nanoseconds())/float64(b.N), "tick-ns/op")
			b.ReportMetric(float64(framesSent)/float64(len(g.wires))/float64(b.N), "events-frames/tick")
			b.ReportMetric(float64(events)/float64(b.N), "events/tick")
		})
	}
}

// TestEventsSplitAcrossFrames: a tick with more events than one events
// frame holds sends them all, in order, in as many frames as it takes,
// each stamped with the tick.
func TestEventsSplitAcrossFrames(t *testing.T) {
	const n = 2*netcode.MaxEventsPerFrame + 10
	g := newTickRig(t, func(spec contract.RoomSpec) (engine, error) {
		e, err := scriptFactory(30, 0)(spec)
		return &eventsEngine{engine: e, n: n, burstFrom: 1, burstTo: 0}, err
	}, battleSpec("m_split"), true)
	frames0 := make([]int64, len(g.wires))
	for i, d := range g.wires {
		d.mu.Lock()
		d.keep = true
		d.mu.Unlock()
		frames0[i] = d.frames[netcode.KindEvents].Load()
	}
	g.tick()
	g.tick()
	for i, d := range g.wires {
		if f := d.frames[netcode.KindEvents].Load() - frames0[i]; f != 2*3 {
			t.Fatalf("seat %d: %d events frames in 2 ticks, want 3 a tick", i, f)
		}
		if d.badEvents.Load() != 0 {
			t.Fatalf("seat %d: malformed or out-of-order events frames", i)
		}
		d.mu.Lock()
		var kept []netcode.Event
		for _, ev := range d.kept {
			if ev.Kind == int32(ecs.EventHeal) { // eventsEngine's, not scriptEngine's
				kept = append(kept, ev)
			}
		}
		d.mu.Unlock()
		if len(kept) != 2*n {
			t.Fatalf("seat %d: %d events in 2 ticks, want %d", i, len(kept), 2*n)
		}
		first := kept[0].Fields[4]
		for j, ev := range kept {
			// eventsEngine's events carry their index as target and the
			// tick as amount.
			if ev.Fields[3] != int32(j%n) || ev.Fields[4] != first+int32(j/n) {
				t.Fatalf("seat %d: event %d is #%d of tick %d", i, j, ev.Fields[3], ev.Fields[4])
			}
		}
	}
}
