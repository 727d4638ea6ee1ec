package ecs

// Battles and hazard zones. Two teams fight in an arena whose environmental
// modifier (Leviathan's tide pulses, Behemoth's tremor zones) strikes at
// seeded places on a fixed period; the last team standing wins, or the team
// that dealt more damage when time runs out.

// battleState is a battle's rule state.
type battleState struct {
	hazard     int32 // hazard index, -1 none
	every      uint32
	count      int32
	nextHazard uint32
	damage     [2]int64 // damage dealt by each team
}

func (s *Sim) setupBattle() {
	a := s.c.ArenaAt(s.plan.ref)
	s.width, s.height = a.WidthCm*mmPerCm, a.HeightCm*mmPerCm
	var next [2]int
	for i := range s.seats {
		team := s.seats[i].team
		p := a.Spawns[team][next[team]]
		next[team]++
		s.spawnOracle(i, p.X*mmPerCm, p.Y*mmPerCm)
	}
	s.battle.hazard = -1
	if a.Hazard != "" {
		h, _ := s.c.HazardIndex(a.Hazard) // content validated the reference
		s.battle.hazard = int32(h)
		s.battle.every = uint32(msToTicks(a.HazardEveryMs, s.hz))
		s.battle.count = a.HazardCount
		s.battle.nextHazard = s.battle.every
	}
}

// battleTick fires the arena's hazard on its period at seeded places.
func (s *Sim) battleTick() {
	b := &s.battle
	if b.hazard < 0 || s.tick < b.nextHazard {
		return
	}
	b.nextHazard += b.every
	for range b.count {
		x := s.rng.intn(s.width + 1)
		y := s.rng.intn(s.height + 1)
		s.spawnZone(int(b.hazard), x, y, -1)
	}
}

// tickZones runs every hazard zone's life cycle: warn, strike (once or every
// pulse while active), end.
func (s *Sim) tickZones() {
	for e := range s.q.zones.Iter(s.world) {
		t := tagC.Get(e)
		if !t.active {
			continue
		}
		z := zoneC.Get(e)
		if !z.armed {
			if z.warn > 0 {
				z.warn--
			}
			if z.warn > 0 {
				continue
			}
			z.armed = true
			z.pulseIn = z.pulseEvery
			s.zoneStrike(t, z, bodyC.Get(e))
			continue
		}
		z.active--
		if z.active <= 0 {
			s.event(Event{Kind: EventHazard, Code: HazardEnd, Seat: -1, Target: t.id, Amount: z.hits, Ref: int32(z.def)})
			s.despawn(e)
			continue
		}
		if z.pulseEvery > 0 {
			z.pulseIn--
			if z.pulseIn <= 0 {
				z.pulseIn = z.pulseEvery
				s.zoneStrike(t, z, bodyC.Get(e))
			}
		}
	}
}

// zoneStrike hits every living entity the zone covers: damage (reduced by
// ward), stun (blocked by ward) and a push away from the centre.
func (s *Sim) zoneStrike(t *tag, z *zone, b *body) {
	hit := int32(0)
	for team := int8(0); team < 2; team++ {
		if z.victims >= 0 && z.victims != team {
			continue
		}
		s.scratch = s.grids[team].query(b.x, b.y, b.radius, s.scratch[:0])
		for _, sl := range s.scratch {
			e := s.slots[sl].entry
			if !alive(e) {
				continue
			}
			hit++
			s.damage(nil, -1, e, z.damage, CauseHazard, int32(z.def))
			if z.stun > 0 {
				s.applyStatus(nil, -1, e, StatusStun, z.stun, 0)
			}
			if z.push > 0 && alive(e) {
				vb := bodyC.Get(e)
				dx, dy := vb.x-b.x, vb.y-b.y
				if dx == 0 && dy == 0 {
					dx = 1
				}
				d := isqrt(int64(dx)*int64(dx) + int64(dy)*int64(dy))
				nx := int64(vb.x) + int64(dx)*int64(z.push)/d
				ny := int64(vb.y) + int64(dy)*int64(z.push)/d
				vb.x, vb.y = clamp64(nx, 0, int64(s.width)), clamp64(ny, 0, int64(s.height))
			}
		}
	}
	z.hits += hit
	s.event(Event{Kind: EventHazard, Code: HazardStrike, Seat: -1, Target: t.id, Amount: hit, Ref: int32(z.def)})
}

// battleEnd decides a battle: last team standing, or more damage at the
// time limit; both teams falling together, or equal damage, is a draw.
func (s *Sim) battleEnd() (outcome, team int, ended bool) {
	standing := [2]int{s.standing(0), s.standing(1)}
	switch {
	case standing[0] == 0 && standing[1] == 0:
		return outcomeDraw, -1, true
	case standing[0] == 0:
		return outcomeTeamWin, 1, true
	case standing[1] == 0:
		return outcomeTeamWin, 0, true
	case s.tick < s.maxTicks:
		return 0, 0, false
	case s.battle.damage[0] > s.battle.damage[1]:
		return outcomeTeamWin, 0, true
	case s.battle.damage[1] > s.battle.damage[0]:
		return outcomeTeamWin, 1, true
	}
	return outcomeDraw, -1, true
}
