// Package outbox is the room server's durable local outbox of finished
// matches: a fsynced segment log on local disk with a flusher that drains
// it, in submission order and in batches, into a persistence.Results (the
// Store's ApplyMatches).
//
// The guarantee is exactly once: Submit returns nil only once the record
// is fsynced (one fsync shared by concurrent submitters), and from then on
// the record reaches the store across crashes and restarts; ApplyMatches
// is idempotent by match id, so a batch retried after an uncertain commit
// or replayed after a crash changes nothing. Submit never waits on the
// database: while it is down, records wait on disk (bounded by
// Config.MaxRecords and Config.MaxBytes; past the bound Submit refuses with
// ErrFull) and Run retries with jittered exponential backoff. A record the
// store refuses for good (persistence.ErrInvalid, or ErrNotFound for an
// unknown player) goes to Dir/deadletter.seg (DeadLetters reads it back)
// instead of blocking the records behind it. disklog.go describes the
// files in Config.Dir and the frame format.
//
// Usage (the owner starts Run and waits for it before Close):
//
//	ob, err := outbox.Open(outbox.Config{Dir: "data/outbox", Registerer: reg, Logger: log}, store)
//	if err != nil { ... }
//	ctx, cancel := context.WithCancel(context.Background())
//	done := make(chan error, 1)
//	go func() { done <- ob.Run(ctx) }()
//	err = ob.Submit(ctx, record) // durable on local disk when nil
//	...
//	cancel(); <-done; ob.Close() // what was not flushed stays on disk for the next Open
//
// Metrics (registered on Config.Registerer; names are stable, dashboards
// depend on them):
//
//	pantheon_outbox_pending_records        gauge      records durable and not yet flushed
//	pantheon_outbox_pending_bytes          gauge      encoded bytes of those records
//	pantheon_outbox_flushed_records_total  counter    records flushed (including ones the store already had)
//	pantheon_outbox_flush_failures_total   counter    flush attempts that failed and will be retried
//	pantheon_outbox_rejected_full_total    counter    Submits refused with ErrFull
//	pantheon_outbox_dead_letters_total     counter    records moved to deadletter.seg
//	pantheon_outbox_flush_seconds          histogram  latency of one ApplyMatches batch
//	pantheon_outbox_fsync_seconds          histogram  latency of one fsync of the log
//
// Logs to alert on: "OUTBOX NEAR FULL" (once per crossing of
// Config.NearFull), "OUTBOX FULL", "OUTBOX DEAD LETTER" and
// "OUTBOX DISK FAILURE" (a failed write or fsync; Submit then refuses
// with ErrClosed until a restart).
package outbox
