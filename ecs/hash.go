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
	x.add(pair(int32(in.Seq), int32(in.Target)))
	x.add(pair(in.MoveX, in.MoveY))
	x.add(pair(in.PointX, in.PointY))
	x.add(pair(in.Facing, int32(in.Cast)|int32(in.Channel)<<8|int32(in.Gesture)<<16))
}

// pair packs two 32-bit values into one word.
func pair(a, b int32) uint64 { return uint64(uint32(a)) | uint64(uint32(b))<<32 }

// noEffects is the effects of an entity with no status at all.
func noEffects() effects { return effects{burnSeat: -1} }

// computeHash hashes the match state that changes during play, in slot
// order, with the digest of the tick's inputs. Values fixed at spawn and
// derived from content (ranges, damage, aura sizes, base stats) are covered
// by the content index and version; values recomputed from scratch every
// tick (aura bonuses, the grids) are covered by what they are computed from.
// Small fields are packed two to a word.
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
		if !t.active {
			h.add(uint64(t.id))
			continue
		}
		b := bodyC.Get(e)
		h.add(uint64(t.id) | 1<<32 | uint64(t.kind)<<40 | uint64(uint8(t.team))<<48 | uint64(uint8(t.seat))<<56)
		h.add(pair(b.x, b.y))
		h.add(pair(int32(b.facing), int32(t.content)))
		switch sl.layout {
		case layoutOracle, layoutBrain, layoutTotem:
			v, fx := vitalsC.Get(e), effectsC.Get(e)
			h.add(pair(v.hp, v.maxHP))
			h.add(pair(v.energy, b.speed))
			if *fx == noEffects() {
				h.add(0)
			} else {
				h.add(pair(fx.shieldHP, fx.shieldTicks))
				h.add(pair(fx.burnTicks, fx.burnPower))
				h.add(pair(fx.burnNext, int32(fx.burnBy)))
				h.add(pair(fx.stunTicks, fx.wardTicks))
				h.add(pair(int32(fx.burnSeat), b2i(fx.enraged)|b2i(fx.channeling)<<1))
			}
		default:
			// zones and sigils have no vitals or effects.
		}
		switch sl.layout {
		case layoutOracle:
			k := casterC.Get(e)
			h.add(pair(k.cooldown[0], k.cooldown[1]))
			h.add(pair(k.cooldown[2], k.cooldown[3]))
			h.add(pair(k.cooldown[4], b2i(k.shifted)))
			h.add(pair(k.lockout, k.gestureCD))
			h.add(pair(int32(k.sigil), 0))
		case layoutBrain:
			br := brainC.Get(e)
			h.add(pair(int32(br.target), br.attackCD))
			h.add(pair(br.retarget, br.slamCD))
		case layoutZone:
			z := zoneC.Get(e)
			h.add(pair(z.warn, z.active))
			h.add(pair(z.pulseIn, z.hits))
			h.add(pair(int32(z.victims), b2i(z.armed)))
		case layoutSigil:
			g := sigilC.Get(e)
			h.add(pair(g.progress, b2i(g.done)))
		default:
			// totems carry no state beyond vitals and effects.
		}
	}
	for l := range s.free {
		h.add(uint64(len(s.free[l])))
		for _, sl := range s.free[l] {
			h.add(uint64(sl))
		}
	}
	for i := range s.seats {
		st := &s.seats[i]
		h.add(pair(int32(st.lastSeq), b2i(st.seen)|b2i(st.channel)<<1|int32(st.facing)<<2))
		h.add(pair(st.moveX, st.moveY))
		h.add(pair(int32(st.codex), st.kills))
		h.add(pair(st.deaths, 0))
		h.add(uint64(st.dealt))
		h.add(uint64(st.taken))
		h.add(uint64(st.healing))
		h.add(uint64(st.ritual))
	}
	h.add(uint64(s.battle.nextHazard))
	h.add(uint64(s.battle.damage[0]))
	h.add(uint64(s.battle.damage[1]))
	r := &s.raid
	h.add(pair(int32(r.phase), r.adds))
	h.add(pair(int32(r.nextAdds), int32(r.nextHazard)))
	h.add(pair(b2i(r.enraged), b2i(r.bossDead)))
	q := &s.ritual
	h.add(pair(int32(q.step), int32(q.nextSurge)))
	h.add(pair(q.reported, b2i(q.warned)|b2i(q.success)<<1))
	h.add(pair(b2i(s.firstBlood)|b2i(s.done)<<1, int32(s.outcome)))
	h.add(uint64(len(s.codex)))
	return h.sum()
}

func b2i(b bool) int32 {
	if b {
		return 1
	}
	return 0
}
