package sqlstore

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

// migrationFiles holds the versioned schema, one directory per dialect
// (migrations/postgres, migrations/sqlite). A file is NNNN_name.sql; files
// are applied in version order, each in its own transaction together with
// its row in schema_migrations. Never edit an applied file: add a new one.
//
//go:embed migrations
var migrationFiles embed.FS

// Migration is one versioned schema change and whether it is applied.
type Migration struct {
	Version   int
	Name      string
	Applied   bool
	AppliedAt time.Time // zero when not applied
}

type migrationFile struct {
	version int
	name    string
	sql     string
}

// migrationsFor lists the embedded migrations of a dialect in version order.
func migrationsFor(dialect string) ([]migrationFile, error) {
	dir := path.Join("migrations", dialect)
	entries, err := fs.ReadDir(migrationFiles, dir)
	if err != nil {
		return nil, fmt.Errorf("migrations %s: %w", dialect, err)
	}
	var out []migrationFile
	for _, e := range entries {
		base, ok := strings.CutSuffix(e.Name(), ".sql")
		if !ok {
			continue
		}
		num, name, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migrations %s: bad file name %q (want NNNN_name.sql)", dialect, e.Name())
		}
		body, err := fs.ReadFile(migrationFiles, path.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("migrations %s: %w", dialect, err)
		}
		out = append(out, migrationFile{version: v, name: name, sql: string(body)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	for i := 1; i < len(out); i++ {
		if out[i].version == out[i-1].version {
			return nil, fmt.Errorf("migrations %s: version %d twice", dialect, out[i].version)
		}
	}
	return out, nil
}

// migrationsTable is created before anything else; it is the same in both
// dialects (applied_at is RFC 3339 text).
const migrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
	version    INTEGER PRIMARY KEY,
	name       TEXT NOT NULL,
	applied_at TEXT NOT NULL
)`

// migrationLocker is implemented by backends: it runs fn while holding a
// lock that excludes every other migrator of the same database.
type migrationLocker interface {
	backend
	withMigrationLock(ctx context.Context, fn func() error) error
}

// migrateUp applies every pending migration of dialect under the backend's
// migration lock and returns the versions it applied (none when up to date).
func migrateUp(ctx context.Context, b migrationLocker, now time.Time) ([]int, error) {
	files, err := migrationsFor(b.name())
	if err != nil {
		return nil, err
	}
	var applied []int
	err = b.withMigrationLock(ctx, func() error {
		if err := b.write(ctx, func(tx dbtx) error {
			_, err := tx.exec(ctx, migrationsTable)
			return err
		}); err != nil {
			return fmt.Errorf("create schema_migrations: %w", err)
		}
		for _, m := range files {
			err := b.write(ctx, func(tx dbtx) error {
				var n int
				if err := tx.queryRow(ctx, `SELECT count(*) FROM schema_migrations WHERE version = $1`, m.version).Scan(&n); err != nil {
					return err
				}
				if n > 0 {
					return nil
				}
				if _, err := tx.exec(ctx, m.sql); err != nil {
					return err
				}
				if _, err := tx.exec(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
					m.version, m.name, now.UTC().Format(time.RFC3339Nano)); err != nil {
					return err
				}
				applied = append(applied, m.version)
				return nil
			})
			if err != nil {
				return fmt.Errorf("migration %04d_%s: %w", m.version, m.name, err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%s: migrate up: %w", b.name(), err)
	}
	return applied, nil
}

// migrationStatus lists every embedded migration with whether it is applied.
func migrationStatus(ctx context.Context, b backend) ([]Migration, error) {
	files, err := migrationsFor(b.name())
	if err != nil {
		return nil, err
	}
	done := map[int]time.Time{}
	err = b.read(ctx, func(tx dbtx) error {
		var exists bool
		var err error
		if exists, err = hasMigrationsTable(ctx, b, tx); err != nil || !exists {
			return err
		}
		rs, err := tx.query(ctx, `SELECT version, applied_at FROM schema_migrations`)
		if err != nil {
			return err
		}
		defer rs.Close()
		for rs.Next() {
			var v int
			var at string
			if err := rs.Scan(&v, &at); err != nil {
				return err
			}
			t, _ := time.Parse(time.RFC3339Nano, at)
			done[v] = t
		}
		return rs.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("%s: migration status: %w", b.name(), err)
	}
	out := make([]Migration, len(files))
	for i, f := range files {
		at, ok := done[f.version]
		out[i] = Migration{Version: f.version, Name: f.name, Applied: ok, AppliedAt: at}
	}
	return out, nil
}

// hasMigrationsTable reports whether schema_migrations exists (in the
// current search_path on Postgres).
func hasMigrationsTable(ctx context.Context, b backend, tx dbtx) (bool, error) {
	q := `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'`
	if b.name() == "postgres" {
		q = `SELECT count(*) FROM pg_catalog.pg_tables WHERE tablename = 'schema_migrations' AND schemaname = current_schema()`
	}
	var n int
	if err := tx.queryRow(ctx, q).Scan(&n); err != nil {
		return false, err
	}
	return n > 0, nil
}

// checkSchema returns an error unless every embedded migration is applied.
func checkSchema(ctx context.Context, b backend) error {
	ms, err := migrationStatus(ctx, b)
	if err != nil {
		return err
	}
	for _, m := range ms {
		if !m.Applied {
			return fmt.Errorf("%s: schema migration %04d_%s not applied: run `pantheon migrate up`", b.name(), m.Version, m.Name)
		}
	}
	return nil
}
