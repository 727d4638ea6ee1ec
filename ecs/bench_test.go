package ecs

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/pantheon-oracles/pantheon/ecs/content"
)

// script drives every seat with cheap, deterministic, plausible inputs:
// walk toward a focus (the nearest enemy oracle's spawn side, the boss, the
// ritual's current sigil), face it, cast slot after slot on it, channel and
// gesture at sigils. It reuses its buffer: no allocation per tick.
type script struct {
	s     *Sim
	seq   []uint32
	buf   []Input
	focus []uint32 // per seat: entity to fight
}

func newScript(s *Sim) *script {
	sc := &script{s: s, seq: make([]uint32, len(s.seats)), buf: make([]Input, 0, len(s.seats)), focus: make([]uint32, len(s.seats))}
	for i := range s.seats {
		switch s.plan.kind {
		case modeBattle:
			// The seat of the same rank on the other team.
			for j := range s.seats {
				if s.seats[j].team != s.seats[i].team && (j/2 == i/2 || sc.focus[i] == 0) {
					sc.focus[i] = tagC.Get(s.slots[s.seats[j].slot].entry).id
				}
			}
		case modeRaid:
			sc.focus[i] = tagC.Get(s.slots[s.raid.boss].entry).id
		default:
			// rituals have no focus target.
		}
	}
	return sc
}

// inputs returns this tick's inputs, one per living seat.
func (sc *script) inputs() []Input {
	s := sc.s
	sc.buf = sc.buf[:0]
	tick := s.tick + 1
	for i := range s.seats {
		st := &s.seats[i]
		e := s.slots[st.slot].entry
		if !alive(e) {
			continue
		}
		b := bodyC.Get(e)
		tx, ty := b.x, b.y
		if f := s.lookup(sc.focus[i]); f != nil {
			fb := bodyC.Get(f)
			tx, ty = fb.x, fb.y
		} else if s.plan.kind == modeRitual {
			if cur := s.currentSigil(); cur != nil {
				cb := bodyC.Get(cur)
				tx, ty = cb.x, cb.y
			}
		} else if s.plan.kind == modeBattle {
			// Focus dead: pick any living enemy.
			for j := range s.seats {
				if o := s.slots[s.seats[j].slot].entry; s.seats[j].team != st.team && alive(o) {
					sc.focus[i] = tagC.Get(o).id
				}
			}
		}
		sc.seq[i]++
		in := Input{Seat: st.seat, Seq: sc.seq[i], Target: sc.focus[i], PointX: tx / mmPerCm, PointY: ty / mmPerCm}
		dx, dy := tx-b.x, ty-b.y
		in.Facing = int32(facingOf(dx, dy))
		if d := isqrt(int64(dx)*int64(dx) + int64(dy)*int64(dy)); d > 4000 {
			in.MoveX, in.MoveY = int32(int64(dx)*MaxMove/d), int32(int64(dy)*MaxMove/d)
		}
		if s.plan.kind == modeRitual {
			in.Channel = 1
			if tick%97 == uint32(i) {
				if cur := s.currentSigil(); cur != nil {
					in.Gesture = sigilC.Get(cur).gesture
				}
			}
		} else if tick%6 == uint32(i%6) {
			in.Cast = uint8((tick/6+uint32(i))%MaxLoadout) + 1
		}
		sc.buf = append(sc.buf, in)
	}
	return sc.buf
}

// benchSeats makes n valid seats cycling through archetypes, roles, pets,
// forms and totems.
func benchSeats(c *content.Bundle, kind modeKind, n int) []Seat {
	roles := []string{"host", "friend", "descendant"}
	archetypes, pets, forms, totems := c.Archetypes(), c.Pets(), c.Forms(), c.Totems()
	seats := make([]Seat, n)
	for i := range seats {
		team := 0
		if kind == modeBattle {
			team = i % 2
		}
		o := OracleSpec{Archetype: archetypes[i%len(archetypes)].ID, Role: roles[i%3]}
		if i%2 == 0 {
			o.Pet = pets[i%len(pets)].ID
		}
		if i%3 == 0 {
			o.Form = forms[i%len(forms)].ID
		}
		if i%4 == 0 {
			o.Totem = totems[i%len(totems)].ID
		}
		seats[i] = Seat{Seat: i, PlayerID: fmt.Sprintf("p%d", i), Team: team, Oracle: o}
	}
	return seats
}

// benchCase is one BenchmarkStep configuration.
type benchCase struct {
	name        string
	mode, arena string
	players     int
}

