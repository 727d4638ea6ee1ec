package ecs

import "github.com/yohamta/donburi"

// Entity ids and the entity pool.
//
// An entity id is generation<<slotBits | slot. Slots are pooled per layout:
// a dead add's slot is reused by the next add, with the generation bumped,
// so ids are never reused within a match, lookups by id are O(1), and
// spawning in steady state allocates nothing (donburi allocates every
// component of a new entity; pooled ones are only reset).
const (
	slotBits = 12
	// MaxEntities bounds the entities alive at once in one match.
	MaxEntities = 1 << slotBits
	slotMask    = MaxEntities - 1
	maxGen      = 1<<(32-slotBits) - 1
)

// slot is one pooled donburi entity.
type slot struct {
	entry  *donburi.Entry
	gen    uint32
	layout layout
}

// spawn takes a pooled entity of layout l (or creates one), gives it a new
// id and zeroed components, and returns it; ok is false when the match is at
// MaxEntities or the slot's generations are exhausted.
func (s *Sim) spawn(l layout, k Kind, team, seat int8, content int16) (*donburi.Entry, bool) {
	var idx int32
	if n := len(s.free[l]); n > 0 {
		idx = s.free[l][n-1]
		if s.slots[idx].gen >= maxGen {
			return nil, false
		}
		s.free[l] = s.free[l][:n-1]
	} else {
		if len(s.slots) >= MaxEntities {
			return nil, false
		}
		idx = s.create(l)
	}
	sl := &s.slots[idx]
	sl.gen++
	e := sl.entry
	*tagC.Get(e) = tag{id: sl.gen<<slotBits | uint32(idx), slot: idx, kind: k, team: team, seat: seat, content: content, active: true}
	*bodyC.Get(e) = body{}
	switch l {
	case layoutOracle:
		*vitalsC.Get(e) = vitals{}
		*effectsC.Get(e) = effects{burnSeat: -1}
		*casterC.Get(e) = caster{sigil: -1, form: -1}
	case layoutBrain:
		*vitalsC.Get(e) = vitals{}
		*effectsC.Get(e) = effects{burnSeat: -1}
		*brainC.Get(e) = brain{owner: -1}
	case layoutTotem:
		*vitalsC.Get(e) = vitals{}
		*effectsC.Get(e) = effects{burnSeat: -1}
		*auraC.Get(e) = aura{}
	case layoutZone:
		*zoneC.Get(e) = zone{}
	case layoutSigil:
		*sigilC.Get(e) = sigil{}
	}
	return e, true
}

// create adds a new, inactive entity to layout l's pool (not to its free
// list) and returns its slot. It grows the pool's free list with the pool,
// so returning entities to it never allocates later.
func (s *Sim) create(l layout) int32 {
	e := s.world.Create(l.components()...)
	idx := int32(len(s.slots))
	s.slots = append(s.slots, slot{entry: s.world.Entry(e), layout: l})
	tagC.Get(s.slots[idx].entry).slot = idx
	s.pooled[l]++
	if cap(s.free[l]) < int(s.pooled[l]) {
		grown := make([]int32, len(s.free[l]), 2*s.pooled[l])
		copy(grown, s.free[l])
		s.free[l] = grown
	}
	return idx
}

// reserve creates n pooled entities of layout l up front, so a match's
// spawns in play reuse them instead of allocating.
func (s *Sim) reserve(l layout, n int) {
	for range n {
		if len(s.slots) >= MaxEntities {
			return
		}
		s.free[l] = append(s.free[l], s.create(l))
	}
}

