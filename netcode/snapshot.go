package netcode

import (
	"fmt"
	"slices"
)

// MaxFields is the number of int32 fields an entity has on the wire. Which
// field means what is the game's schema (PROTOCOL.md, "Pantheon field table
// v1"); netcode only moves integers.
const MaxFields = 32

// Entity is one entity's state: a stable id and its quantized fields.
// Fields a game does not use stay 0 and cost nothing on the wire.
type Entity struct {
	ID     uint32
	Fields [MaxFields]int32
}

// Snapshot is the world at one server tick: entities sorted by ascending,
// unique ID. Tick 0 is reserved (it means "no baseline" on the wire), so
// servers number ticks from 1.
type Snapshot struct {
	Tick     uint32
	Entities []Entity
}

// CopyFrom makes s a deep copy of src, reusing s's capacity.
func (s *Snapshot) CopyFrom(src *Snapshot) {
	s.Tick = src.Tick
	s.Entities = append(s.Entities[:0], src.Entities...)
}

// Find returns the entity with the given id, or nil.
func (s *Snapshot) Find(id uint32) *Entity {
	i, ok := slices.BinarySearchFunc(s.Entities, id, func(e Entity, id uint32) int {
		switch {
		case e.ID < id:
			return -1
		case e.ID > id:
			return 1
		}
		return 0
	})
	if !ok {
		return nil
	}
	return &s.Entities[i]
}

// Validate checks the invariant encoders rely on: ids strictly ascending.
func (s *Snapshot) Validate() error {
	for i := 1; i < len(s.Entities); i++ {
		if s.Entities[i].ID <= s.Entities[i-1].ID {
			return fmt.Errorf("netcode: snapshot %d: entity ids not strictly ascending at index %d (%d after %d)",
				s.Tick, i, s.Entities[i].ID, s.Entities[i-1].ID)
		}
	}
	return nil
}

// Equal reports whether a and b hold the same tick and entities.
func (s *Snapshot) Equal(b *Snapshot) bool {
	return s.Tick == b.Tick && slices.Equal(s.Entities, b.Entities)
}
