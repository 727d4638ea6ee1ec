package content

import "slices"

// Bundle is one versioned set of the game's content files, parsed and
// validated: elements, archetypes, abilities, statuses, roles, forms, pets,
// totems, NPCs, hazards, arenas, raids, rituals, modes, drop tables and
// codex entries. It is immutable once loaded and safe to share read-only
// between any number of simulations and goroutines: every accessor returns
// copies, and none allocates unless the definition it returns holds a slice.
//
// Definitions are numbered by their position in their file (the list
// accessors' order). The simulation resolves ids to those numbers once
// (AbilityIndex, NPCIndex, ...) and reads definitions by number on its hot
// paths (AbilityAt, NPCAt, ...).
type Bundle struct {
	version string

	elements   []ElementDef
	archetypes []ArchetypeDef
	abilities  []AbilityDef
	statuses   []StatusDef // in statusIDs order
	roles      []RoleDef
	forms      []FormDef
	pets       []PetDef
	totems     []TotemDef
	npcs       []NPCDef
	hazards    []HazardDef
	arenas     []ArenaDef
	raids      []RaidDef
	rituals    []RitualDef
	modes      []ModeDef
	drops      []DropTableDef
	codex      []CodexDef

	// Lookups by id. They are only ever indexed, never ranged over, so no
	// behaviour depends on map order.
	elementIdx, archetypeIdx, abilityIdx, statusIdx, roleIdx, formIdx map[string]int
	petIdx, totemIdx, npcIdx, hazardIdx, modeIdx, dropIdx             map[string]int
	arenaIdx                                                          map[string]arenaRef // arenas, raids and rituals: one id space
	codexFor                                                          map[string]int      // trigger -> codex index
}

// arenaRef locates an arena id in the battle arenas, raids or rituals.
type arenaRef struct {
	kind  string // the mode kind: "battle", "raid" or "ritual"
	index int
}

// Version identifies this content: a hash of every content file. Replays
// and match records carry it; a replay is only verifiable against the same
// version.
func (b *Bundle) Version() string { return b.version }

// Elements returns the element definitions.
func (b *Bundle) Elements() []ElementDef { return slices.Clone(b.elements) }

// Archetypes returns the zodiac archetypes in content order.
func (b *Bundle) Archetypes() []ArchetypeDef {
	out := slices.Clone(b.archetypes)
	for i := range out {
		out[i] = cloneArchetype(out[i])
	}
	return out
}

// Abilities returns every ability.
func (b *Bundle) Abilities() []AbilityDef { return slices.Clone(b.abilities) }

// Statuses returns the four status definitions: shield, burn, stun, ward.
func (b *Bundle) Statuses() []StatusDef { return slices.Clone(b.statuses) }

// Roles returns the roster roles.
func (b *Bundle) Roles() []RoleDef { return slices.Clone(b.roles) }

// Forms returns the shapeshift forms.
func (b *Bundle) Forms() []FormDef { return slices.Clone(b.forms) }

// Pets returns the pets.
func (b *Bundle) Pets() []PetDef { return slices.Clone(b.pets) }

// Totems returns the warband totems.
func (b *Bundle) Totems() []TotemDef { return slices.Clone(b.totems) }

// NPCs returns the raid adds and bosses.
func (b *Bundle) NPCs() []NPCDef { return slices.Clone(b.npcs) }

// Hazards returns the hazard definitions.
func (b *Bundle) Hazards() []HazardDef { return slices.Clone(b.hazards) }

// Arenas returns the battle arenas.
func (b *Bundle) Arenas() []ArenaDef {
	out := slices.Clone(b.arenas)
	for i := range out {
		out[i] = cloneArena(out[i])
	}
	return out
}

// Raids returns the raid encounters (their ids are the raid mode's arenas).
func (b *Bundle) Raids() []RaidDef {
	out := slices.Clone(b.raids)
	for i := range out {
		out[i].Phases = slices.Clone(out[i].Phases)
	}
	return out
}

// Rituals returns the ritual chambers (their ids are the ritual mode's arenas).
func (b *Bundle) Rituals() []RitualDef {
	out := slices.Clone(b.rituals)
	for i := range out {
		out[i] = cloneRitual(out[i])
	}
	return out
}

// Modes returns the game modes.
func (b *Bundle) Modes() []ModeDef {
	out := slices.Clone(b.modes)
	for i := range out {
		out[i].Arenas = slices.Clone(out[i].Arenas)
	}
	return out
}

// DropTables returns the drop tables.
func (b *Bundle) DropTables() []DropTableDef {
	out := slices.Clone(b.drops)
	for i := range out {
		out[i].Entries = slices.Clone(out[i].Entries)
	}
	return out
}

// Codex returns the codex entries.
func (b *Bundle) Codex() []CodexDef { return slices.Clone(b.codex) }

// Mode returns one mode by id.
func (b *Bundle) Mode(id string) (ModeDef, bool) {
	i, ok := b.modeIdx[id]
	if !ok {
		return ModeDef{}, false
	}
	m := b.modes[i]
	m.Arenas = slices.Clone(m.Arenas)
	return m, true
}

// DropTable returns one drop table by id.
func (b *Bundle) DropTable(id string) (DropTableDef, bool) {
	i, ok := b.dropIdx[id]
	if !ok {
		return DropTableDef{}, false
	}
	t := b.drops[i]
	t.Entries = slices.Clone(t.Entries)
	return t, true
}

