package ecs

import (
	"github.com/pantheon-oracles/pantheon/ecs/content"
	"github.com/yohamta/donburi"
)

// Combat: abilities, damage, healing, status effects, deaths, auras.

// Aura bonus caps, percent.
const (
	maxAuraPower = 50
	maxAuraSpeed = 50
	maxAuraArmor = 60
)

// idOf returns e's entity id, or 0 for nil.
func idOf(e *donburi.Entry) uint32 {
	if e == nil {
		return 0
	}
	return tagC.Get(e).id
}

// seatOf returns the index in s.seats of seat number seat, or -1.
func (s *Sim) seatOf(seat int8) int {
	if seat < 0 {
		return -1
	}
	return int(s.seatIdx[seat])
}

// variance scales an amount by a seeded 95..105 percent roll.
func (s *Sim) variance(v int32) int32 { return pct(v, s.rng.between(95, 105)) }

// damage hurts dst: armour aura, then ward (hazards and surges), then
// shields, then hit points. It credits srcSeat (-1 for none), reports the
// hit and any death, and returns the hit points lost.
func (s *Sim) damage(src *donburi.Entry, srcSeat int8, dst *donburi.Entry, amount int32, cause Cause, ref int32) int32 {
	if amount <= 0 || !alive(dst) {
		return 0
	}
	v, fx, t := vitalsC.Get(dst), effectsC.Get(dst), tagC.Get(dst)
	amount = pct(amount, 100-v.auraArmor)
	if (cause == CauseHazard || cause == CauseSurge) && fx.wardTicks > 0 {
		amount = pct(amount, 100-s.wardHazardPct)
	}
	if fx.shieldHP > 0 {
		absorbed := min(fx.shieldHP, amount)
		fx.shieldHP -= absorbed
		amount -= absorbed
		if fx.shieldHP == 0 {
			fx.shieldTicks = 0
			s.event(Event{Kind: EventStatusExpired, Code: uint8(StatusShield), Seat: int16(t.seat), Target: t.id, Ref: -1})
		}
	}
	amount = min(amount, v.hp)
	srcID := idOf(src)
	v.hp -= amount
	if i := s.seatOf(srcSeat); i >= 0 {
		s.seats[i].dealt += int64(amount)
		if s.plan.kind == modeBattle {
			s.battle.damage[s.seats[i].team] += int64(amount)
		}
	}
	if t.kind == KindOracle {
		s.seats[s.seatOf(t.seat)].taken += int64(amount)
	}
	s.event(Event{Kind: EventDamage, Code: uint8(cause), Seat: int16(srcSeat), Source: srcID, Target: t.id, Amount: amount, Ref: ref})
	if v.hp == 0 {
		s.kill(dst, srcID, srcSeat)
	}
	return amount
}

// kill handles a death: statistics, codex, and returning pooled entities.
// Oracles and bosses stay in the match, dead.
func (s *Sim) kill(dst *donburi.Entry, srcID uint32, srcSeat int8) {
	t := tagC.Get(dst)
	fx := effectsC.Get(dst)
	*fx = effects{burnSeat: -1}
	s.event(Event{Kind: EventDeath, Seat: int16(srcSeat), Source: srcID, Target: t.id, Ref: -1})
	killer := s.seatOf(srcSeat)
	if killer >= 0 && s.seats[killer].team != t.team && t.kind != KindTotem {
		s.seats[killer].kills++
	}
	switch t.kind {
	case KindOracle:
		s.seats[s.seatOf(t.seat)].deaths++
		if killer >= 0 && !s.firstBlood && s.seats[killer].team != t.team {
			s.firstBlood = true
			s.unlock(killer, triggerFirstBlood, t.id, int32(t.seat))
		}
	case KindBoss:
		s.raid.bossDead = true
		if killer >= 0 {
			s.unlock(killer, triggerBossKill, t.id, int32(t.content))
		}
	case KindAdd:
		s.raid.adds--
		s.despawn(dst)
	default:
		s.despawn(dst)
	}
}

