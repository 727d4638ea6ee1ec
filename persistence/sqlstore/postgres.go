package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/pantheon-oracles/pantheon/persistence"
)

// pgBackend is the production store: PostgreSQL through a pgx pool.
// Transactions run at READ COMMITTED; the store locks the rows it changes
// (SELECT ... FOR NO KEY UPDATE, in the lock order of lockorder.go so
// concurrent transactions do not deadlock on them), and write retries
// serialization failures, deadlocks and errRelock from the start.
type pgBackend struct {
	pool *pgxpool.Pool
	bulk string // BulkCopy or BulkBatched
	// reruns counts the transactions write ran again, by cause.
	reruns struct{ deadlock, serialization, relock atomic.Int64 }
}

// pgMigrationLockKey is the pg_advisory_lock key migrators hold.
const pgMigrationLockKey = 0x70616e7468656f6e // "pantheon"

func openPostgres(ctx context.Context, url string, maxConns int32, bulk string) (*pgBackend, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("%w: postgres: parse URL: %w", persistence.ErrInvalid, err)
	}
	cfg.MaxConns = maxConns
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", classifyPG(err))
	}
	return &pgBackend{pool: pool, bulk: bulk}, nil
}

func (b *pgBackend) name() string { return "postgres" }

func (b *pgBackend) close() error { b.pool.Close(); return nil }

func (b *pgBackend) ping(ctx context.Context) error {
	if err := b.pool.Ping(ctx); err != nil {
		return fmt.Errorf("%w: %w", persistence.ErrUnavailable, err)
	}
	return nil
}

func (b *pgBackend) read(ctx context.Context, fn func(tx dbtx) error) error {
	return classifyPG(fn(pgTx{q: b.pool, bulk: b.bulk}))
}

func (b *pgBackend) write(ctx context.Context, fn func(tx dbtx) error) error {
	for attempt := 1; ; attempt++ {
		err := b.writeOnce(ctx, fn)
		if err == nil || !pgRetryable(err) || attempt == maxWriteAttempts {
			return classifyPG(err)
		}
		b.countRerun(err)
		// Jittered exponential backoff: 1ms, 2ms, 4ms ... capped at 100ms.
		d := min(time.Millisecond<<(attempt-1), 100*time.Millisecond)
		d = d/2 + rand.N(d/2+1)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(d):
		}
	}
}

func (b *pgBackend) writeOnce(ctx context.Context, fn func(tx dbtx) error) error {
	tx, err := b.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(pgTx{q: tx, bulk: b.bulk}); err != nil {
		_ = tx.Rollback(context.WithoutCancel(ctx))
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

func (b *pgBackend) withMigrationLock(ctx context.Context, fn func() error) error {
	conn, err := b.pool.Acquire(ctx)
	if err != nil {
		return classifyPG(err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, int64(pgMigrationLockKey)); err != nil {
		return classifyPG(fmt.Errorf("advisory lock: %w", err))
	}
	defer func() {
		_, _ = conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, int64(pgMigrationLockKey))
	}()
	return fn()
}

// countRerun counts a retryable failure by cause.
func (b *pgBackend) countRerun(err error) {
	var pe *pgconn.PgError
	switch {
	case errors.Is(err, errRelock):
		b.reruns.relock.Add(1)
	case errors.As(err, &pe) && pe.Code == "40P01":
		b.reruns.deadlock.Add(1)
	default:
		b.reruns.serialization.Add(1)
	}
}

// pgRetryable reports a transaction worth running again as a whole.
func pgRetryable(err error) bool {
	if errors.Is(err, errRelock) {
		return true
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "40001" || pe.Code == "40P01" // serialization_failure, deadlock_detected
	}
	return false
}

// classifyPG wraps driver errors with the matching sentinel.
func classifyPG(err error) error {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case pe.Code == "23503":
			return fmt.Errorf("%w: referenced row missing: %w", persistence.ErrNotFound, err)
		case pe.Code == "23514" && pe.ConstraintName == "wallets_balance_nonnegative":
			return fmt.Errorf("%w: %w", persistence.ErrInsufficientFunds, err)
		case pe.Code == "23514", pe.Code == "23505", pe.Code == "23502", pe.Code == "22P02":
			return fmt.Errorf("%w: %w", persistence.ErrInvalid, err)
		case pe.Code[:2] == "08", pe.Code == "57P01", pe.Code == "57P02", pe.Code == "57P03", pe.Code == "53300":
			return fmt.Errorf("%w: %w", persistence.ErrUnavailable, err)
		}
		return err
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	if errors.As(err, &ce) || errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, pgx.ErrTxClosed) || pgconn.SafeToRetry(err) || pgconn.Timeout(err) || isClosedConn(err) {
		return fmt.Errorf("%w: %w", persistence.ErrUnavailable, err)
	}
	return err
}

