// Package persistence stores what must outlive a match: accounts, rosters,
// ratings, the economy ledger and finished matches.
//
// The contract is in types.go (value types and the Store interface); it is
// implemented by a PostgreSQL backend (production) and an embedded backend
// (the default for `make run`).
package persistence
