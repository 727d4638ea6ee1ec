package netcode

import (
	"bytes"
	"testing"

	"github.com/vmihailenco/msgpack/v5"
)

// The reflective baselines: what a straightforward server would marshal
// with msgpack/v5. Entities carry the id and the 16 fields of the v1
// table (fields 16-31 are unused and left out, which favours the
// baselines).

// mapEntity and mapState are named struct fields, which msgpack/v5
// encodes as maps with the field names as keys.
type mapEntity struct {
	ID                                       uint32
	Kind, Team, X, Y, Facing, HP, MaxHP      int32
	Energy, Status, Form, Archetype, Owner   int32
	Progress, Reserved13, Reserved14, Reserv int32
}

type mapState struct {
	Tick     uint32
	Entities []mapEntity
}

// arrayEntity and arrayState are the same structs encoded as positional
// arrays (as_array): no field names on the wire.
type arrayEntity struct {
	//lint:ignore U1000 read by msgpack (as_array)
	_msgpack                                 struct{} `msgpack:",as_array"`
	ID                                       uint32
	Kind, Team, X, Y, Facing, HP, MaxHP      int32
	Energy, Status, Form, Archetype, Owner   int32
	Progress, Reserved13, Reserved14, Reserv int32
}

type arrayState struct {
	//lint:ignore U1000 read by msgpack (as_array)
	_msgpack struct{} `msgpack:",as_array"`
	Tick     uint32
	Entities []arrayEntity
}

func toMapState(s *Snapshot) *mapState {
	n := &mapState{Tick: s.Tick, Entities: make([]mapEntity, len(s.Entities))}
	for i, e := range s.Entities {
		f := e.Fields
		n.Entities[i] = mapEntity{e.ID, f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8], f[9], f[10], f[11], f[12], f[13], f[14], f[15]}
	}
	return n
}

func toArrayState(s *Snapshot) *arrayState {
	n := &arrayState{Tick: s.Tick, Entities: make([]arrayEntity, len(s.Entities))}
	for i, e := range s.Entities {
		f := e.Fields
		n.Entities[i] = arrayEntity{ID: e.ID, Kind: f[0], Team: f[1], X: f[2], Y: f[3], Facing: f[4], HP: f[5], MaxHP: f[6],
			Energy: f[7], Status: f[8], Form: f[9], Archetype: f[10], Owner: f[11], Progress: f[12], Reserved13: f[13], Reserved14: f[14], Reserv: f[15]}
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

const (
	benchTicks = 64
	// benchStartTick puts the states three minutes into a 30 Hz match, so
	// ticks (and input sequence numbers) take the 3 bytes they take in a
	// real match rather than the 1 byte of a match's first 127 ticks.
	benchStartTick = 5400
	// benchInputLag is how far the input ack trails the tick in the delta
	// benchmark: a client sends one input per tick.
	benchInputLag = 2
)

func benchSnapshots(players, npcs int) []*Snapshot {
	w := newTestWorld(42, players, npcs)
	w.snap.Tick = benchStartTick
	out := make([]*Snapshot, benchTicks+1)
	for i := range out {
		s := &Snapshot{}
		s.CopyFrom(w.step())
		out[i] = s
	}
	return out
}

// BenchmarkSnapshot compares, on the same states: the delta encoder
// against the previous (acknowledged) tick, the full encoder, and three
// reflective baselines of the full state: msgpack.Marshal of structs
// (maps with field names), msgpack.Marshal of as_array structs
// (positional arrays; msgpack/v5 still writes every int32 in 5 bytes by
// default), and as_array through an Encoder with UseCompactInts (the
// shortest integer forms, the most compact reflective msgpack).
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
				total += len(enc.Encode(snaps[k], snaps[k].Tick-benchInputLag))
			}
			b.ReportMetric(float64(total)/float64(b.N), "bytes/snapshot")
		})
		b.Run(st.name+"/encoder=full", func(b *testing.B) {
			buf := make([]byte, 0, 64<<10)
			total := 0
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				s := snaps[i%benchTicks]
				buf = AppendSnapshot(buf[:0], nil, s, s.Tick-benchInputLag)
				total += len(buf)
			}
			b.ReportMetric(float64(total)/float64(b.N), "bytes/snapshot")
		})
		b.Run(st.name+"/encoder=msgpack_map", func(b *testing.B) {
			states := make([]*mapState, benchTicks)
			for i := range states {
				states[i] = toMapState(snaps[i])
			}
			benchMarshal(b, func(i int) ([]byte, error) { return msgpack.Marshal(states[i]) })
		})
		b.Run(st.name+"/encoder=msgpack_array", func(b *testing.B) {
			states := make([]*arrayState, benchTicks)
			for i := range states {
				states[i] = toArrayState(snaps[i])
			}
			benchMarshal(b, func(i int) ([]byte, error) { return msgpack.Marshal(states[i]) })
		})
		b.Run(st.name+"/encoder=msgpack_array_compact", func(b *testing.B) {
			states := make([]*arrayState, benchTicks)
			for i := range states {
				states[i] = toArrayState(snaps[i])
			}
			// One Encoder and buffer reused across frames: the cheapest way
			// to run msgpack/v5 reflectively.
			var buf bytes.Buffer
			enc := msgpack.NewEncoder(&buf)
			enc.UseCompactInts(true)
			benchMarshal(b, func(i int) ([]byte, error) {
				buf.Reset()
				err := enc.Encode(states[i])
				return buf.Bytes(), err
			})
		})
	}
}

// benchMarshal runs a reflective encoder over the benchmark's ticks and
// reports its bytes per snapshot.
func benchMarshal(b *testing.B, marshal func(tick int) ([]byte, error)) {
	total := 0
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p, err := marshal(i % benchTicks)
		if err != nil {
			b.Fatal(err)
		}
		total += len(p)
	}
	b.ReportMetric(float64(total)/float64(b.N), "bytes/snapshot")
}

// BenchmarkSnapshotApply is the client side: decode a delta frame and
// apply it to the baseline.
func BenchmarkSnapshotApply(b *testing.B) {
	for _, st := range benchStates {
		snaps := benchSnapshots(st.players, st.npcs)
		frames := make([][]byte, benchTicks)
		for i := range frames {
			frames[i] = AppendSnapshot(nil, snaps[i], snaps[i+1], snaps[i+1].Tick-benchInputLag)
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
