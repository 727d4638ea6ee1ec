package sqlstore

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"time"

	"github.com/pantheon-oracles/pantheon/persistence"
	"github.com/pantheon-oracles/pantheon/persistence/rating"
)

// errNoRows is what a row's Scan returns when the query found nothing; each
// backend translates its driver's own value to it.
var errNoRows = errors.New("persistence: no rows")

// backend is what differs between PostgreSQL and SQLite: connections,
// transactions and the classification of driver errors. Everything else is
// the sqlStore, written once.
type backend interface {
	// write runs fn in a read-write transaction, committing when fn returns
	// nil, retrying serialization failures, deadlocks and errRelock from
	// the start, at most maxWriteAttempts times in all.
	write(ctx context.Context, fn func(tx dbtx) error) error
	// read runs fn on a connection without a transaction (one consistent
	// statement at a time).
	read(ctx context.Context, fn func(tx dbtx) error) error
	ping(ctx context.Context) error
	close() error
	// name is "postgres" or "sqlite", for errors and logs.
	name() string
}

// maxWriteAttempts bounds how often a backend's write runs a transaction
// that failed with a serialization failure, a deadlock or errRelock.
const maxWriteAttempts = 10

// sqlStore implements Store on either backend.
type sqlStore struct {
	b     backend
	model rating.Model
	now   func() time.Time
}

var _ persistence.Store = (*sqlStore)(nil)

func newSQLStore(b backend, model rating.Model, now func() time.Time) *sqlStore {
	if now == nil {
		now = time.Now
	}
	return &sqlStore{b: b, model: model, now: now}
}

// Ping reports whether the database answers.
func (s *sqlStore) Ping(ctx context.Context) error {
	if err := s.b.ping(ctx); err != nil {
		return fmt.Errorf("%s: ping: %w", s.b.name(), err)
	}
	return nil
}

// Close releases the database connections.
func (s *sqlStore) Close() error { return s.b.close() }

// clock returns the current time in UTC, truncated to microseconds (what
// Postgres keeps), so values read back equal values written.
func (s *sqlStore) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// at normalises a caller-supplied time, taking the store's clock for zero.
func (s *sqlStore) at(t time.Time) time.Time {
	if t.IsZero() {
		return s.clock()
	}
	return asTime(t)
}

// newID returns prefix followed by 26 random base32 characters
// (crypto/rand.Text, 130 bits).
func newID(prefix string) string { return prefix + rand.Text() }

// invalid returns an ErrInvalid wrapped with a formatted reason.
func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", persistence.ErrInvalid, fmt.Sprintf(format, args...))
}

// asTime normalises a time for storage: UTC, microsecond precision.
func asTime(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC().Truncate(time.Microsecond)
}
