package ecs

import (
	"github.com/pantheon-oracles/pantheon/ecs/content"
	"github.com/yohamta/donburi"
)

// Rituals: 2-6 oracles channel at sigils placed around a chamber, in the
// order the ritual's sequence demands. Channelling at the current sigil adds
// progress; at another sigil it drains the current one (discord). The
// sigil's gesture adds a burst. Void surges, announced ahead, interrupt
// every unwarded channeler. Completing the sequence before the deadline is a
// success; running out of time or oracles a failure.

// ritualState is a ritual's rule state.
type ritualState struct {
	def       content.RitualDef // the sim's own copy
	step      int               // index in def.Sequence of the sigil to charge
	sigils    []int32           // slot of each sigil
	rate      int32             // milli-progress per channeler per tick
	discord   int32             // milli-progress drained per wrong channeler per tick
	bonus     int32             // milli-progress per correct gesture
	gestureCD int32             // ticks
	lockout   int32             // ticks
	radius    int32             // mm
	nextSurge uint32
	warnTicks uint32
	warned    bool
	success   bool
	reported  int32 // last progress decile reported for the current sigil
}

func (s *Sim) setupRitual() {
	r := &s.ritual
	r.def = s.c.RitualAt(s.plan.ref)
	d := &r.def
	s.width, s.height = d.WidthCm*mmPerCm, d.HeightCm*mmPerCm
	for i := range s.seats {
		// In a row across the centre, 80 cm apart.
		x := d.SpawnXCm*mmPerCm + (int32(i)*2-int32(len(s.seats))+1)*40*mmPerCm
		s.spawnOracle(i, x, d.SpawnYCm*mmPerCm)
	}
	r.sigils = make([]int32, len(d.Sigils))
	for i, sg := range d.Sigils {
		e, _ := s.spawn(layoutSigil, KindSigil, -1, -1, int16(i))
		b := bodyC.Get(e)
		b.x, b.y = s.clampToArena(sg.X*mmPerCm, sg.Y*mmPerCm)
		b.radius = d.SigilRadiusCm * mmPerCm
		g := sigilC.Get(e)
		g.index, g.gesture = int8(i), sg.Gesture
		r.sigils[i] = tagC.Get(e).slot
	}
	r.rate = perTick(d.ProgressPerS, 1000, s.hz)
	r.discord = perTick(d.DiscordPerS, 1000, s.hz)
	r.bonus = d.GestureBonus * 1000
	r.gestureCD = msToTicks(d.GestureCooldownMs, s.hz)
	r.lockout = msToTicks(d.SurgeLockoutMs, s.hz)
	r.radius = d.SigilRadiusCm * mmPerCm
	r.warnTicks = uint32(msToTicks(d.SurgeWarnMs, s.hz))
	r.nextSurge = s.nextSurgeAfter(0)
}

// nextSurgeAfter draws the next surge tick.
func (s *Sim) nextSurgeAfter(tick uint32) uint32 {
	d := &s.ritual.def
	return tick + uint32(s.rng.between(msToTicks(d.SurgeMinMs, s.hz), msToTicks(d.SurgeMaxMs, s.hz)))
}

// currentSigil returns the sigil entity the sequence wants next, or nil
// once the ritual is complete.
func (s *Sim) currentSigil() *donburi.Entry {
	r := &s.ritual
	if r.step >= len(r.def.Sequence) {
		return nil
	}
	return s.slots[r.sigils[r.def.Sequence[r.step]]].entry
}

// ritualTick runs surges, channelling and sigil completion.
func (s *Sim) ritualTick() {
	r := &s.ritual
	if r.success {
		return
	}
	s.surge()
	cur := s.currentSigil()
	cg := sigilC.Get(cur)
	for i := range s.seats {
		st := &s.seats[i]
		e := s.slots[st.slot].entry
		fx, k := effectsC.Get(e), casterC.Get(e)
		want := st.channel && alive(e) && fx.stunTicks == 0 && k.lockout == 0
		at := int16(-1)
		if want {
			at = s.sigilAt(bodyC.Get(e))
		}
		fx.channeling, k.sigil = at >= 0, at
		switch {
		case at < 0:
		case at == int16(cg.index):
			cg.progress = min(cg.progress+r.rate, sigilComplete*1000)
			st.ritual += int64(r.rate)
		default:
			cg.progress = max(0, cg.progress-r.discord)
		}
	}
	s.advanceRitual(cur, cg, -1, 0)
}

