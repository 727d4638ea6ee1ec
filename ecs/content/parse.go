package content

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

//go:embed *.json
var embedded embed.FS

// fileNames lists every content file, in the order they are hashed and
// validated. Parse refuses a directory missing one of them or holding any
// other .json file.
func fileNames() []string {
	return []string{
		"elements.json", "archetypes.json", "abilities.json", "statuses.json",
		"roles.json", "forms.json", "pets.json", "totems.json", "npcs.json",
		"hazards.json", "arenas.json", "raids.json", "rituals.json",
		"modes.json", "drops.json", "codex.json",
	}
}

// Load parses and validates the content embedded in the binary. It fails
// only if the embedded files are broken, which the package's tests rule
// out.
func Load() (*Bundle, error) { return Parse(embedded) }

// Embedded returns the content files embedded in the binary (at the root of
// the returned file system), for tools that list or export them.
func Embedded() fs.FS { return embedded }

// Parse reads, decodes and validates the content files at the root of fsys.
// On any problem it returns an *Error listing every problem found, each
// naming its file and field; errors.Is(err, ErrInvalid) holds for it.
func Parse(fsys fs.FS) (*Bundle, error) {
	raw, problems := readFiles(fsys)
	b := &Bundle{version: version(raw)}
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
	b.elements = decoders[0].dst.(*elementsFile).Elements
	b.archetypes = decoders[1].dst.(*archetypesFile).Archetypes
	b.abilities = decoders[2].dst.(*abilitiesFile).Abilities
	statuses := decoders[3].dst.(*statusesFile).Statuses
	b.roles = decoders[4].dst.(*rolesFile).Roles
	b.forms = decoders[5].dst.(*formsFile).Forms
	b.pets = decoders[6].dst.(*petsFile).Pets
	b.totems = decoders[7].dst.(*totemsFile).Totems
	b.npcs = decoders[8].dst.(*npcsFile).NPCs
	b.hazards = decoders[9].dst.(*hazardsFile).Hazards
	b.arenas = decoders[10].dst.(*arenasFile).Arenas
	b.raids = decoders[11].dst.(*raidsFile).Raids
	b.rituals = decoders[12].dst.(*ritualsFile).Rituals
	b.modes = decoders[13].dst.(*modesFile).Modes
	b.drops = decoders[14].dst.(*dropsFile).Tables
	b.codex = decoders[15].dst.(*codexFile).Entries

	if len(k.problems) > 0 {
		// Cross-file checks on half-read content would only repeat these.
		k.problems = append(k.problems, Problem{File: "(all files)", Message: "cross-file checks skipped until every file reads and decodes"})
		return nil, &Error{Problems: k.problems}
	}
	b.check(k, statuses)
	if len(k.problems) > 0 {
		return nil, &Error{Problems: k.problems}
	}
	return b, nil
}

// readFiles reads every expected file and reports missing and unexpected
// ones.
func readFiles(fsys fs.FS) (map[string][]byte, []Problem) {
	var problems []Problem
	raw := make(map[string][]byte)
	known := fileNames()
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

// version hashes the files in their fixed order. Replays and match records
// name the result, so the scheme never changes under the "c1-" prefix.
func version(raw map[string][]byte) string {
	h := sha256.New()
	for _, name := range fileNames() {
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
