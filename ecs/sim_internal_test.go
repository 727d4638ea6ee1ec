package ecs

import (
	"errors"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/pantheon-oracles/pantheon/ecs/content"
	"github.com/pantheon-oracles/pantheon/internal/allocprof"
)

func mustContent(t testing.TB) *content.Bundle {
	t.Helper()
	c, err := content.Load()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// stepAllocations returns how many objects have been allocated so far by
// code called from (*Sim).Step, other than the Result built on a match's
// final tick, according to the runtime's allocation profile (which must be
// recording every allocation: runtime.MemProfileRate = 1), split into the
// replay recorder's chunks (allocated by (*recorder).grow) and everything
// else. Attributing by stack keeps the runtime's own background
// allocations out of the count.
func stepAllocations(t *testing.T) (chunks, other int64) {
	t.Helper()
	allocprof.Sites(t, func(objects int64, s allocprof.Stack) {
		switch {
		case !s.Has("ecs.(*Sim).Step") || s.Has("ecs.(*Sim).buildResult"):
		case s.Has("ecs.(*recorder).grow"):
			chunks += objects
		default:
			other += objects
		}
	})
	return chunks, other
}

// TestStepSteadyStateAllocatesNothing plays 500 ticks of busy play after
// warm-up in each benchmark configuration and checks that Step allocated
// nothing but replay chunks (the Result built on a match's last tick
// aside), and no more chunks than ceil(bytes recorded / chunk size): one
// per chunkBytes recorded, the ones the recorder actually linked in.
func TestStepSteadyStateAllocatesNothing(t *testing.T) {
	c := mustContent(t)
	defer func(rate int) { runtime.MemProfileRate = rate }(runtime.MemProfileRate)
	runtime.MemProfileRate = 1
	grew := false
	for _, bc := range benchCases() {
		t.Run(bc.name, func(t *testing.T) {
			s, sc := newEpisode(t, c, bc, 3)
			chunks0, other0 := stepAllocations(t)
			size0, linked0 := s.rec.size, s.rec.chunks
			steady := 0
			for range 500 {
				out := s.Step(sc.inputs())
				if out.Done {
					break
				}
				steady++
			}
			chunks1, other1 := stepAllocations(t)
			chunks, other := chunks1-chunks0, other1-other0
			recorded, linked := s.rec.size-size0, s.rec.chunks-linked0
			if other != 0 {
				t.Fatalf("Step allocated %d objects besides replay chunks in %d steady ticks", other, steady)
			}
			if bound := (recorded + chunkBytes - 1) / chunkBytes; chunks != int64(linked) || linked > bound {
				t.Fatalf("%d chunk allocations, %d chunks linked, for %d bytes recorded (at most %d chunks)",
					chunks, linked, recorded, bound)
			}
			if steady < 100 {
				t.Fatalf("only %d steady ticks before the match ended", steady)
			}
			grew = grew || chunks > 0
			t.Logf("%d steady ticks (to tick %d): %d bytes recorded in %d new chunks, nothing else allocated",
				steady, s.Tick(), recorded, chunks)
		})
	}
	if !grew {
		t.Fatal("no case recorded enough to add a chunk: the chunk accounting was not exercised")
	}
}

// TestAppendViewAllocatesNothing: with capacity, building views is free.
func TestAppendViewAllocatesNothing(t *testing.T) {
	c := mustContent(t)
	s, _ := newEpisode(t, c, benchCases()[4], 1)
	views := s.AppendView(nil)
	if n := testing.AllocsPerRun(100, func() { views = s.AppendView(views[:0]) }); n != 0 {
		t.Fatalf("%v allocations per AppendView", n)
	}
	if len(views) < 400 {
		t.Fatalf("only %d entities in a full raid", len(views))
	}
}

// TestEntityIDsNeverReused plays a raid where hundreds of adds die and
// respawn into pooled slots: every spawned id is new, and a dead add's id
// no longer resolves.
func TestEntityIDsNeverReused(t *testing.T) {
	c := mustContent(t)
	s, sc := newEpisode(t, c, benchCase{mode: "raid", arena: "echidna_brood", players: 40}, 2)
	seen := map[uint32]bool{}
	for _, v := range s.AppendView(nil) {
		seen[v.ID] = true
	}
	spawned, died := 0, 0
	for range 600 {
		out := s.Step(sc.inputs())
		for _, e := range out.Events {
			switch e.Kind {
			case EventSpawn:
				spawned++
				if seen[e.Target] {
					t.Fatalf("id %d reused", e.Target)
				}
				seen[e.Target] = true
			case EventDeath:
				if s.Describe(e.Target) != "?" && strings.HasPrefix(s.Describe(e.Target), "add#") && s.lookup(e.Target) != nil {
					t.Fatalf("dead add %d still resolves", e.Target)
				}
				died++
			default:
				// other events are not counted here.
			}
		}
		if out.Done {
			break
		}
	}
	if spawned < 50 || died < 50 {
		t.Fatalf("too little churn to test: %d spawned, %d died", spawned, died)
	}
}

// TestNewRejectsBadConfigs: every bad config names what is wrong.
func TestNewRejectsBadConfigs(t *testing.T) {
	c := mustContent(t)
	duel := func() Config {
		return Config{Mode: "battle_1v1", Seed: 1, Seats: []Seat{
			{Seat: 0, PlayerID: "a", Team: 0, Oracle: OracleSpec{Archetype: "aries", Role: "host"}},
			{Seat: 1, PlayerID: "b", Team: 1, Oracle: OracleSpec{Archetype: "leo", Role: "host"}},
		}}
	}
	cases := []struct {
		edit func(*Config)
		want string
	}{
		{func(c *Config) { c.Mode = "chess" }, `unknown mode "chess"`},
		{func(c *Config) { c.Arena = "typhon_maw" }, `arena "typhon_maw" is not an arena of mode battle_1v1`},
		{func(c *Config) { c.Seats = c.Seats[:1] }, "needs 2 seats, got 1"},
		{func(c *Config) { c.Seats[1].Team = 0 }, "needs 1 seats per team"},
		{func(c *Config) { c.Seats[1].Team = 2 }, "team 2 is not a team"},
		{func(c *Config) { c.Seats[1].Seat = 0 }, "seat 0 appears twice"},
		{func(c *Config) { c.Seats[1].Seat = MaxSeats }, "out of range"},
		{func(c *Config) { c.Seats[0].PlayerID = "" }, "player id must be"},
		{func(c *Config) { c.Seats[0].Oracle.Pet = "dragon" }, `seat 0: ecs: invalid oracle: pet: unknown pet "dragon"`},
	}
	for _, tc := range cases {
		cfg := duel()
		tc.edit(&cfg)
		_, err := New(c, cfg)
		if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("want %q, got %v", tc.want, err)
		}
		if verr := ValidateConfig(c, cfg); verr == nil || verr.Error() != err.Error() {
			t.Errorf("ValidateConfig: %v, New: %v", verr, err)
		}
	}
	if _, err := New(c, duel()); err != nil {
		t.Fatal(err)
	}
	raid := Config{Mode: "raid", Seats: benchSeats(c, modeRaid, 41)}
	if _, err := New(c, raid); err == nil || !strings.Contains(err.Error(), "takes 1 to 40 seats") {
		t.Errorf("41 raiders: %v", err)
	}
}