// isClosedConn recognises pgx's "conn closed" error, which has no exported
// sentinel.
func isClosedConn(err error) bool {
	for e := err; e != nil; e = errors.Unwrap(e) {
		if e.Error() == "conn closed" {
			return true
		}
	}
	return false
}

// pgQuerier is what a pgx transaction and the pool share.
type pgQuerier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
	CopyFrom(ctx context.Context, table pgx.Identifier, columns []string, src pgx.CopyFromSource) (int64, error)
}

// pgTx adapts pgx to dbtx.
type pgTx struct {
	q    pgQuerier
	bulk string
}

func pgTime(t time.Time) any { return t.UTC() }

func pgDecodeTime(src any) (time.Time, error) {
	t, ok := src.(time.Time)
	if !ok {
		return time.Time{}, fmt.Errorf("postgres: time column holds %T", src)
	}
	return t.UTC(), nil
}

func (t pgTx) exec(ctx context.Context, q string, args ...any) (int64, error) {
	tag, err := t.q.Exec(ctx, q, encodeArgs(args, pgTime)...)
	if err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}

func (t pgTx) query(ctx context.Context, q string, args ...any) (rows, error) {
	rs, err := t.q.Query(ctx, q, encodeArgs(args, pgTime)...)
	if err != nil {
		return nil, err
	}
	return pgRows{rs}, nil
}

func (t pgTx) queryRow(ctx context.Context, q string, args ...any) row {
	return pgRow{t.q.QueryRow(ctx, q, encodeArgs(args, pgTime)...)}
}

func (t pgTx) execMany(ctx context.Context, q string, argLists [][]any) error {
	if len(argLists) == 0 {
		return nil
	}
	var batch pgx.Batch
	for _, args := range argLists {
		batch.Queue(q, encodeArgs(args, pgTime)...)
	}
	br := t.q.SendBatch(ctx, &batch)
	for range argLists {
		if _, err := br.Exec(); err != nil {
			_ = br.Close()
			return err
		}
	}
	return br.Close()
}

// bulkInsert appends rows with COPY (BulkCopy), or (BulkBatched) with one
// INSERT ... SELECT FROM unnest($1::type[], ...) statement: one array
// parameter per column, so the statement text does not depend on the
// number of rows.
func (t pgTx) bulkInsert(ctx context.Context, table string, columns []string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	for _, r := range rows {
		encodeArgs(r, pgTime)
	}
	if t.bulk == BulkCopy {
		if _, err := t.q.CopyFrom(ctx, pgx.Identifier{table}, columns, pgx.CopyFromRows(rows)); err != nil {
			return fmt.Errorf("copy %s: %w", table, err)
		}
		return nil
	}
	arrays, err := pgArrays(rows, len(columns))
	if err != nil {
		return fmt.Errorf("insert %s: %w", table, err)
	}
	if _, err := t.q.Exec(ctx, "INSERT INTO "+table+" ("+strings.Join(columns, ", ")+") SELECT * FROM unnest("+
		strings.Join(arrays.casts, ", ")+")", arrays.args...); err != nil {
		return fmt.Errorf("insert %s: %w", table, err)
	}
	return nil
}

// updateRows sends one UPDATE ... FROM unnest($1::type[], ...) statement
// with one array parameter per column.
func (t pgTx) updateRows(ctx context.Context, table string, keyCols, setCols []string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	cols := append(append([]string(nil), keyCols...), setCols...)
	for _, r := range rows {
		encodeArgs(r, pgTime)
	}
	arrays, err := pgArrays(rows, len(cols))
	if err != nil {
		return fmt.Errorf("update %s: %w", table, err)
	}
	set := make([]string, len(setCols))
	for i, c := range setCols {
		set[i] = c + " = v." + c
	}
	match := make([]string, len(keyCols))
	for i, c := range keyCols {
		match[i] = "t." + c + " = v." + c
	}
	_, err = t.q.Exec(ctx, "UPDATE "+table+" AS t SET "+strings.Join(set, ", ")+" FROM unnest("+strings.Join(arrays.casts, ", ")+
		") AS v("+strings.Join(cols, ", ")+") WHERE "+strings.Join(match, " AND "), arrays.args...)
	return err
}

