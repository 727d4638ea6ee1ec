package sqlstore_test

import (
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/pantheon-oracles/pantheon/persistence"
	"github.com/pantheon-oracles/pantheon/persistence/internal/storetest"
	"github.com/pantheon-oracles/pantheon/persistence/sqlstore"
)

// testMigrations checks migrating an empty database, re-running as a no-op
// and concurrent migrators, on the database at url.
func testMigrations(t *testing.T, url string) {
	ctx := storetest.Ctx(t)
	st, err := sqlstore.MigrationStatus(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	if len(st) == 0 {
		t.Fatal("no embedded migrations")
	}
	for _, m := range st {
		if m.Applied {
			t.Fatalf("empty database reports %+v applied", m)
		}
	}
	// Concurrent migrators: exactly one applies each version.
	var wg sync.WaitGroup
	var mu sync.Mutex
	var applied []int
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			vs, err := sqlstore.Migrate(ctx, url)
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			applied = append(applied, vs...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	if len(applied) != len(st) {
		t.Fatalf("concurrent migrators applied %v, want each of %d versions once", applied, len(st))
	}
	again, err := sqlstore.Migrate(ctx, url)
	if err != nil || len(again) != 0 {
		t.Fatalf("re-run applied %v, %v; want nothing", again, err)
	}
	st, err = sqlstore.MigrationStatus(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range st {
		if !m.Applied || m.AppliedAt.IsZero() {
			t.Fatalf("after migrate: %+v", m)
		}
	}
	s, err := sqlstore.Open(ctx, url)
	if err != nil {
		t.Fatalf("open migrated database: %v", err)
	}
	s.Close()
}

func TestSQLiteMigrations(t *testing.T) {
	testMigrations(t, "sqlite:"+filepath.Join(t.TempDir(), "m.db"))
}

func TestPostgresMigrations(t *testing.T) {
	url := postgresSchemaURL(t)
	// Without migrations, opening Postgres fails with advice instead of
	// failing later on a missing table.
	if _, err := sqlstore.Open(storetest.Ctx(t), url); err == nil || !strings.Contains(err.Error(), "pantheon migrate up") {
		t.Fatalf("open of unmigrated postgres err = %v", err)
	}
	testMigrations(t, url)
}

func TestOpenRejectsBadURL(t *testing.T) {
	for _, u := range []string{"", "mysql://x", "sqlite:", "redis://127.0.0.1"} {
		if _, err := sqlstore.Open(storetest.Ctx(t), u); !errors.Is(err, persistence.ErrInvalid) {
			t.Errorf("Open(%q) err = %v, want ErrInvalid", u, err)
		}
	}
	if err := (sqlstore.Config{URL: "sqlite:x.db", BulkInsert: "fast"}).Validate(); err == nil {
		t.Error("BulkInsert fast accepted")
	}
}
