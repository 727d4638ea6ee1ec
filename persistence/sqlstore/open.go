package sqlstore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/pantheon-oracles/pantheon/persistence"
	"github.com/pantheon-oracles/pantheon/persistence/rating"
)

// DefaultDevURL is the embedded database `pantheon dev` uses.
const DefaultDevURL = "sqlite:data/pantheon.db"

// Bulk insert modes of the Postgres backend.
const (
	BulkCopy    = "copy"    // COPY FROM STDIN (pgx CopyFrom): the fastest
	BulkBatched = "batched" // one INSERT ... SELECT FROM unnest(arrays) statement per table
)

// Config opens a Store.
type Config struct {
	// URL picks the backend by scheme: postgres:// or postgresql:// for
	// PostgreSQL (any libpq/pgx URL, e.g. with sslmode or search_path
	// parameters); sqlite:PATH or file:PATH for the embedded store, whose
	// directory is created when missing. Required.
	URL string
	// MaxConns is the Postgres pool size. Default 8; ignored by SQLite
	// (always one connection).
	MaxConns int32
	// BulkInsert is how the Postgres backend writes match participants,
	// rewards, codex entries, replays and the ledger entries of results:
	// BulkCopy (default) or BulkBatched.
	BulkInsert string
	// Rating is the rating model applied to results. Default
	// rating.DefaultModel().
	Rating rating.Model
	// AutoMigrate applies pending migrations on Open. The embedded store
	// always migrates; on Postgres the default (false) only checks that the
	// schema is current and fails otherwise (run `pantheon migrate up`).
	AutoMigrate bool
	// SkipSchemaCheck opens a Postgres store without contacting the
	// database (the pool connects lazily), for a process that must start
	// while the database is down, such as a room server whose outbox
	// flusher retries until it answers. Calls fail with ErrUnavailable
	// meanwhile. Ignored with AutoMigrate and by SQLite.
	SkipSchemaCheck bool
	// Now is the clock for timestamps. Default time.Now.
	Now func() time.Time
}

// withDefaults fills the zero fields.
func (c Config) withDefaults() Config {
	if c.MaxConns == 0 {
		c.MaxConns = 8
	}
	if c.BulkInsert == "" {
		c.BulkInsert = BulkCopy
	}
	if c.Rating == (rating.Model{}) {
		c.Rating = rating.DefaultModel()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// Validate reports a malformed configuration; zero fields take their defaults.
func (c Config) Validate() error {
	c = c.withDefaults()
	if _, _, err := splitURL(c.URL); err != nil {
		return err
	}
	if c.MaxConns < 1 {
		return fmt.Errorf("persistence: config: MaxConns %d must be >= 1", c.MaxConns)
	}
	if c.BulkInsert != BulkCopy && c.BulkInsert != BulkBatched {
		return fmt.Errorf("persistence: config: BulkInsert %q must be %q or %q", c.BulkInsert, BulkCopy, BulkBatched)
	}
	if err := c.Rating.Validate(); err != nil {
		return fmt.Errorf("persistence: config: %w", err)
	}
	return nil
}

// splitURL returns the dialect ("postgres" or "sqlite") and the
// driver-specific address.
func splitURL(u string) (dialect, addr string, err error) {
	switch {
	case strings.HasPrefix(u, "postgres://"), strings.HasPrefix(u, "postgresql://"):
		return "postgres", u, nil
	case strings.HasPrefix(u, "sqlite:"):
		addr = strings.TrimPrefix(strings.TrimPrefix(u, "sqlite:"), "//")
	case strings.HasPrefix(u, "file:"):
		addr = strings.TrimPrefix(strings.TrimPrefix(u, "file:"), "//")
	default:
		return "", "", fmt.Errorf("%w: database URL %q: want postgres://..., sqlite:PATH or file:PATH", persistence.ErrInvalid, u)
	}
	if addr == "" {
		return "", "", fmt.Errorf("%w: database URL %q has no path", persistence.ErrInvalid, u)
	}
	return "sqlite", addr, nil
}

// Open opens the store named by url with default settings; see Config.URL.
// The embedded store is migrated on open; a Postgres schema must already be
// current. The caller closes the store.
func Open(ctx context.Context, url string) (persistence.Store, error) {
	return OpenConfig(ctx, Config{URL: url})
}

// OpenConfig opens a store as configured. The caller closes the store.
func OpenConfig(ctx context.Context, cfg Config) (persistence.Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	b, err := openBackend(ctx, cfg)
	if err != nil {
		return nil, err
	}
	switch {
	case cfg.AutoMigrate || b.name() == "sqlite":
		_, err = migrateUp(ctx, b, cfg.Now())
	case !cfg.SkipSchemaCheck:
		err = checkSchema(ctx, b)
	}
	if err != nil {
		_ = b.close()
		return nil, err
	}
	return newSQLStore(b, cfg.Rating, cfg.Now), nil
}

// openBackend connects without touching the schema.
func openBackend(ctx context.Context, cfg Config) (migrationLocker, error) {
	dialect, addr, err := splitURL(cfg.URL)
	if err != nil {
		return nil, err
	}
	if dialect == "postgres" {
		return openPostgres(ctx, addr, cfg.MaxConns, cfg.BulkInsert)
	}
	return openSQLite(addr)
}

// Migrate applies every pending migration to the database at url, under a
// lock that makes concurrent migrators safe, and returns the versions it
// applied (empty when the schema was already current).
func Migrate(ctx context.Context, url string) ([]int, error) {
	var applied []int
	err := withBackend(ctx, url, func(b migrationLocker, now time.Time) (err error) {
		applied, err = migrateUp(ctx, b, now)
		return err
	})
	return applied, err
}

// MigrationStatus lists every migration embedded in this binary and whether
// the database at url has it applied.
func MigrationStatus(ctx context.Context, url string) ([]Migration, error) {
	var ms []Migration
	err := withBackend(ctx, url, func(b migrationLocker, _ time.Time) (err error) {
		ms, err = migrationStatus(ctx, b)
		return err
	})
	return ms, err
}

// withBackend connects to url with default settings, runs fn and closes.
func withBackend(ctx context.Context, url string, fn func(b migrationLocker, now time.Time) error) error {
	cfg := Config{URL: url}.withDefaults()
	if err := cfg.Validate(); err != nil {
		return err
	}
	b, err := openBackend(ctx, cfg)
	if err != nil {
		return err
	}
	defer b.close()
	return fn(b, cfg.Now())
}