// reservePools sizes the pools for what the match can spawn in play: the
// hazard zones that can be alive at once, and the raid's adds up to its cap.
func (s *Sim) reservePools() {
	zones := func(hazard string, everyMs, count int32) int {
		if hazard == "" {
			return 0
		}
		h, _ := s.c.HazardIndex(hazard) // content validated the reference
		d := s.c.HazardAt(h)
		return int(count) * (int((d.WarnMs+d.ActiveMs)/everyMs) + 2)
	}
	n := 0
	switch s.plan.kind {
	case modeBattle:
		a := s.c.ArenaAt(s.plan.ref)
		n = zones(a.Hazard, a.HazardEveryMs, a.HazardCount)
	case modeRaid:
		for _, p := range s.raid.def.Phases {
			n += zones(p.Hazard, p.HazardEveryMs, p.HazardCount)
		}
		s.reserve(layoutBrain, int(s.raid.def.AddCap-s.raid.adds))
	default:
		// rituals reserve no hazard zones or adds.
	}
	s.reserve(layoutZone, n)
}

// despawn returns an entity to its pool. Oracles are never despawned: a
// dead oracle stays in the match with 0 hp.
func (s *Sim) despawn(e *donburi.Entry) {
	t := tagC.Get(e)
	if !t.active {
		return
	}
	t.active = false
	l := s.slots[t.slot].layout
	s.free[l] = append(s.free[l], t.slot)
}

// lookup returns the live (active) entity with id, or nil.
func (s *Sim) lookup(id uint32) *donburi.Entry {
	idx := id & slotMask
	if id == 0 || int(idx) >= len(s.slots) {
		return nil
	}
	sl := &s.slots[idx]
	if sl.gen != id>>slotBits || !tagC.Get(sl.entry).active {
		return nil
	}
	return sl.entry
}

// alive reports whether e is an active entity with hit points left.
func alive(e *donburi.Entry) bool {
	t := tagC.Get(e)
	return t.active && t.kind.mortal() && vitalsC.Get(e).hp > 0
}

// clampToArena keeps a point inside the arena.
func (s *Sim) clampToArena(x, y int32) (int32, int32) {
	return clamp(x, 0, s.width), clamp(y, 0, s.height)
}

// spawnOracle creates seat i's oracle at (x, y) mm with its pet and totem.
func (s *Sim) spawnOracle(i int, x, y int32) {
	st := &s.seats[i]
	o := s.plan.oracles[i]
	el, arch, role := s.c.ElementAt(o.element), s.c.ArchetypeAt(o.archetype), s.c.RoleAt(o.role)
	e, _ := s.spawn(layoutOracle, KindOracle, st.team, int8(st.seat), int16(o.archetype))
	t := tagC.Get(e)
	st.slot = t.slot
	b := bodyC.Get(e)
	b.x, b.y = s.clampToArena(x, y)
	b.radius = 40 * mmPerCm
	if st.team == 1 {
		b.facing = 128
	}
	b.speed = pct(pct(perTick(el.SpeedCmS, mmPerCm, s.hz), arch.SpeedPct), role.SpeedPct)
	v := vitalsC.Get(e)
	v.maxHP = pct(pct(el.HP, arch.HPPct), role.HPPct)
	v.hp = v.maxHP
	v.maxEnergy = el.Energy * 1000
	v.energy = v.maxEnergy
	v.regen = perTick(el.EnergyRegenS, 1000, s.hz)
	v.power = pct(pct(el.Power, arch.PowerPct), role.PowerPct)
	v.heal = pct(el.HealPower, role.HealPct)
	k := casterC.Get(e)
	k.seatIdx = int8(i)
	for j := range k.slots {
		k.slots[j] = -1
		if j < len(o.loadout) {
			k.slots[j] = int16(o.loadout[j])
		}
	}
	k.form = int16(o.form)
	k.element = int16(o.element)
	k.role = int16(o.role)
	k.baseHP, k.basePower, k.baseSpeed, k.baseRegen = v.maxHP, v.power, b.speed, v.regen
	if o.pet >= 0 {
		s.spawnPet(i, o.pet, b.x+80*mmPerCm, b.y)
	}
	if o.totem >= 0 {
		s.spawnTotem(i, o.totem, b.x, b.y-150*mmPerCm)
	}
}

