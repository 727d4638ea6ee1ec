package ecs

import (
	"fmt"
	"slices"

	"github.com/pantheon-oracles/pantheon/ecs/content"
)

// OracleSpec is the oracle a seat plays, by content id: the content fields
// of contract.Oracle, and the oracle of the control API's seats. The JSON
// names are the wire names of both.
type OracleSpec struct {
	Archetype string   `json:"archetype"` // zodiac sign id, e.g. "aries"
	Role      string   `json:"role"`      // "host", "friend" or "descendant"
	Loadout   []string `json:"loadout"`   // ability ids in slot order; empty means the archetype's default
	Pet       string   `json:"pet"`       // pet id or ""
	Form      string   `json:"form"`      // shapeshift form id or ""
	Totem     string   `json:"totem"`     // warband totem id or ""
}

// ValidateOracle checks an oracle's content ids against content c: a known
// archetype and role; a loadout of at most MaxLoadout distinct abilities
// from the archetype's kit with at most one ultimate (empty means the
// archetype's default); and a known pet, form and totem or "". The error
// wraps ErrInvalidOracle and names the bad field.
func ValidateOracle(c *content.Bundle, o OracleSpec) error {
	_, err := resolveOracle(c, o)
	return err
}

// resolvedOracle is an OracleSpec turned into content numbers (-1 for none).
type resolvedOracle struct {
	archetype, element, role int
	loadout                  []int
	pet, form, totem         int
}

func resolveOracle(c *content.Bundle, o OracleSpec) (resolvedOracle, error) {
	r := resolvedOracle{pet: -1, form: -1, totem: -1}
	bad := func(field, format string, args ...any) error {
		return fmt.Errorf("%w: %s: %s", ErrInvalidOracle, field, fmt.Sprintf(format, args...))
	}
	var ok bool
	if r.archetype, ok = c.ArchetypeIndex(o.Archetype); !ok {
		return r, bad("archetype", "unknown archetype %q (want a zodiac sign id such as \"aries\")", o.Archetype)
	}
	arch := c.ArchetypeAt(r.archetype)
	r.element, _ = c.ElementIndex(arch.Element) // content validated the references
	if r.role, ok = c.RoleIndex(o.Role); !ok {
		return r, bad("role", "unknown role %q (want host, friend or descendant)", o.Role)
	}
	if len(o.Loadout) == 0 {
		r.loadout = make([]int, len(arch.DefaultLoadout))
		for i, id := range arch.DefaultLoadout {
			r.loadout[i], _ = c.AbilityIndex(id)
		}
	} else {
		if len(o.Loadout) > MaxLoadout {
			return r, bad("loadout", "%d abilities, at most %d", len(o.Loadout), MaxLoadout)
		}
		r.loadout = make([]int, 0, len(o.Loadout))
		ultimates := 0
		for i, id := range o.Loadout {
			a, ok := c.AbilityIndex(id)
			if !ok {
				return r, bad(fmt.Sprintf("loadout[%d]", i), "unknown ability %q", id)
			}
			if !slices.Contains(arch.Kit, id) {
				return r, bad(fmt.Sprintf("loadout[%d]", i), "ability %q is not in the %s kit", id, o.Archetype)
			}
			if slices.Contains(r.loadout, a) {
				return r, bad(fmt.Sprintf("loadout[%d]", i), "ability %q appears twice", id)
			}
			if c.AbilityAt(a).Ultimate {
				ultimates++
				if ultimates > 1 {
					return r, bad(fmt.Sprintf("loadout[%d]", i), "ability %q is a second ultimate (at most one)", id)
				}
			}
			r.loadout = append(r.loadout, a)
		}
	}
	if o.Pet != "" {
		if r.pet, ok = c.PetIndex(o.Pet); !ok {
			return r, bad("pet", "unknown pet %q", o.Pet)
		}
	}
	if o.Form != "" {
		if r.form, ok = c.FormIndex(o.Form); !ok {
			return r, bad("form", "unknown form %q", o.Form)
		}
	}
	if o.Totem != "" {
		if r.totem, ok = c.TotemIndex(o.Totem); !ok {
			return r, bad("totem", "unknown totem %q", o.Totem)
		}
	}
	return r, nil
}