// TestNewDoesNotAliasConfig: changing the caller's loadout after New does
// not change the match or its replay.
func TestNewDoesNotAliasConfig(t *testing.T) {
	c := mustContent(t)
	cfg := Config{Mode: "battle_1v1", Seats: []Seat{
		{Seat: 1, PlayerID: "b", Team: 1, Oracle: OracleSpec{Archetype: "leo", Role: "host", Loadout: []string{"bulwark"}}},
		{Seat: 0, PlayerID: "a", Team: 0, Oracle: OracleSpec{Archetype: "aries", Role: "host"}},
	}}
	s, err := New(c, cfg)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Seats[0].Oracle.Loadout[0] = "changed"
	rp := s.Replay()
	if rp.Seats[0].Seat != 0 || rp.Seats[1].Oracle.Loadout[0] != "bulwark" {
		t.Fatalf("replay seats %+v", rp.Seats)
	}
}

// TestDoneMatchIsInert: after the end, Step changes nothing and Abort
// returns the real result.
func TestDoneMatchIsInert(t *testing.T) {
	c := mustContent(t)
	s, sc := newEpisode(t, c, benchCases()[0], 1)
	var out Output
	for !out.Done {
		out = s.Step(sc.inputs())
	}
	if out.Result == nil || out.Result.Outcome == OutcomeAborted {
		t.Fatalf("result %+v", out.Result)
	}
	again := s.Step(sc.inputs())
	if !again.Done || again.Tick != out.Tick || again.Hash != out.Hash || len(again.Events) != 0 || again.Result != nil {
		t.Fatalf("step after the end: %+v", again)
	}
	if s.Abort() != out.Result {
		t.Fatal("Abort after the end must return the match's result")
	}
}

