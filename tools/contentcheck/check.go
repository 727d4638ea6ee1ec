package contentcheck

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"

	"github.com/pantheon-oracles/pantheon/ecs/content"
)

// Report is the outcome of checking one set of content files.
type Report struct {
	Source   string          // what was checked: "embedded" or a directory
	Content  *content.Bundle // the parsed content when there were no problems
	Problems []content.Problem
	Err      error // a failure that is not a content problem (none today)
}

// OK reports whether the content is valid.
func (r Report) OK() bool { return r.Err == nil && len(r.Problems) == 0 && r.Content != nil }

// Check parses and validates the content files at the root of fsys. source
// names them in the report.
func Check(fsys fs.FS, source string) Report {
	c, err := content.Parse(fsys)
	r := Report{Source: source, Content: c}
	var ce *content.Error
	switch {
	case errors.As(err, &ce):
		r.Problems = ce.Problems
	case err != nil:
		r.Err = err
	}
	return r
}

// Write prints the report: one line per problem ("file: field: message"),
// then a summary line.
func (r Report) Write(w io.Writer) {
	if r.Err != nil {
		fmt.Fprintf(w, "content %s: %v\n", r.Source, r.Err)
		return
	}
	for _, p := range r.Problems {
		fmt.Fprintln(w, p.String())
	}
	if !r.OK() {
		fmt.Fprintf(w, "content %s: %d problem(s)\n", r.Source, len(r.Problems))
		return
	}
	c := r.Content
	fmt.Fprintf(w, "content %s: ok, version %s: %d modes, %d battle arenas, %d raids, %d rituals, %d archetypes, %d abilities, %d pets, %d forms, %d totems, %d drop tables, %d codex entries\n",
		r.Source, c.Version(), len(c.Modes()), len(c.Arenas()), len(c.Raids()), len(c.Rituals()), len(c.Archetypes()),
		len(c.Abilities()), len(c.Pets()), len(c.Forms()), len(c.Totems()), len(c.DropTables()), len(c.Codex()))
}

// WriteCatalog lists what the content defines, by id, for people and docs:
// modes with their tick rates and arenas, then every other kind.
func WriteCatalog(w io.Writer, c *content.Bundle) {
	fmt.Fprintf(w, "content version %s\n\nmodes:\n", c.Version())
	for _, m := range c.Modes() {
		players := fmt.Sprintf("%dv%d", m.TeamSize, m.TeamSize)
		if m.Kind != "battle" {
			players = fmt.Sprintf("%d-%d players", m.MinPlayers, m.MaxPlayers)
		}
		fmt.Fprintf(w, "  %-11s %-6s %-12s %2d Hz, %3d s, arenas %s\n", m.ID, m.Kind, players, m.TickHz, m.DurationMs/1000, strings.Join(m.Arenas, ", "))
	}
	fmt.Fprintln(w, "\narchetypes:")
	for _, a := range c.Archetypes() {
		fmt.Fprintf(w, "  %-11s %-5s kit %s\n", a.ID, a.Element, strings.Join(a.Kit, ", "))
	}
	fmt.Fprintln(w, "\nabilities:")
	for _, a := range c.Abilities() {
		ult := ""
		if a.Ultimate {
			ult = " (ultimate)"
		}
		fmt.Fprintf(w, "  %-14s %-5s %-5s cooldown %5d ms, cost %2d%s\n", a.ID, a.Element, a.Target, a.CooldownMs, a.EnergyCost, ult)
	}
	list := func(title string, ids []string) {
		fmt.Fprintf(w, "\n%s: %s\n", title, strings.Join(ids, ", "))
	}
	list("roles", ids(c.Roles(), func(d content.RoleDef) string { return d.ID }))
	list("pets", ids(c.Pets(), func(d content.PetDef) string { return d.ID }))
	list("forms", ids(c.Forms(), func(d content.FormDef) string { return d.ID }))
	list("totems", ids(c.Totems(), func(d content.TotemDef) string { return d.ID }))
	list("battle arenas", ids(c.Arenas(), func(d content.ArenaDef) string { return d.ID + " (" + d.Hazard + ")" }))
	list("raids", ids(c.Raids(), func(d content.RaidDef) string {
		return fmt.Sprintf("%s (boss %s, %d phases)", d.ID, d.Boss, len(d.Phases))
	}))
	list("rituals", ids(c.Rituals(), func(d content.RitualDef) string { return fmt.Sprintf("%s (%d sigils)", d.ID, len(d.Sigils)) }))
	list("codex", ids(c.Codex(), func(d content.CodexDef) string { return d.ID }))
}

func ids[T any](items []T, id func(T) string) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = id(it)
	}
	return out
}
