// Package persistence is the contract of what must outlive a match:
// accounts and linked identities, refresh-token families, rosters,
// ratings, the economy ledger (wallets, transfers, wagers), finished
// matches with their replays and codex entries, and achievements.
//
// It holds the interfaces (Store and its parts), the value types they
// take and return, the sentinel errors callers compare with errors.Is, and
// ValidateRecord; it links no database driver. The implementation is
// package persistence/sqlstore (PostgreSQL and embedded SQLite), opened by
// URL where the process is wired (the root package); the lobby and the
// room server see only these interfaces. The match record and the oracle
// themselves are in package contract, shared with the room server and the
// bench.
//
// The lobby consumes accounts, refresh-token families, rosters, ratings
// and the ledger; the room server hands finished matches to its durable
// outbox (package persistence/outbox), which flushes them to a Store's
// Results.
package persistence
