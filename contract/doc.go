// Package contract holds the value types that cross package boundaries:
// the oracle a player owns and brings into a match, and the record of a
// finished match that the room server hands to the durable outbox and the
// store applies.
//
// It is a leaf: it imports only the standard library and the ecs content
// types it embeds (an oracle's content fields are the same fact as the
// simulation's ecs.OracleSpec), and links no database driver, so the room
// server, the matchmaker and the bench can share these types without
// linking pgx or SQLite. `make verify` checks that with `go list -deps`.
package contract
