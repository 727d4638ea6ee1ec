package ecs

// ViewFields is the number of int32 fields of an EntityView.
const ViewFields = 16

// Field indices of EntityView.F. This table is the snapshot protocol's v1
// entity field table (netcode/PROTOCOL.md): never reorder.
const (
	ViewKind     = 0  // a Kind
	ViewTeam     = 1  // 0 or 1, -1 neutral
	ViewX        = 2  // centimetres
	ViewY        = 3  // centimetres
	ViewFacing   = 4  // 0-255, 1/256 turn
	ViewHP       = 5  // hit points
	ViewMaxHP    = 6  // max hit points
	ViewEnergy   = 7  // whole energy
	ViewStatus   = 8  // StatusBit* bits
	ViewForm     = 9  // form index + 1 while shapeshifted, else 0
	ViewContent  = 10 // archetype, pet, npc, totem, hazard or sigil index of the kind
	ViewOwner    = 11 // owner seat, -1 none
	ViewProgress = 12 // sigil: progress 0-1000; boss: phase from 1; hazard: 0 warning, 1 active
)

// EntityView is one entity as clients see it.
type EntityView struct {
	ID uint32 // stable within the match; never reused
	F  [ViewFields]int32
}

// AppendView appends a view of every entity in the match to dst, in a
// stable order (by pool slot), and returns it. Dead oracles and the dead
// boss stay listed with 0 hp; dead pets, adds, totems and finished hazards
// are gone. It allocates only if dst lacks capacity.
func (s *Sim) AppendView(dst []EntityView) []EntityView {
	for i := range s.slots {
		sl := &s.slots[i]
		e := sl.entry
		t := tagC.Get(e)
		if !t.active {
			continue
		}
		b := bodyC.Get(e)
		var v EntityView
		v.ID = t.id
		v.F[ViewKind] = int32(t.kind)
		v.F[ViewTeam] = int32(t.team)
		v.F[ViewX] = b.x / mmPerCm
		v.F[ViewY] = b.y / mmPerCm
		v.F[ViewFacing] = int32(b.facing)
		v.F[ViewContent] = int32(t.content)
		v.F[ViewOwner] = int32(t.seat)
		switch sl.layout {
		case layoutOracle, layoutBrain, layoutTotem:
			vt, fx := vitalsC.Get(e), effectsC.Get(e)
			v.F[ViewHP] = vt.hp
			v.F[ViewMaxHP] = vt.maxHP
			v.F[ViewEnergy] = vt.energy / 1000
			v.F[ViewStatus] = statusBits(fx)
		case layoutZone:
			if zoneC.Get(e).armed {
				v.F[ViewProgress] = 1
			}
		case layoutSigil:
			v.F[ViewProgress] = sigilC.Get(e).progress / 1000
		}
		switch {
		case sl.layout == layoutOracle:
			if k := casterC.Get(e); k.shifted {
				v.F[ViewForm] = int32(k.form) + 1
			}
		case t.kind == KindBoss:
			v.F[ViewProgress] = int32(s.raid.phase) + 1
		}
		dst = append(dst, v)
	}
	return dst
}

// statusBits packs the status flags of the view.
func statusBits(fx *effects) int32 {
	var bitsOut int32
	if fx.shieldHP > 0 {
		bitsOut |= StatusBitShield
	}
	if fx.burnTicks > 0 {
		bitsOut |= StatusBitBurn
	}
	if fx.stunTicks > 0 {
		bitsOut |= StatusBitStun
	}
	if fx.wardTicks > 0 {
		bitsOut |= StatusBitWard
	}
	if fx.channeling {
		bitsOut |= StatusBitChanneling
	}
	if fx.enraged {
		bitsOut |= StatusBitEnraged
	}
	return bitsOut
}
