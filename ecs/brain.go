package ecs

import "github.com/yohamta/donburi"

// NPC behaviour: pets follow their oracle and attack enemies near it; adds
// hunt the nearest enemy; the boss fights the nearest oracle, cleaves and
// slams. Target searches go through the team grids and are staggered, so a
// raid of 400 adds costs about O(n) per tick.

// isOracle is a grid filter for target searches that want oracles only.
func isOracle(k Kind) bool { return k == KindOracle }

// runBrains thinks for every living pet, add and boss, in query order.
func (s *Sim) runBrains() {
	for e := range s.q.brains.Iter(s.world) {
		t := tagC.Get(e)
		if !t.active || vitalsC.Get(e).hp <= 0 {
			continue
		}
		br := brainC.Get(e)
		br.attackCD = max(0, br.attackCD-1)
		br.retarget--
		if effectsC.Get(e).stunTicks > 0 {
			continue
		}
		switch t.kind {
		case KindPet:
			s.petThink(e, t, br)
		case KindAdd:
			s.addThink(e, t, br)
		case KindBoss:
			s.bossThink(e, t, br)
		default:
			// oracles are driven by inputs; totems, hazards and sigils do not think.
		}
	}
}

// retarget returns the brain's target. It searches team's grid around
// (x, y) for the nearest candidate only when the search timer has run out
// or the target just died, and then waits every ticks before searching
// again, so an idle crowd of adds costs a few searches a tick, not one each.
func (s *Sim) retarget(br *brain, team int8, x, y, every int32, want func(Kind) bool) *donburi.Entry {
	tgt := s.lookup(br.target)
	lost := br.target != 0 && (tgt == nil || !alive(tgt))
	if lost {
		tgt, br.target = nil, 0
	}
	if br.retarget > 0 && !lost {
		return tgt
	}
	br.retarget = every
	if team < 0 || team > 1 {
		return nil
	}
	sl := s.grids[team].nearest(x, y, br.aggroMM, want)
	if sl < 0 {
		br.target = 0
		return nil
	}
	tgt = s.slots[sl].entry
	br.target = tagC.Get(tgt).id
	return tgt
}

func (s *Sim) petThink(e *donburi.Entry, t *tag, br *brain) {
	b := bodyC.Get(e)
	owner := s.slots[br.owner].entry
	ob := bodyC.Get(owner)
	ownerAlive := alive(owner)
	if ownerAlive && !within(b.x, b.y, ob.x, ob.y, br.leashMM) {
		br.target = 0
		s.walk(b, ob.x, ob.y, 150*mmPerCm)
		return
	}
	cx, cy := b.x, b.y
	if ownerAlive {
		cx, cy = ob.x, ob.y
	}
	tgt := s.retarget(br, 1-t.team, cx, cy, s.hz/2, nil)
	if tgt == nil {
		if ownerAlive && !within(b.x, b.y, ob.x, ob.y, 200*mmPerCm) {
			s.walk(b, ob.x, ob.y, 150*mmPerCm)
		}
		return
	}
	s.engage(e, b, br, tgt, t.seat, 100)
}

func (s *Sim) addThink(e *donburi.Entry, t *tag, br *brain) {
	b := bodyC.Get(e)
	tgt := s.retarget(br, 1-t.team, b.x, b.y, s.hz, nil)
	if tgt == nil {
		return
	}
	s.engage(e, b, br, tgt, -1, 100)
}

func (s *Sim) bossThink(e *donburi.Entry, t *tag, br *brain) {
	b := bodyC.Get(e)
	power := s.raid.attackPct()
	if effectsC.Get(e).enraged {
		power = pct(power, s.raid.def.EnragePowerPct)
	}
	br.slamCD--
	if br.slamCD <= 0 {
		br.slamCD = s.raid.slamTicks
		s.scratch = s.grids[0].query(b.x, b.y, s.raid.def.SlamRadiusCm*mmPerCm, s.scratch[:0])
		for _, sl := range s.scratch {
			s.damage(e, -1, s.slots[sl].entry, s.variance(pct(s.raid.def.SlamDamage, power)), CauseSlam, -1)
		}
	}
	tgt := s.retarget(br, 1-t.team, b.x, b.y, 2*s.hz, isOracle)
	if tgt == nil {
		return
	}
	if s.engage(e, b, br, tgt, -1, power) && br.cleaveMM > 0 {
		tb := bodyC.Get(tgt)
		s.scratch = s.grids[0].query(tb.x, tb.y, br.cleaveMM, s.scratch[:0])
		for _, sl := range s.scratch {
			if victim := s.slots[sl].entry; victim != tgt {
				s.damage(e, -1, victim, s.variance(pct(br.damage, power)/2), CauseAttack, -1)
			}
		}
	}
}

// engage closes in on tgt and attacks it when in reach and off cooldown;
// it reports whether it attacked.
func (s *Sim) engage(e *donburi.Entry, b *body, br *brain, tgt *donburi.Entry, seat int8, power int32) bool {
	tb := bodyC.Get(tgt)
	reach := br.rangeMM + b.radius + tb.radius
	if !within(b.x, b.y, tb.x, tb.y, reach) {
		s.walk(b, tb.x, tb.y, reach-mmPerCm)
		return false
	}
	b.facing = facingOf(tb.x-b.x, tb.y-b.y)
	if br.attackCD > 0 {
		return false
	}
	br.attackCD = br.attackTicks
	s.damage(e, seat, tgt, s.variance(pct(br.damage, power)), CauseAttack, -1)
	return true
}

// walk moves a body toward (x, y) at its speed, stopping stop mm short.
func (s *Sim) walk(b *body, x, y, stop int32) {
	nx, ny := stepToward(b.x, b.y, x, y, b.speed, stop)
	if nx != b.x || ny != b.y {
		b.facing = facingOf(nx-b.x, ny-b.y)
	}
	b.x, b.y = s.clampToArena(nx, ny)
}
