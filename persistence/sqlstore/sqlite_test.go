package sqlstore_test

import (
	"testing"

	"github.com/pantheon-oracles/pantheon/persistence"
	"github.com/pantheon-oracles/pantheon/persistence/internal/storetest"
)

func TestSQLiteConformance(t *testing.T) {
	runConformance(t, func(t *testing.T) persistence.Store { return storetest.OpenSQLite(t) })
}
