package content_test

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/pantheon-oracles/pantheon/ecs/content"
)

// load returns the embedded content.
func load(t testing.TB) *content.Bundle {
	t.Helper()
	b, err := content.Load()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// embeddedCopy returns the embedded content files as a writable MapFS.
func embeddedCopy(t *testing.T) fstest.MapFS {
	t.Helper()
	m := fstest.MapFS{}
	src := content.Embedded()
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
	c := load(t)
	if len(c.Archetypes()) != 12 {
		t.Fatalf("want 12 zodiac archetypes, got %d", len(c.Archetypes()))
	}
	for _, id := range []string{"battle_1v1", "battle_3v3", "battle_5v5", "raid", "ritual"} {
		m, ok := c.Mode(id)
		if !ok {
			t.Fatalf("mode %s missing", id)
		}
		if m.TickHz < content.MinTickRate || m.TickHz > content.MaxTickRate {
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

// TestVersion: the version is a hash of the files: stable, and
// different when any byte changes.
func TestVersion(t *testing.T) {
	a, b := load(t), load(t)
	if a.Version() != b.Version() || !strings.HasPrefix(a.Version(), "c1-") {
		t.Fatalf("versions %q and %q", a.Version(), b.Version())
	}
	m := embeddedCopy(t)
	m["pets.json"].Data = append(append([]byte(nil), m["pets.json"].Data...), '\n')
	c, err := content.Parse(m)
	if err != nil {
		t.Fatal(err)
	}
	if c.Version() == a.Version() {
		t.Fatal("changing a file did not change the version")
	}
}

// TestVersionScheme recomputes the version from the files by its written
// scheme (the first 8 bytes of a SHA-256 over "name NUL length NUL bytes"
// of each file in a fixed order), so a change to the scheme, which would
// orphan every recorded replay and match record, fails here; the replays in
// ecs/testdata pin the value itself.
func TestVersionScheme(t *testing.T) {
	m := embeddedCopy(t)
	h := sha256.New()
	for _, name := range []string{
		"elements.json", "archetypes.json", "abilities.json", "statuses.json",
		"roles.json", "forms.json", "pets.json", "totems.json", "npcs.json",
		"hazards.json", "arenas.json", "raids.json", "rituals.json",
		"modes.json", "drops.json", "codex.json",
	} {
		fmt.Fprintf(h, "%s\x00%d\x00", name, len(m[name].Data))
		h.Write(m[name].Data)
	}
	want := "c1-" + hex.EncodeToString(h.Sum(nil)[:8])
	if got := load(t).Version(); got != want {
		t.Fatalf("version %s, the scheme gives %s", got, want)
	}
}

// TestIndexAndAt: every definition is found by its id at its position in
// the list accessors' order, and the number accessors return it.
func TestIndexAndAt(t *testing.T) {
	b := load(t)
	check := func(table string, n int, index func(int) (int, bool), same func(int, int) bool) {
		t.Helper()
		for i := range n {
			j, ok := index(i)
			if !ok || j != i || !same(i, j) {
				t.Errorf("%s[%d]: index %d, %v", table, i, j, ok)
			}
		}
	}
	el, ar, ab, ro, fo := b.Elements(), b.Archetypes(), b.Abilities(), b.Roles(), b.Forms()
	pe, to, np, ha, are := b.Pets(), b.Totems(), b.NPCs(), b.Hazards(), b.Arenas()
	ra, ri, co := b.Raids(), b.Rituals(), b.Codex()
	check("elements", len(el), func(i int) (int, bool) { return b.ElementIndex(el[i].ID) }, func(i, j int) bool { return b.ElementAt(j) == el[i] })
	check("archetypes", len(ar), func(i int) (int, bool) { return b.ArchetypeIndex(ar[i].ID) }, func(i, j int) bool {
		a := b.ArchetypeAt(j)
		return a.ID == ar[i].ID && slices.Equal(a.Kit, ar[i].Kit) && slices.Equal(a.DefaultLoadout, ar[i].DefaultLoadout)
	})
	check("abilities", len(ab), func(i int) (int, bool) { return b.AbilityIndex(ab[i].ID) }, func(i, j int) bool { return b.AbilityAt(j) == ab[i] })
	check("roles", len(ro), func(i int) (int, bool) { return b.RoleIndex(ro[i].ID) }, func(i, j int) bool { return b.RoleAt(j) == ro[i] })
	check("forms", len(fo), func(i int) (int, bool) { return b.FormIndex(fo[i].ID) }, func(i, j int) bool { return b.FormAt(j) == fo[i] })
	check("pets", len(pe), func(i int) (int, bool) { return b.PetIndex(pe[i].ID) }, func(i, j int) bool { return b.PetAt(j) == pe[i] })
	check("totems", len(to), func(i int) (int, bool) { return b.TotemIndex(to[i].ID) }, func(i, j int) bool { return b.TotemAt(j) == to[i] })
	check("npcs", len(np), func(i int) (int, bool) { return b.NPCIndex(np[i].ID) }, func(i, j int) bool { return b.NPCAt(j) == np[i] })
	check("hazards", len(ha), func(i int) (int, bool) { return b.HazardIndex(ha[i].ID) }, func(i, j int) bool { return b.HazardAt(j) == ha[i] })
	check("arenas", len(are), func(i int) (int, bool) { return b.ArenaIndex(are[i].ID) }, func(i, j int) bool { return b.ArenaAt(j).ID == are[i].ID })
	check("raids", len(ra), func(i int) (int, bool) { return b.RaidIndex(ra[i].ID) }, func(i, j int) bool { return b.RaidAt(j).ID == ra[i].ID })
	check("rituals", len(ri), func(i int) (int, bool) { return b.RitualIndex(ri[i].ID) }, func(i, j int) bool { return b.RitualAt(j).ID == ri[i].ID })
	check("codex", len(co), func(i int) (int, bool) { return b.CodexFor(co[i].Trigger) }, func(i, j int) bool { return b.CodexAt(j) == co[i] })
	for _, s := range b.Statuses() {
		if got, ok := b.Status(s.ID); !ok || got != s {
			t.Errorf("status %s: %+v, %v", s.ID, got, ok)
		}
	}
	for _, d := range b.DropTables() {
		if got, ok := b.DropTable(d.ID); !ok || got.ID != d.ID || !slices.Equal(got.Entries, d.Entries) {
			t.Errorf("drop table %s: %+v, %v", d.ID, got, ok)
		}
	}
	// Arenas, raids and rituals share one id space but not one index.
	if _, ok := b.ArenaIndex(ra[0].ID); ok {
		t.Errorf("raid %s found as a battle arena", ra[0].ID)
	}
	if _, ok := b.RitualIndex(are[0].ID); ok {
		t.Errorf("arena %s found as a ritual", are[0].ID)
	}
	for _, miss := range []func() (int, bool){
		func() (int, bool) { return b.AbilityIndex("nope") },
		func() (int, bool) { return b.CodexFor("nope") },
		func() (int, bool) { return b.RaidIndex("nope") },
	} {
		if _, ok := miss(); ok {
			t.Error("an unknown id was found")
		}
	}
}

// TestAccessorsCopy: what the accessors return cannot change content.
func TestAccessorsCopy(t *testing.T) {
	c := load(t)
	arch := c.Archetypes()
	arch[0].Kit[0] = "changed"
	arch[0].ID = "changed"
	modes := c.Modes()
	modes[0].Arenas[0] = "changed"
	if c.Archetypes()[0].Kit[0] == "changed" || c.Archetypes()[0].ID == "changed" || c.Modes()[0].Arenas[0] == "changed" {
		t.Fatal("an accessor exposed content's own slices")
	}
	a := c.ArchetypeAt(0)
	a.DefaultLoadout[0] = "changed"
	ar := c.ArenaAt(0)
	ar.Spawns[0][0].X = -1
	r := c.RaidAt(0)
	r.Phases[0].Adds = "changed"
	ri := c.RitualAt(0)
	ri.Sequence[0] = -1
	ri.Sigils[0].X = -1
	m, _ := c.Mode("raid")
	m.Arenas[0] = "changed"
	d, _ := c.DropTable(c.DropTables()[0].ID)
	d.Entries[0].Weight = -1
	if c.ArchetypeAt(0).DefaultLoadout[0] == "changed" || c.ArenaAt(0).Spawns[0][0].X == -1 || c.RaidAt(0).Phases[0].Adds == "changed" ||
		c.RitualAt(0).Sequence[0] == -1 || c.RitualAt(0).Sigils[0].X == -1 || modeArena(c, "raid") == "changed" ||
		c.DropTables()[0].Entries[0].Weight == -1 {
		t.Fatal("a by-number or by-id accessor exposed content's own slices")
	}
}

func modeArena(c *content.Bundle, id string) string {
	m, _ := c.Mode(id)
	return m.Arenas[0]
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
			_, err := content.Parse(m)
			var ce *content.Error
			if !errors.As(err, &ce) || !errors.Is(err, content.ErrInvalid) {
				t.Fatalf("want a content.Error, got %v", err)
			}
			found := slices.ContainsFunc(ce.Problems, func(p content.Problem) bool { return strings.Contains(p.String(), tc.want) })
			if !found {
				t.Fatalf("no problem mentions %q; got:\n%v", tc.want, err)
			}
		})
	}
}
