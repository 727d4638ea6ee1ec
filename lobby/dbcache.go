package lobby

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/pantheon-oracles/pantheon/contract"
	"github.com/pantheon-oracles/pantheon/internal/outage"
	"github.com/pantheon-oracles/pantheon/persistence"
	"github.com/pantheon-oracles/pantheon/persistence/rating"
	"github.com/prometheus/client_golang/prometheus"
)

// Label values of db_cache_hits_total (doc.go, "Database outages").
const (
	cacheRating  = "rating"
	cacheRoster  = "roster"
	cacheFresh   = "fresh"   // read from the database (and cached)
	cacheStale   = "stale"   // the database failed or is backed off; served from the cache
	cacheDefault = "default" // a rating never seen while the database is down: the default
	cacheMiss    = "miss"    // a roster never seen while the database is down: 503

	depDatabase = "database"
)

// dbCache stands between the lobby and the durable store's ratings and
// rosters so that matchmaking goes on while the database is down. Every
// read goes to the database with a deadline of Config.DBTimeout and
// refreshes the cache; a read that fails because the database is
// unavailable (or slow) is answered from the cache instead, and the
// database is not tried again for Config.DBRetry (one probe per DBRetry
// while it stays down). A rating never seen is the rating package's
// default (rating.DefaultModel().New(): mu 25, sigma 25/3); a roster
// never seen cannot be invented, so its read fails as before (503).
//
// Each of the two caches (ratings by mode and player, rosters by player)
// holds at most Config.DBCacheEntries entries and drops the least recently
// used beyond that. Roster writes go straight to the database and, when
// they succeed, into the player's cached roster, so that a player who
// saves an oracle just before an outage can still queue with it.
//
// It implements persistence.Ratings and persistence.Rosters and is safe
// for concurrent use.
type dbCache struct {
	ratingsDB persistence.Ratings
	rostersDB persistence.Rosters
	timeout   time.Duration
	retry     time.Duration
	now       func() time.Time
	def       rating.Rating
	db        *outage.Tracker
	hits      *prometheus.CounterVec // kind, result

	mu        sync.Mutex
	retryAt   time.Time // while down: no database read before this
	ratings   *lru[ratingCacheKey, persistence.Rating]
	rosters   *lru[string, []contract.Oracle]
	rosterGen map[string]uint64 // player -> writes seen; a read that raced a write is not cached
	gen       uint64
}

type ratingCacheKey struct{ mode, player string }

// newDBCache returns the cache over ratings and rosters, reporting the
// database's state to tracker and its answers to hits.
func newDBCache(cfg Config, ratings persistence.Ratings, rosters persistence.Rosters, now func() time.Time,
	tracker *outage.Tracker, hits *prometheus.CounterVec) *dbCache {
	return &dbCache{
		ratingsDB: ratings, rostersDB: rosters, timeout: cfg.DBTimeout, retry: cfg.DBRetry, now: now,
		def: rating.DefaultModel().New(), db: tracker, hits: hits,
		ratings:   newLRU[ratingCacheKey, persistence.Rating](cfg.DBCacheEntries),
		rosters:   newLRU[string, []contract.Oracle](cfg.DBCacheEntries),
		rosterGen: map[string]uint64{},
	}
}

// tryDB reports whether a read should go to the database now. While the
// database is down (its tracker says so: a failed read, request or ping)
// only one read per DBRetry does (the probe): it moves retryAt forward
// before it goes, so the others use the cache meanwhile.
func (c *dbCache) tryDB() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	down, _ := c.db.Down()
	if !down {
		return true // up, or seen recovering by another read or the health loop
	}
	now := c.now()
	if now.Before(c.retryAt) {
		return false
	}
	c.retryAt = now.Add(c.retry)
	return true
}

// read runs one database read with the DBTimeout deadline and reports
// the outcome to the tracker. fallback is true when the read failed
// because the database is unavailable or slow (the caller answers from
// the cache); any other error the caller returns as is.
func (c *dbCache) read(ctx context.Context, fn func(ctx context.Context) error) (fallback bool, err error) {
	rctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	err = fn(rctx)
	switch {
	case err == nil:
		c.db.OK()
		c.mu.Lock()
		c.retryAt = time.Time{}
		c.mu.Unlock()
		return false, nil
	case ctx.Err() != nil:
		return false, err // the caller gave up; says nothing about the database
	case errors.Is(err, persistence.ErrUnavailable), rctx.Err() != nil:
		if !errors.Is(err, persistence.ErrUnavailable) {
			err = fmt.Errorf("%w: no answer within %v: %w", persistence.ErrUnavailable, c.timeout, err)
		}
		c.db.Fail(err)
		c.mu.Lock()
		c.retryAt = c.now().Add(c.retry)
		c.mu.Unlock()
		return true, countedError{err}
	}
	return false, err
}

