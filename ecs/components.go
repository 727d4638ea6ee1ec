package ecs

import (
	"github.com/pantheon-oracles/pantheon/ecs/content"
	"github.com/yohamta/donburi"
	"github.com/yohamta/donburi/filter"
)

// The component types. Every field is a fixed-size integer or a bool: no
// floats, pointers, maps or slices, so the whole state hashes and copies
// trivially.

// tag identifies an entity. Every entity has one.
type tag struct {
	id      uint32 // stable id: generation<<slotBits | slot, never reused in a match
	slot    int32  // index in Sim.slots
	kind    Kind
	team    int8  // 0 or 1, -1 neutral
	seat    int8  // owner seat, -1 none
	content int16 // index in the content table of the kind (archetype, pet, npc, totem, hazard, sigil)
	active  bool  // false while the slot waits in the pool
}

// body is a position in the arena.
type body struct {
	x, y   int32 // millimetres
	facing uint8 // 1/256 turn, 0 along +x
	radius int32 // millimetres
	speed  int32 // millimetres per tick at full input
}

// vitals are the hit points, energy and combat multipliers of anything
// that can be hurt.
type vitals struct {
	hp, maxHP         int32
	energy, maxEnergy int32 // milli-energy
	regen             int32 // milli-energy per tick
	power             int32 // damage percent
	heal              int32 // healing percent
	// Totem aura bonuses, recomputed every tick.
	auraPower, auraSpeed, auraArmor, auraRegen int32
}

// effects are the status effects on an entity.
type effects struct {
	shieldHP, shieldTicks int32
	burnTicks, burnPower  int32
	burnNext              int32
	burnBy                uint32
	burnSeat              int8
	stunTicks, wardTicks  int32
	enraged               bool
	channeling            bool
}

// caster is an oracle's ability state.
type caster struct {
	seatIdx   int8                  // index in Sim.seats
	slots     [MaxLoadout]int16     // ability index per slot, -1 empty
	cooldown  [MaxLoadout + 1]int32 // ticks left per slot; the last is the form
	form      int16                 // form index, -1 none
	shifted   bool                  // in form
	element   int16                 // element index
	role      int16                 // role index
	baseHP    int32                 // max hp out of form
	basePower int32                 // power out of form
	baseSpeed int32                 // mm per tick out of form
	baseRegen int32                 // milli-energy per tick out of form
	lockout   int32                 // ritual: ticks before channelling is possible again
	gestureCD int32                 // ritual: ticks before the next gesture counts
	sigil     int16                 // ritual: sigil index channelled at, -1 none
}

// brain drives a pet, add or boss.
type brain struct {
	def         int16  // pet or npc index
	target      uint32 // entity id, 0 none
	attackCD    int32  // ticks until the next attack
	retarget    int32  // ticks until the next target search
	owner       int32  // pets: the owner oracle's slot, else -1
	damage      int32
	rangeMM     int32
	aggroMM     int32
	leashMM     int32
	attackTicks int32
	cleaveMM    int32
	slamCD      int32 // bosses: ticks until the next slam
}

// zone is a hazard zone's life cycle.
type zone struct {
	def        int16
	warn       int32 // ticks of warning left
	active     int32 // ticks of activity left
	pulseEvery int32 // 0: one strike on activation
	pulseIn    int32
	damage     int32
	stun       int32 // ticks
	push       int32 // mm
	hits       int32 // entities hit so far
	victims    int8  // team it hurts, -1 both
	armed      bool  // the warning is over
}

// sigil is a ritual sigil.
type sigil struct {
	index    int8
	gesture  uint8
	progress int32 // 0..sigilComplete*1000 (milli-progress)
	done     bool
}

// aura is a totem's buff.
type aura struct {
	def    int16
	radius int32 // mm
	regen  int32 // hp per second
	power  int32 // percent bonus
	speed  int32 // percent bonus
	armor  int32 // percent damage reduction
}

// sigilComplete is the progress a sigil needs, in the units players see.
const sigilComplete = content.SigilProgress

// Component types, registered with donburi once at package initialisation
// and read-only afterwards (donburi needs package-level descriptors; each
// one's built-in query is never used, since it is shared between worlds).
var (
	tagC     = donburi.NewComponentType[tag]()
	bodyC    = donburi.NewComponentType[body]()
	vitalsC  = donburi.NewComponentType[vitals]()
	effectsC = donburi.NewComponentType[effects]()
	casterC  = donburi.NewComponentType[caster]()
	brainC   = donburi.NewComponentType[brain]()
	zoneC    = donburi.NewComponentType[zone]()
	sigilC   = donburi.NewComponentType[sigil]()
	auraC    = donburi.NewComponentType[aura]()
)

// layout is the set of components an entity is created with; entities are
// pooled per layout and never change layout.
type layout uint8

const (
	layoutOracle layout = iota // oracles
	layoutBrain                // pets, adds, bosses
	layoutTotem                // totems
	layoutZone                 // hazards
	layoutSigil                // sigils
	layoutCount
)

// components returns the donburi component types of a layout.
func (l layout) components() []donburi.IComponentType {
	switch l {
	case layoutOracle:
		return []donburi.IComponentType{tagC, bodyC, vitalsC, effectsC, casterC}
	case layoutBrain:
		return []donburi.IComponentType{tagC, bodyC, vitalsC, effectsC, brainC}
	case layoutTotem:
		return []donburi.IComponentType{tagC, bodyC, vitalsC, effectsC, auraC}
	case layoutZone:
		return []donburi.IComponentType{tagC, bodyC, zoneC}
	default:
		return []donburi.IComponentType{tagC, bodyC, sigilC}
	}
}

// queries are one Sim's donburi queries. They are built per Sim and never
// shared: a donburi.Query caches per-world results in an unguarded map.
type queries struct {
	casters *donburi.Query
	brains  *donburi.Query
	totems  *donburi.Query
	zones   *donburi.Query
	sigils  *donburi.Query
	mortal  *donburi.Query // everything with vitals
}

func newQueries() queries {
	return queries{
		casters: donburi.NewQuery(filter.Contains(casterC)),
		brains:  donburi.NewQuery(filter.Contains(brainC)),
		totems:  donburi.NewQuery(filter.Contains(auraC)),
		zones:   donburi.NewQuery(filter.Contains(zoneC)),
		sigils:  donburi.NewQuery(filter.Contains(sigilC)),
		mortal:  donburi.NewQuery(filter.Contains(vitalsC, effectsC)),
	}
}
