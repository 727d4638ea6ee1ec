package lobby

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pantheon-oracles/pantheon/contract"
	"github.com/pantheon-oracles/pantheon/ecs"
	"github.com/pantheon-oracles/pantheon/internal/outage"
	"github.com/pantheon-oracles/pantheon/internal/testlog"
	"github.com/pantheon-oracles/pantheon/lobby/internal/fakedb"
	"github.com/pantheon-oracles/pantheon/persistence"
	"github.com/prometheus/client_golang/prometheus"
)

// countingDB counts the ratings and roster reads that reach the fake
// database.
type countingDB struct {
	*fakedb.DB
	reads atomic.Int64
}

func (d *countingDB) Ratings(ctx context.Context, mode string, ids []string) ([]persistence.Rating, error) {
	d.reads.Add(1)
	return d.DB.Ratings(ctx, mode, ids)
}

func (d *countingDB) Oracles(ctx context.Context, player string) ([]contract.Oracle, error) {
	d.reads.Add(1)
	return d.DB.Oracles(ctx, player)
}

// queuedMu returns the Mu each queued ticket of mode carries, by player.
func queuedMu(t *testing.T, h *harness, mode string) map[string]float64 {
	t.Helper()
	recs, err := h.st.Queued(context.Background(), mode)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, rec := range recs {
		tk, err := decodeTicket(rec)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range tk.Members {
			out[m.PlayerID] = m.Mu
		}
	}
	return out
}

// TestTicketsWhileDatabaseDown: with the database down, a player whose
// rating and roster the lobby has read before queues with them (stale), a
// player never rated queues with the default rating, both are matched and
// placed; a roster never seen is a 503. The database is not read again
// within DBRetry of a failure; once it answers, reads are fresh again. The
// outage logs one line down and one line up, and the metrics show it.
func TestTicketsWhileDatabaseDown(t *testing.T) {
	clk := &clock{t: time.Now()}
	logs := &testlog.Buffer{}
	cdb := &countingDB{DB: fakedb.New()}
	h := newHarness(t, nil, func(c *Config, d *Deps) {
		d.Now = clk.Now
		d.Log = slog.New(slog.NewTextHandler(logs, nil))
		d.Accounts, d.Refresh, d.Rosters, d.Ratings = cdb, cdb, cdb, cdb
		c.DBRetry = 5 * time.Second
	})
	admin := startAdmin(t, h.l)
	h.heartbeat("room-1")
	ctx := context.Background()

	a, b, c := h.guest("device-dbdown-00001"), h.guest("device-dbdown-00002"), h.guest("device-dbdown-00003")
	cdb.SetRating(persistence.Rating{PlayerID: a.PlayerID, Mode: "battle_1v1", Mu: 28, Sigma: 25.0 / 3, Matches: 4})
	h.oracle(a.AccessToken, "h", contract.RoleHost)
	h.oracle(b.AccessToken, "h", contract.RoleHost)
	// c's oracle is written behind the lobby's back: its roster was never read.
	if err := cdb.SaveOracle(ctx, contract.Oracle{ID: "h", PlayerID: c.PlayerID, Name: "h", OracleSpec: ecs.OracleSpec{Archetype: "aries", Role: contract.RoleHost, Loadout: []string{"ember_strike"}}}); err != nil {
		t.Fatal(err)
	}
	// a queues once while the database is up: its rating is cached.
	tk := h.queue(a.AccessToken, "battle_1v1", "h")
	expect(t, "cancel", h.do("DELETE", "/v1/tickets/"+tk.ID, a.AccessToken, nil), 204, "")

	cdb.SetDown(true)
	before := cdb.reads.Load()
	h.queue(a.AccessToken, "battle_1v1", "h")
	if n := cdb.reads.Load() - before; n != 1 {
		t.Fatalf("%d database reads for the first ticket after the outage began, want 1 (the one that failed)", n)
	}
	h.queue(b.AccessToken, "battle_1v1", "h")
	expect(t, "queue with a roster never seen", h.do("POST", "/v1/tickets", c.AccessToken, ticketRequest{Mode: "battle_1v1", OracleID: "h"}), 503, CodeUnavailable)
	if n := cdb.reads.Load() - before; n != 1 {
		t.Fatalf("%d database reads within DBRetry of the failure, want 1", n)
	}
	mu := queuedMu(t, h, "battle_1v1")
	if mu[a.PlayerID] != 28 || mu[b.PlayerID] != 25 {
		t.Fatalf("queued ratings %v: want a's cached 28 and b's default 25", mu)
	}
	rep, err := h.l.Pass(ctx, "battle_1v1")
	if err != nil || rep.Assigned != 1 {
		t.Fatalf("pass with the database down: %+v %v", rep, err)
	}
	m := scrape(t, admin)
	for s, want := range map[string]float64{
		series("pantheon_lobby_db_cache_hits_total", "kind", "rating", "result", "stale"):   1,
		series("pantheon_lobby_db_cache_hits_total", "kind", "rating", "result", "default"): 2, // b, and c refused for its roster
		series("pantheon_lobby_db_cache_hits_total", "kind", "roster", "result", "stale"):   2,
		series("pantheon_lobby_db_cache_hits_total", "kind", "roster", "result", "miss"):    1,
		series("pantheon_lobby_dependency_up", "dependency", "database"):                    0,
		series("pantheon_lobby_dependency_failures_total", "dependency", "database"):        1,
	} {
		if m[s] != want {
			t.Errorf("%s = %v, want %v", s, m[s], want)
		}
	}

	// Past DBRetry one read probes the database (still down): one more
	// failure, still one down line.
	clk.Add(5 * time.Second)
	expect(t, "queue c while down", h.do("POST", "/v1/tickets", c.AccessToken, ticketRequest{Mode: "battle_1v1", OracleID: "h"}), 503, CodeUnavailable)
	if n := cdb.reads.Load() - before; n != 2 {
		t.Fatalf("%d database reads after DBRetry, want 2", n)
	}
	// Back up: within DBRetry of the last failure the cache still answers;
	// past it the next read is fresh and the recovery is logged.
	cdb.SetDown(false)
	expect(t, "queue c within DBRetry", h.do("POST", "/v1/tickets", c.AccessToken, ticketRequest{Mode: "battle_1v1", OracleID: "h"}), 503, CodeUnavailable)
	clk.Add(5 * time.Second)
	h.queue(c.AccessToken, "battle_1v1", "h")
	m = scrape(t, admin)
	if up := m[series("pantheon_lobby_dependency_up", "dependency", "database")]; up != 1 {
		t.Errorf("dependency_up after recovery = %v", up)
	}
	if fresh := m[series("pantheon_lobby_db_cache_hits_total", "kind", "rating", "result", "fresh")]; fresh != 2 {
		t.Errorf("fresh rating reads = %v, want 2 (a before the outage, c after)", fresh)
	}
	if d, u := logs.Count("dependency down"), logs.Count("dependency recovered"); d != 1 || u != 1 {
		t.Fatalf("the outage logged %d down and %d recovered lines, want 1 and 1:\n%s", d, u, logs.String())
	}
	if logs.Count("outage=10s") != 1 {
		t.Errorf("the recovery line lacks the outage's duration (10s):\n%s", logs.String())
	}
}