// advanceRitual reports the current sigil's progress by deciles (or every
// gesture) and completes it at sigilComplete.
func (s *Sim) advanceRitual(cur *donburi.Entry, cg *sigil, seat int16, code uint8) {
	r := &s.ritual
	decile := cg.progress / (sigilComplete * 100)
	if decile != r.reported || code != 0 {
		r.reported = decile
		s.event(Event{Kind: EventRitualProgress, Code: code, Seat: seat, Target: tagC.Get(cur).id, Amount: cg.progress / 1000, Ref: int32(cg.index)})
	}
	if cg.progress < sigilComplete*1000 {
		return
	}
	cg.done = true
	r.step++
	r.reported = 0
	s.event(Event{Kind: EventSigilComplete, Seat: -1, Target: tagC.Get(cur).id, Amount: int32(r.step), Ref: int32(cg.index)})
	if r.step == len(r.def.Sequence) {
		r.success = true
		for i := range s.seats {
			s.unlock(i, triggerRitualSuccess, 0, int32(s.plan.ref))
		}
	}
}

// surge warns of and then strikes with a void surge: every channeler not
// under a ward is interrupted, hurt, locked out and drains the sigil.
func (s *Sim) surge() {
	r := &s.ritual
	if !r.warned && s.tick+r.warnTicks >= r.nextSurge {
		r.warned = true
		s.event(Event{Kind: EventSurge, Code: SurgeWarn, Seat: -1, Ref: -1})
	}
	if s.tick < r.nextSurge {
		return
	}
	cg := sigilC.Get(s.currentSigil())
	hit := int32(0)
	for i := range s.seats {
		e := s.slots[s.seats[i].slot].entry
		fx := effectsC.Get(e)
		if !fx.channeling || fx.wardTicks > 0 || !alive(e) {
			continue
		}
		hit++
		fx.channeling = false
		k := casterC.Get(e)
		k.sigil, k.lockout = -1, r.lockout
		cg.progress = max(0, cg.progress-r.def.SurgeDrain*1000)
		s.event(Event{Kind: EventInterrupted, Seat: int16(s.seats[i].seat), Target: tagC.Get(e).id, Ref: -1})
		s.damage(nil, -1, e, r.def.SurgeDamage, CauseSurge, -1)
	}
	s.event(Event{Kind: EventSurge, Code: SurgeStrike, Seat: -1, Amount: hit, Ref: -1})
	r.nextSurge = s.nextSurgeAfter(s.tick)
	r.warned = false
}

// checkChannel reports a channel request that cannot be honoured now: while
// locked out by a surge, or (when it starts) away from every sigil. The
// intent is kept either way, so channelling begins once it can.
func (s *Sim) checkChannel(st *seatState, e *donburi.Entry, in *Input) {
	reason := ReasonNone
	switch {
	case casterC.Get(e).lockout > 0:
		reason = ReasonLockout
	case !st.channel && s.sigilAt(bodyC.Get(e)) < 0:
		reason = ReasonNotAtSigil
	}
	if reason != ReasonNone {
		s.event(Event{Kind: EventInputRejected, Code: uint8(reason), Seat: int16(st.seat), Amount: int32(in.Seq), Ref: -1})
	}
}

// sigilAt returns the index of the first sigil whose circle holds b, or -1.
func (s *Sim) sigilAt(b *body) int16 {
	for j, sl := range s.ritual.sigils {
		sb := bodyC.Get(s.slots[sl].entry)
		if within(b.x, b.y, sb.x, sb.y, s.ritual.radius) {
			return int16(j)
		}
	}
	return -1
}

// gesture applies a ritual gesture: it must be the current sigil's gesture,
// made while channelling at it, off cooldown.
func (s *Sim) gesture(st *seatState, e *donburi.Entry, in *Input) {
	reject := func(r Reason) {
		s.event(Event{Kind: EventInputRejected, Code: uint8(r), Seat: int16(st.seat), Amount: int32(in.Seq), Ref: -1})
	}
	if s.plan.kind != modeRitual {
		reject(ReasonWrongMode)
		return
	}
	if in.Gesture > MaxGesture {
		reject(ReasonBadGesture)
		return
	}
	cur := s.currentSigil()
	k := casterC.Get(e)
	if cur == nil || !effectsC.Get(e).channeling || k.sigil < 0 || int8(k.sigil) != sigilC.Get(cur).index {
		reject(ReasonNotChanneling)
		return
	}
	if k.gestureCD > 0 {
		reject(ReasonGestureCooldown)
		return
	}
	k.gestureCD = s.ritual.gestureCD
	cg := sigilC.Get(cur)
	if in.Gesture != cg.gesture {
		reject(ReasonBadGesture)
		return
	}
	cg.progress = min(cg.progress+s.ritual.bonus, sigilComplete*1000)
	st.ritual += int64(s.ritual.bonus)
	s.unlock(int(k.seatIdx), triggerGesture, tagC.Get(cur).id, int32(cg.index))
	s.advanceRitual(cur, cg, int16(st.seat), 1)
}

// ritualEnd decides a ritual: sequence complete, or failure when every
// oracle is dead or the deadline passes.
func (s *Sim) ritualEnd() (outcome int, ended bool) {
	if s.ritual.success {
		return outcomeRitualSuccess, true
	}
	if s.standing(-1) == 0 || s.tick >= s.maxTicks {
		return outcomeRitualFailure, true
	}
	return 0, false
}
