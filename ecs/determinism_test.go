package ecs_test

import (
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/pantheon-oracles/pantheon/ecs"
	"github.com/pantheon-oracles/pantheon/ecs/bot"
	"github.com/pantheon-oracles/pantheon/ecs/content"
)

// chaosMatch plays a match with a mix of bot inputs and hostile garbage
// (oversized moves, bad facings, unknown slots and targets, stale and
// unknown seats, channel and gesture noise), driven by r, for at most
// maxTicks, and returns the sim.
func chaosMatch(t testing.TB, c *content.Bundle, r *rand.Rand, maxTicks int) *ecs.Sim {
	t.Helper()
	modes := c.Modes()
	m := modes[r.IntN(len(modes))]
	arena := m.Arenas[r.IntN(len(m.Arenas))]
	n := int(m.Teams * m.TeamSize)
	if n == 0 {
		n = int(m.MinPlayers) + r.IntN(int(m.MaxPlayers-m.MinPlayers)+1)
		n = min(n, 8) // keep a hundred matches quick under -race
	}
	seed := r.Uint64()
	seats, err := bot.Seats(c, m.ID, n, seed)
	if err != nil {
		t.Fatal(err)
	}
	match, err := bot.NewMatch(c, ecs.Config{Mode: m.ID, Arena: arena, Seed: seed, Seats: seats}, 4)
	if err != nil {
		t.Fatal(err)
	}
	sim := match.Sim
	var seq [ecs.MaxSeats]uint32
	views := sim.AppendView(nil)
	for sim.Tick() < maxTicks && !sim.Done() {
		if r.IntN(3) > 0 {
			match.Step()
			views = sim.AppendView(views[:0])
			continue
		}
		var inputs []ecs.Input
		for _, st := range seats {
			for range r.IntN(3) {
				seq[st.Seat] += uint32(1 + r.IntN(2))
				in := ecs.Input{Seat: st.Seat, Seq: seq[st.Seat] + 1<<24,
					MoveX: int32(r.IntN(4001) - 2000), MoveY: int32(r.IntN(4001) - 2000),
					Facing: int32(r.IntN(300) - 20), Cast: uint8(r.IntN(8)),
					PointX: int32(r.IntN(9000) - 500), PointY: int32(r.IntN(9000) - 500),
					Channel: uint8(r.IntN(3)), Gesture: uint8(r.IntN(18))}
				if len(views) > 0 && r.IntN(4) > 0 {
					in.Target = views[r.IntN(len(views))].ID
				} else {
					in.Target = r.Uint32()
				}
				if r.IntN(20) == 0 {
					in.Seq = 0 // stale
				}
				if r.IntN(30) == 0 {
					in.Seat = 63 - in.Seat // very likely an unknown seat
				}
				inputs = append(inputs, in)
			}
		}
		sim.Step(inputs)
		views = sim.AppendView(views[:0])
	}
	return sim
}

// TestDeterminismRandomMatches records 100 randomized matches across every
// mode and arena and re-simulates each from its replay (through the byte
// encoding): every tick's hash must match.
func TestDeterminismRandomMatches(t *testing.T) {
	c := loadContent(t)
	r := rand.New(rand.NewPCG(2026, 11))
	matches := 100
	if testing.Short() {
		matches = 30
	}
	for i := range matches {
		sim := chaosMatch(t, c, r, 60+r.IntN(180))
		rp := sim.Replay()
		data, err := ecs.EncodeReplay(rp)
		if err != nil {
			t.Fatal(err)
		}
		back, err := ecs.DecodeReplay(data)
		if err != nil {
			t.Fatalf("match %d: %v", i, err)
		}
		div, err := ecs.VerifyReplay(c, back)
		if err != nil || div != nil {
			t.Fatalf("match %d (%s, seed %d): replay does not verify: %v %v", i, rp.Mode, rp.Seed, err, div)
		}
		if len(back.Ticks) != sim.Tick() || back.Ticks[len(back.Ticks)-1].Hash != sim.Hash() {
			t.Fatalf("match %d: replay has %d ticks ending %x, sim %d ending %x", i, len(back.Ticks), back.Ticks[len(back.Ticks)-1].Hash, sim.Tick(), sim.Hash())
		}
	}
}

// TestAnySingleInputChangeIsCaughtAtItsTick changes one field of one input
// (or drops or adds an input) in recorded matches and checks the verifier
// names exactly that tick.
func TestAnySingleInputChangeIsCaughtAtItsTick(t *testing.T) {
	c := loadContent(t)
	r := rand.New(rand.NewPCG(7, 7))
	for i := range 40 {
		sim := chaosMatch(t, c, r, 100+r.IntN(150))
		rp := sim.Replay()
		var withInputs []int
		for k, tk := range rp.Ticks {
			if len(tk.Inputs) > 0 {
				withInputs = append(withInputs, k)
			}
		}
		if len(withInputs) == 0 {
			continue
		}
		k := withInputs[r.IntN(len(withInputs))]
		tk := &rp.Ticks[k]
		j := r.IntN(len(tk.Inputs))
		in := &tk.Inputs[j]
		what := r.IntN(13)
		switch what {
		case 0:
			in.Seat ^= 1
		case 1:
			in.Seq++
		case 2:
			in.MoveX++
		case 3:
			in.MoveY--
		case 4:
			in.Facing ^= 1
		case 5:
			in.Cast ^= 1
		case 6:
			in.Target ^= 1
		case 7:
			in.PointX++
		case 8:
			in.PointY++
		case 9:
			in.Channel ^= 1
		case 10:
			in.Gesture ^= 1
		case 11:
			tk.Inputs = append(tk.Inputs[:j], tk.Inputs[j+1:]...)
		case 12:
			tk.Inputs = append(tk.Inputs, ecs.Input{Seat: 0, Seq: 1 << 30})
		}
		div, err := ecs.VerifyReplay(c, rp)
		if err != nil {
			t.Fatal(err)
		}
		if div == nil || div.Tick != k+1 {
			t.Fatalf("match %d: change %d at tick %d: verifier said %v", i, what, k+1, div)
		}
	}
}

// TestVerifyReplayRefusesOtherContent: a replay from other content is an
// error, not a divergence.
func TestVerifyReplayRefusesOtherContent(t *testing.T) {
	c := loadContent(t)
	sim := chaosMatch(t, c, rand.New(rand.NewPCG(1, 2)), 20)
	rp := sim.Replay()
	rp.ContentVersion = "c1-0000000000000000"
	if _, err := ecs.VerifyReplay(c, rp); !errors.Is(err, ecs.ErrContentMismatch) {
		t.Fatalf("want ErrContentMismatch, got %v", err)
	}
	rp = sim.Replay()
	rp.Mode = "chess"
	if _, err := ecs.VerifyReplay(c, rp); !errors.Is(err, ecs.ErrInvalidConfig) {
		t.Fatalf("want ErrInvalidConfig, got %v", err)
	}
}

func loadContent(t testing.TB) *content.Bundle {
	t.Helper()
	c, err := content.Load()
	if err != nil {
		t.Fatal(err)
	}
	return c
}
