package ecs

import "math/bits"

// hasher folds 64-bit words into a state hash. It works on values, not on
// memory, so the hash is the same on every machine and byte order.
type hasher struct {
	h uint64
}

func (x *hasher) add(v uint64) {
	x.h = bits.RotateLeft64(x.h^(v*0x9e3779b97f4a7c15), 29)*0xbf58476d1ce4e5b9 + 0x94d049bb133111eb
}

func (x *hasher) i32(vs ...int32) {
	for _, v := range vs {
		x.add(uint64(uint32(v)))
	}
}

func (x *hasher) flag(b bool) {
	if b {
		x.add(1)
	} else {
		x.add(0)
	}
}

// sum finishes the hash with an avalanche (murmur3's fmix64).
func (x *hasher) sum() uint64 {
	h := x.h
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}

// input folds one input into the digest.
func (x *hasher) input(in *Input) {
	x.add(uint64(in.Seat))
	x.i32(int32(in.Seq), in.MoveX, in.MoveY, in.Facing, int32(in.Cast), int32(in.Target),
		in.PointX, in.PointY, int32(in.Channel), int32(in.Gesture))
}

// computeHash hashes the whole sim state, in slot order, and the digest of
// the tick's inputs.
func (s *Sim) computeHash(inputs uint64) uint64 {
	var h hasher
	h.add(uint64(s.tick))
	h.add(inputs)
	for _, w := range s.rng.s {
		h.add(w)
	}
	for i := range s.slots {
		sl := &s.slots[i]
		e := sl.entry
		t := tagC.Get(e)
		h.add(uint64(t.id))
		h.flag(t.active)
		if !t.active {
			continue
		}
		h.i32(int32(t.kind), int32(t.team), int32(t.seat), int32(t.content))
		b := bodyC.Get(e)
		h.i32(b.x, b.y, int32(b.facing), b.radius, b.speed)
		switch sl.layout {
		case layoutOracle, layoutBrain, layoutTotem:
			v, fx := vitalsC.Get(e), effectsC.Get(e)
			h.i32(v.hp, v.maxHP, v.energy, v.maxEnergy, v.regen, v.power, v.heal,
				v.auraPower, v.auraSpeed, v.auraArmor, v.auraRegen, int32(v.lastHitBy), int32(v.lastHitSeat))
			h.i32(fx.shieldHP, fx.shieldTicks, fx.burnTicks, fx.burnPower, fx.burnEvery, fx.burnNext,
				int32(fx.burnBy), int32(fx.burnSeat), fx.stunTicks, fx.wardTicks)
			h.flag(fx.enraged)
			h.flag(fx.channeling)
		}
		switch sl.layout {
		case layoutOracle:
			k := casterC.Get(e)
			h.i32(int32(k.seatIdx), int32(k.form), int32(k.element), int32(k.role), k.baseHP, k.basePower,
				k.baseSpeed, k.baseRegen, k.lockout, k.gestureCD, int32(k.sigil))
			for j := range k.slots {
				h.i32(int32(k.slots[j]))
			}
			for j := range k.cooldown {
				h.i32(k.cooldown[j])
			}
			h.flag(k.shifted)
		case layoutBrain:
			br := brainC.Get(e)
			h.i32(int32(br.def), int32(br.target), br.attackCD, br.retarget, br.owner, br.damage,
				br.rangeMM, br.aggroMM, br.leashMM, br.attackTicks, br.cleaveMM, br.slamCD)
		case layoutTotem:
			a := auraC.Get(e)
			h.i32(int32(a.def), a.radius, a.regen, a.power, a.speed, a.armor)
		case layoutZone:
			z := zoneC.Get(e)
			h.i32(int32(z.def), z.warn, z.active, z.pulseEvery, z.pulseIn, z.damage, z.stun, z.push,
				z.hits, int32(z.victims))
			h.flag(z.armed)
		case layoutSigil:
			g := sigilC.Get(e)
			h.i32(int32(g.index), int32(g.gesture), g.progress)
			h.flag(g.done)
		}
	}
	for l := range s.free {
		h.add(uint64(len(s.free[l])))
		h.i32(s.free[l]...)
	}
	for i := range s.seats {
		st := &s.seats[i]
		h.flag(st.seen)
		h.i32(int32(st.lastSeq), st.moveX, st.moveY, int32(st.facing), int32(st.codex), st.kills, st.deaths)
		h.flag(st.channel)
		h.add(uint64(st.dealt))
		h.add(uint64(st.taken))
		h.add(uint64(st.healing))
		h.add(uint64(st.ritual))
	}
	h.add(uint64(s.battle.nextHazard))
	h.add(uint64(s.battle.damage[0]))
	h.add(uint64(s.battle.damage[1]))
	r := &s.raid
	h.i32(int32(r.phase), r.adds, r.addDef, int32(r.nextAdds), r.hazard, int32(r.nextHazard))
	h.flag(r.enraged)
	h.flag(r.bossDead)
	q := &s.ritual
	h.i32(int32(q.step), int32(q.nextSurge), q.reported)
	h.flag(q.warned)
	h.flag(q.success)
	h.flag(s.firstBlood)
	h.add(uint64(len(s.codex)))
	h.flag(s.done)
	h.add(uint64(s.outcome))
	return h.sum()
}
