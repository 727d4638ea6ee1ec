package content

import (
	"fmt"
	"slices"
)

// Content limits the validator enforces (beyond "positive where it must be").
const (
	minArenaCm     = 500
	maxArenaCm     = 20000 // 200 m: squared distances in mm stay far inside int64
	maxPct         = 1000
	maxHP          = 10_000_000
	maxAddCap      = 1000
	maxHazardCount = 16
	maxMs          = 3_600_000 // one hour
	maxRolls       = 10
)

// checker collects problems.
type checker struct {
	problems []Problem
}

// at scopes problems to one record of one file.
type at struct {
	k      *checker
	file   string
	prefix string
}

func (k *checker) record(file, list string, i int, id string) at {
	name := fmt.Sprintf("%s[%d]", list, i)
	if id != "" {
		name = fmt.Sprintf("%s[%s]", list, id)
	}
	return at{k: k, file: file, prefix: name}
}

func (a at) bad(field, format string, args ...any) {
	f := a.prefix
	if field != "" {
		f += "." + field
	}
	a.k.problems = append(a.k.problems, Problem{File: a.file, Field: f, Message: fmt.Sprintf(format, args...)})
}

func (a at) between(field string, v, lo, hi int32) {
	if v < lo || v > hi {
		a.bad(field, "must be between %d and %d (got %d)", lo, hi, v)
	}
}

func (a at) positive(field string, v, hi int32) { a.between(field, v, 1, hi) }

func (a at) nonNegative(field string, v, hi int32) { a.between(field, v, 0, hi) }

func (a at) pct(field string, v int32) { a.between(field, v, 1, maxPct) }

// validID reports whether id is a non-empty lower-case snake_case word.
func validID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, r := range id {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '_' {
			return false
		}
	}
	return true
}

// index builds an id -> position lookup, reporting bad and duplicate ids.
func index[T any](k *checker, file, list string, items []T, id func(T) string) map[string]int {
	m := make(map[string]int, len(items))
	for i, it := range items {
		s := id(it)
		a := k.record(file, list, i, s)
		if !validID(s) {
			a.bad("id", "must be 1-64 characters of a-z, 0-9 and _ (got %q)", s)
			continue
		}
		if _, dup := m[s]; dup {
			a.bad("id", "duplicate id %q", s)
			continue
		}
		m[s] = i
	}
	return m
}

// check validates the decoded files and fills the derived lookups.
func (b *Bundle) check(k *checker, statuses []StatusDef) {
	b.elementIdx = index(k, "elements.json", "elements", b.elements, func(d ElementDef) string { return d.ID })
	b.archetypeIdx = index(k, "archetypes.json", "archetypes", b.archetypes, func(d ArchetypeDef) string { return d.ID })
	b.abilityIdx = index(k, "abilities.json", "abilities", b.abilities, func(d AbilityDef) string { return d.ID })
	statusIdx := index(k, "statuses.json", "statuses", statuses, func(d StatusDef) string { return d.ID })
	b.roleIdx = index(k, "roles.json", "roles", b.roles, func(d RoleDef) string { return d.ID })
	b.formIdx = index(k, "forms.json", "forms", b.forms, func(d FormDef) string { return d.ID })
	b.petIdx = index(k, "pets.json", "pets", b.pets, func(d PetDef) string { return d.ID })
	b.totemIdx = index(k, "totems.json", "totems", b.totems, func(d TotemDef) string { return d.ID })
	b.npcIdx = index(k, "npcs.json", "npcs", b.npcs, func(d NPCDef) string { return d.ID })
	b.hazardIdx = index(k, "hazards.json", "hazards", b.hazards, func(d HazardDef) string { return d.ID })
	b.modeIdx = index(k, "modes.json", "modes", b.modes, func(d ModeDef) string { return d.ID })
	b.dropIdx = index(k, "drops.json", "tables", b.drops, func(d DropTableDef) string { return d.ID })
	index(k, "codex.json", "entries", b.codex, func(d CodexDef) string { return d.ID })
	b.indexArenas(k)

	b.checkElements(k)
	b.checkAbilities(k)
	b.checkArchetypes(k)
	b.checkStatuses(k, statuses, statusIdx)
	b.checkRoles(k)
	b.checkCompanions(k)
	b.checkNPCs(k)
	b.checkArenas(k)
	b.checkRaids(k)
	b.checkRituals(k)
	b.checkModes(k)
	b.checkDrops(k)
	b.checkCodex(k)
}

