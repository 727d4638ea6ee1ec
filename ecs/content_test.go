package ecs_test

import (
	"errors"
	"io/fs"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/pantheon-oracles/pantheon/ecs"
)

// embeddedCopy returns the embedded content files as a writable MapFS.
func embeddedCopy(t *testing.T) fstest.MapFS {
	t.Helper()
	m := fstest.MapFS{}
	src := ecs.EmbeddedContentFS()
	entries, err := fs.ReadDir(src, ".")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		data, err := fs.ReadFile(src, e.Name())
		if err != nil {
			t.Fatal(err)
		}
		m[e.Name()] = &fstest.MapFile{Data: data}
	}
	return m
}

// TestEmbeddedContent checks what the rest of the system relies on.
func TestEmbeddedContent(t *testing.T) {
	c := loadContent(t)
	if len(c.Archetypes()) != 12 {
		t.Fatalf("want 12 zodiac archetypes, got %d", len(c.Archetypes()))
	}
	for _, id := range []string{"battle_1v1", "battle_3v3", "battle_5v5", "raid", "ritual"} {
		m, ok := c.Mode(id)
		if !ok {
			t.Fatalf("mode %s missing", id)
		}
		if m.TickHz < ecs.MinTickRate || m.TickHz > ecs.MaxTickRate {
			t.Errorf("mode %s ticks at %d Hz", id, m.TickHz)
		}
	}
	arenas := map[string]bool{}
	for _, a := range c.Arenas() {
		arenas[a.ID] = a.Hazard != ""
	}
	if !arenas["leviathan"] || !arenas["behemoth"] {
		t.Errorf("leviathan and behemoth must exist with hazards: %v", arenas)
	}
	for _, r := range c.Raids() {
		if len(r.Phases) < 3 {
			t.Errorf("raid %s has %d phases", r.ID, len(r.Phases))
		}
	}
	perElement := map[string][2]int{}
	for _, a := range c.Abilities() {
		n := perElement[a.Element]
		if a.Ultimate {
			n[1]++
		} else {
			n[0]++
		}
		perElement[a.Element] = n
	}
	for _, e := range c.Elements() {
		if n := perElement[e.ID]; n[0] < 3 || n[1] < 1 {
			t.Errorf("element %s has %d abilities and %d ultimates", e.ID, n[0], n[1])
		}
	}
	if got := len(c.Statuses()); got != 4 {
		t.Errorf("want 4 statuses, got %d", got)
	}
	if len(c.Pets()) < 3 || len(c.Forms()) < 3 || len(c.Totems()) < 3 || len(c.Roles()) != 3 {
		t.Errorf("pets %d, forms %d, totems %d, roles %d", len(c.Pets()), len(c.Forms()), len(c.Totems()), len(c.Roles()))
	}
}

// TestContentVersion: the version is a hash of the files: stable, and
// different when any byte changes.
func TestContentVersion(t *testing.T) {
	a, b := loadContent(t), loadContent(t)
	if a.Version() != b.Version() || !strings.HasPrefix(a.Version(), "c1-") {
		t.Fatalf("versions %q and %q", a.Version(), b.Version())
	}
	m := embeddedCopy(t)
	m["pets.json"].Data = append(append([]byte(nil), m["pets.json"].Data...), '\n')
	c, err := ecs.ParseContent(m)
	if err != nil {
		t.Fatal(err)
	}
	if c.Version() == a.Version() {
		t.Fatal("changing a file did not change the version")
	}
}

// TestContentAccessorsCopy: what the accessors return cannot change content.
func TestContentAccessorsCopy(t *testing.T) {
	c := loadContent(t)
	arch := c.Archetypes()
	arch[0].Kit[0] = "changed"
	arch[0].ID = "changed"
	modes := c.Modes()
	modes[0].Arenas[0] = "changed"
	if c.Archetypes()[0].Kit[0] == "changed" || c.Archetypes()[0].ID == "changed" || c.Modes()[0].Arenas[0] == "changed" {
		t.Fatal("an accessor exposed content's own slices")
	}
}

