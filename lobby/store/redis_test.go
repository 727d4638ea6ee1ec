package store_test

import (
	"testing"

	"github.com/pantheon-oracles/pantheon/internal/testsvc"
	"github.com/pantheon-oracles/pantheon/lobby/store"
	"github.com/pantheon-oracles/pantheon/lobby/store/storetest"
)

// openRedis returns a Redis store on the test Redis under a random key
// prefix whose keys are deleted when the test ends.
func openRedis(t *testing.T) store.Store {
	t.Helper()
	url := testsvc.Redis(t)
	s, err := store.NewRedis(store.RedisConfig{URL: url, Prefix: storetest.RedisPrefix(t, url)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestRedisConformance(t *testing.T) {
	storetest.Run(t, openRedis)
}
