package ecs

// Kind is what an entity is; it is field ViewKind of an EntityView.
type Kind uint8

// Entity kinds. The values are part of the snapshot protocol: never reorder.
const (
	KindNone   Kind = iota
	KindOracle      // a player's oracle
	KindPet         // an oracle's companion
	KindAdd         // a raid add (boss minion)
	KindBoss        // a raid boss
	KindTotem       // a warband totem
	KindHazard      // a hazard zone (tide pulse, tremor, venom pool)
	KindSigil       // a ritual sigil
)

// String names the kind.
func (k Kind) String() string {
	switch k {
	case KindOracle:
		return "oracle"
	case KindPet:
		return "pet"
	case KindAdd:
		return "add"
	case KindBoss:
		return "boss"
	case KindTotem:
		return "totem"
	case KindHazard:
		return "hazard"
	case KindSigil:
		return "sigil"
	}
	return "none"
}

// mortal reports whether entities of the kind have hit points.
func (k Kind) mortal() bool {
	return k == KindOracle || k == KindPet || k == KindAdd || k == KindBoss || k == KindTotem
}

// Status is a status effect.
type Status uint8

// Status effects. The values are part of the event protocol.
const (
	StatusNone   Status = iota
	StatusShield        // absorbs damage
	StatusBurn          // damage over time
	StatusStun          // cannot move, cast or channel
	StatusWard          // immune to stun and surge interruption, less hazard damage
	statusSlots
)

// String names the status as content does.
func (s Status) String() string {
	switch s {
	case StatusShield:
		return "shield"
	case StatusBurn:
		return "burn"
	case StatusStun:
		return "stun"
	case StatusWard:
		return "ward"
	}
	return "none"
}

// statusByName maps a content status name to a Status ("" is StatusNone).
func statusByName(s string) (Status, bool) {
	for st := StatusNone; st < statusSlots; st++ {
		if s == st.String() || s == "" && st == StatusNone {
			return st, true
		}
	}
	return StatusNone, false
}

// Status bits of field ViewStatus of an EntityView.
const (
	StatusBitShield     = 1 << 0
	StatusBitBurn       = 1 << 1
	StatusBitStun       = 1 << 2
	StatusBitWard       = 1 << 3
	StatusBitChanneling = 1 << 4
	StatusBitEnraged    = 1 << 5
)

// modeKind is the rule set a mode plays by.
type modeKind uint8

const (
	modeBattle modeKind = iota + 1
	modeRaid
	modeRitual
)

// String names the mode kind as content does.
func (k modeKind) String() string {
	switch k {
	case modeBattle:
		return "battle"
	case modeRaid:
		return "raid"
	case modeRitual:
		return "ritual"
	}
	return "unknown"
}

func modeKindByName(s string) (modeKind, bool) {
	for k := modeBattle; k <= modeRitual; k++ {
		if k.String() == s {
			return k, true
		}
	}
	return 0, false
}

// trigger is a codex trigger.
type trigger uint8

const (
	triggerFirstBlood trigger = iota
	triggerUltimate
	triggerShapeshift
	triggerBossKill
	triggerRitualSuccess
	triggerGesture
	triggerLastStand
	triggerCount
)

// String names the trigger as content does.
func (t trigger) String() string {
	switch t {
	case triggerFirstBlood:
		return "first_blood"
	case triggerUltimate:
		return "ultimate"
	case triggerShapeshift:
		return "shapeshift"
	case triggerBossKill:
		return "boss_kill"
	case triggerRitualSuccess:
		return "ritual_success"
	case triggerGesture:
		return "gesture"
	case triggerLastStand:
		return "last_stand"
	}
	return "unknown"
}