// indexArenas indexes battle arenas, raids and rituals in one id space.
func (b *Bundle) indexArenas(k *checker) {
	b.arenaIdx = make(map[string]arenaRef)
	add := func(file, list string, kind string, i int, id string) {
		a := k.record(file, list, i, id)
		if !validID(id) {
			a.bad("id", "must be 1-64 characters of a-z, 0-9 and _ (got %q)", id)
			return
		}
		if _, dup := b.arenaIdx[id]; dup {
			a.bad("id", "arena id %q is used twice (arenas, raids and rituals share one id space)", id)
			return
		}
		b.arenaIdx[id] = arenaRef{kind: kind, index: i}
	}
	for i, d := range b.arenas {
		add("arenas.json", "arenas", "battle", i, d.ID)
	}
	for i, d := range b.raids {
		add("raids.json", "raids", "raid", i, d.ID)
	}
	for i, d := range b.rituals {
		add("rituals.json", "rituals", "ritual", i, d.ID)
	}
}

func (b *Bundle) checkElements(k *checker) {
	if len(b.elements) == 0 {
		k.record("elements.json", "elements", 0, "").bad("", "at least one element is required")
	}
	for i, e := range b.elements {
		a := k.record("elements.json", "elements", i, e.ID)
		a.positive("hp", e.HP, maxHP)
		a.positive("energy", e.Energy, 10000)
		a.nonNegative("energy_regen_s", e.EnergyRegenS, 10000)
		a.positive("speed_cm_s", e.SpeedCmS, 5000)
		a.pct("power", e.Power)
		a.pct("heal_power", e.HealPower)
	}
}

func (b *Bundle) checkAbilities(k *checker) {
	perElement := make([][2]int, len(b.elements)) // [regular, ultimate]
	for i, d := range b.abilities {
		a := k.record("abilities.json", "abilities", i, d.ID)
		el, ok := b.elementIdx[d.Element]
		if !ok {
			a.bad("element", "unknown element %q", d.Element)
		} else if d.Ultimate {
			perElement[el][1]++
		} else {
			perElement[el][0]++
		}
		if !slices.Contains([]string{"enemy", "ally", "self", "point"}, d.Target) {
			a.bad("target", "must be enemy, ally, self or point (got %q)", d.Target)
		}
		if d.Target != "self" {
			a.positive("range_cm", d.RangeCm, maxArenaCm)
		}
		a.nonNegative("radius_cm", d.RadiusCm, maxArenaCm)
		if d.RadiusCm > 0 && d.Affects != "enemies" && d.Affects != "allies" {
			a.bad("affects", "an area ability must affect enemies or allies (got %q)", d.Affects)
		}
		if d.RadiusCm == 0 && d.Affects != "" {
			a.bad("affects", "only area abilities (radius_cm > 0) take affects")
		}
		a.positive("cooldown_ms", d.CooldownMs, maxMs)
		a.nonNegative("energy_cost", d.EnergyCost, 10000)
		a.nonNegative("damage", d.Damage, 100000)
		a.nonNegative("heal", d.Heal, 100000)
		a.nonNegative("shield", d.Shield, 100000)
		a.nonNegative("dash_cm", d.DashCm, maxArenaCm)
		if d.Shield > 0 {
			a.positive("shield_ms", d.ShieldMs, maxMs)
		}
		switch d.Status {
		case "":
		case "burn", "stun", "ward":
			a.positive("status_ms", d.StatusMs, maxMs)
			if d.Status == "burn" {
				a.positive("status_power", d.StatusPower, 100000)
			}
		default:
			a.bad("status", "must be \"\", burn, stun or ward (got %q)", d.Status)
		}
		if d.Damage == 0 && d.Heal == 0 && d.Shield == 0 && d.Status == "" && d.DashCm == 0 {
			a.bad("", "has no effect (set damage, heal, shield, status or dash_cm)")
		}
		if d.DashCm > 0 && d.Target != "point" {
			a.bad("dash_cm", "a dash needs target \"point\"")
		}
		if d.Target == "enemy" && (d.Heal > 0 || d.Shield > 0) {
			a.bad("target", "an enemy-target ability cannot heal or shield")
		}
		if d.RadiusCm > 0 && d.Affects == "enemies" && (d.Heal > 0 || d.Shield > 0 || d.Status == "ward") {
			a.bad("affects", "an ability affecting enemies cannot heal, shield or ward")
		}
		if (d.Target == "ally" || d.Target == "self" && d.RadiusCm == 0 || d.Affects == "allies") && (d.Damage > 0 || d.Status == "burn" || d.Status == "stun") {
			a.bad("target", "an ability on allies cannot damage, burn or stun")
		}
	}
	for i, e := range b.elements {
		if perElement[i][0] < 3 || perElement[i][1] < 1 {
			k.record("abilities.json", "elements", i, e.ID).bad("", "element needs at least 3 abilities and 1 ultimate (has %d and %d)", perElement[i][0], perElement[i][1])
		}
	}
}