// pgColumnArrays are the columns of a set of rows as array parameters.
type pgColumnArrays struct {
	args  []any    // one typed slice per column
	casts []string // "$1::text[]", ... naming each parameter's type
}

// pgArrays turns rows of width columns into one typed slice per column,
// which pgx sends as a Postgres array. The values of a column must all be
// of one type among string, int, int64, float64, time.Time and []byte, or
// nil (NULL): a column with a nil becomes a slice of pointers.
func pgArrays(rows [][]any, width int) (pgColumnArrays, error) {
	out := pgColumnArrays{args: make([]any, width), casts: make([]string, width)}
	for i := range width {
		var first any
		for _, r := range rows {
			if r[i] != nil {
				first = r[i]
				break
			}
		}
		var err error
		var elem string
		switch first.(type) {
		case string, nil: // an all-NULL column is sent as text[]
			out.args[i], err = pgColumn(rows, i, func(v any) (string, bool) { s, ok := v.(string); return s, ok })
			elem = "text"
		case int, int64:
			out.args[i], err = pgColumn(rows, i, func(v any) (int64, bool) {
				switch n := v.(type) {
				case int:
					return int64(n), true
				case int64:
					return n, true
				}
				return 0, false
			})
			elem = "int8"
		case float64:
			out.args[i], err = pgColumn(rows, i, func(v any) (float64, bool) { f, ok := v.(float64); return f, ok })
			elem = "float8"
		case time.Time:
			out.args[i], err = pgColumn(rows, i, func(v any) (time.Time, bool) { t, ok := v.(time.Time); return t, ok })
			elem = "timestamptz"
		case []byte:
			out.args[i], err = pgColumn(rows, i, func(v any) ([]byte, bool) { b, ok := v.([]byte); return b, ok })
			elem = "bytea"
		default:
			err = fmt.Errorf("column %d: unsupported value %T", i, first)
		}
		if err != nil {
			return pgColumnArrays{}, err
		}
		out.casts[i] = fmt.Sprintf("$%d::%s[]", i+1, elem)
	}
	return out, nil
}

// pgColumn collects column i of rows with conv, which reports a value of
// another type. The result is a []T, or a []*T when the column holds a nil.
func pgColumn[T any](rows [][]any, i int, conv func(any) (T, bool)) (any, error) {
	vals := make([]T, len(rows))
	nulls := false
	for j, r := range rows {
		if r[i] == nil {
			nulls = true
			continue
		}
		v, ok := conv(r[i])
		if !ok {
			return nil, fmt.Errorf("column %d, row %d: %T among values of another type", i, j, r[i])
		}
		vals[j] = v
	}
	if !nulls {
		return vals, nil
	}
	ptrs := make([]*T, len(rows))
	for j, r := range rows {
		if r[i] != nil {
			ptrs[j] = &vals[j]
		}
	}
	return ptrs, nil
}

// selectKeyed sends one statement whatever the number of keys, matching
// them with = ANY($1::text[]).
func (t pgTx) selectKeyed(ctx context.Context, q keyedSelect, group string, keys []string, each func(rows) error) error {
	if len(keys) == 0 {
		return nil
	}
	args := []any{keys}
	if q.group != "" {
		args = append(args, group)
	}
	return scanEach(ctx, t, q.sql(q.key+" = ANY($1::text[])", 2, t.lockSuffix()), args, each)
}

func (pgTx) lockSuffix() string { return " FOR NO KEY UPDATE" }

type pgRows struct{ rs pgx.Rows }

func (r pgRows) Next() bool { return r.rs.Next() }
func (r pgRows) Err() error { return r.rs.Err() }
func (r pgRows) Close()     { r.rs.Close() }
func (r pgRows) Scan(dest ...any) error {
	return scanConverted(r.rs.Scan, pgDecodeTime, dest)
}

type pgRow struct{ r pgx.Row }

func (r pgRow) Scan(dest ...any) error {
	err := scanConverted(r.r.Scan, pgDecodeTime, dest)
	if errors.Is(err, pgx.ErrNoRows) {
		return errNoRows
	}
	return err
}