// heal restores up to amount hit points to dst and credits srcSeat.
func (s *Sim) heal(src *donburi.Entry, srcSeat int8, dst *donburi.Entry, amount int32, cause Cause, ref int32) {
	if amount <= 0 || !alive(dst) {
		return
	}
	v := vitalsC.Get(dst)
	amount = min(amount, v.maxHP-v.hp)
	if amount <= 0 {
		return
	}
	v.hp += amount
	if i := s.seatOf(srcSeat); i >= 0 {
		s.seats[i].healing += int64(amount)
	}
	s.event(Event{Kind: EventHeal, Code: uint8(cause), Seat: int16(srcSeat), Source: idOf(src), Target: tagC.Get(dst).id, Amount: amount, Ref: ref})
}

// applyStatus puts status st on dst for ticks; power is the shield's hit
// points or the burn's damage per pulse. A ward blocks stuns.
func (s *Sim) applyStatus(src *donburi.Entry, srcSeat int8, dst *donburi.Entry, st Status, ticks, power int32) {
	if ticks <= 0 || !alive(dst) {
		return
	}
	fx := effectsC.Get(dst)
	switch st {
	case StatusShield:
		fx.shieldHP = max(fx.shieldHP, power)
		fx.shieldTicks = max(fx.shieldTicks, ticks)
	case StatusBurn:
		fx.burnTicks, fx.burnPower, fx.burnNext = ticks, power, s.burnEvery
		fx.burnBy, fx.burnSeat = idOf(src), srcSeat
	case StatusStun:
		if fx.wardTicks > 0 || tagC.Get(dst).kind == KindTotem {
			return // warded, or a totem, which never acts anyway
		}
		fx.stunTicks = max(fx.stunTicks, ticks)
		fx.channeling = false
	case StatusWard:
		fx.wardTicks = max(fx.wardTicks, ticks)
	default:
		return
	}
	s.event(Event{Kind: EventStatusApplied, Code: uint8(st), Seat: int16(srcSeat), Source: idOf(src), Target: tagC.Get(dst).id, Amount: ticks, Ref: -1})
}

// castReject reports a refused cast of slot.
func (s *Sim) castReject(st *seatState, slot uint8, r Reason) {
	s.event(Event{Kind: EventCastRejected, Code: uint8(r), Seat: int16(st.seat), Ref: int32(slot)})
}