func (b *Bundle) checkArchetypes(k *checker) {
	for _, z := range zodiac() {
		if _, ok := b.archetypeIdx[z]; !ok {
			k.problems = append(k.problems, Problem{File: "archetypes.json", Field: "archetypes", Message: fmt.Sprintf("zodiac sign %q is missing", z)})
		}
	}
	for i, d := range b.archetypes {
		var kit, defaults []int // ability indices
		a := k.record("archetypes.json", "archetypes", i, d.ID)
		if !slices.Contains(zodiac(), d.ID) {
			a.bad("id", "archetypes are zodiac signs (got %q)", d.ID)
		}
		if _, ok := b.elementIdx[d.Element]; !ok {
			a.bad("element", "unknown element %q", d.Element)
		}
		a.pct("hp_pct", d.HPPct)
		a.pct("power_pct", d.PowerPct)
		a.pct("speed_pct", d.SpeedPct)
		if len(d.Kit) == 0 {
			a.bad("kit", "must list at least one ability")
		}
		for j, id := range d.Kit {
			ab, ok := b.abilityIdx[id]
			if !ok {
				a.bad(fmt.Sprintf("kit[%d]", j), "unknown ability %q", id)
				continue
			}
			if slices.Contains(kit, ab) {
				a.bad(fmt.Sprintf("kit[%d]", j), "ability %q listed twice", id)
				continue
			}
			kit = append(kit, ab)
		}
		if len(d.DefaultLoadout) == 0 || len(d.DefaultLoadout) > MaxLoadout {
			a.bad("default_loadout", "must list 1 to %d abilities (got %d)", MaxLoadout, len(d.DefaultLoadout))
		}
		ultimates := 0
		for j, id := range d.DefaultLoadout {
			ab, ok := b.abilityIdx[id]
			switch {
			case !ok:
				a.bad(fmt.Sprintf("default_loadout[%d]", j), "unknown ability %q", id)
				continue
			case !slices.Contains(kit, ab):
				a.bad(fmt.Sprintf("default_loadout[%d]", j), "ability %q is not in the kit", id)
				continue
			case slices.Contains(defaults, ab):
				a.bad(fmt.Sprintf("default_loadout[%d]", j), "ability %q listed twice", id)
				continue
			}
			if b.abilities[ab].Ultimate {
				ultimates++
			}
			defaults = append(defaults, ab)
		}
		if ultimates > 1 {
			a.bad("default_loadout", "at most one ultimate (got %d)", ultimates)
		}
	}
}

func (b *Bundle) checkStatuses(k *checker, statuses []StatusDef, idx map[string]int) {
	b.statusIdx = make(map[string]int, len(statusIDs()))
	for _, id := range statusIDs() {
		i, ok := idx[id]
		if !ok {
			k.problems = append(k.problems, Problem{File: "statuses.json", Field: "statuses", Message: fmt.Sprintf("status %q is missing", id)})
			continue
		}
		b.statusIdx[id] = len(b.statuses)
		b.statuses = append(b.statuses, statuses[i])
	}
	for i, d := range statuses {
		a := k.record("statuses.json", "statuses", i, d.ID)
		if !slices.Contains(statusIDs(), d.ID) {
			a.bad("id", "statuses are shield, burn, stun and ward (got %q)", d.ID)
		}
		a.positive("max_ms", d.MaxMs, maxMs)
		if d.ID == "burn" {
			a.positive("tick_ms", d.TickMs, maxMs)
		}
		a.between("hazard_reduction_pct", d.HazardReductionPct, 0, 100)
	}
	shield, _ := b.Status("shield")
	for i, d := range b.abilities {
		if s, ok := b.Status(d.Status); ok {
			if d.StatusMs > s.MaxMs && s.MaxMs > 0 {
				k.record("abilities.json", "abilities", i, d.ID).bad("status_ms", "exceeds the %s maximum of %d ms", d.Status, s.MaxMs)
			}
		}
		if d.Shield > 0 && shield.MaxMs > 0 && d.ShieldMs > shield.MaxMs {
			k.record("abilities.json", "abilities", i, d.ID).bad("shield_ms", "exceeds the shield maximum of %d ms", shield.MaxMs)
		}
	}
}

