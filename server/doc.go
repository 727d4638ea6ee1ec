// Package server is the room server: it hosts many rooms in one process,
// runs each room's deterministic simulation (ecs) on a fixed-step clock
// that never waits on I/O, admits players holding join tickets it signed,
// streams delta snapshots over KCP and WebSocket (netcode), and hands each
// finished match to a ResultSink (persistence's durable outbox).
//
// # Shape
//
//   - Server owns everything and starts every goroutine in one phase of its
//     lifecycle (lifecycle.go: accept, shards, results, heartbeats, admin),
//     each with a context under one root, under the lock that closes the
//     phase: no goroutine starts once its phase ended, and Shutdown ends
//     and waits for the phases in turn. Players may also connect through
//     Config.Listeners (an in-memory network in tests and benchmarks).
//   - A room reaches nothing of the Server: it is built from a narrow
//     environment (roomEnv: a config subset, logger, metrics, the result
//     hand-off, a clock, how its host forgets it), so a test builds,
//     seats and steps one alone (TestRoomStandalone). Its state is a
//     RoomState ("waiting", "running", "ended" on the control API and in
//     pantheon_room_rooms{state}).
//   - Rooms live on shards: a few scheduler goroutines (GOMAXPROCS by
//     default), each stepping many rooms. A room is pinned to one shard for
//     its life, so exactly one goroutine ever touches its Sim. A shard sleeps
//     until the earliest due tick of its rooms (one timer wake-up serves all
//     of them) and recovers a panicking room into an aborted result while its
//     other rooms keep ticking. BenchmarkRooms measures one shard.
//   - Clock is the fixed-step clock: Advance(now) returns the ticks owed,
//     capped, and counts late and skipped ticks.
//   - Each connection has a reader and a writer goroutine. The reader admits
//     the session (hello with a join ticket, or resume with a resume token),
//     rate-limits and deduplicates inputs into a bounded inbox; the room
//     drains every inbox once per tick into one slice sorted by seat and
//     sequence, steps the sim, encodes each client's delta against its
//     acknowledged baseline and drops it in the connection's one-slot mailbox
//     (latest wins). After servicing the room the shard hands each
//     connection's frames of the tick (events, then the snapshot) to its
//     socket itself, in one non-blocking write (writev on WebSocket; the
//     in-memory transport never waits); the writer goroutine sleeps through
//     that and writes only what the shard could not: a socket that would
//     block (the rest of a half-sent frame first), pongs and other frames
//     queued from the reader, the close. KCP sessions, which have no
//     non-blocking write, are written by their writer goroutine as before.
//     So a tick never waits on a socket, and a steady one wakes no goroutine
//     per connection. A client that leaves snapshots untaken for
//     Config.SlowConsumerTicks ticks is closed with slow_consumer.
//   - Tickets are HS256 JWTs (room, seat, player, expiry, jti) accepted once,
//     with an explicit algorithm allow-list. Resume tokens are opaque 128-bit
//     one-time tokens (netcode caps them at 128 bytes), rotated at every
//     welcome; a dropped seat is held for the mode's grace period.
//   - The control API (CONTROL_API.md), /metrics (a registry of its own with
//     the Go and process collectors and pantheon_build_info), the probes
//     (/healthz; /livez, always 200; /readyz, 503 with its reasons while
//     draining) and net/http/pprof share the admin address. Heartbeats go to the lobby.
//   - Results go through a bounded queue drained by a goroutine of the
//     server; a room whose result does not fit keeps it and retries next
//     tick, so no tick blocks and no result is dropped.
//   - Nothing on a shard waits on I/O or on a lock an I/O goroutine holds
//     across I/O: logs go through a bounded queue to the server's logger
//     goroutine (full: the record is dropped and counted in
//     pantheon_room_log_records_dropped_total), metrics are pre-resolved
//     counters, and every queue the tick feeds (mailboxes, control queues,
//     joins, results) is offered to without blocking.
//   - In steady state a tick allocates nothing but the simulation's replay
//     chunks: inputs, events, snapshot deltas and the connections' control
//     frames all reuse buffers owned by the room or the connection
//     (TestRoomTickAllocatesNothing, BenchmarkRoomTick).
//
// # Use
//
//	bundle, _ := content.Load()
//	srv, err := server.New(server.Config{
//		FleetSecret: secret,          // shared with the lobby
//		TicketKey:   key,             // 32+ bytes
//		LobbyURLs:   []string{"http://127.0.0.1:8080"},
//	}, bundle, outbox)                // outbox: a server.ResultSink
//	if err != nil { ... }
//	err = srv.Run(ctx)                // serves until ctx ends, then drains
//
// Wire events are documented in EVENTS.md.
package server
