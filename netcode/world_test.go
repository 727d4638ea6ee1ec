package netcode

import "math/rand/v2"

// testWorld is a synthetic, seeded game world for tests and benchmarks:
// players and NPCs with the v1 field table, moved one tick at a time with
// realistic change rates.
type testWorld struct {
	rng    *rand.Rand
	snap   Snapshot
	nextID uint32
	churn  bool // create and remove NPCs as ticks pass
}

func newTestWorld(seed uint64, players, npcs int) *testWorld {
	w := &testWorld{rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), nextID: 1}
	w.snap.Tick = 1
	for i := 0; i < players+npcs; i++ {
		kind := int32(1) // player
		if i >= players {
			kind = 2 // npc
		}
		w.spawn(kind, int32(i%2), int32(i))
	}
	return w
}

func (w *testWorld) spawn(kind, team, seat int32) {
	var e Entity
	e.ID = w.nextID
	w.nextID += 1 + uint32(w.rng.IntN(3))
	e.Fields[FieldKind] = kind
	e.Fields[FieldTeam] = team
	e.Fields[FieldX] = w.rng.Int32N(8000) - 4000
	e.Fields[FieldY] = w.rng.Int32N(8000) - 4000
	e.Fields[FieldFacing] = w.rng.Int32N(256)
	e.Fields[FieldMaxHP] = 1000 + w.rng.Int32N(9000)
	e.Fields[FieldHP] = e.Fields[FieldMaxHP]
	e.Fields[FieldEnergy] = 100
	e.Fields[FieldArchetype] = w.rng.Int32N(12)
	e.Fields[FieldOwnerSeat] = -1
	if kind == 1 {
		e.Fields[FieldOwnerSeat] = seat
	}
	w.snap.Entities = append(w.snap.Entities, e)
}

// step advances one tick: about 80% of entities move a few centimetres
// (and some turn), 10% take damage, 3% change status; with churn, NPCs die
// and spawn.
func (w *testWorld) step() *Snapshot {
	w.snap.Tick++
	for i := range w.snap.Entities {
		e := &w.snap.Entities[i]
		if w.rng.IntN(10) < 8 {
			e.Fields[FieldX] += w.rng.Int32N(41) - 20
			e.Fields[FieldY] += w.rng.Int32N(41) - 20
			if w.rng.IntN(4) == 0 {
				e.Fields[FieldFacing] = (e.Fields[FieldFacing] + w.rng.Int32N(9) - 4) & 255
			}
		}
		if w.rng.IntN(10) == 0 {
			e.Fields[FieldHP] -= w.rng.Int32N(200)
			e.Fields[FieldEnergy] = w.rng.Int32N(101)
		}
		if w.rng.IntN(33) == 0 {
			e.Fields[FieldStatus] ^= 1 << w.rng.IntN(6)
		}
	}
	if w.churn && len(w.snap.Entities) > 1 && w.rng.IntN(3) == 0 {
		k := w.rng.IntN(len(w.snap.Entities))
		w.snap.Entities = append(w.snap.Entities[:k], w.snap.Entities[k+1:]...)
		w.spawn(2, 1, -1)
	}
	return &w.snap
}
