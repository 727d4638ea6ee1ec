package server

import (
	"slices"
	"testing"
	"time"

	"github.com/pantheon-oracles/pantheon/contract"
	"github.com/pantheon-oracles/pantheon/ecs"
	"github.com/pantheon-oracles/pantheon/ecs/bot"
	"github.com/pantheon-oracles/pantheon/ecs/content"
	"github.com/pantheon-oracles/pantheon/netcode"
)

// keepEvents makes every wire of g keep the events it is sent.
func keepEvents(g *tickRig) {
	for _, d := range g.wires {
		d.mu.Lock()
		d.keep = true
		d.kept = d.kept[:0]
		d.mu.Unlock()
	}
}

// keptEvents returns what wire i was sent, split into the private kinds
// and the rest.
func keptEvents(g *tickRig, i int) (private, shared []netcode.Event) {
	d := g.wires[i]
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, ev := range d.kept {
		if _, ok := privateEventSeat(&ev); ok {
			private = append(private, ev)
		} else {
			shared = append(shared, ev)
		}
	}
	return private, shared
}

// stepInputs gives each seat of g its input for one tick, acks the newest
// snapshot and runs the tick on the rig's synthetic clock.
func stepInputs(g *tickRig, in ...netcode.Input) {
	g.seq++
	ack := g.r.tick.Load()
	for i, c := range g.conns {
		x := in[i]
		x.Seq = g.seq
		c.push(x)
		c.storeAck(ack)
	}
	g.env.now = g.env.now.Add(g.r.clock.Step())
	g.sh.pass(g.clock)
	g.settle()
}

// TestRejectionsGoOnlyToTheirSeat: on the real simulation, seat 0's
// rejected casts reach seat 0 and not seat 1, seat 1's clamped inputs reach
// seat 1 and not seat 0, and every other event reaches both alike.
func TestRejectionsGoOnlyToTheirSeat(t *testing.T) {
	bundle, err := content.Load()
	if err != nil {
		t.Fatal(err)
	}
	seats, err := bot.Seats(bundle, ModeBattle1v1, 2, 3)
	if err != nil {
		t.Fatal(err)
	}
	spec := contract.RoomSpec{MatchID: "m_private", Mode: ModeBattle1v1, Seed: 3, Seats: seatsFromBots(seats)}
	g := newTickRig(t, simFactory(bundle), spec, true)
	g.playBots(bundle, seats)
	keepEvents(g)
	const ticks = 600
	var views []ecs.EntityView
	for range ticks {
		// Bots play both seats (casts, damage: shared events), except that
		// seat 0 always casts a slot that does not exist and seat 1 always
		// moves faster than full speed.
		views = views[:0]
		for _, e := range g.r.snap.Entities {
			v := ecs.EntityView{ID: e.ID}
			copy(v.F[:], e.Fields[:ecs.ViewFields])
			views = append(views, v)
		}
		in := make([]netcode.Input, 2)
		for i := range in {
			act, _ := g.bots[i].Act(int(g.r.tick.Load())+1, g.r.eng.SeatEntity(g.r.seats[i].spec.Seat), views)
			in[i] = WireInput(act)
		}
		in[0].CastSlot = 7
		in[1].MoveX, in[1].MoveY = 5000, 10
		stepInputs(g, in...)
		if g.r.ended {
			t.Fatalf("the match ended at tick %d", g.r.tick.Load())
		}
	}
	seatOf := func(ev netcode.Event) int32 { return ev.Fields[1] }
	priv0, shared0 := keptEvents(g, 0)
	priv1, shared1 := keptEvents(g, 1)
	var rejected0, clamped1 int
	for _, ev := range priv0 {
		if seatOf(ev) != 0 {
			t.Fatalf("seat 0 got seat %d's event %v", seatOf(ev), ev)
		}
		if ev.Kind == int32(ecs.EventCastRejected) || ev.Kind == int32(ecs.EventInputRejected) {
			rejected0++
		}
	}
	for _, ev := range priv1 {
		if seatOf(ev) != 1 {
			t.Fatalf("seat 1 got seat %d's event %v", seatOf(ev), ev)
		}
		if ev.Kind == int32(ecs.EventInputClamped) {
			clamped1++
		}
	}
	if rejected0 < ticks || clamped1 < ticks {
		t.Fatalf("seat 0 got %d rejections of its %d bad casts, seat 1 %d clamps of its %d fast moves", rejected0, ticks, clamped1, ticks)
	}
	if len(shared0) == 0 || !slices.EqualFunc(shared0, shared1, func(a, b netcode.Event) bool { return a == b }) {
		t.Fatalf("shared events differ: seat 0 got %d, seat 1 %d", len(shared0), len(shared1))
	}
	t.Logf("%d ticks: seat 0 got %d private events, seat 1 %d; both the same %d shared ones", ticks, len(priv0), len(priv1), len(shared0))
}

