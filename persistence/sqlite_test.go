package persistence_test

import (
	"path/filepath"
	"testing"

	"github.com/pantheon-oracles/pantheon/persistence"
)

// openSQLiteStore opens a fresh embedded store in a temporary directory.
func openSQLiteStore(t *testing.T) persistence.Store {
	t.Helper()
	s, err := persistence.Open(ctxT(t), "sqlite:"+filepath.Join(t.TempDir(), "sub", "p.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestSQLiteConformance(t *testing.T) { runConformance(t, openSQLiteStore) }