func benchCases() []benchCase {
	return []benchCase{
		{"mode=battle/players=2", "battle_1v1", "leviathan", 2},
		{"mode=battle/players=6", "battle_3v3", "behemoth", 6},
		{"mode=battle/players=10", "battle_5v5", "leviathan", 10},
		{"mode=raid/players=40/boss=typhon", "raid", "typhon_maw", 40},
		{"mode=raid/players=40/npcs=400", "raid", "echidna_brood", 40},
		{"mode=ritual/players=6", "ritual", "astral_chamber", 6},
	}
}

// Episode shape: each sim is warmed up (pools, events and grids reach their
// size) before timing, and replaced (untimed) after
// episodeTicks timed ticks or when its match ends.
const (
	warmupTicks  = 100
	episodeTicks = 400
)

func newEpisode(tb testing.TB, c *content.Bundle, bc benchCase, seed uint64) (*Sim, *script) {
	m, _ := c.Mode(bc.mode)
	kind, _ := modeKindByName(m.Kind)
	s, err := New(c, Config{Mode: bc.mode, Arena: bc.arena, Seed: seed, Seats: benchSeats(c, kind, bc.players)})
	if err != nil {
		tb.Fatal(err)
	}
	sc := newScript(s)
	for range warmupTicks {
		s.Step(sc.inputs())
	}
	return s, sc
}

// npcCount counts living adds and bosses.
func (s *Sim) npcCount() int {
	n := 0
	for e := range s.q.brains.Iter(s.world) {
		if t := tagC.Get(e); t.active && (t.kind == KindAdd || t.kind == KindBoss) && vitalsC.Get(e).hp > 0 {
			n++
		}
	}
	return n
}

// BenchmarkStep measures one tick (ns/op) with every seat sending an input,
// in steady state. It reports the average living NPCs per measured tick and
// how many matches ended inside the timed ticks. B/op is the replay record
// growing (one 16 KiB chunk per 16 KiB recorded, so about the bytes one
// tick records, and 0 allocs/op amortised) plus, when matches ended, their
// Result and encoded replay; TestStepSteadyStateAllocatesNothing asserts
// that nothing else allocates.
//
//	go test -run '^$' -bench 'BenchmarkStep' -benchmem ./ecs/
func BenchmarkStep(b *testing.B) {
	c, err := content.Load()
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range benchCases() {
		b.Run(bc.name, func(b *testing.B) {
			seed := uint64(1)
			s, sc := newEpisode(b, c, bc, seed)
			npcs, samples, timed, ended := 0, 0, 0, 0
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				out := s.Step(sc.inputs())
				timed++
				if i%64 == 0 {
					b.StopTimer()
					npcs += s.npcCount()
					samples++
					b.StartTimer()
				}
				if out.Done || timed == episodeTicks {
					b.StopTimer()
					if out.Done {
						ended++
					}
					seed++
					s, sc = newEpisode(b, c, bc, seed)
					timed = 0
					b.StartTimer()
				}
			}
			b.ReportMetric(float64(npcs)/float64(max(samples, 1)), "npcs")
			b.ReportMetric(float64(ended), "matches-ended")
		})
	}
}

// BenchmarkAppendView measures building the snapshot view of a full raid.
func BenchmarkAppendView(b *testing.B) {
	c, err := content.Load()
	if err != nil {
		b.Fatal(err)
	}
	s, _ := newEpisode(b, c, benchCase{mode: "raid", arena: "echidna_brood", players: 40}, 1)
	views := s.AppendView(nil)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		views = s.AppendView(views[:0])
	}
	b.ReportMetric(float64(len(views)), "entities")
}

// BenchmarkStepLatency times every steady-state tick of the full raid on
// its own and reports the median, 99th percentile and worst tick (the
// design's target is p99 under 0.2 ms).
//
//	go test -run '^$' -bench 'BenchmarkStepLatency' ./ecs/
func BenchmarkStepLatency(b *testing.B) {
	c, err := content.Load()
	if err != nil {
		b.Fatal(err)
	}
	bc := benchCases()[4]
	b.Run(bc.name, func(b *testing.B) {
		s, sc := newEpisode(b, c, bc, 1)
		samples := make([]time.Duration, 0, b.N)
		timed := 0
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			in := sc.inputs()
			start := time.Now()
			out := s.Step(in)
			samples = append(samples, time.Since(start))
			if timed++; out.Done || timed == episodeTicks {
				b.StopTimer()
				s, sc = newEpisode(b, c, bc, uint64(i))
				timed = 0
				b.StartTimer()
			}
		}
		slices.Sort(samples)
		at := func(q float64) float64 {
			return float64(samples[min(len(samples)-1, int(q*float64(len(samples))))].Nanoseconds())
		}
		b.ReportMetric(at(0.50), "p50-ns")
		b.ReportMetric(at(0.99), "p99-ns")
		b.ReportMetric(float64(samples[len(samples)-1].Nanoseconds()), "max-ns")
	})
}
