// Package content is Pantheon's game data: the JSON files beside this file
// (elements, archetypes, abilities, statuses, roles, forms, pets, totems,
// NPCs, hazards, battle arenas, raids, rituals, modes, drop tables, codex),
// embedded in the binary, their schema (the *Def types), their validation
// and the version hash that names them.
//
// Parse reads a directory of content files strictly (unknown fields,
// trailing data and unknown files are refused), checks every record and
// every reference between files, and returns either an immutable *Bundle
// or an *Error listing every problem with its file and field. Load does the
// same for the embedded files. `pantheon content check [DIR]` wraps Parse
// (tools/contentcheck).
//
//	b, err := content.Load() // once per process; shared read-only
//	m, ok := b.Mode("raid")
//	sim, err := ecs.New(b, cfg)
//
// # Version
//
// Version is "c1-" and the first 8 bytes, in hex, of a SHA-256 over each
// file in a fixed order as name, NUL, decimal length, NUL, bytes. Results,
// match records and replays carry it, and a replay verifies only against
// the content it was recorded with, so the scheme never changes under the
// "c1-" prefix, and any byte of any file (a line ending too:
// .gitattributes pins them) makes a new version.
//
// # The simulation's view
//
// The list accessors (Abilities, Modes, ...) return copies for tools, the
// lobby and clients. The simulation (package ecs) instead resolves ids to
// numbers once, when it builds a match (AbilityIndex, HazardIndex, ...), and
// reads definitions by number as it plays (AbilityAt, NPCAt, ...), which
// copies one small struct and allocates nothing for definitions without
// slices. Content is validated against the simulation's limits (MaxSeats,
// MaxLoadout, the tick rates, MaxTicks, MaxGesture, SigilProgress), which
// this package defines and ecs repeats, and its enumerated strings (status
// ids, mode kinds, codex triggers) are the names ecs's enums carry, so
// every Bundle is playable. This package imports no other package of the
// module (tools/depcheck).
package content
