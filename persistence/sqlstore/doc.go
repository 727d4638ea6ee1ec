// Package sqlstore is the SQL implementation of the persistence.Store
// contract: one implementation serving two backends, picked by URL:
//
//   - postgres:// or postgresql:// — PostgreSQL through a pgx pool, the
//     production store. Transactions run at READ COMMITTED; rows that
//     change are locked with SELECT ... FOR NO KEY UPDATE in one global
//     order (lockorder.go: the shared house wallet last, just before
//     commit), so concurrent flushers and ledger calls do not deadlock;
//     serialization failures and deadlocks are retried all the same.
//   - sqlite:PATH or file:PATH — an embedded SQLite file (modernc.org/sqlite,
//     pure Go, no cgo), the default of `pantheon dev` (DefaultDevURL). All
//     access goes through one connection, so writers are serialized.
//
// The schema is versioned SQL embedded in the binary (migrations/<dialect>),
// applied in order under a lock (pg_advisory_lock on Postgres) by Migrate or
// `pantheon migrate up`; re-running is a no-op. Open migrates the embedded
// store itself and refuses a Postgres schema that is not current.
//
// FLUSH.md records what a result batch costs on Postgres, statement by
// statement, what bounds it (per-row constraint checks: about 20,000
// participant rows per server core-second with ratings and ledger), and
// what was measured and left out; BenchmarkFlush reproduces it.
//
// Exactly-once results: a room server hands each finished match to its
// durable outbox (package persistence/outbox), whose Submit returns once
// the record is fsynced to a local segment log; its Run flushes records in
// batches to ApplyMatches, which inserts the match row first (ON CONFLICT
// DO NOTHING) and applies participants, replay, ratings (package rating),
// reward credits, wager settlement and codex entries only for rows it
// created, all in one transaction. Retries after a crash or an uncertain
// commit change nothing.
//
// The ledger is double entry: every movement is a pair (or more) of
// entries summing to zero per currency, between player wallets, the
// HouseAccount (the issuer, the only wallet allowed below zero) and one
// escrow account per match (EscrowAccount). Every operation carries an
// idempotency key: the same key returns the first result, a different
// request under it ErrIdempotencyMismatch. Constraints guard it all: unique
// keys, CHECK (balance >= 0) for non-house wallets, foreign keys.
//
// Usage:
//
//	store, err := sqlstore.Open(ctx, "sqlite:data/pantheon.db")
//	if err != nil { ... }
//	defer store.Close()
//	p, _, err := store.LoginIdentity(ctx, "device", deviceID, "Ari")
//	_, err = store.Grant(ctx, persistence.Grant{IdempotencyKey: "order-77", PlayerID: p.ID, Currency: "gold", Amount: 100})
package sqlstore
