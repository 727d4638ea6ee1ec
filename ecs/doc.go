// Package ecs is Pantheon's deterministic match simulation: battles (1v1,
// 3v3, 5v5 in arenas with environmental hazards), raids (up to 40 players
// against a phased boss and up to 400 adds) and rituals (players channelling
// at sigils in sequence), built on donburi.
//
// A Sim is a value, not a process. The room that owns it calls Step once per
// tick with that tick's inputs (sorted by seat and sequence number) and gets
// back, as data, what happened: events, a state hash and, once, the match
// result. A Sim never reads a clock, sleeps, logs, does I/O, starts
// goroutines or touches global state; tools/purity enforces this for every
// package under ecs/ (`make verify`).
//
//	bundle, err := content.Load() // once per process; shared read-only
//	sim, err := ecs.New(bundle, ecs.Config{Mode: "battle_3v3", Arena: "behemoth", Seed: seed, Seats: seats})
//	every 1/sim.TickRate() seconds:
//		out := sim.Step(inputs)            // inputs sorted by (Seat, Seq)
//		views = sim.AppendView(views[:0])  // snapshot material, no allocation
//		if out.Done { persist(out.Result) } // Result.Replay holds the replay
//	on room close before the end:
//		result := sim.Abort()              // outcome "aborted", no rewards
//
// # Determinism
//
// The same content version, config (mode, arena, seed, seats) and inputs give
// the same state hash at every tick on every machine: positions are int32
// millimetres, times are ticks, energy is milli-energy, percentages are
// integers; there are no floats in the simulation. The one RNG (xoshiro256**,
// seeded from Config.Seed) is part of the state and drawn in a fixed order.
// Systems iterate donburi queries, whose order is fixed by the order entities
// were created, or slices; never maps. Each tick runs, in order: spatial grids,
// totem auras, inputs (intent, casts, gestures), oracle movement, NPC brains
// (pets, adds, boss), mode rules (hazard waves; boss phases, adds, enrage;
// surges, channelling and sigils), hazard zones, status effects and
// regeneration, end conditions, then the hash.
//
// # Inputs
//
// Inputs are never trusted: a movement vector longer than MaxMove is clamped,
// a facing outside 0-255 wraps, and a stale sequence number, a flood, an
// unknown seat, slot or target, a cast on cooldown, without energy, out of
// range or while stunned, a gesture outside a ritual, at the wrong sigil or
// with the wrong sign, all become EventInputClamped, EventInputRejected or
// EventCastRejected events naming a Reason. Movement, facing and channel are
// held intent (they stay until the seat's next input); casts and gestures are
// one-shot.
//
// # Replays
//
// Every Sim records its replay as it runs: content version, mode, arena,
// seed, seats, and each tick's inputs and resulting hash (the hash covers the
// tick's inputs too, so any changed input is caught at its tick).
// EncodeReplay and DecodeReplay use a versioned, checksummed binary format
// (see replay.go) whose decoder bounds every length and never panics;
// VerifyReplay re-simulates a replay and returns the first divergent tick.
// `pantheon replay verify FILE` wraps it (tools/replayverify).
//
// # Concurrency
//
// A Sim is not safe for concurrent use; distinct Sims are independent, even
// sharing one *content.Bundle. donburi v1.15.7 needs care for that: NewWorld bumps an
// unlocked package counter (worlds are created under a mutex in
// ecs/internal/worldgate), and a donburi.Query caches per-world results in an
// unguarded map (every Sim builds its own queries, and component types' shared
// queries, e.g. ComponentType.Each, are never used). TestParallelSims steps a
// dozen Sims on as many goroutines under -race.
//
// # Performance
//
// Entities are pooled per component layout: a dead add's entity is reset and
// reused under a new id (ids are never reused within a match), and New
// reserves the pools a match can need, so Step allocates nothing in steady
// state except the replay record's chunks and, on the final tick, the
// Result (TestStepSteadyStateAllocatesNothing). The replay record is a list
// of chunks (recorder.go): New allocates a 2 KiB one, and Step links a 16
// KiB one each time the last is full, never copying what is recorded, so a
// Sim's memory tracks what its match has recorded (an 8-seat match about
// 4 KB a second at 30 Hz) and Step makes one allocation per 16 KiB
// recorded. Target searches and area effects use a per-team uniform grid,
// so a 40-player, 400-add raid costs O(n) per tick (BenchmarkStep).
//
// # Content
//
// Content is data, in package content (ecs/content): JSON files embedded in
// the binary (elements, archetypes, abilities, statuses, roles, forms, pets,
// totems, NPCs, hazards, battle arenas, raids, rituals, modes, drop tables,
// codex), their schema and validation, versioned by a hash of the files. A
// Sim reads a shared, immutable *content.Bundle: New resolves the config's
// ids to content numbers once (ValidateConfig and ValidateOracle run the
// same checks without building a match) and copies what the match keeps
// (its mode, arena, raid or ritual); Step reads abilities, forms and NPCs
// by number (content.Bundle.AbilityAt, ...), copying one small struct and
// allocating nothing. The sim's enums (Status, mode kinds, codex triggers)
// are named as content names them, and content is validated against this
// package's limits (MaxSeats, MaxLoadout, MaxGesture, the tick rates),
// which package content defines.
package ecs