// TestAbortResult: an aborted match has every seat abandoned, no rewards,
// no codex, and a replay of what was played.
func TestAbortResult(t *testing.T) {
	c := mustContent(t)
	s, _ := newEpisode(t, c, benchCases()[2], 1)
	r := s.Abort()
	if r.Outcome != OutcomeAborted || r.WinningTeam != -1 || len(r.Rewards) != 0 || len(r.Codex) != 0 {
		t.Fatalf("aborted result %+v", r)
	}
	for _, st := range r.Seats {
		if st.Result != ResultAbandoned {
			t.Fatalf("seat %+v", st)
		}
	}
	rp, err := DecodeReplay(r.Replay)
	if err != nil || len(rp.Ticks) != warmupTicks {
		t.Fatalf("replay: %v, %d ticks", err, len(rp.Ticks))
	}
	if !s.Done() || s.Step(nil).Tick != warmupTicks {
		t.Fatal("an aborted match must stay ended")
	}
}

// TestTooManyInputsAreCapped: beyond MaxInputsPerTick the rest are dropped,
// reported once and not recorded.
func TestTooManyInputsAreCapped(t *testing.T) {
	c := mustContent(t)
	s, _ := newEpisode(t, c, benchCases()[0], 1)
	in := make([]Input, MaxInputsPerTick+10)
	for i := range in {
		in[i] = Input{Seat: 99, Seq: uint32(i)}
	}
	out := s.Step(in)
	if out.Events[0].Kind != EventInputRejected || Reason(out.Events[0].Code) != ReasonFlood || out.Events[0].Amount != 10 {
		t.Fatalf("first event %+v", out.Events[0])
	}
	rp := s.Replay()
	if got := len(rp.Ticks[len(rp.Ticks)-1].Inputs); got != MaxInputsPerTick {
		t.Fatalf("recorded %d inputs", got)
	}
}

func TestRNG(t *testing.T) {
	a, b := newRNG(42), newRNG(42)
	for range 1000 {
		if a.next() != b.next() {
			t.Fatal("same seed, different sequence")
		}
	}
	r1, r2 := newRNG(1), newRNG(2)
	if r1.next() == r2.next() {
		t.Fatal("different seeds, same first draw")
	}
	r := newRNG(7)
	counts := make([]int, 6)
	for range 60000 {
		v := r.intn(6)
		counts[v]++
		if w := r.between(-3, 3); w < -3 || w > 3 {
			t.Fatalf("between out of range: %d", w)
		}
	}
	for i, n := range counts {
		if n < 9000 || n > 11000 { // expected 10000, sd ~91
			t.Fatalf("face %d came up %d times in 60000", i, n)
		}
	}
	z := newRNG(0)
	if a, b := z.next(), z.next(); a == 0 && b == 0 {
		t.Fatal("seed 0 gives a dead generator")
	}
}

func TestIsqrt(t *testing.T) {
	for v := int64(0); v < 100000; v++ {
		r := isqrt(v)
		if r*r > v || (r+1)*(r+1) <= v {
			t.Fatalf("isqrt(%d) = %d", v, r)
		}
	}
	rr := rand.New(rand.NewPCG(1, 1))
	for range 100000 {
		v := rr.Int64N(1 << 62)
		r := isqrt(v)
		if r*r > v || (r+1)*(r+1) <= v {
			t.Fatalf("isqrt(%d) = %d", v, r)
		}
	}
}