func (b *Bundle) checkRoles(k *checker) {
	for _, r := range roleIDs() {
		if _, ok := b.roleIdx[r]; !ok {
			k.problems = append(k.problems, Problem{File: "roles.json", Field: "roles", Message: fmt.Sprintf("role %q is missing", r)})
		}
	}
	for i, d := range b.roles {
		a := k.record("roles.json", "roles", i, d.ID)
		if !slices.Contains(roleIDs(), d.ID) {
			a.bad("id", "roles are host, friend and descendant (got %q)", d.ID)
		}
		a.pct("hp_pct", d.HPPct)
		a.pct("power_pct", d.PowerPct)
		a.pct("heal_pct", d.HealPct)
		a.pct("speed_pct", d.SpeedPct)
	}
}

func (b *Bundle) checkCompanions(k *checker) {
	for i, d := range b.forms {
		a := k.record("forms.json", "forms", i, d.ID)
		a.pct("hp_pct", d.HPPct)
		a.pct("power_pct", d.PowerPct)
		a.pct("speed_pct", d.SpeedPct)
		a.pct("regen_pct", d.RegenPct)
		a.positive("cooldown_ms", d.CooldownMs, maxMs)
		a.nonNegative("energy_cost", d.EnergyCost, 10000)
	}
	for i, d := range b.pets {
		a := k.record("pets.json", "pets", i, d.ID)
		a.positive("hp", d.HP, maxHP)
		a.positive("speed_cm_s", d.SpeedCmS, 5000)
		a.positive("damage", d.Damage, 100000)
		a.positive("range_cm", d.RangeCm, maxArenaCm)
		a.positive("attack_ms", d.AttackMs, maxMs)
		a.positive("aggro_cm", d.AggroCm, maxArenaCm)
		a.positive("leash_cm", d.LeashCm, maxArenaCm)
	}
	for i, d := range b.totems {
		a := k.record("totems.json", "totems", i, d.ID)
		a.positive("hp", d.HP, maxHP)
		a.positive("radius_cm", d.RadiusCm, maxArenaCm)
		a.nonNegative("regen_hp_s", d.RegenHPS, 100000)
		a.nonNegative("power_pct", d.PowerPct, maxPct)
		a.nonNegative("speed_pct", d.SpeedPct, maxPct)
		a.between("armor_pct", d.ArmorPct, 0, 90)
		if d.RegenHPS == 0 && d.PowerPct == 0 && d.SpeedPct == 0 && d.ArmorPct == 0 {
			a.bad("", "has no aura (set regen_hp_s, power_pct, speed_pct or armor_pct)")
		}
	}
}

func (b *Bundle) checkNPCs(k *checker) {
	for i, d := range b.npcs {
		a := k.record("npcs.json", "npcs", i, d.ID)
		if d.Kind != "add" && d.Kind != "boss" {
			a.bad("kind", "must be add or boss (got %q)", d.Kind)
		}
		a.positive("hp", d.HP, maxHP)
		a.positive("speed_cm_s", d.SpeedCmS, 5000)
		a.positive("radius_cm", d.RadiusCm, 2000)
		a.positive("damage", d.Damage, 100000)
		a.positive("range_cm", d.RangeCm, maxArenaCm)
		a.positive("attack_ms", d.AttackMs, maxMs)
		a.positive("aggro_cm", d.AggroCm, maxArenaCm)
		a.nonNegative("cleave_cm", d.CleaveCm, maxArenaCm)
	}
	for i, d := range b.hazards {
		a := k.record("hazards.json", "hazards", i, d.ID)
		a.positive("radius_cm", d.RadiusCm, maxArenaCm)
		a.nonNegative("warn_ms", d.WarnMs, maxMs)
		a.positive("active_ms", d.ActiveMs, maxMs)
		a.nonNegative("pulse_ms", d.PulseMs, maxMs)
		a.nonNegative("damage", d.Damage, 100000)
		a.nonNegative("stun_ms", d.StunMs, maxMs)
		a.nonNegative("push_cm", d.PushCm, maxArenaCm)
		if d.Damage == 0 && d.StunMs == 0 && d.PushCm == 0 {
			a.bad("", "has no effect (set damage, stun_ms or push_cm)")
		}
	}
}

