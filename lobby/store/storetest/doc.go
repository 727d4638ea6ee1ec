// Package storetest is the conformance suite every store.Store must pass.
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store { return store.NewMemory(store.MemoryConfig{}) })
//	}
//
// Each subtest opens a fresh store with the given function; the function
// registers its own cleanup.
package storetest