// TestFacingOf compares the integer direction with a floating-point one
// (test code may use floats): at most one step (1/256 turn) apart.
func TestFacingOf(t *testing.T) {
	if facingOf(1000, 0) != 0 || facingOf(0, 1000) != 64 || facingOf(-1000, 0) != 128 || facingOf(0, -1000) != 192 {
		t.Fatal("axis directions wrong")
	}
	rr := rand.New(rand.NewPCG(2, 2))
	for range 100000 {
		dx, dy := int32(rr.IntN(400001)-200000), int32(rr.IntN(400001)-200000)
		if dx == 0 && dy == 0 {
			continue
		}
		want := math.Atan2(float64(dy), float64(dx)) / (2 * math.Pi) * 256
		if want < 0 {
			want += 256
		}
		got := float64(facingOf(dx, dy))
		diff := math.Abs(got - want)
		diff = math.Min(diff, 256-diff)
		if diff > 0.51 {
			t.Fatalf("facingOf(%d, %d) = %v, want %.2f", dx, dy, got, want)
		}
	}
}

// TestGridMatchesBruteForce: area queries and nearest searches agree with
// a scan of every item.
func TestGridMatchesBruteForce(t *testing.T) {
	rr := rand.New(rand.NewPCG(3, 3))
	var g grid
	w, h := int32(60000), int32(45000)
	g.init(w, h, 4000)
	var items []gridItem
	for i := range 500 {
		it := gridItem{slot: int32(i), x: rr.Int32N(w + 1), y: rr.Int32N(h + 1), radius: rr.Int32N(600), kind: Kind(1 + rr.IntN(5))}
		items = append(items, it)
		g.add(it)
	}
	g.build()
	for range 2000 {
		x, y, r := rr.Int32N(w+1), rr.Int32N(h+1), rr.Int32N(15000)
		got := g.query(x, y, r, nil)
		var want []int32
		for _, it := range items {
			if within(x, y, it.x, it.y, r+it.radius) {
				want = append(want, it.slot)
			}
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Fatalf("query(%d,%d,%d): got %v want %v", x, y, r, got, want)
		}
		best, bestD := int32(-1), int64(r)*int64(r)+1
		for _, it := range items {
			if it.kind != KindOracle {
				continue
			}
			if d := dist2(x, y, it.x, it.y); d < bestD || d == bestD && it.slot < best {
				best, bestD = it.slot, d
			}
		}
		if n := g.nearest(x, y, r, isOracle); n != best {
			t.Fatalf("nearest(%d,%d,%d) = %d, want %d", x, y, r, n, best)
		}
	}
}

// TestHostileInputs: extreme values in every field are clamped or refused,
// never trusted, and nothing leaves the arena.
func TestHostileInputs(t *testing.T) {
	c := mustContent(t)
	s, _ := newEpisode(t, c, benchCases()[0], 1)
	extremes := []int32{math.MinInt32, -1 << 24, -1001, -1, 0, 1, 1001, 1 << 24, math.MaxInt32}
	seq := uint32(1 << 30)
	for _, a := range extremes {
		for _, b := range extremes {
			seq++
			me := bodyC.Get(s.slots[s.seats[0].slot].entry)
			x0, y0 := me.x, me.y
			// Movement alone first: one tick may carry the oracle at most its speed.
			if out := s.Step([]Input{{Seat: 0, Seq: seq, MoveX: a, MoveY: b, Facing: a}}); out.Done {
				return
			}
			if d := isqrt(dist2(x0, y0, me.x, me.y)); d > int64(me.speed)+2 {
				t.Fatalf("move (%d,%d) carried the oracle %d mm in a tick; its speed is %d", a, b, d, me.speed)
			}
			seq++
			in := []Input{{Seat: 0, Seq: seq, MoveX: a, MoveY: b, Facing: a, Cast: uint8(b), Target: uint32(a),
				PointX: a, PointY: b, Channel: uint8(a), Gesture: uint8(b)}}
			if out := s.Step(in); out.Done {
				return
			}
			for _, v := range s.AppendView(nil) {
				if v.F[ViewX] < 0 || v.F[ViewY] < 0 || v.F[ViewX]*mmPerCm > s.width || v.F[ViewY]*mmPerCm > s.height {
					t.Fatalf("move (%d,%d): %s left the arena: (%d,%d)", a, b, s.Describe(v.ID), v.F[ViewX], v.F[ViewY])
				}
			}
			st := &s.seats[0]
			if st.moveX < -MaxMove || st.moveX > MaxMove || st.moveY < -MaxMove || st.moveY > MaxMove ||
				int64(st.moveX)*int64(st.moveX)+int64(st.moveY)*int64(st.moveY) > MaxMove*MaxMove {
				t.Fatalf("move (%d,%d) kept as (%d,%d)", a, b, st.moveX, st.moveY)
			}
		}
	}
	for _, in := range []Input{{Seat: -1}, {Seat: math.MaxInt}, {Seat: math.MinInt}, {Seat: MaxSeats}} {
		out := s.Step([]Input{in})
		if len(out.Events) == 0 || out.Events[0].Kind != EventInputRejected || Reason(out.Events[0].Code) != ReasonUnknownSeat {
			t.Fatalf("seat %d: events %+v", in.Seat, out.Events)
		}
	}
	if div, err := VerifyReplay(c, s.Replay()); err != nil || div != nil {
		t.Fatalf("the hostile match does not replay: %v %v", err, div)
	}
}