// slowRatings never answers: it waits for the caller's deadline.
type slowRatings struct{}

func (slowRatings) Ratings(ctx context.Context, _ string, _ []string) ([]persistence.Rating, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

// TestSlowDatabaseTimesOut: a database that does not answer holds a ticket
// only DBTimeout; the ticket is queued with the default rating.
func TestSlowDatabaseTimesOut(t *testing.T) {
	h := newHarness(t, nil, func(c *Config, d *Deps) {
		c.DBTimeout = 50 * time.Millisecond
		d.Ratings = slowRatings{}
	})
	p := h.guest("device-slowdb-00001")
	h.oracle(p.AccessToken, "h", contract.RoleHost)
	h.queue(p.AccessToken, "battle_1v1", "h")
	if mu := queuedMu(t, h, "battle_1v1")[p.PlayerID]; mu != 25 {
		t.Fatalf("queued with mu %v, want the default 25", mu)
	}
}

// TestDBCacheBounded: each cache keeps at most DBCacheEntries, dropping the
// least recently used, and roster writes update the cached roster.
func TestDBCacheBounded(t *testing.T) {
	db := fakedb.New()
	hits := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "h"}, []string{"kind", "result"})
	c := newDBCache(Config{DBTimeout: time.Second, DBRetry: 0, DBCacheEntries: 2}, db, db, time.Now,
		outage.New(outage.Config{Name: "database"}), hits)
	ctx := context.Background()
	for i := range 3 {
		db.SetRating(persistence.Rating{PlayerID: fmt.Sprint("p", i), Mode: "raid", Mu: float64(30 + i), Sigma: 1})
	}
	for _, p := range []string{"p0", "p1", "p0", "p2"} { // p1 is the least recently used when p2 arrives
		if _, err := c.Ratings(ctx, "raid", []string{p}); err != nil {
			t.Fatal(err)
		}
	}
	if r, o := c.sizes(); r != 2 || o != 0 {
		t.Fatalf("sizes %d ratings %d rosters, want 2 and 0", r, o)
	}
	db.SetDown(true)
	rs, err := c.Ratings(ctx, "raid", []string{"p0", "p1", "p2"})
	if err != nil {
		t.Fatal(err)
	}
	if rs[0].Mu != 30 || rs[1].Mu != 25 || rs[2].Mu != 32 {
		t.Fatalf("ratings from the cache %+v: want p0 and p2 cached, p1 evicted (default)", rs)
	}

	db.SetDown(false)
	if _, err := c.Oracles(ctx, "p0"); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"b", "a", "c"} {
		if err := c.SaveOracle(ctx, contract.Oracle{ID: id, PlayerID: "p0", Name: id}); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.DeleteOracle(ctx, "p0", "b"); err != nil {
		t.Fatal(err)
	}
	db.SetDown(true)
	os, err := c.Oracles(ctx, "p0")
	if err != nil || len(os) != 2 || os[0].ID != "a" || os[1].ID != "c" {
		t.Fatalf("cached roster after writes %+v %v, want a and c", os, err)
	}
}
