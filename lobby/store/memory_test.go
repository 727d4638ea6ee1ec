package store_test

import (
	"testing"

	"github.com/pantheon-oracles/pantheon/lobby/store"
	"github.com/pantheon-oracles/pantheon/lobby/store/storetest"
)

func TestMemoryConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s := store.NewMemory(store.MemoryConfig{})
		t.Cleanup(func() { _ = s.Close() })
		return s
	})
}