// TestBrokenContent breaks the content in one place per case and checks the
// problem names the file and field.
func TestBrokenContent(t *testing.T) {
	cases := []struct {
		file, old, new string // "" old: replace the whole file with new; "-" new: delete the file
		want           string
	}{
		{"abilities.json", `"cooldown_ms": 2500`, `"cooldown_ms": 0`, "abilities.json: abilities[ember_strike].cooldown_ms: must be between 1"},
		{"abilities.json", `"element": "fire",  "target": "enemy", "range_cm": 700`, `"element": "plasma",  "target": "enemy", "range_cm": 700`, `abilities[ember_strike].element: unknown element "plasma"`},
		{"abilities.json", `"status": "burn", "status_ms": 3000`, `"status": "poison", "status_ms": 3000`, "abilities[ember_strike].status: must be"},
		{"abilities.json", `"cooldown_ms": 2500`, `"cooldwn_ms": 2500`, `abilities.json: cooldwn_ms: unknown field`},
		{"abilities.json", `"damage": 120,`, `"damage": "lots",`, "abilities.json: abilities.damage: cannot use a JSON string"},
		{"abilities.json", `"damage": 120,`, `"damage": 1.5,`, "abilities.json: abilities.damage: cannot use a JSON number 1.5"},
		{"archetypes.json", `{"id": "pisces",`, `{"id": "ophiuchus",`, `zodiac sign "pisces" is missing`},
		{"archetypes.json", `"kit": ["ember_strike", "flame_wave", "cinder_step", "solar_flare", "stone_fist"]`, `"kit": ["ember_strike", "flame_wave", "cinder_step", "solar_flare", "stone_fists"]`, `archetypes[aries].kit[4]: unknown ability "stone_fists"`},
		{"archetypes.json", `"default_loadout": ["ember_strike", "flame_wave", "cinder_step", "solar_flare"]},`, `"default_loadout": ["ember_strike", "flame_wave", "cinder_step", "bulwark"]},`, `archetypes[aries].default_loadout[3]: ability "bulwark" is not in the kit`},
		{"modes.json", `"tick_hz": 60, "duration_ms": 120000`, `"tick_hz": 90, "duration_ms": 120000`, "modes.json: modes[battle_1v1].tick_hz: must be between 20 and 60"},
		{"modes.json", `"arenas": ["astral_chamber"]`, `"arenas": ["leviathan"]`, `modes[ritual].arenas[0]: arena "leviathan" is a battle arena, not ritual`},
		{"modes.json", `{"id": "raid", `, `{"id": "raids", `, `mode "raid" is missing`},
		{"raids.json", `{"below_pct": 40,`, `{"below_pct": 80,`, "raids.json: raids[typhon_maw].phases[2].below_pct: thresholds must fall"},
		{"raids.json", `"boss": "typhon"`, `"boss": "serpentling"`, `raids[typhon_maw].boss: npc "serpentling" is not a boss`},
		{"rituals.json", `"sequence": [0, 3, 1, 4, 2, 5]`, `"sequence": [0, 3, 1, 4, 2, 9]`, "rituals.json: rituals[astral_chamber].sequence[5]: sigil 9 does not exist"},
		{"arenas.json", `{"x": 600, "y": 2000}`, `{"x": 9600, "y": 2000}`, "arenas.json: arenas[leviathan].spawns[0][0]: point (9600, 2000) is outside the arena"},
		{"drops.json", `{"weight": 5, "item": "ember_shard"}`, `{"weight": 5, "item": "ember_shard", "currency": "gold"}`, "drops.json: tables[battle_victory].entries[2].item: an entry is a currency or an item, not both"},
		{"codex.json", `"trigger": "boss_kill"`, `"trigger": "boss_hug"`, `codex.json: entries[serpent_slayer].trigger: unknown trigger "boss_hug"`},
		{"statuses.json", `{"id": "ward",`, `{"id": "warded",`, `status "ward" is missing`},
		{"pets.json", `"leash_cm": 1200`, `"leash_cm": -5`, "pets.json: pets[ember_fox].leash_cm: must be between 1"},
		{"totems.json", `{"id": "fury_totem",`, `{"id": "vigor_totem",`, `totems.json: totems[vigor_totem].id: duplicate id "vigor_totem"`},
		{"npcs.json", `"kind": "add",  "hp": 260`, `"kind": "minion",  "hp": 260`, `npcs.json: npcs[serpentling].kind: must be add or boss`},
		{"hazards.json", "", `{"hazards": [`, "hazards.json: invalid JSON: the file ends"},
		{"hazards.json", "", `{"hazards": [}`, "hazards.json: line 1 column 14: invalid JSON"},
		{"forms.json", "", "-", "forms.json: cannot read"},
		{"extra.json", "", `{}`, "extra.json: unknown content file"},
	}
	for _, tc := range cases {
		t.Run(tc.want, func(t *testing.T) {
			m := embeddedCopy(t)
			switch {
			case tc.new == "-":
				delete(m, tc.file)
			case tc.old == "":
				m[tc.file] = &fstest.MapFile{Data: []byte(tc.new)}
			default:
				data := string(m[tc.file].Data)
				if !strings.Contains(data, tc.old) {
					t.Fatalf("fixture text %q not found in %s", tc.old, tc.file)
				}
				m[tc.file] = &fstest.MapFile{Data: []byte(strings.Replace(data, tc.old, tc.new, 1))}
			}
			_, err := ecs.ParseContent(m)
			var ce *ecs.ContentError
			if !errors.As(err, &ce) || !errors.Is(err, ecs.ErrInvalidContent) {
				t.Fatalf("want a ContentError, got %v", err)
			}
			found := slices.ContainsFunc(ce.Problems, func(p ecs.Problem) bool { return strings.Contains(p.String(), tc.want) })
			if !found {
				t.Fatalf("no problem mentions %q; got:\n%v", tc.want, err)
			}
		})
	}
}

