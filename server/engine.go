package server

import (
	"github.com/pantheon-oracles/pantheon/contract"
	"github.com/pantheon-oracles/pantheon/netcode"
)

// engine is what a room needs from its simulation. simEngine adapts
// *ecs.Sim; tests wrap an engine to inject faults. Like the Sim, an engine
// is owned by exactly one goroutine (its room's shard) and is not safe for
// concurrent use.
type engine interface {
	// TickRate is the simulation's ticks per second.
	TickRate() int
	// Step runs one tick with that tick's inputs, sorted by seat and then
	// sequence, and returns the tick number it produced (1 for the first
	// Step), the events of the tick appended to events[:0], and whether the
	// match has ended.
	Step(inputs []seatInput, events []netcode.Event) (tick uint32, out []netcode.Event, done bool)
	// AppendEntities appends the world as wire entities with strictly
	// ascending ids (the Pantheon field table v1).
	AppendEntities(dst []netcode.Entity) []netcode.Entity
	// SeatEntity is the id of seat's own entity, 0 when it has none.
	SeatEntity(seat int) uint32
	// Finish returns the match's result as a record with the fields the
	// simulation knows (outcome, winning team, participants, rewards, codex,
	// final hash, ticks, replay); the room fills in the rest. After Step
	// reported done it returns that result; otherwise it aborts the match
	// (outcome aborted). Finish is called at most once.
	Finish() (contract.MatchRecord, error)
}

// seatInput is one input of one seat, as the room hands it to the engine.
type seatInput struct {
	Seat int
	netcode.Input
}

// engineFactory builds the engine of a new room from its spec, or reports
// why the spec cannot be played (unknown content ids, bad teams, ...; the
// control API answers 400).
type engineFactory func(spec contract.RoomSpec) (engine, error)