// privateEngine adds to every tick of the engine it wraps, in this order:
// a heal (shared), a cast_rejected of seat 0, an input_rejected naming no
// seat, a cast_rejected of seat 1 and a second heal.
type privateEngine struct{ engine }

func (e *privateEngine) Step(in []seatInput, ev []netcode.Event) (uint32, []netcode.Event, bool) {
	tick, ev, done := e.engine.Step(in, ev)
	t := int32(tick)
	ev = append(ev,
		netcode.MakeEvent(int32(ecs.EventHeal), 0, -1, 0, 1, t, -1),
		netcode.MakeEvent(int32(ecs.EventCastRejected), int32(ecs.ReasonCooldown), 0, 0, 0, t, 2),
		netcode.MakeEvent(int32(ecs.EventInputRejected), int32(ecs.ReasonUnknownSeat), -1, 0, 0, t, -1),
		netcode.MakeEvent(int32(ecs.EventCastRejected), int32(ecs.ReasonNoEnergy), 1, 0, 0, t, 1),
		netcode.MakeEvent(int32(ecs.EventHeal), 0, -1, 0, 2, t, -1),
	)
	return tick, ev, done
}

// TestPrivateEventsFrames: a tick's shared events go to every seat in one
// frame, each seat's private ones follow in a frame of its own, before the
// tick's snapshot, and a rejection naming no seat goes to nobody; on the
// final tick both are held until the result is durable, then sent.
func TestPrivateEventsFrames(t *testing.T) {
	const endAt = 6
	g := newTickRig(t, func(spec contract.RoomSpec) (engine, error) {
		e, err := scriptFactory(30, endAt)(spec)
		return &privateEngine{e}, err
	}, battleSpec("m_private_frames"), true)
	keepEvents(g)
	frames0 := []int64{g.wires[0].frames[netcode.KindEvents].Load(), g.wires[1].frames[netcode.KindEvents].Load()}
	idle := netcode.Input{CastSlot: -1}
	// The rig ran tick 1 while seating; ticks 2 .. endAt-1 are sent as
	// they run.
	const sent = endAt - 2
	for range sent {
		stepInputs(g, idle, idle)
	}
	for i, d := range g.wires {
		// scriptEngine adds no event before tick 10: two frames a tick.
		if n := d.frames[netcode.KindEvents].Load() - frames0[i]; n != 2*sent {
			t.Fatalf("seat %d: %d events frames in %d ticks, want 2 a tick (shared, own)", i, n, sent)
		}
		d.mu.Lock()
		kept := slices.Clone(d.kept)
		d.mu.Unlock()
		if len(kept) != 3*sent {
			t.Fatalf("seat %d: %d events, want 3 a tick: %v", i, len(kept), kept)
		}
		for k := 0; k < len(kept); k += 3 {
			heal1, heal2, own := kept[k], kept[k+1], kept[k+2]
			tick := heal1.Fields[4]
			if heal1.Kind != int32(ecs.EventHeal) || heal1.Fields[3] != 1 || heal2.Fields[3] != 2 || heal2.Fields[4] != tick {
				t.Fatalf("seat %d: shared events out of order: %v %v", i, heal1, heal2)
			}
			if own.Kind != int32(ecs.EventCastRejected) || own.Fields[1] != int32(i) || own.Fields[4] != tick {
				t.Fatalf("seat %d, tick %d: own event %v", i, tick, own)
			}
		}
		d.mu.Lock()
		d.kept = d.kept[:0]
		d.mu.Unlock()
	}
	// The final tick: nothing goes out until the result is durable, then
	// each seat gets the shared frame and its own.
	g.env.mu.Lock()
	g.env.hold = true // the sink has not confirmed yet
	g.env.mu.Unlock()
	stepInputs(g, idle, idle)
	if !g.r.ended {
		t.Fatal("the match did not end")
	}
	for i, d := range g.wires {
		if n := d.frames[netcode.KindEvents].Load() - frames0[i]; n != 2*sent {
			t.Fatalf("seat %d: the final tick's events went out before the result was durable", i)
		}
	}
	g.env.confirm()
	g.sh.pass(g.clock) // the synthetic clock stands still: well inside the result wait
	if g.sh.load.Load() != 0 {
		t.Fatal("the room is still listed after its result was durable")
	}
	for i, d := range g.wires {
		poll(t, waitDeadline, time.Millisecond, "the final tick's events written", func() bool {
			d.mu.Lock()
			defer d.mu.Unlock()
			return len(d.kept) >= 3
		})
		priv, shared := keptEvents(g, i)
		if len(shared) != 2 || len(priv) != 1 || priv[0].Fields[1] != int32(i) || priv[0].Fields[4] != endAt {
			t.Fatalf("seat %d on the final tick: private %v, shared %v", i, priv, shared)
		}
	}
}
