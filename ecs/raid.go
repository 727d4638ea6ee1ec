package ecs

import "github.com/pantheon-oracles/pantheon/ecs/content"

// Raids: up to 40 oracles against a boss whose phases start at hit-point
// thresholds (adds in waves, hazard zones under the players, enrage), with
// an enrage timer. The raid is won when the boss dies, lost when every
// oracle is dead (wipe) or when time runs out.

// raidState is a raid's rule state.
type raidState struct {
	def        content.RaidDef // the sim's own copy
	boss       int32           // the boss's slot
	phase      int             // index in def.Phases
	adds       int32           // adds alive
	addDef     int32           // npc index of the phase's adds, -1 none
	addEvery   uint32
	nextAdds   uint32
	hazard     int32 // hazard index of the phase, -1 none
	hazEvery   uint32
	nextHazard uint32
	enrageAt   uint32
	enraged    bool
	bossDead   bool
	slamTicks  int32
}

// attackPct is the boss's damage percent in the current phase.
func (r *raidState) attackPct() int32 { return r.def.Phases[r.phase].AttackPct }

func (s *Sim) setupRaid() {
	r := &s.raid
	r.def = s.c.RaidAt(s.plan.ref)
	d := &r.def
	s.width, s.height = d.WidthCm*mmPerCm, d.HeightCm*mmPerCm
	for i := range s.seats {
		// A formation of rows of eight, 1.5 m apart, centred on the spawn.
		x := d.SpawnXCm*mmPerCm + (int32(i%8)*2-7)*75*mmPerCm
		y := d.SpawnYCm*mmPerCm - int32(i/8)*150*mmPerCm
		s.spawnOracle(i, x, y)
	}
	r.enrageAt = uint32(msToTicks(d.EnrageMs, s.hz))
	r.slamTicks = max(1, msToTicks(d.SlamMs, s.hz))
	bossDef, _ := s.c.NPCIndex(d.Boss) // content validated the references
	boss, _ := s.spawnNPC(bossDef, d.BossXCm*mmPerCm, d.BossYCm*mmPerCm)
	r.boss = tagC.Get(boss).slot
	brainC.Get(boss).slamCD = r.slamTicks
	s.enterPhase(0)
}

// enterPhase starts boss phase p: its add waves, hazards and enrage.
func (s *Sim) enterPhase(p int) {
	r := &s.raid
	r.phase = p
	ph := &r.def.Phases[p]
	boss := s.slots[r.boss].entry
	s.event(Event{Kind: EventPhase, Seat: -1, Source: tagC.Get(boss).id, Amount: int32(p + 1), Ref: -1})
	r.addDef, r.hazard = -1, -1
	if ph.Adds != "" {
		n, _ := s.c.NPCIndex(ph.Adds)
		r.addDef = int32(n)
		r.addEvery = uint32(msToTicks(ph.AddEveryMs, s.hz))
		r.nextAdds = s.tick + r.addEvery
		s.spawnAdds(ph.InitialAdds)
	}
	if ph.Hazard != "" {
		h, _ := s.c.HazardIndex(ph.Hazard)
		r.hazard = int32(h)
		r.hazEvery = uint32(msToTicks(ph.HazardEveryMs, s.hz))
		r.nextHazard = s.tick + r.hazEvery
	}
	if ph.Enrage {
		s.enrage(2)
	}
}

// enrage enrages the boss once; code says why (1 timer, 2 phase).
func (s *Sim) enrage(code uint8) {
	if s.raid.enraged {
		return
	}
	s.raid.enraged = true
	boss := s.slots[s.raid.boss].entry
	effectsC.Get(boss).enraged = true
	s.event(Event{Kind: EventEnrage, Code: code, Seat: -1, Source: tagC.Get(boss).id, Ref: -1})
}

// spawnAdds brings up to n adds of the phase's kind in at seeded places
// around the boss, within the raid's add cap.
func (s *Sim) spawnAdds(n int32) {
	r := &s.raid
	boss := s.slots[r.boss].entry
	bb := bodyC.Get(boss)
	spread := r.def.SpawnSpreadCm * mmPerCm
	n = min(n, r.def.AddCap-r.adds)
	for range max(n, 0) {
		x := bb.x + s.rng.between(-spread, spread)
		y := bb.y + s.rng.between(-spread, spread)
		e, ok := s.spawnNPC(int(r.addDef), x, y)
		if !ok {
			return
		}
		r.adds++
		s.event(Event{Kind: EventSpawn, Seat: -1, Source: tagC.Get(boss).id, Target: tagC.Get(e).id, Ref: r.addDef})
	}
}

// raidTick advances phases, the enrage timer, add waves and hazards.
func (s *Sim) raidTick() {
	r := &s.raid
	if r.bossDead {
		return
	}
	boss := s.slots[r.boss].entry
	v := vitalsC.Get(boss)
	for r.phase+1 < len(r.def.Phases) && int64(v.hp)*100 <= int64(v.maxHP)*int64(r.def.Phases[r.phase+1].BelowPct) {
		s.enterPhase(r.phase + 1)
	}
	if !r.enraged && s.tick >= r.enrageAt {
		s.enrage(1)
	}
	if r.addDef >= 0 && s.tick >= r.nextAdds {
		r.nextAdds += r.addEvery
		s.spawnAdds(r.def.Phases[r.phase].AddCount)
	}
	if r.hazard >= 0 && s.tick >= r.nextHazard {
		r.nextHazard += r.hazEvery
		s.raidHazards(r.def.Phases[r.phase].HazardCount)
	}
}

// raidHazards opens n hazard zones under seeded-random living oracles.
func (s *Sim) raidHazards(n int32) {
	living := int32(s.standing(-1))
	if living == 0 {
		return
	}
	for range n {
		pick := s.rng.intn(living)
		for i := range s.seats {
			e := s.slots[s.seats[i].slot].entry
			if !alive(e) {
				continue
			}
			if pick == 0 {
				b := bodyC.Get(e)
				s.spawnZone(int(s.raid.hazard), b.x, b.y, 0)
				break
			}
			pick--
		}
	}
}

// raidEnd decides a raid: boss dead, every oracle dead, or out of time.
func (s *Sim) raidEnd() (outcome int, ended bool) {
	if s.raid.bossDead {
		return outcomeRaidWin, true
	}
	switch {
	case s.standing(-1) == 0:
		return outcomeWipe, true
	case s.tick >= s.maxTicks:
		return outcomeTimeout, true
	}
	return 0, false
}
