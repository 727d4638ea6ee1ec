package ecs

import "strconv"

// Test hooks: exported only to this package's tests (package ecs_test),
// for scenario setup that inputs cannot express quickly. A match touched by
// them no longer matches its replay.

// Hurt deals amount of damage to entity id from no one, between ticks,
// and returns the events that caused (stamped with the last tick).
func (s *Sim) Hurt(id uint32, amount int32) []Event {
	e := s.lookup(id)
	if e == nil {
		return nil
	}
	n := len(s.events)
	s.damage(nil, -1, e, amount, CauseNone, -1)
	return append([]Event(nil), s.events[n:]...)
}

// Teleport puts entity id at (x, y) cm.
func (s *Sim) Teleport(id uint32, x, y int32) bool {
	e := s.lookup(id)
	if e == nil {
		return false
	}
	b := bodyC.Get(e)
	b.x, b.y = s.clampToArena(x*mmPerCm, y*mmPerCm)
	return true
}

// EndAt moves the time limit to tick (for timeout tests).
func (s *Sim) EndAt(tick int) { s.maxTicks = uint32(tick) }

// Describe names entity id for test output: seat0, pet1, totem0, boss,
// add#4099, sigil2, hazard#4123; "?" for an unknown id, "-" for 0.
func (s *Sim) Describe(id uint32) string {
	if id == 0 {
		return "-"
	}
	idx := id & slotMask
	if int(idx) >= len(s.slots) || s.slots[idx].gen != id>>slotBits {
		return "?"
	}
	t := tagC.Get(s.slots[idx].entry)
	switch t.kind {
	case KindOracle, KindPet, KindTotem:
		if t.kind == KindOracle {
			return "seat" + strconv.Itoa(int(t.seat))
		}
		return t.kind.String() + strconv.Itoa(int(t.seat))
	case KindBoss:
		return "boss"
	case KindSigil:
		return "sigil" + strconv.Itoa(int(t.content))
	default:
		// the others are named by kind and id below.
	}
	return t.kind.String() + "#" + strconv.Itoa(int(id))
}

// EnrageAt moves a raid's enrage timer to tick.
func (s *Sim) EnrageAt(tick int) { s.raid.enrageAt = uint32(tick) }