// checkHazardRef validates a hazard reference with its period and count.
func (b *Bundle) checkHazardRef(a at, hazard string, everyMs, count int32) {
	if hazard == "" {
		if everyMs != 0 || count != 0 {
			a.bad("hazard", "hazard_every_ms and hazard_count need a hazard")
		}
		return
	}
	if _, ok := b.hazardIdx[hazard]; !ok {
		a.bad("hazard", "unknown hazard %q", hazard)
	}
	a.positive("hazard_every_ms", everyMs, maxMs)
	a.positive("hazard_count", count, maxHazardCount)
}

func inside(p Point, w, h int32) bool { return p.X >= 0 && p.Y >= 0 && p.X <= w && p.Y <= h }

func (b *Bundle) checkArenas(k *checker) {
	maxTeam := int32(0)
	for _, m := range b.modes {
		if m.Kind == "battle" {
			maxTeam = max(maxTeam, m.TeamSize)
		}
	}
	for i, d := range b.arenas {
		a := k.record("arenas.json", "arenas", i, d.ID)
		a.between("width_cm", d.WidthCm, minArenaCm, maxArenaCm)
		a.between("height_cm", d.HeightCm, minArenaCm, maxArenaCm)
		if len(d.Spawns) != 2 {
			a.bad("spawns", "needs spawn points for exactly 2 teams (got %d)", len(d.Spawns))
		}
		for t, team := range d.Spawns {
			if int32(len(team)) < maxTeam {
				a.bad(fmt.Sprintf("spawns[%d]", t), "has %d points; the largest battle team needs %d", len(team), maxTeam)
			}
			for j, p := range team {
				if !inside(p, d.WidthCm, d.HeightCm) {
					a.bad(fmt.Sprintf("spawns[%d][%d]", t, j), "point (%d, %d) is outside the arena", p.X, p.Y)
				}
			}
		}
		b.checkHazardRef(a, d.Hazard, d.HazardEveryMs, d.HazardCount)
	}
}

func (b *Bundle) checkRaids(k *checker) {
	for i, d := range b.raids {
		a := k.record("raids.json", "raids", i, d.ID)
		if n, ok := b.npcIdx[d.Boss]; !ok {
			a.bad("boss", "unknown npc %q", d.Boss)
		} else if b.npcs[n].Kind != "boss" {
			a.bad("boss", "npc %q is not a boss", d.Boss)
		}
		a.between("width_cm", d.WidthCm, minArenaCm, maxArenaCm)
		a.between("height_cm", d.HeightCm, minArenaCm, maxArenaCm)
		if !inside(Point{d.BossXCm, d.BossYCm}, d.WidthCm, d.HeightCm) {
			a.bad("boss_x_cm", "boss position is outside the arena")
		}
		if !inside(Point{d.SpawnXCm, d.SpawnYCm}, d.WidthCm, d.HeightCm) {
			a.bad("spawn_x_cm", "spawn position is outside the arena")
		}
		a.nonNegative("spawn_spread_cm", d.SpawnSpreadCm, maxArenaCm)
		a.positive("enrage_ms", d.EnrageMs, maxMs)
		a.pct("enrage_power_pct", d.EnragePowerPct)
		a.nonNegative("add_cap", d.AddCap, maxAddCap)
		a.positive("slam_ms", d.SlamMs, maxMs)
		a.positive("slam_radius_cm", d.SlamRadiusCm, maxArenaCm)
		a.nonNegative("slam_damage", d.SlamDamage, 100000)
		if len(d.Phases) < 3 {
			a.bad("phases", "a raid boss needs at least 3 phases (got %d)", len(d.Phases))
		}
		prev := int32(101)
		for j, p := range d.Phases {
			pa := at{k: k, file: a.file, prefix: fmt.Sprintf("%s.phases[%d]", a.prefix, j)}
			if j == 0 && p.BelowPct != 100 {
				pa.bad("below_pct", "the first phase starts at 100 (got %d)", p.BelowPct)
			}
			if p.BelowPct >= prev || p.BelowPct < 1 {
				pa.bad("below_pct", "thresholds must fall strictly, between 100 and 1 (got %d after %d)", p.BelowPct, prev)
			}
			prev = p.BelowPct
			pa.pct("attack_pct", p.AttackPct)
			if p.Adds == "" {
				if p.AddEveryMs != 0 || p.AddCount != 0 || p.InitialAdds != 0 {
					pa.bad("adds", "add_every_ms, add_count and initial_adds need adds")
				}
			} else {
				if n, ok := b.npcIdx[p.Adds]; !ok {
					pa.bad("adds", "unknown npc %q", p.Adds)
				} else if b.npcs[n].Kind != "add" {
					pa.bad("adds", "npc %q is not an add", p.Adds)
				}
				pa.positive("add_every_ms", p.AddEveryMs, maxMs)
				pa.positive("add_count", p.AddCount, maxAddCap)
				pa.nonNegative("initial_adds", p.InitialAdds, maxAddCap)
				if p.InitialAdds > d.AddCap || p.AddCount > d.AddCap {
					pa.bad("initial_adds", "initial_adds and add_count cannot exceed the raid's add_cap %d", d.AddCap)
				}
			}
			b.checkHazardRef(pa, p.Hazard, p.HazardEveryMs, p.HazardCount)
		}
	}
}

