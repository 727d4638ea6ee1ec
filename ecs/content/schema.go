package content

// This file is the schema of the content files: one exported definition type
// per kind of record, decoded from JSON with unknown fields refused.
// Distances are centimetres, durations milliseconds, rates per second and
// multipliers whole percents (100 = unchanged), so content reads the same at
// every tick rate; the simulation (ecs.New) converts them to millimetres and
// ticks.

// ElementDef is one of the four elements; it gives an archetype its base stats.
type ElementDef struct {
	ID           string `json:"id"`
	HP           int32  `json:"hp"`             // base max hit points
	Energy       int32  `json:"energy"`         // max energy
	EnergyRegenS int32  `json:"energy_regen_s"` // energy regained per second
	SpeedCmS     int32  `json:"speed_cm_s"`     // full movement speed, cm/s
	Power        int32  `json:"power"`          // damage multiplier, percent
	HealPower    int32  `json:"heal_power"`     // healing multiplier, percent
}

// ArchetypeDef is one zodiac sign: its element and the kit of abilities an
// oracle of that sign may load.
type ArchetypeDef struct {
	ID             string   `json:"id"` // zodiac sign id, e.g. "aries"
	Name           string   `json:"name"`
	Element        string   `json:"element"`
	HPPct          int32    `json:"hp_pct"`
	PowerPct       int32    `json:"power_pct"`
	SpeedPct       int32    `json:"speed_pct"`
	Kit            []string `json:"kit"`             // ability ids allowed in a loadout
	DefaultLoadout []string `json:"default_loadout"` // used when a seat's loadout is empty
}

// AbilityDef is one castable ability.
//
// Target is "enemy" (an enemy entity in range), "ally" (an allied entity in
// range, or the caster when the input names none), "self" or "point" (a
// point in range). With RadiusCm > 0 the ability hits every entity Affects
// names ("enemies" or "allies") within the radius of the target, the caster
// or the point; otherwise it hits the one target. Effects apply in the order
// damage, heal, shield, status, dash.
type AbilityDef struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Element     string `json:"element"`
	Ultimate    bool   `json:"ultimate"`
	Target      string `json:"target"`
	RangeCm     int32  `json:"range_cm"`
	RadiusCm    int32  `json:"radius_cm"`
	Affects     string `json:"affects"`
	CooldownMs  int32  `json:"cooldown_ms"`
	EnergyCost  int32  `json:"energy_cost"`
	Damage      int32  `json:"damage"`
	Heal        int32  `json:"heal"`
	Shield      int32  `json:"shield"`       // shield hit points
	ShieldMs    int32  `json:"shield_ms"`    // shield duration
	Status      string `json:"status"`       // "", "burn", "stun" or "ward"
	StatusMs    int32  `json:"status_ms"`    // status duration
	StatusPower int32  `json:"status_power"` // burn damage per pulse
	DashCm      int32  `json:"dash_cm"`      // caster moves this far toward the point
}

// StatusDef tunes one of the four status effects. Their behaviour is code:
// shield absorbs damage, burn deals damage every TickMs, stun stops moving
// and casting, ward blocks stuns and surge interruptions and reduces hazard
// damage by HazardReductionPct.
type StatusDef struct {
	ID                 string `json:"id"`
	Name               string `json:"name"`
	MaxMs              int32  `json:"max_ms"`  // longest allowed duration
	TickMs             int32  `json:"tick_ms"` // burn pulse interval
	HazardReductionPct int32  `json:"hazard_reduction_pct"`
}

// RoleDef is a roster role: Host, Friend (support ally) or Descendant
// (summoned minor), each scaling the oracle's stats.
type RoleDef struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	HPPct    int32  `json:"hp_pct"`
	PowerPct int32  `json:"power_pct"`
	HealPct  int32  `json:"heal_pct"`
	SpeedPct int32  `json:"speed_pct"`
}

// FormDef is a shapeshift form. Casting slot ecs.CastShapeshift toggles it; while
// shifted the oracle's max hp (and hp, proportionally), power, speed and
// energy regeneration are scaled by the percents.
type FormDef struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	HPPct      int32  `json:"hp_pct"`
	PowerPct   int32  `json:"power_pct"`
	SpeedPct   int32  `json:"speed_pct"`
	RegenPct   int32  `json:"regen_pct"`
	CooldownMs int32  `json:"cooldown_ms"`
	EnergyCost int32  `json:"energy_cost"`
}

// PetDef is a companion that follows its oracle and attacks enemies near it.
type PetDef struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	HP       int32  `json:"hp"`
	SpeedCmS int32  `json:"speed_cm_s"`
	Damage   int32  `json:"damage"`
	RangeCm  int32  `json:"range_cm"`
	AttackMs int32  `json:"attack_ms"`
	AggroCm  int32  `json:"aggro_cm"` // looks for enemies this close to its owner
	LeashCm  int32  `json:"leash_cm"` // returns to its owner beyond this distance
}

