package persistence_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
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

// A Postgres store opened while the database is down answers every call
// with ErrUnavailable (which the outbox retries) instead of failing to
// start.
func TestPostgresDownIsUnavailable(t *testing.T) {
	testsvc.Postgres(t)
	port := freePort(t) // nothing listens there
	url := fmt.Sprintf("postgres://postgres@127.0.0.1:%d/test?sslmode=disable&connect_timeout=2", port)
	ctx := ctxT(t)
	if _, err := persistence.Open(ctx, url); !errors.Is(err, persistence.ErrUnavailable) {
		t.Fatalf("Open with schema check err = %v, want ErrUnavailable", err)
	}
	s, err := persistence.OpenConfig(ctx, persistence.Config{URL: url, SkipSchemaCheck: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Ping(ctx); !errors.Is(err, persistence.ErrUnavailable) {
		t.Fatalf("Ping err = %v", err)
	}
	if _, err := s.ApplyMatches(ctx, []persistence.MatchRecord{battle("m", "p_a", "p_b")}); !errors.Is(err, persistence.ErrUnavailable) {
		t.Fatalf("ApplyMatches err = %v", err)
	}
	if _, _, err := s.LoginIdentity(ctx, "device", "x", ""); !errors.Is(err, persistence.ErrUnavailable) {
		t.Fatalf("LoginIdentity err = %v", err)
	}
}
