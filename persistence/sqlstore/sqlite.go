package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/pantheon-oracles/pantheon/persistence"
	"modernc.org/sqlite"
)

// sqliteBackend is the embedded store: one SQLite file, opened through the
// pure-Go modernc.org/sqlite driver (no cgo, nothing to install).
//
// All access goes through a single connection, so writers are serialized
// without SQLITE_BUSY and row locks are unnecessary (lockSuffix is empty).
// WAL mode with synchronous=NORMAL keeps commits cheap; a crash can lose the
// last commits but never corrupts the file. This is the store for one
// machine (`pantheon dev`); production runs on Postgres.
type sqliteBackend struct {
	db   *sql.DB
	path string
}

// openSQLite opens (creating if needed) the database file at path.
func openSQLite(path string) (*sqliteBackend, error) {
	if path == "" {
		return nil, invalid("sqlite: empty path")
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("sqlite: create directory for %s: %w", path, err)
		}
	}
	q := url.Values{}
	q.Set("_busy_timeout", "10000")
	q.Set("_foreign_keys", "1")
	q.Set("_journal_mode", "WAL")
	q.Set("_synchronous", "NORMAL")
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	return &sqliteBackend{db: db, path: path}, nil
}

func (b *sqliteBackend) name() string { return "sqlite" }

func (b *sqliteBackend) ping(ctx context.Context) error {
	if err := b.db.PingContext(ctx); err != nil {
		return fmt.Errorf("%w: %w", persistence.ErrUnavailable, err)
	}
	return nil
}

func (b *sqliteBackend) close() error { return b.db.Close() }

func (b *sqliteBackend) read(ctx context.Context, fn func(tx dbtx) error) error {
	return classifySQLite(fn(sqliteTx{q: b.db}))
}

// write runs fn in a transaction. With one connection no other writer
// runs meanwhile, so errRelock cannot happen; it is retried all the same,
// a bounded number of times, to keep the backends' contract identical.
func (b *sqliteBackend) write(ctx context.Context, fn func(tx dbtx) error) error {
	for attempt := 1; ; attempt++ {
		err := b.writeOnce(ctx, fn)
		if !errors.Is(err, errRelock) || attempt == maxWriteAttempts {
			return err
		}
	}
}

func (b *sqliteBackend) writeOnce(ctx context.Context, fn func(tx dbtx) error) error {
	tx, err := b.db.BeginTx(ctx, nil)
	if err != nil {
		return classifySQLite(fmt.Errorf("begin: %w", err))
	}
	if err := fn(sqliteTx{q: tx}); err != nil {
		_ = tx.Rollback()
		return classifySQLite(err)
	}
	if err := tx.Commit(); err != nil {
		return classifySQLite(fmt.Errorf("commit: %w", err))
	}
	return nil
}

// SQLite extended result codes (https://www.sqlite.org/rescode.html).
const (
	sqliteConstraintCheck      = 275
	sqliteConstraintForeignKey = 787
	sqliteConstraintPrimaryKey = 1555
	sqliteConstraintUnique     = 2067
	sqliteConstraintNotNull    = 1299
)

// classifySQLite wraps constraint failures with the matching sentinel.
func classifySQLite(err error) error {
	var se *sqlite.Error
	if err == nil || !errors.As(err, &se) {
		return err
	}
	switch se.Code() {
	case sqliteConstraintForeignKey:
		return fmt.Errorf("%w: referenced row missing: %w", persistence.ErrNotFound, err)
	case sqliteConstraintCheck:
		if strings.Contains(se.Error(), "wallets_balance_nonnegative") {
			return fmt.Errorf("%w: %w", persistence.ErrInsufficientFunds, err)
		}
		return fmt.Errorf("%w: %w", persistence.ErrInvalid, err)
	case sqliteConstraintPrimaryKey, sqliteConstraintUnique, sqliteConstraintNotNull:
		return fmt.Errorf("%w: %w", persistence.ErrInvalid, err)
	}
	return err
}

// sqliteQuerier is what *sql.DB and *sql.Tx share.
type sqliteQuerier interface {
	ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
	PrepareContext(ctx context.Context, q string) (*sql.Stmt, error)
}

// sqliteTx adapts database/sql to dbtx. Times are stored as INTEGER Unix
// nanoseconds.
type sqliteTx struct{ q sqliteQuerier }

func sqliteTime(t time.Time) any { return t.UnixNano() }

func sqliteDecodeTime(src any) (time.Time, error) {
	n, ok := src.(int64)
	if !ok {
		return time.Time{}, fmt.Errorf("sqlite: time column holds %T, want INTEGER", src)
	}
	return time.Unix(0, n).UTC(), nil
}

func (t sqliteTx) exec(ctx context.Context, q string, args ...any) (int64, error) {
	res, err := t.q.ExecContext(ctx, q, encodeArgs(args, sqliteTime)...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (t sqliteTx) query(ctx context.Context, q string, args ...any) (rows, error) {
	rs, err := t.q.QueryContext(ctx, q, encodeArgs(args, sqliteTime)...)
	if err != nil {
		return nil, err
	}
	return sqliteRows{rs}, nil
}

func (t sqliteTx) queryRow(ctx context.Context, q string, args ...any) row {
	return sqliteRow{t.q.QueryRowContext(ctx, q, encodeArgs(args, sqliteTime)...)}
}

func (t sqliteTx) execMany(ctx context.Context, q string, argLists [][]any) error {
	if len(argLists) == 0 {
		return nil
	}
	st, err := t.q.PrepareContext(ctx, q)
	if err != nil {
		return err
	}
	defer st.Close()
	for _, args := range argLists {
		if _, err := st.ExecContext(ctx, encodeArgs(args, sqliteTime)...); err != nil {
			return err
		}
	}
	return nil
}

func (t sqliteTx) bulkInsert(ctx context.Context, table string, columns []string, rows [][]any) error {
	_, err := insertRows(ctx, t, table, columns, rows, "")
	return err
}

func (t sqliteTx) updateRows(ctx context.Context, table string, keyCols, setCols []string, rows [][]any) error {
	return t.execMany(ctx, updateSQL(table, keyCols, setCols), rows)
}

func (t sqliteTx) selectKeyed(ctx context.Context, q keyedSelect, group string, keys []string, each func(rows) error) error {
	return selectKeyedChunks(ctx, t, q, group, keys, each)
}

func (sqliteTx) lockSuffix() string { return "" }

type sqliteRows struct{ rs *sql.Rows }

func (r sqliteRows) Next() bool { return r.rs.Next() }
func (r sqliteRows) Err() error { return r.rs.Err() }
func (r sqliteRows) Close()     { _ = r.rs.Close() }
func (r sqliteRows) Scan(dest ...any) error {
	return scanConverted(r.rs.Scan, sqliteDecodeTime, dest)
}

type sqliteRow struct{ r *sql.Row }

func (r sqliteRow) Scan(dest ...any) error {
	err := scanConverted(r.r.Scan, sqliteDecodeTime, dest)
	if errors.Is(err, sql.ErrNoRows) {
		return errNoRows
	}
	return err
}

// withMigrationLock needs no extra lock on SQLite: each migration runs in a
// BEGIN IMMEDIATE transaction that checks and applies it atomically, which
// already excludes every other writer of the file.
func (b *sqliteBackend) withMigrationLock(_ context.Context, fn func() error) error { return fn() }