func (b *Bundle) checkRituals(k *checker) {
	for i, d := range b.rituals {
		a := k.record("rituals.json", "rituals", i, d.ID)
		a.between("width_cm", d.WidthCm, minArenaCm, maxArenaCm)
		a.between("height_cm", d.HeightCm, minArenaCm, maxArenaCm)
		if !inside(Point{d.SpawnXCm, d.SpawnYCm}, d.WidthCm, d.HeightCm) {
			a.bad("spawn_x_cm", "spawn position is outside the chamber")
		}
		a.positive("sigil_radius_cm", d.SigilRadiusCm, maxArenaCm)
		if len(d.Sigils) < 2 || len(d.Sigils) > 16 {
			a.bad("sigils", "needs 2 to 16 sigils (got %d)", len(d.Sigils))
		}
		for j, s := range d.Sigils {
			if !inside(Point{s.X, s.Y}, d.WidthCm, d.HeightCm) {
				a.bad(fmt.Sprintf("sigils[%d]", j), "point (%d, %d) is outside the chamber", s.X, s.Y)
			}
			if s.Gesture < 1 || s.Gesture > MaxGesture {
				a.bad(fmt.Sprintf("sigils[%d].gesture", j), "must be between 1 and %d (got %d)", MaxGesture, s.Gesture)
			}
		}
		if len(d.Sequence) == 0 || len(d.Sequence) > 64 {
			a.bad("sequence", "needs 1 to 64 steps (got %d)", len(d.Sequence))
		}
		for j, s := range d.Sequence {
			if s < 0 || int(s) >= len(d.Sigils) {
				a.bad(fmt.Sprintf("sequence[%d]", j), "sigil %d does not exist (have %d)", s, len(d.Sigils))
			}
		}
		a.positive("progress_per_s", d.ProgressPerS, SigilProgress)
		a.nonNegative("gesture_bonus", d.GestureBonus, SigilProgress)
		a.positive("gesture_cooldown_ms", d.GestureCooldownMs, maxMs)
		a.nonNegative("discord_per_s", d.DiscordPerS, SigilProgress)
		a.positive("surge_min_ms", d.SurgeMinMs, maxMs)
		a.between("surge_max_ms", d.SurgeMaxMs, d.SurgeMinMs, maxMs)
		a.between("surge_warn_ms", d.SurgeWarnMs, 0, d.SurgeMinMs)
		a.nonNegative("surge_damage", d.SurgeDamage, 100000)
		a.nonNegative("surge_drain", d.SurgeDrain, SigilProgress)
		a.nonNegative("surge_lockout_ms", d.SurgeLockoutMs, maxMs)
	}
}