// TotemDef is a warband totem placed at its oracle's spawn: allies within
// RadiusCm get its aura (bonus power, speed, damage reduction, regeneration).
type TotemDef struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	HP       int32  `json:"hp"`
	RadiusCm int32  `json:"radius_cm"`
	RegenHPS int32  `json:"regen_hp_s"` // hit points healed per second
	PowerPct int32  `json:"power_pct"`  // bonus percent
	SpeedPct int32  `json:"speed_pct"`  // bonus percent
	ArmorPct int32  `json:"armor_pct"`  // damage reduction percent
}

// NPCDef is a raid add (Kind "add") or boss (Kind "boss").
type NPCDef struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Kind     string `json:"kind"`
	HP       int32  `json:"hp"`
	SpeedCmS int32  `json:"speed_cm_s"`
	RadiusCm int32  `json:"radius_cm"`
	Damage   int32  `json:"damage"`
	RangeCm  int32  `json:"range_cm"`
	AttackMs int32  `json:"attack_ms"`
	AggroCm  int32  `json:"aggro_cm"`
	CleaveCm int32  `json:"cleave_cm"` // bosses: their attack also hits this close to the target
}

// HazardDef is an environmental hazard zone: it warns for WarnMs, then is
// active for ActiveMs, hitting everything inside once on activation
// (PulseMs 0) or every PulseMs.
type HazardDef struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	RadiusCm int32  `json:"radius_cm"`
	WarnMs   int32  `json:"warn_ms"`
	ActiveMs int32  `json:"active_ms"`
	PulseMs  int32  `json:"pulse_ms"`
	Damage   int32  `json:"damage"`
	StunMs   int32  `json:"stun_ms"`
	PushCm   int32  `json:"push_cm"` // pushes victims away from the centre
}

// Point is a position in centimetres.
type Point struct {
	X int32 `json:"x"`
	Y int32 `json:"y"`
}

// ArenaDef is a battle arena: its size, spawn points per team (index 0 of
// each team first) and the environmental modifier it fires every
// HazardEveryMs at HazardCount seeded-random places.
type ArenaDef struct {
	ID            string    `json:"id"`
	Name          string    `json:"name"`
	WidthCm       int32     `json:"width_cm"`
	HeightCm      int32     `json:"height_cm"`
	Spawns        [][]Point `json:"spawns"`
	Hazard        string    `json:"hazard"`
	HazardEveryMs int32     `json:"hazard_every_ms"`
	HazardCount   int32     `json:"hazard_count"`
}

// PhaseDef is one boss phase; it starts when the boss's hp falls to
// BelowPct percent or less (the first phase has 100).
type PhaseDef struct {
	BelowPct      int32  `json:"below_pct"`
	AttackPct     int32  `json:"attack_pct"` // boss damage percent in this phase
	Adds          string `json:"adds"`       // npc id spawned in waves, or ""
	InitialAdds   int32  `json:"initial_adds"`
	AddEveryMs    int32  `json:"add_every_ms"`
	AddCount      int32  `json:"add_count"`
	Hazard        string `json:"hazard"`
	HazardEveryMs int32  `json:"hazard_every_ms"`
	HazardCount   int32  `json:"hazard_count"`
	Enrage        bool   `json:"enrage"` // entering this phase enrages the boss
}

// RaidDef is a raid encounter: the chamber, its boss, its phases and its
// enrage timer. Raiders start in rows of eight around (SpawnXCm, SpawnYCm);
// the boss at (BossXCm, BossYCm); adds appear at seeded places within
// SpawnSpreadCm of the boss, never more than AddCap alive at once. Every
// SlamMs the boss slams everything within SlamRadiusCm for SlamDamage.
type RaidDef struct {
	ID             string     `json:"id"`
	Name           string     `json:"name"`
	Boss           string     `json:"boss"`
	WidthCm        int32      `json:"width_cm"`
	HeightCm       int32      `json:"height_cm"`
	BossXCm        int32      `json:"boss_x_cm"`
	BossYCm        int32      `json:"boss_y_cm"`
	SpawnXCm       int32      `json:"spawn_x_cm"`
	SpawnYCm       int32      `json:"spawn_y_cm"`
	SpawnSpreadCm  int32      `json:"spawn_spread_cm"`
	EnrageMs       int32      `json:"enrage_ms"`
	EnragePowerPct int32      `json:"enrage_power_pct"`
	AddCap         int32      `json:"add_cap"`
	SlamMs         int32      `json:"slam_ms"`
	SlamRadiusCm   int32      `json:"slam_radius_cm"`
	SlamDamage     int32      `json:"slam_damage"`
	Phases         []PhaseDef `json:"phases"`
}

// SigilDef is one sigil of a ritual chamber and the gesture it answers to.
type SigilDef struct {
	X       int32 `json:"x"`
	Y       int32 `json:"y"`
	Gesture uint8 `json:"gesture"`
}