// spawnPet creates seat i's pet.
func (s *Sim) spawnPet(i, def int, x, y int32) {
	st := &s.seats[i]
	d := s.c.PetAt(def)
	e, ok := s.spawn(layoutBrain, KindPet, st.team, int8(st.seat), int16(def))
	if !ok {
		return
	}
	st.pet = tagC.Get(e).slot
	b := bodyC.Get(e)
	b.x, b.y = s.clampToArena(x, y)
	b.radius = 30 * mmPerCm
	b.speed = perTick(d.SpeedCmS, mmPerCm, s.hz)
	v := vitalsC.Get(e)
	v.maxHP, v.hp, v.power, v.heal = d.HP, d.HP, 100, 100
	br := brainC.Get(e)
	br.def = int16(def)
	br.owner = st.slot
	br.damage = d.Damage
	br.rangeMM = d.RangeCm * mmPerCm
	br.aggroMM = d.AggroCm * mmPerCm
	br.leashMM = d.LeashCm * mmPerCm
	br.attackTicks = msToTicks(d.AttackMs, s.hz)
}

// spawnTotem plants seat i's totem.
func (s *Sim) spawnTotem(i, def int, x, y int32) {
	st := &s.seats[i]
	d := s.c.TotemAt(def)
	e, ok := s.spawn(layoutTotem, KindTotem, st.team, int8(st.seat), int16(def))
	if !ok {
		return
	}
	b := bodyC.Get(e)
	b.x, b.y = s.clampToArena(x, y)
	b.radius = 30 * mmPerCm
	v := vitalsC.Get(e)
	v.maxHP, v.hp, v.power, v.heal = d.HP, d.HP, 100, 100
	a := auraC.Get(e)
	a.def = int16(def)
	a.radius = d.RadiusCm * mmPerCm
	a.regen, a.power, a.speed, a.armor = d.RegenHPS, d.PowerPct, d.SpeedPct, d.ArmorPct
}

// spawnNPC creates an add or boss of npc index def on team 1.
func (s *Sim) spawnNPC(def int, x, y int32) (*donburi.Entry, bool) {
	d := s.c.NPCAt(def)
	kind := KindAdd
	if d.Kind == "boss" {
		kind = KindBoss
	}
	e, ok := s.spawn(layoutBrain, kind, 1, -1, int16(def))
	if !ok {
		return nil, false
	}
	b := bodyC.Get(e)
	b.x, b.y = s.clampToArena(x, y)
	b.radius = d.RadiusCm * mmPerCm
	b.speed = perTick(d.SpeedCmS, mmPerCm, s.hz)
	b.facing = 192
	v := vitalsC.Get(e)
	v.maxHP, v.hp, v.power, v.heal = d.HP, d.HP, 100, 100
	br := brainC.Get(e)
	br.def = int16(def)
	br.damage = d.Damage
	br.rangeMM = d.RangeCm * mmPerCm
	br.aggroMM = d.AggroCm * mmPerCm
	br.attackTicks = msToTicks(d.AttackMs, s.hz)
	br.cleaveMM = d.CleaveCm * mmPerCm
	// Stagger target searches so a wave does not search on one tick.
	br.retarget = int32(uint32(tagC.Get(e).slot) % uint32(s.hz))
	return e, true
}

// spawnZone creates a hazard zone of hazard index def centred at (x, y)
// that hurts team victims (-1 both).
func (s *Sim) spawnZone(def int, x, y int32, victims int8) {
	d := s.c.HazardAt(def)
	e, ok := s.spawn(layoutZone, KindHazard, -1, -1, int16(def))
	if !ok {
		return
	}
	b := bodyC.Get(e)
	b.x, b.y = s.clampToArena(x, y)
	b.radius = d.RadiusCm * mmPerCm
	z := zoneC.Get(e)
	z.def = int16(def)
	z.warn = msToTicks(d.WarnMs, s.hz)
	z.active = msToTicks(d.ActiveMs, s.hz)
	z.pulseEvery = msToTicks(d.PulseMs, s.hz)
	z.damage = d.Damage
	z.stun = msToTicks(d.StunMs, s.hz)
	z.push = d.PushCm * mmPerCm
	z.victims = victims
	s.event(Event{Kind: EventHazard, Code: HazardWarn, Seat: -1, Target: tagC.Get(e).id, Ref: int32(def)})
}