func (b *Bundle) checkModes(k *checker) {
	for _, id := range requiredModes() {
		if _, ok := b.modeIdx[id]; !ok {
			k.problems = append(k.problems, Problem{File: "modes.json", Field: "modes", Message: fmt.Sprintf("mode %q is missing", id)})
		}
	}
	for i, d := range b.modes {
		a := k.record("modes.json", "modes", i, d.ID)
		kind := d.Kind
		if !slices.Contains(modeKinds(), kind) {
			a.bad("kind", "must be battle, raid or ritual (got %q)", d.Kind)
		}
		a.between("tick_hz", d.TickHz, MinTickRate, MaxTickRate)
		a.between("duration_ms", d.DurationMs, 10_000, maxMs)
		if d.TickHz > 0 && int64(d.DurationMs)*int64(d.TickHz)/1000 > MaxTicks {
			a.bad("duration_ms", "%d ms at %d Hz is more than %d ticks", d.DurationMs, d.TickHz, MaxTicks)
		}
		switch kind {
		case "battle":
			if d.Teams != 2 {
				a.bad("teams", "battles have 2 teams (got %d)", d.Teams)
			}
			a.between("team_size", d.TeamSize, 1, MaxSeats/2)
			if d.MinPlayers != 0 || d.MaxPlayers != 0 {
				a.bad("min_players", "battles take teams and team_size, not min/max_players")
			}
		case "raid", "ritual":
			if d.Teams != 0 || d.TeamSize != 0 {
				a.bad("teams", "only battles have teams")
			}
			a.between("min_players", d.MinPlayers, 1, MaxSeats)
			a.between("max_players", d.MaxPlayers, d.MinPlayers, MaxSeats)
		}
		if len(d.Arenas) == 0 {
			a.bad("arenas", "needs at least one arena")
		}
		for j, id := range d.Arenas {
			ref, ok := b.arenaIdx[id]
			if !ok {
				a.bad(fmt.Sprintf("arenas[%d]", j), "unknown arena %q", id)
			} else if ref.kind != kind {
				a.bad(fmt.Sprintf("arenas[%d]", j), "arena %q is a %s arena, not %s", id, ref.kind, d.Kind)
			}
		}
		for _, t := range []struct{ field, id string }{{"drops.win", d.Drops.Win}, {"drops.loss", d.Drops.Loss}, {"drops.draw", d.Drops.Draw}} {
			if _, ok := b.dropIdx[t.id]; t.id != "" && !ok {
				a.bad(t.field, "unknown drop table %q", t.id)
			}
		}
	}
}

func (b *Bundle) checkDrops(k *checker) {
	for i, d := range b.drops {
		a := k.record("drops.json", "tables", i, d.ID)
		a.positive("rolls", d.Rolls, maxRolls)
		if len(d.Entries) == 0 {
			a.bad("entries", "needs at least one entry")
		}
		for j, e := range d.Entries {
			ea := at{k: k, file: a.file, prefix: fmt.Sprintf("%s.entries[%d]", a.prefix, j)}
			ea.positive("weight", e.Weight, 1_000_000)
			switch {
			case e.Currency != "" && e.Item != "":
				ea.bad("item", "an entry is a currency or an item, not both")
			case e.Currency != "":
				if !validID(e.Currency) {
					ea.bad("currency", "invalid currency id %q", e.Currency)
				}
				ea.positive("min", e.Min, 1_000_000)
				ea.between("max", e.Max, e.Min, 1_000_000)
			case e.Item != "":
				if !validID(e.Item) {
					ea.bad("item", "invalid item id %q", e.Item)
				}
				if e.Min != 0 || e.Max != 0 {
					ea.bad("min", "item entries take no amount")
				}
			default:
				ea.bad("", "needs a currency or an item")
			}
		}
	}
}

func (b *Bundle) checkCodex(k *checker) {
	b.codexFor = make(map[string]int, len(triggers()))
	for i, d := range b.codex {
		a := k.record("codex.json", "entries", i, d.ID)
		if d.Title == "" {
			a.bad("title", "must not be empty")
		}
		if !slices.Contains(triggers(), d.Trigger) {
			a.bad("trigger", "unknown trigger %q", d.Trigger)
			continue
		}
		if j, dup := b.codexFor[d.Trigger]; dup {
			a.bad("trigger", "trigger %q is already used by %q", d.Trigger, b.codex[j].ID)
			continue
		}
		b.codexFor[d.Trigger] = i
	}
}
