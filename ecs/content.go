package ecs

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strings"
)

//go:embed content/*.json
var embeddedContent embed.FS

// contentFiles lists every content file, in the order they are hashed and
// validated. ParseContent refuses a directory missing one of them or holding
// any other .json file.
func contentFiles() []string {
	return []string{
		"elements.json", "archetypes.json", "abilities.json", "statuses.json",
		"roles.json", "forms.json", "pets.json", "totems.json", "npcs.json",
		"hazards.json", "arenas.json", "raids.json", "rituals.json",
		"modes.json", "drops.json", "codex.json",
	}
}

// Content is the game's data: archetypes, abilities, statuses, roles, forms,
// pets, totems, NPCs, hazards, arenas, raids, rituals, modes, drop tables and
// codex entries. It is immutable once loaded and safe to share read-only
// between any number of Sims and goroutines. Every accessor returns copies.
type Content struct {
	version string

	elements   []ElementDef
	archetypes []ArchetypeDef
	abilities  []AbilityDef
	statuses   [statusSlots]StatusDef
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
	// sim behaviour depends on map order.
	elementIdx, archetypeIdx, abilityIdx, roleIdx, formIdx, petIdx map[string]int
	totemIdx, npcIdx, hazardIdx, modeIdx, dropIdx                  map[string]int
	arenaIdx                                                       map[string]arenaRef

	archElement []int   // element index of each archetype
	archKit     [][]int // ability indices of each archetype's kit
	archDefault [][]int // ability indices of each archetype's default loadout
	codexFor    [triggerCount]int
}

// arenaRef locates an arena id in the battle arenas, raids or rituals.
type arenaRef struct {
	kind  modeKind
	index int
}

// LoadContent parses and validates the content embedded in the binary. It
// fails only if the embedded files are broken, which the package's tests
// rule out.
func LoadContent() (*Content, error) {
	sub, err := fs.Sub(embeddedContent, "content")
	if err != nil {
		return nil, fmt.Errorf("ecs: embedded content: %w", err)
	}
	return ParseContent(sub)
}

// EmbeddedContentFS returns the embedded content files (at the root of the
// returned file system), for tools that list or export them.
func EmbeddedContentFS() fs.FS {
	sub, err := fs.Sub(embeddedContent, "content")
	if err != nil {
		panic("ecs: embedded content directory missing: " + err.Error())
	}
	return sub
}

// ParseContent reads, decodes and validates the content files at the root
// of fsys. On any problem it returns a *ContentError listing every problem
// found, each naming its file and field; errors.Is(err, ErrInvalidContent)
// holds for it.
func ParseContent(fsys fs.FS) (*Content, error) {
	raw, problems := readContentFiles(fsys)
	c := &Content{version: contentVersion(raw)}
	k := &checker{}
	k.problems = problems
	decoders := []struct {
		file string
		dst  any
	}{
		{"elements.json", &elementsFile{}}, {"archetypes.json", &archetypesFile{}},
		{"abilities.json", &abilitiesFile{}}, {"statuses.json", &statusesFile{}},
		{"roles.json", &rolesFile{}}, {"forms.json", &formsFile{}},
		{"pets.json", &petsFile{}}, {"totems.json", &totemsFile{}},
		{"npcs.json", &npcsFile{}}, {"hazards.json", &hazardsFile{}},
		{"arenas.json", &arenasFile{}}, {"raids.json", &raidsFile{}},
		{"rituals.json", &ritualsFile{}}, {"modes.json", &modesFile{}},
		{"drops.json", &dropsFile{}}, {"codex.json", &codexFile{}},
	}
	for _, d := range decoders {
		data, ok := raw[d.file]
		if !ok {
			continue // already reported as missing
		}
		if err := decodeStrict(data, d.dst); err != nil {
			k.problems = append(k.problems, decodeProblem(d.file, data, err))
		}
	}
	c.elements = decoders[0].dst.(*elementsFile).Elements
	c.archetypes = decoders[1].dst.(*archetypesFile).Archetypes
	c.abilities = decoders[2].dst.(*abilitiesFile).Abilities
	statuses := decoders[3].dst.(*statusesFile).Statuses
	c.roles = decoders[4].dst.(*rolesFile).Roles
	c.forms = decoders[5].dst.(*formsFile).Forms
	c.pets = decoders[6].dst.(*petsFile).Pets
	c.totems = decoders[7].dst.(*totemsFile).Totems
	c.npcs = decoders[8].dst.(*npcsFile).NPCs
	c.hazards = decoders[9].dst.(*hazardsFile).Hazards
	c.arenas = decoders[10].dst.(*arenasFile).Arenas
	c.raids = decoders[11].dst.(*raidsFile).Raids
	c.rituals = decoders[12].dst.(*ritualsFile).Rituals
	c.modes = decoders[13].dst.(*modesFile).Modes
	c.drops = decoders[14].dst.(*dropsFile).Tables
	c.codex = decoders[15].dst.(*codexFile).Entries

	if len(k.problems) > 0 {
		// Cross-file checks on half-read content would only repeat these.
		k.problems = append(k.problems, Problem{File: "(all files)", Message: "cross-file checks skipped until every file reads and decodes"})
		return nil, &ContentError{Problems: k.problems}
	}
	c.check(k, statuses)
	if len(k.problems) > 0 {
		return nil, &ContentError{Problems: k.problems}
	}
	return c, nil
}