// RitualDef is a ritual chamber. Players channel at the sigil the Sequence
// names next; each sigil needs SigilProgress progress. Channelers at the wrong sigil
// drain DiscordPerS from the current one. Void surges come every
// SurgeMinMs..SurgeMaxMs (seeded), announced SurgeWarnMs ahead.
type RitualDef struct {
	ID                string     `json:"id"`
	Name              string     `json:"name"`
	WidthCm           int32      `json:"width_cm"`
	HeightCm          int32      `json:"height_cm"`
	SpawnXCm          int32      `json:"spawn_x_cm"`
	SpawnYCm          int32      `json:"spawn_y_cm"`
	SigilRadiusCm     int32      `json:"sigil_radius_cm"`
	Sigils            []SigilDef `json:"sigils"`
	Sequence          []int32    `json:"sequence"`
	ProgressPerS      int32      `json:"progress_per_s"` // per channeler
	GestureBonus      int32      `json:"gesture_bonus"`
	GestureCooldownMs int32      `json:"gesture_cooldown_ms"`
	DiscordPerS       int32      `json:"discord_per_s"`
	SurgeMinMs        int32      `json:"surge_min_ms"`
	SurgeMaxMs        int32      `json:"surge_max_ms"`
	SurgeWarnMs       int32      `json:"surge_warn_ms"`
	SurgeDamage       int32      `json:"surge_damage"`
	SurgeDrain        int32      `json:"surge_drain"`      // progress lost per interrupted channeler
	SurgeLockoutMs    int32      `json:"surge_lockout_ms"` // an interrupted oracle cannot channel this long
}

// ModeDrops names the drop table each seat draws from by its result.
type ModeDrops struct {
	Win  string `json:"win"`
	Loss string `json:"loss"`
	Draw string `json:"draw"`
}

// ModeDef is a game mode: its kind ("battle", "raid" or "ritual"), seat
// rules, tick rate, time limit and arenas (the first is the default).
type ModeDef struct {
	ID         string    `json:"id"`
	Name       string    `json:"name"`
	Kind       string    `json:"kind"`
	Teams      int32     `json:"teams"`     // battle: 2
	TeamSize   int32     `json:"team_size"` // battle: seats per team
	MinPlayers int32     `json:"min_players"`
	MaxPlayers int32     `json:"max_players"`
	TickHz     int32     `json:"tick_hz"` // 20..60
	DurationMs int32     `json:"duration_ms"`
	Arenas     []string  `json:"arenas"`
	Drops      ModeDrops `json:"drops"`
}

// DropDef is one weighted entry of a drop table: a currency amount drawn
// uniformly in [Min, Max], or an item.
type DropDef struct {
	Weight   int32  `json:"weight"`
	Currency string `json:"currency"`
	Min      int32  `json:"min"`
	Max      int32  `json:"max"`
	Item     string `json:"item"`
}

// DropTableDef is a drop table: Rolls weighted draws per seat.
type DropTableDef struct {
	ID      string    `json:"id"`
	Rolls   int32     `json:"rolls"`
	Entries []DropDef `json:"entries"`
}

// CodexDef is a codex entry unlocked when its trigger happens in a match:
// "first_blood", "ultimate", "shapeshift", "boss_kill", "ritual_success",
// "gesture" or "last_stand".
type CodexDef struct {
	ID      string `json:"id"`
	Title   string `json:"title"`
	Trigger string `json:"trigger"`
}

// The file layouts: one top-level key holding a list.
type (
	elementsFile struct {
		Elements []ElementDef `json:"elements"`
	}
	archetypesFile struct {
		Archetypes []ArchetypeDef `json:"archetypes"`
	}
	abilitiesFile struct {
		Abilities []AbilityDef `json:"abilities"`
	}
	statusesFile struct {
		Statuses []StatusDef `json:"statuses"`
	}
	rolesFile struct {
		Roles []RoleDef `json:"roles"`
	}
	formsFile struct {
		Forms []FormDef `json:"forms"`
	}
	petsFile struct {
		Pets []PetDef `json:"pets"`
	}
	totemsFile struct {
		Totems []TotemDef `json:"totems"`
	}
	npcsFile struct {
		NPCs []NPCDef `json:"npcs"`
	}
	hazardsFile struct {
		Hazards []HazardDef `json:"hazards"`
	}
	arenasFile struct {
		Arenas []ArenaDef `json:"arenas"`
	}
	raidsFile struct {
		Raids []RaidDef `json:"raids"`
	}
	ritualsFile struct {
		Rituals []RitualDef `json:"rituals"`
	}
	modesFile struct {
		Modes []ModeDef `json:"modes"`
	}
	dropsFile struct {
		Tables []DropTableDef `json:"tables"`
	}
	codexFile struct {
		Entries []CodexDef `json:"entries"`
	}
)
