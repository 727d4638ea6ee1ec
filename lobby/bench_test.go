package lobby

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/pantheon-oracles/pantheon/lobby/auth"
	"github.com/pantheon-oracles/pantheon/lobby/internal/fakedb"
	"github.com/pantheon-oracles/pantheon/lobby/store"
	"github.com/pantheon-oracles/pantheon/persistence/sqlstore"
)

// BenchmarkLogin measures POST /v1/auth/guest through the lobby's handler
// (JSON, rate limits, account lookup or creation, refresh family, JWT
// signing) on the in-memory state store, with the in-memory accounts fake
// (the lobby's own cost) and the real embedded SQLite store, for new and
// returning devices, and reports the p95 latency.
func BenchmarkLogin(b *testing.B) {
	for _, be := range []string{"fake", "sqlite"} {
		for _, returning := range []bool{false, true} {
			b.Run(fmt.Sprintf("db=%s/returning=%v", be, returning), func(b *testing.B) { benchLogin(b, be, returning) })
		}
	}
}

func benchLogin(b *testing.B, backend string, returning bool) {
	var db durable = fakedb.New()
	if backend == "sqlite" {
		sq, err := sqlstore.Open(context.Background(), "sqlite:"+filepath.Join(b.TempDir(), "bench.db"))
		if err != nil {
			b.Fatal(err)
		}
		defer sq.Close()
		db = sq
	}
	cfg := testConfig()
	huge := store.Limit{Rate: 1e9, Burst: 1 << 30} // limits are evaluated, never hit
	cfg.Limits = Limits{PerIP: huge, LoginPerIP: huge, LoginPerAccount: huge, FailuresPerIP: huge, TicketsPerPlayer: huge}
	l, err := New(cfg, Deps{Store: store.NewMemory(store.MemoryConfig{}), Accounts: db, Refresh: db, Rosters: db, Ratings: db,
		Providers: []auth.Provider{devProvider}, Modes: testModes()})
	if err != nil {
		b.Fatal(err)
	}
	h := l.Handler()
	lat := make([]time.Duration, 0, 1<<16)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		dev := i
		if returning {
			dev = i % 64
		}
		i++
		body := fmt.Appendf(nil, `{"device_id":"bench-device-%08d"}`, dev)
		req := httptest.NewRequest(http.MethodPost, "/v1/auth/guest", bytes.NewReader(body))
		req.RemoteAddr = "127.0.0.1:1"
		rec := httptest.NewRecorder()
		start := time.Now()
		h.ServeHTTP(rec, req)
		lat = append(lat, time.Since(start))
		if rec.Code != http.StatusOK {
			b.Fatalf("login: %d %s", rec.Code, rec.Body)
		}
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)*95/100].Microseconds()), "p95-µs")
}