// readContentFiles reads every expected file and reports missing and
// unexpected ones.
func readContentFiles(fsys fs.FS) (map[string][]byte, []Problem) {
	var problems []Problem
	raw := make(map[string][]byte)
	known := contentFiles()
	for _, name := range known {
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			problems = append(problems, Problem{File: name, Message: "cannot read: " + err.Error()})
			continue
		}
		raw[name] = data
	}
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		problems = append(problems, Problem{File: ".", Message: "cannot list content directory: " + err.Error()})
		return raw, problems
	}
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".json") && !slices.Contains(known, e.Name()) {
			problems = append(problems, Problem{File: e.Name(), Message: "unknown content file (expected one of " + strings.Join(known, ", ") + ")"})
		}
	}
	return raw, problems
}

// contentVersion hashes the files in their fixed order.
func contentVersion(raw map[string][]byte) string {
	h := sha256.New()
	for _, name := range contentFiles() {
		data := raw[name]
		fmt.Fprintf(h, "%s\x00%d\x00", name, len(data))
		h.Write(data)
	}
	return "c1-" + hex.EncodeToString(h.Sum(nil)[:8])
}

// decodeStrict decodes one JSON document, refusing unknown fields and
// trailing data.
func decodeStrict(data []byte, dst any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("unexpected data after the top-level object")
	}
	return nil
}

// decodeProblem turns a JSON error into a Problem naming the field (or the
// line) it concerns.
func decodeProblem(file string, data []byte, err error) Problem {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr):
		return Problem{File: file, Field: typeErr.Field, Message: fmt.Sprintf("cannot use a JSON %s as %s", typeErr.Value, typeErr.Type)}
	case errors.As(err, &syntaxErr):
		before := data[:min(int(syntaxErr.Offset), len(data))]
		line := bytes.Count(before, []byte("\n")) + 1
		col := len(before) - bytes.LastIndexByte(before, '\n') - 1
		return Problem{File: file, Field: fmt.Sprintf("line %d column %d", line, col), Message: "invalid JSON: " + syntaxErr.Error()}
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return Problem{File: file, Message: "invalid JSON: the file ends before its top-level object does"}
	}
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		return Problem{File: file, Field: strings.Trim(name, `"`), Message: "unknown field (misspelt?)"}
	}
	return Problem{File: file, Message: msg}
}

// Version identifies this content: a hash of every content file. Replays
// and match records carry it; a replay is only verifiable against the same
// version.
func (c *Content) Version() string { return c.version }

// Elements returns the element definitions.
func (c *Content) Elements() []ElementDef { return slices.Clone(c.elements) }

// Archetypes returns the zodiac archetypes in content order.
func (c *Content) Archetypes() []ArchetypeDef {
	out := slices.Clone(c.archetypes)
	for i := range out {
		out[i].Kit = slices.Clone(out[i].Kit)
		out[i].DefaultLoadout = slices.Clone(out[i].DefaultLoadout)
	}
	return out
}

// Abilities returns every ability.
func (c *Content) Abilities() []AbilityDef { return slices.Clone(c.abilities) }

// Statuses returns the four status definitions: shield, burn, stun, ward.
func (c *Content) Statuses() []StatusDef { return slices.Clone(c.statuses[StatusShield:]) }

// Roles returns the roster roles.
func (c *Content) Roles() []RoleDef { return slices.Clone(c.roles) }

// Forms returns the shapeshift forms.
func (c *Content) Forms() []FormDef { return slices.Clone(c.forms) }

// Pets returns the pets.
func (c *Content) Pets() []PetDef { return slices.Clone(c.pets) }

// Totems returns the warband totems.
func (c *Content) Totems() []TotemDef { return slices.Clone(c.totems) }

// NPCs returns the raid adds and bosses.
func (c *Content) NPCs() []NPCDef { return slices.Clone(c.npcs) }

// Hazards returns the hazard definitions.
func (c *Content) Hazards() []HazardDef { return slices.Clone(c.hazards) }

// Arenas returns the battle arenas.
func (c *Content) Arenas() []ArenaDef {
	out := slices.Clone(c.arenas)
	for i := range out {
		out[i].Spawns = slices.Clone(out[i].Spawns)
		for t := range out[i].Spawns {
			out[i].Spawns[t] = slices.Clone(out[i].Spawns[t])
		}
	}
	return out
}