// FuzzStepInputs feeds arbitrary inputs to a duel and a ritual: no panic,
// nothing leaves its arena, hit points stay within 0..max, and the match
// replays to the same hashes.
func FuzzStepInputs(f *testing.F) {
	c := mustContent(f)
	f.Add([]byte{0, 1, 2, 3}, false)
	f.Add(make([]byte, 200), true)
	f.Fuzz(func(t *testing.T, data []byte, ritual bool) {
		bc := benchCases()[0]
		if ritual {
			bc = benchCases()[5]
		}
		s, _ := newEpisode(t, c, bc, 1)
		const size = 32
		for len(data) >= size && !s.Done() {
			var batch []Input
			for k := 0; k < 3 && len(data) >= size; k++ {
				d := data[:size]
				data = data[size:]
				le := func(i int) uint32 { return uint32(d[i]) | uint32(d[i+1])<<8 | uint32(d[i+2])<<16 | uint32(d[i+3])<<24 }
				batch = append(batch, Input{Seat: int(int8(d[0])) % 8, Seq: le(1), MoveX: int32(le(5)), MoveY: int32(le(9)),
					Facing: int32(le(13)), Cast: d[17], Target: le(18), PointX: int32(le(22)), PointY: int32(le(26)),
					Channel: d[30], Gesture: d[31]})
			}
			s.Step(batch)
			for _, v := range s.AppendView(nil) {
				if v.F[ViewX] < 0 || v.F[ViewY] < 0 || v.F[ViewX]*mmPerCm > s.width || v.F[ViewY]*mmPerCm > s.height {
					t.Fatalf("%s left the arena", s.Describe(v.ID))
				}
				if v.F[ViewHP] < 0 || v.F[ViewHP] > v.F[ViewMaxHP] {
					t.Fatalf("%s has %d/%d hp", s.Describe(v.ID), v.F[ViewHP], v.F[ViewMaxHP])
				}
			}
		}
		if div, err := VerifyReplay(c, s.Replay()); err != nil || div != nil {
			t.Fatalf("does not replay: %v %v", err, div)
		}
	})
}

// TestContentNames: the sim's enums carry the names content uses, so every
// status, mode kind and codex trigger of the embedded content maps to one
// (content validates its strings against the same vocabulary).
func TestContentNames(t *testing.T) {
	c := mustContent(t)
	for s := StatusShield; s < statusSlots; s++ {
		if _, ok := c.Status(s.String()); !ok {
			t.Errorf("status %s is not in content", s)
		}
	}
	for _, a := range c.Abilities() {
		if _, ok := statusByName(a.Status); !ok {
			t.Errorf("ability %s: status %q has no Status", a.ID, a.Status)
		}
	}
	for _, m := range c.Modes() {
		if _, ok := modeKindByName(m.Kind); !ok {
			t.Errorf("mode %s: kind %q has no modeKind", m.ID, m.Kind)
		}
	}
	seen := map[string]bool{}
	for tr := trigger(0); tr < triggerCount; tr++ {
		i, ok := c.CodexFor(tr.String())
		if !ok {
			t.Errorf("trigger %s has no codex entry", tr)
			continue
		}
		seen[c.CodexAt(i).Trigger] = true
	}
	for _, e := range c.Codex() {
		if !seen[e.Trigger] {
			t.Errorf("codex entry %s: trigger %q is not a trigger of the sim", e.ID, e.Trigger)
		}
	}
}
