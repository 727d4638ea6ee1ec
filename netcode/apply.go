package netcode

import (
	"fmt"
	"math/bits"
)

// Apply reconstructs the snapshot f describes: base plus f's changes, into
// out (reusing out's capacity; out must not be base). base may be nil only
// for a full snapshot (f.Base == 0). It fails with ErrBaseline, leaving out
// unspecified, when base is not f's baseline or when f creates an entity
// the baseline has, or updates or removes one it lacks.
func Apply(base *Snapshot, f *SnapshotFrame, out *Snapshot) error {
	var old []Entity
	switch {
	case f.Base == 0:
	case base == nil || base.Tick != f.Base:
		return fmt.Errorf("%w: snapshot %d needs baseline %d", ErrBaseline, f.Tick, f.Base)
	default:
		old = base.Entities
	}
	if base != nil && out == base {
		return fmt.Errorf("%w: out aliases the baseline", ErrBaseline)
	}
	out.Tick = f.Tick
	out.Entities = out.Entities[:0]
	c, u, r := f.Created, f.Updated, f.Removed
	for i := 0; i < len(old) || len(c) > 0; {
		if len(c) > 0 && (i == len(old) || c[0].ID < old[i].ID) {
			var e Entity
			e.ID = c[0].ID
			applyFields(&e, &c[0])
			out.Entities = append(out.Entities, e)
			c = c[1:]
			continue
		}
		if len(c) > 0 && c[0].ID == old[i].ID {
			return fmt.Errorf("%w: snapshot %d creates entity %d that baseline %d has", ErrBaseline, f.Tick, c[0].ID, f.Base)
		}
		o := &old[i]
		i++
		if len(u) > 0 && u[0].ID < o.ID || len(r) > 0 && r[0] < o.ID {
			return fmt.Errorf("%w: snapshot %d changes an entity baseline %d lacks", ErrBaseline, f.Tick, f.Base)
		}
		if len(r) > 0 && r[0] == o.ID {
			r = r[1:]
			if len(u) > 0 && u[0].ID == o.ID {
				return fmt.Errorf("%w: snapshot %d updates and removes entity %d", ErrBaseline, f.Tick, o.ID)
			}
			continue
		}
		out.Entities = append(out.Entities, *o)
		if len(u) > 0 && u[0].ID == o.ID {
			applyFields(&out.Entities[len(out.Entities)-1], &u[0])
			u = u[1:]
		}
	}
	if len(u) > 0 || len(r) > 0 {
		return fmt.Errorf("%w: snapshot %d changes an entity baseline %d lacks", ErrBaseline, f.Tick, f.Base)
	}
	return nil
}

// applyFields adds d's wrapping differences to e's masked fields.
func applyFields(e *Entity, d *EntityDelta) {
	for m := d.Mask; m != 0; m &= m - 1 {
		f := bits.TrailingZeros32(m)
		e.Fields[f] += d.Fields[f]
	}
}