// Raids returns the raid encounters (their ids are the raid mode's arenas).
func (c *Content) Raids() []RaidDef {
	out := slices.Clone(c.raids)
	for i := range out {
		out[i].Phases = slices.Clone(out[i].Phases)
	}
	return out
}

// Rituals returns the ritual chambers (their ids are the ritual mode's arenas).
func (c *Content) Rituals() []RitualDef {
	out := slices.Clone(c.rituals)
	for i := range out {
		out[i].Sigils = slices.Clone(out[i].Sigils)
		out[i].Sequence = slices.Clone(out[i].Sequence)
	}
	return out
}

// Modes returns the game modes.
func (c *Content) Modes() []ModeDef {
	out := slices.Clone(c.modes)
	for i := range out {
		out[i].Arenas = slices.Clone(out[i].Arenas)
	}
	return out
}

// DropTables returns the drop tables.
func (c *Content) DropTables() []DropTableDef {
	out := slices.Clone(c.drops)
	for i := range out {
		out[i].Entries = slices.Clone(out[i].Entries)
	}
	return out
}

// Codex returns the codex entries.
func (c *Content) Codex() []CodexDef { return slices.Clone(c.codex) }

// Mode returns one mode by id.
func (c *Content) Mode(id string) (ModeDef, bool) {
	i, ok := c.modeIdx[id]
	if !ok {
		return ModeDef{}, false
	}
	m := c.modes[i]
	m.Arenas = slices.Clone(m.Arenas)
	return m, true
}

// ValidateOracle checks an oracle's content ids: a known archetype and role;
// a loadout of at most MaxLoadout distinct abilities from the archetype's
// kit with at most one ultimate (empty means the archetype's default); and
// a known pet, form and totem or "". The error wraps ErrInvalidOracle and
// names the bad field.
func (c *Content) ValidateOracle(o OracleSpec) error {
	_, err := c.resolveOracle(o)
	return err
}

// resolvedOracle is an OracleSpec turned into content indices (-1 for none).
type resolvedOracle struct {
	archetype, element, role int
	loadout                  []int
	pet, form, totem         int
}

func (c *Content) resolveOracle(o OracleSpec) (resolvedOracle, error) {
	r := resolvedOracle{pet: -1, form: -1, totem: -1}
	bad := func(field, format string, args ...any) error {
		return fmt.Errorf("%w: %s: %s", ErrInvalidOracle, field, fmt.Sprintf(format, args...))
	}
	var ok bool
	if r.archetype, ok = c.archetypeIdx[o.Archetype]; !ok {
		return r, bad("archetype", "unknown archetype %q (want a zodiac sign id such as \"aries\")", o.Archetype)
	}
	r.element = c.archElement[r.archetype]
	if r.role, ok = c.roleIdx[o.Role]; !ok {
		return r, bad("role", "unknown role %q (want host, friend or descendant)", o.Role)
	}
	if len(o.Loadout) == 0 {
		r.loadout = c.archDefault[r.archetype]
	} else {
		if len(o.Loadout) > MaxLoadout {
			return r, bad("loadout", "%d abilities, at most %d", len(o.Loadout), MaxLoadout)
		}
		r.loadout = make([]int, 0, len(o.Loadout))
		ultimates := 0
		for i, id := range o.Loadout {
			a, ok := c.abilityIdx[id]
			if !ok {
				return r, bad(fmt.Sprintf("loadout[%d]", i), "unknown ability %q", id)
			}
			if !slices.Contains(c.archKit[r.archetype], a) {
				return r, bad(fmt.Sprintf("loadout[%d]", i), "ability %q is not in the %s kit", id, o.Archetype)
			}
			if slices.Contains(r.loadout, a) {
				return r, bad(fmt.Sprintf("loadout[%d]", i), "ability %q appears twice", id)
			}
			if c.abilities[a].Ultimate {
				ultimates++
				if ultimates > 1 {
					return r, bad(fmt.Sprintf("loadout[%d]", i), "ability %q is a second ultimate (at most one)", id)
				}
			}
			r.loadout = append(r.loadout, a)
		}
	}
	if o.Pet != "" {
		if r.pet, ok = c.petIdx[o.Pet]; !ok {
			return r, bad("pet", "unknown pet %q", o.Pet)
		}
	}
	if o.Form != "" {
		if r.form, ok = c.formIdx[o.Form]; !ok {
			return r, bad("form", "unknown form %q", o.Form)
		}
	}
	if o.Totem != "" {
		if r.totem, ok = c.totemIdx[o.Totem]; !ok {
			return r, bad("totem", "unknown totem %q", o.Totem)
		}
	}
	return r, nil
}