// Ratings implements persistence.Ratings: from the database when it
// answers, else from the cache, else the default rating.
func (c *dbCache) Ratings(ctx context.Context, mode string, playerIDs []string) ([]persistence.Rating, error) {
	var err error
	if c.tryDB() {
		var rs []persistence.Rating
		var fallback bool
		fallback, err = c.read(ctx, func(ctx context.Context) error {
			var err error
			rs, err = c.ratingsDB.Ratings(ctx, mode, playerIDs)
			return err
		})
		if err == nil && len(rs) == len(playerIDs) {
			c.mu.Lock()
			for i, r := range rs {
				c.ratings.put(ratingCacheKey{mode, playerIDs[i]}, r)
			}
			c.mu.Unlock()
			c.hits.WithLabelValues(cacheRating, cacheFresh).Add(float64(len(rs)))
			return rs, nil
		}
		if err == nil {
			return rs, nil // a store bug the caller reports
		}
		if !fallback {
			return nil, err
		}
	}
	out := make([]persistence.Rating, len(playerIDs))
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, p := range playerIDs {
		if r, ok := c.ratings.get(ratingCacheKey{mode, p}); ok {
			out[i] = r
			c.hits.WithLabelValues(cacheRating, cacheStale).Inc()
			continue
		}
		out[i] = persistence.Rating{PlayerID: p, Mode: mode, Mu: c.def.Mu, Sigma: c.def.Sigma}
		c.hits.WithLabelValues(cacheRating, cacheDefault).Inc()
	}
	return out, nil
}

// Oracles implements persistence.Rosters: from the database when it
// answers, else from the cache; a roster never seen fails with the
// database's error (ErrUnavailable).
func (c *dbCache) Oracles(ctx context.Context, playerID string) ([]contract.Oracle, error) {
	err := error(countedError{fmt.Errorf("roster of %s: %w: the database is backed off after a failure", playerID, persistence.ErrUnavailable)})
	if c.tryDB() {
		c.mu.Lock()
		gen := c.rosterGen[playerID]
		c.mu.Unlock()
		var os []contract.Oracle
		var fallback bool
		fallback, err = c.read(ctx, func(ctx context.Context) error {
			var err error
			os, err = c.rostersDB.Oracles(ctx, playerID)
			return err
		})
		if err == nil {
			c.mu.Lock()
			if c.rosterGen[playerID] == gen {
				c.rosters.put(playerID, slices.Clone(os))
			}
			c.mu.Unlock()
			c.hits.WithLabelValues(cacheRoster, cacheFresh).Inc()
			return os, nil
		}
		if !fallback {
			return nil, err
		}
	}
	c.mu.Lock()
	os, ok := c.rosters.get(playerID)
	c.mu.Unlock()
	if !ok {
		c.hits.WithLabelValues(cacheRoster, cacheMiss).Inc()
		return nil, err
	}
	c.hits.WithLabelValues(cacheRoster, cacheStale).Inc()
	return slices.Clone(os), nil
}

// wroteRoster applies a successful write to playerID's cached roster (if
// one is cached; otherwise the next read fills it) with edit, and makes any
// read that started before the write leave the cache alone: the database
// answered it with the roster from before.
func (c *dbCache) wroteRoster(playerID string, edit func([]contract.Oracle) []contract.Oracle) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	if len(c.rosterGen) >= 4096 {
		// Generations only matter for reads in flight: a read that began
		// before this reset and ends after it may cache a roster one write
		// old, which the next successful read replaces.
		clear(c.rosterGen)
	}
	c.rosterGen[playerID] = c.gen
	if os, ok := c.rosters.get(playerID); ok {
		c.rosters.put(playerID, edit(slices.Clone(os)))
	}
}

// SaveOracle implements persistence.Rosters: it writes to the database (a
// write needs the database) and, when that succeeds, to the cached roster.
func (c *dbCache) SaveOracle(ctx context.Context, o contract.Oracle) error {
	err := c.rostersDB.SaveOracle(ctx, o)
	if err == nil {
		c.wroteRoster(o.PlayerID, func(os []contract.Oracle) []contract.Oracle {
			i, found := slices.BinarySearchFunc(os, o.ID, func(e contract.Oracle, id string) int { return strings.Compare(e.ID, id) })
			if found {
				os[i] = o
				return os
			}
			return slices.Insert(os, i, o)
		})
	}
	return err
}

// DeleteOracle implements persistence.Rosters like SaveOracle.
func (c *dbCache) DeleteOracle(ctx context.Context, playerID, oracleID string) error {
	err := c.rostersDB.DeleteOracle(ctx, playerID, oracleID)
	if err == nil {
		c.wroteRoster(playerID, func(os []contract.Oracle) []contract.Oracle {
			return slices.DeleteFunc(os, func(e contract.Oracle) bool { return e.ID == oracleID })
		})
	}
	return err
}

// sizes returns the entries held, ratings and rosters.
func (c *dbCache) sizes() (ratings, rosters int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ratings.len(), c.rosters.len()
}

// lru is a map bounded to cap entries that evicts the least recently used.
// It is not safe for concurrent use.
type lru[K comparable, V any] struct {
	cap   int
	order *list.List // front: most recent; elements hold *lruEntry
	items map[K]*list.Element
}

type lruEntry[K comparable, V any] struct {
	key K
	val V
}

func newLRU[K comparable, V any](capacity int) *lru[K, V] {
	return &lru[K, V]{cap: capacity, order: list.New(), items: map[K]*list.Element{}}
}

func (c *lru[K, V]) get(k K) (V, bool) {
	e, ok := c.items[k]
	if !ok {
		var zero V
		return zero, false
	}
	c.order.MoveToFront(e)
	return e.Value.(*lruEntry[K, V]).val, true
}

func (c *lru[K, V]) put(k K, v V) {
	if e, ok := c.items[k]; ok {
		e.Value.(*lruEntry[K, V]).val = v
		c.order.MoveToFront(e)
		return
	}
	c.items[k] = c.order.PushFront(&lruEntry[K, V]{key: k, val: v})
	for c.order.Len() > c.cap {
		last := c.order.Back()
		c.order.Remove(last)
		delete(c.items, last.Value.(*lruEntry[K, V]).key)
	}
}

func (c *lru[K, V]) len() int { return c.order.Len() }
