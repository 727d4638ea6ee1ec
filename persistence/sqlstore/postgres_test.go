package sqlstore_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/pantheon-oracles/pantheon/contract"
	"github.com/pantheon-oracles/pantheon/internal/testsvc"
	"github.com/pantheon-oracles/pantheon/persistence"
	"github.com/pantheon-oracles/pantheon/persistence/internal/storetest"
	"github.com/pantheon-oracles/pantheon/persistence/sqlstore"
)

// postgresSchemaURL is a URL into a private, throwaway schema of the test
// database (testsvc.PostgresSchema).
func postgresSchemaURL(t testing.TB) string { return testsvc.PostgresSchema(t) }

// openPostgresStore opens a migrated store in a fresh private schema.
func openPostgresStore(t *testing.T) persistence.Store {
	t.Helper()
	s, err := sqlstore.OpenConfig(storetest.Ctx(t), sqlstore.Config{URL: postgresSchemaURL(t), AutoMigrate: true, MaxConns: 4})
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
		s, err := sqlstore.OpenConfig(storetest.Ctx(t), sqlstore.Config{URL: postgresSchemaURL(t), AutoMigrate: true, MaxConns: 4, BulkInsert: sqlstore.BulkBatched})
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
	port := storetest.FreePort(t) // nothing listens there
	url := fmt.Sprintf("postgres://postgres@127.0.0.1:%d/test?sslmode=disable&connect_timeout=2", port)
	ctx := storetest.Ctx(t)
	if _, err := sqlstore.Open(ctx, url); !errors.Is(err, persistence.ErrUnavailable) {
		t.Fatalf("Open with schema check err = %v, want ErrUnavailable", err)
	}
	s, err := sqlstore.OpenConfig(ctx, sqlstore.Config{URL: url, SkipSchemaCheck: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Ping(ctx); !errors.Is(err, persistence.ErrUnavailable) {
		t.Fatalf("Ping err = %v", err)
	}
	if _, err := s.ApplyMatches(ctx, []contract.MatchRecord{storetest.Battle("m", "p_a", "p_b")}); !errors.Is(err, persistence.ErrUnavailable) {
		t.Fatalf("ApplyMatches err = %v", err)
	}
	if _, _, err := s.LoginIdentity(ctx, "device", "x", ""); !errors.Is(err, persistence.ErrUnavailable) {
		t.Fatalf("LoginIdentity err = %v", err)
	}
}
