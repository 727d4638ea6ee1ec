package netcode

import (
	"testing"

	"github.com/vmihailenco/msgpack/v5"
)

// naiveEntity and naiveState are what a straightforward server would
// marshal: named struct fields, encoded reflectively by msgpack/v5 as maps.
type naiveEntity struct {
	ID                                       uint32
	Kind, Team, X, Y, Facing, HP, MaxHP      int32
	Energy, Status, Form, Archetype, Owner   int32
	Progress, Reserved13, Reserved14, Reserv int32
}

type naiveState struct {
	Tick     uint32
	Entities []naiveEntity
}

func toNaive(s *Snapshot) *naiveState {
	n := &naiveState{Tick: s.Tick, Entities: make([]naiveEntity, len(s.Entities))}
	for i, e := range s.Entities {
		f := e.Fields
		n.Entities[i] = naiveEntity{e.ID, f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8], f[9], f[10], f[11], f[12], f[13], f[14], f[15]}
	}
	return n
}

// benchStates are the two states the issue names: an 8-player + 24-NPC
// battle and a 40-player + 400-NPC raid, with 64 ticks of realistic change
// (most entities move, some lose hp, a few change status).
var benchStates = []struct {
	name          string
	players, npcs int
}{
	{"combat_8p_24npc", 8, 24},
	{"raid_40p_400npc", 40, 400},
}

const benchTicks = 64

func benchSnapshots(players, npcs int) []*Snapshot {
	w := newTestWorld(42, players, npcs)
	out := make([]*Snapshot, benchTicks+1)
	for i := range out {
		s := &Snapshot{}
		s.CopyFrom(w.step())
		out[i] = s
	}
	return out
}

// BenchmarkSnapshot compares, on the same states: the delta encoder
// against the previous (acknowledged) tick, the full encoder, and
// reflective msgpack.Marshal of the full state.
func BenchmarkSnapshot(b *testing.B) {
	for _, st := range benchStates {
		snaps := benchSnapshots(st.players, st.npcs)
		b.Run(st.name+"/encoder=delta", func(b *testing.B) {
			// The room Puts each tick into the ring once, shared by all
			// clients; only Encode is per-client cost, so the ring is
			// filled before the timer starts.
			ring := NewSnapshotRing(2 * len(snaps))
			for _, s := range snaps {
				ring.Put(s)
			}
			enc := NewDeltaEncoder(ring)
			enc.Encode(snaps[1], 0)
			total := 0
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				// Steady state: the client acked the previous tick. Setting
				// the baseline directly lets the ticks wrap around.
				k := 1 + i%benchTicks
				enc.acked = snaps[k-1].Tick
				total += len(enc.Encode(snaps[k], 0))
			}
			b.ReportMetric(float64(total)/float64(b.N), "bytes/snapshot")
		})
		b.Run(st.name+"/encoder=full", func(b *testing.B) {
			buf := make([]byte, 0, 64<<10)
			total := 0
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				buf = AppendSnapshot(buf[:0], nil, snaps[i%benchTicks], 0)
				total += len(buf)
			}
			b.ReportMetric(float64(total)/float64(b.N), "bytes/snapshot")
		})
		b.Run(st.name+"/encoder=msgpack_reflect", func(b *testing.B) {
			naive := make([]*naiveState, benchTicks)
			for i := range naive {
				naive[i] = toNaive(snaps[i])
			}
			total := 0
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				p, err := msgpack.Marshal(naive[i%benchTicks])
				if err != nil {
					b.Fatal(err)
				}
				total += len(p)
			}
			b.ReportMetric(float64(total)/float64(b.N), "bytes/snapshot")
		})
	}
}

// BenchmarkSnapshotApply is the client side: decode a delta frame and
// apply it to the baseline.
func BenchmarkSnapshotApply(b *testing.B) {
	for _, st := range benchStates {
		snaps := benchSnapshots(st.players, st.npcs)
		frames := make([][]byte, benchTicks)
		for i := range frames {
			frames[i] = AppendSnapshot(nil, snaps[i], snaps[i+1], 0)
		}
		b.Run(st.name, func(b *testing.B) {
			var f SnapshotFrame
			var out Snapshot
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				k := i % benchTicks
				if err := DecodeSnapshot(frames[k], &f); err != nil {
					b.Fatal(err)
				}
				if err := Apply(snaps[k], &f, &out); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