// cast validates and performs an input's cast.
func (s *Sim) cast(st *seatState, e *donburi.Entry, in *Input) {
	k, v, b := casterC.Get(e), vitalsC.Get(e), bodyC.Get(e)
	if effectsC.Get(e).stunTicks > 0 {
		s.castReject(st, in.Cast, ReasonStunned)
		return
	}
	if in.Cast == CastShapeshift {
		s.shapeshift(st, e)
		return
	}
	if in.Cast > MaxLoadout || k.slots[in.Cast-1] < 0 {
		s.castReject(st, in.Cast, ReasonUnknownSlot)
		return
	}
	slot := in.Cast - 1
	ai := k.slots[slot]
	a := s.c.AbilityAt(int(ai))
	if k.cooldown[slot] > 0 {
		s.castReject(st, in.Cast, ReasonCooldown)
		return
	}
	cost := a.EnergyCost * 1000
	if v.energy < cost {
		s.castReject(st, in.Cast, ReasonNoEnergy)
		return
	}
	team := tagC.Get(e).team
	tgt := e
	cx, cy := b.x, b.y
	rangeMM := a.RangeCm * mmPerCm
	switch a.Target {
	case "enemy", "ally":
		if a.Target == "ally" && in.Target == 0 {
			break
		}
		tgt = s.lookup(in.Target)
		if tgt == nil || !alive(tgt) {
			s.castReject(st, in.Cast, ReasonBadTarget)
			return
		}
		tt := tagC.Get(tgt)
		if a.Target == "enemy" && (tt.team == team || tt.team < 0) || a.Target == "ally" && tt.team != team {
			s.castReject(st, in.Cast, ReasonBadTarget)
			return
		}
		tb := bodyC.Get(tgt)
		if !within(b.x, b.y, tb.x, tb.y, rangeMM+tb.radius) {
			s.castReject(st, in.Cast, ReasonOutOfRange)
			return
		}
		cx, cy = tb.x, tb.y
	case "point":
		px := clamp64(int64(in.PointX)*mmPerCm, 0, int64(s.width))
		py := clamp64(int64(in.PointY)*mmPerCm, 0, int64(s.height))
		if !within(b.x, b.y, px, py, rangeMM) {
			s.castReject(st, in.Cast, ReasonOutOfRange)
			return
		}
		tgt, cx, cy = nil, px, py
	}
	v.energy -= cost
	k.cooldown[slot] = msToTicks(a.CooldownMs, s.hz)
	seat := int8(st.seat)
	s.event(Event{Kind: EventCast, Seat: int16(seat), Source: tagC.Get(e).id, Target: idOf(tgt), Amount: a.EnergyCost, Ref: int32(ai)})
	if a.Ultimate {
		s.unlock(int(k.seatIdx), triggerUltimate, 0, int32(ai))
	}
	if a.RadiusCm > 0 {
		g := &s.grids[team]
		if a.Affects == "enemies" {
			if team > 1 || team < 0 {
				return
			}
			g = &s.grids[1-team]
		}
		s.scratch = g.query(cx, cy, a.RadiusCm*mmPerCm, s.scratch[:0])
		for _, sl := range s.scratch {
			s.abilityHit(&a, int32(ai), e, seat, s.slots[sl].entry)
		}
	} else if tgt != nil {
		s.abilityHit(&a, int32(ai), e, seat, tgt)
	}
	if a.DashCm > 0 {
		b.x, b.y = stepToward(b.x, b.y, cx, cy, a.DashCm*mmPerCm, 0)
		b.x, b.y = s.clampToArena(b.x, b.y)
	}
}

// clamp64 bounds v to [lo, hi] and narrows it.
func clamp64(v, lo, hi int64) int32 { return int32(max(lo, min(v, hi))) }

// abilityHit applies ability a's effects from caster to one target.
func (s *Sim) abilityHit(a *content.AbilityDef, ai int32, caster *donburi.Entry, seat int8, dst *donburi.Entry) {
	v := vitalsC.Get(caster)
	power := pct(v.power, 100+v.auraPower)
	if a.Damage > 0 {
		s.damage(caster, seat, dst, s.variance(pct(a.Damage, power)), CauseAbility, ai)
	}
	if a.Heal > 0 {
		s.heal(caster, seat, dst, pct(a.Heal, v.heal), CauseAbility, ai)
	}
	if a.Shield > 0 {
		s.applyStatus(caster, seat, dst, StatusShield, msToTicks(a.ShieldMs, s.hz), pct(a.Shield, v.heal))
	}
	if st, _ := statusByName(a.Status); st != StatusNone {
		s.applyStatus(caster, seat, dst, st, msToTicks(a.StatusMs, s.hz), pct(a.StatusPower, power))
	}
}

// shapeshift toggles the oracle's form, scaling its stats.
func (s *Sim) shapeshift(st *seatState, e *donburi.Entry) {
	k, v, b := casterC.Get(e), vitalsC.Get(e), bodyC.Get(e)
	if k.form < 0 {
		s.castReject(st, CastShapeshift, ReasonUnknownSlot)
		return
	}
	f := s.c.FormAt(int(k.form))
	if k.cooldown[MaxLoadout] > 0 {
		s.castReject(st, CastShapeshift, ReasonCooldown)
		return
	}
	if v.energy < f.EnergyCost*1000 {
		s.castReject(st, CastShapeshift, ReasonNoEnergy)
		return
	}
	v.energy -= f.EnergyCost * 1000
	k.cooldown[MaxLoadout] = msToTicks(f.CooldownMs, s.hz)
	k.shifted = !k.shifted
	oldMax := v.maxHP
	if k.shifted {
		v.maxHP, v.power = pct(k.baseHP, f.HPPct), pct(k.basePower, f.PowerPct)
		b.speed, v.regen = pct(k.baseSpeed, f.SpeedPct), pct(k.baseRegen, f.RegenPct)
	} else {
		v.maxHP, v.power, b.speed, v.regen = k.baseHP, k.basePower, k.baseSpeed, k.baseRegen
	}
	v.hp = max(1, int32(int64(v.hp)*int64(v.maxHP)/int64(oldMax)))
	on := int32(0)
	if k.shifted {
		on = 1
		s.unlock(int(k.seatIdx), triggerShapeshift, 0, int32(k.form))
	}
	s.event(Event{Kind: EventShapeshift, Seat: int16(st.seat), Source: tagC.Get(e).id, Amount: on, Ref: int32(k.form)})
}

