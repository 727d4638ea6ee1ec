package persistence_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pantheon-oracles/pantheon/internal/testsvc"
	"github.com/pantheon-oracles/pantheon/persistence"
)

// postgresSchemaURL creates a private schema pantheon_test_<random> in the
// test database, drops it at cleanup, and returns a URL whose connections
// use it (search_path), so tests of different packages never collide.
func postgresSchemaURL(t testing.TB) string {
	t.Helper()
	base := testsvc.Postgres(t)
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "pantheon_test_" + hex.EncodeToString(b[:])
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("postgres at %s: %v", base, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// openPostgresStore opens a migrated store in a fresh private schema.
func openPostgresStore(t *testing.T) persistence.Store {
	t.Helper()
	s, err := persistence.OpenConfig(ctxT(t), persistence.Config{URL: postgresSchemaURL(t), AutoMigrate: true, MaxConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestPostgresConformance(t *testing.T) { runConformance(t, openPostgresStore) }

// The batched-insert path (no COPY) must behave the same.
func TestPostgresBatchedConformance(t *testing.T) {
	runConformance(t, func(t *testing.T) persistence.Store {
		s, err := persistence.OpenConfig(ctxT(t), persistence.Config{URL: postgresSchemaURL(t), AutoMigrate: true, MaxConns: 4, BulkInsert: persistence.BulkBatched})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}
