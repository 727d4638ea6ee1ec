package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/pantheon-oracles/pantheon/internal/testsvc"
	"github.com/pantheon-oracles/pantheon/lobby/store"
	"github.com/pantheon-oracles/pantheon/lobby/store/storetest"
	"github.com/redis/go-redis/v9"
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

// TestRedisStuckDropsExpiredRecords: a claimed-index entry whose ticket
// record expired (past retention) is not returned and is removed.
func TestRedisStuckDropsExpiredRecords(t *testing.T) {
	url := testsvc.Redis(t)
	prefix := storetest.RedisPrefix(t, url)
	s, err := store.NewRedis(store.RedisConfig{URL: url, Prefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	t0 := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	for _, id := range []string{"a", "b"} {
		if err := s.Enqueue(ctx, store.TicketRecord{ID: id, Mode: "m", PlayerIDs: []string{"p" + id}, EnqueuedAt: t0}, 10); err != nil {
			t.Fatal(err)
		}
	}
	if ok, err := s.Claim(ctx, "m", "m1", []string{"a", "b"}, t0); err != nil || !ok {
		t.Fatalf("claim: %v %v", ok, err)
	}
	opt, _ := redis.ParseURL(url)
	c := redis.NewClient(opt)
	defer c.Close()
	if err := c.Del(ctx, prefix+"t:a").Err(); err != nil { // as if retention ran out
		t.Fatal(err)
	}
	recs, err := s.Stuck(ctx, "m", t0.Add(time.Hour), 10)
	if err != nil || len(recs) != 1 || recs[0].ID != "b" {
		t.Fatalf("stuck %+v %v, want only b", recs, err)
	}
	if n, err := c.ZCard(ctx, prefix+"mt:m").Result(); err != nil || n != 1 {
		t.Fatalf("claimed index holds %d entries (%v), want 1", n, err)
	}
}