// Status returns one status by id: "shield", "burn", "stun" or "ward"
// (every Bundle defines all four).
func (b *Bundle) Status(id string) (StatusDef, bool) {
	i, ok := b.statusIdx[id]
	if !ok {
		return StatusDef{}, false
	}
	return b.statuses[i], true
}

// The index lookups: the position of a definition by id in its list
// accessor's order, for the ...At accessors.

// ElementIndex returns the number of element id.
func (b *Bundle) ElementIndex(id string) (int, bool) { return lookup(b.elementIdx, id) }

// ArchetypeIndex returns the number of archetype id.
func (b *Bundle) ArchetypeIndex(id string) (int, bool) { return lookup(b.archetypeIdx, id) }

// AbilityIndex returns the number of ability id.
func (b *Bundle) AbilityIndex(id string) (int, bool) { return lookup(b.abilityIdx, id) }

// RoleIndex returns the number of role id.
func (b *Bundle) RoleIndex(id string) (int, bool) { return lookup(b.roleIdx, id) }

// FormIndex returns the number of form id.
func (b *Bundle) FormIndex(id string) (int, bool) { return lookup(b.formIdx, id) }

// PetIndex returns the number of pet id.
func (b *Bundle) PetIndex(id string) (int, bool) { return lookup(b.petIdx, id) }

// TotemIndex returns the number of totem id.
func (b *Bundle) TotemIndex(id string) (int, bool) { return lookup(b.totemIdx, id) }

// NPCIndex returns the number of NPC id.
func (b *Bundle) NPCIndex(id string) (int, bool) { return lookup(b.npcIdx, id) }

// HazardIndex returns the number of hazard id.
func (b *Bundle) HazardIndex(id string) (int, bool) { return lookup(b.hazardIdx, id) }

// ArenaIndex returns the number of battle arena id (false for a raid or
// ritual id: arenas, raids and rituals share one id space).
func (b *Bundle) ArenaIndex(id string) (int, bool) { return b.arenaOf(id, "battle") }

// RaidIndex returns the number of raid id.
func (b *Bundle) RaidIndex(id string) (int, bool) { return b.arenaOf(id, "raid") }

// RitualIndex returns the number of ritual id.
func (b *Bundle) RitualIndex(id string) (int, bool) { return b.arenaOf(id, "ritual") }

// CodexFor returns the number of the codex entry unlocked by trigger
// (e.g. "first_blood"); false when content has none for it.
func (b *Bundle) CodexFor(trigger string) (int, bool) { return lookup(b.codexFor, trigger) }

func lookup(idx map[string]int, id string) (int, bool) {
	i, ok := idx[id]
	return i, ok
}

func (b *Bundle) arenaOf(id, kind string) (int, bool) {
	r, ok := b.arenaIdx[id]
	if !ok || r.kind != kind {
		return 0, false
	}
	return r.index, true
}

// The accessors by number. Each panics when i is out of range, like a
// slice index: numbers come from the index lookups or the list accessors.

// ElementAt returns element number i.
func (b *Bundle) ElementAt(i int) ElementDef { return b.elements[i] }

// ArchetypeAt returns archetype number i.
func (b *Bundle) ArchetypeAt(i int) ArchetypeDef { return cloneArchetype(b.archetypes[i]) }

// AbilityAt returns ability number i.
func (b *Bundle) AbilityAt(i int) AbilityDef { return b.abilities[i] }

// RoleAt returns role number i.
func (b *Bundle) RoleAt(i int) RoleDef { return b.roles[i] }

// FormAt returns form number i.
func (b *Bundle) FormAt(i int) FormDef { return b.forms[i] }

// PetAt returns pet number i.
func (b *Bundle) PetAt(i int) PetDef { return b.pets[i] }

// TotemAt returns totem number i.
func (b *Bundle) TotemAt(i int) TotemDef { return b.totems[i] }

// NPCAt returns NPC number i.
func (b *Bundle) NPCAt(i int) NPCDef { return b.npcs[i] }

// HazardAt returns hazard number i.
func (b *Bundle) HazardAt(i int) HazardDef { return b.hazards[i] }

// ArenaAt returns battle arena number i.
func (b *Bundle) ArenaAt(i int) ArenaDef { return cloneArena(b.arenas[i]) }

// RaidAt returns raid number i.
func (b *Bundle) RaidAt(i int) RaidDef {
	r := b.raids[i]
	r.Phases = slices.Clone(r.Phases)
	return r
}

// RitualAt returns ritual number i.
func (b *Bundle) RitualAt(i int) RitualDef { return cloneRitual(b.rituals[i]) }

// CodexAt returns codex entry number i.
func (b *Bundle) CodexAt(i int) CodexDef { return b.codex[i] }

func cloneArchetype(a ArchetypeDef) ArchetypeDef {
	a.Kit = slices.Clone(a.Kit)
	a.DefaultLoadout = slices.Clone(a.DefaultLoadout)
	return a
}

func cloneArena(a ArenaDef) ArenaDef {
	a.Spawns = slices.Clone(a.Spawns)
	for t := range a.Spawns {
		a.Spawns[t] = slices.Clone(a.Spawns[t])
	}
	return a
}

func cloneRitual(r RitualDef) RitualDef {
	r.Sigils = slices.Clone(r.Sigils)
	r.Sequence = slices.Clone(r.Sequence)
	return r
}