// TestValidateOracle: good specs pass; each bad one names its field.
func TestValidateOracle(t *testing.T) {
	c := loadContent(t)
	good := []ecs.OracleSpec{
		{Archetype: "aries", Role: "host"},
		{Archetype: "leo", Role: "friend", Loadout: []string{"bulwark", "solar_flare"}, Pet: "ember_fox", Form: "bear", Totem: "fury_totem"},
		{Archetype: "pisces", Role: "descendant", Loadout: []string{"zephyr_mend"}},
	}
	for _, o := range good {
		if err := c.ValidateOracle(o); err != nil {
			t.Errorf("%+v: %v", o, err)
		}
	}
	bad := []struct {
		o    ecs.OracleSpec
		want string
	}{
		{ecs.OracleSpec{Archetype: "ophiuchus", Role: "host"}, "archetype: unknown archetype"},
		{ecs.OracleSpec{Archetype: "aries", Role: "king"}, "role: unknown role"},
		{ecs.OracleSpec{Archetype: "aries", Role: "host", Loadout: []string{"a", "b", "c", "d", "e"}}, "loadout: 5 abilities, at most 4"},
		{ecs.OracleSpec{Archetype: "aries", Role: "host", Loadout: []string{"ember_strike", "nope"}}, `loadout[1]: unknown ability "nope"`},
		{ecs.OracleSpec{Archetype: "aries", Role: "host", Loadout: []string{"deluge"}}, `loadout[0]: ability "deluge" is not in the aries kit`},
		{ecs.OracleSpec{Archetype: "aries", Role: "host", Loadout: []string{"ember_strike", "ember_strike"}}, "appears twice"},
		{ecs.OracleSpec{Archetype: "leo", Role: "host", Pet: "dragon"}, `pet: unknown pet "dragon"`},
		{ecs.OracleSpec{Archetype: "leo", Role: "host", Form: "kraken"}, `form: unknown form "kraken"`},
		{ecs.OracleSpec{Archetype: "leo", Role: "host", Totem: "pole"}, `totem: unknown totem "pole"`},
	}
	for _, tc := range bad {
		err := c.ValidateOracle(tc.o)
		if !errors.Is(err, ecs.ErrInvalidOracle) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: want %q, got %v", tc.o, tc.want, err)
		}
	}
}