// applyAuras recomputes every entity's totem bonuses from the living totems.
func (s *Sim) applyAuras() {
	for e := range s.q.mortal.Iter(s.world) {
		v := vitalsC.Get(e)
		v.auraPower, v.auraSpeed, v.auraArmor, v.auraRegen = 0, 0, 0, 0
	}
	for e := range s.q.totems.Iter(s.world) {
		t := tagC.Get(e)
		if !t.active || vitalsC.Get(e).hp <= 0 || t.team < 0 || t.team > 1 {
			continue
		}
		a, b := auraC.Get(e), bodyC.Get(e)
		s.scratch = s.grids[t.team].query(b.x, b.y, a.radius, s.scratch[:0])
		for _, sl := range s.scratch {
			v := vitalsC.Get(s.slots[sl].entry)
			v.auraPower = min(maxAuraPower, v.auraPower+a.power)
			v.auraSpeed = min(maxAuraSpeed, v.auraSpeed+a.speed)
			v.auraArmor = min(maxAuraArmor, v.auraArmor+a.armor)
			v.auraRegen += a.regen
		}
	}
}

// tickEffects advances status timers, burns, regeneration and cooldowns.
func (s *Sim) tickEffects() {
	second := s.tick%uint32(s.hz) == 0
	for e := range s.q.mortal.Iter(s.world) {
		t := tagC.Get(e)
		v := vitalsC.Get(e)
		if !t.active || v.hp <= 0 {
			continue
		}
		fx := effectsC.Get(e)
		s.expire(t, &fx.stunTicks, StatusStun)
		s.expire(t, &fx.wardTicks, StatusWard)
		if fx.shieldTicks > 0 {
			s.expire(t, &fx.shieldTicks, StatusShield)
			if fx.shieldTicks == 0 {
				fx.shieldHP = 0
			}
		}
		if fx.burnTicks > 0 {
			fx.burnTicks--
			fx.burnNext--
			if fx.burnNext <= 0 {
				fx.burnNext = s.burnEvery
				s.damage(s.lookup(fx.burnBy), fx.burnSeat, e, fx.burnPower, CauseBurn, -1)
				if v.hp <= 0 {
					continue
				}
			}
			if fx.burnTicks == 0 {
				s.event(Event{Kind: EventStatusExpired, Code: uint8(StatusBurn), Seat: int16(t.seat), Target: t.id, Ref: -1})
			}
		}
		if second && v.auraRegen > 0 {
			s.heal(nil, -1, e, v.auraRegen, CauseAura, -1)
		}
		if t.kind == KindOracle {
			v.energy = min(v.maxEnergy, v.energy+v.regen)
			k := casterC.Get(e)
			for i := range k.cooldown {
				k.cooldown[i] = max(0, k.cooldown[i]-1)
			}
			k.lockout = max(0, k.lockout-1)
			k.gestureCD = max(0, k.gestureCD-1)
		}
	}
}

// expire counts a status timer down and reports when it runs out.
func (s *Sim) expire(t *tag, ticks *int32, st Status) {
	if *ticks <= 0 {
		return
	}
	*ticks--
	if *ticks == 0 {
		s.event(Event{Kind: EventStatusExpired, Code: uint8(st), Seat: int16(t.seat), Target: t.id, Ref: -1})
	}
}
