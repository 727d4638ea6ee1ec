package lobby

import (
	"log/slog"
	"testing"
	"time"

	"github.com/pantheon-oracles/pantheon/contract"
	"github.com/pantheon-oracles/pantheon/internal/testlog"
)

// TestRedisOutageLogsOnce: a private Redis stops under a lobby whose
// matchmaker loop and health loop run, while players keep sending
// requests (503). The outage is one warning (dependency down, with the
// error) and one info line (dependency recovered, with its duration), not
// one per request, pass or ping; dependency_up and
// dependency_failures_total show it meanwhile; the lobby serves again
// without a restart.
func TestRedisOutageLogsOnce(t *testing.T) {
	pr := newPrivateRedis(t)
	st := redisStore(t, pr.url(), "outage:")
	logs := &testlog.Buffer{}
	h := newHarness(t, st, func(c *Config, d *Deps) {
		c.PassInterval = 20 * time.Millisecond
		c.SweepInterval = 50 * time.Millisecond
		c.HealthInterval = 50 * time.Millisecond
		d.Log = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	})
	admin := startAdmin(t, h.l)
	p := h.guest("device-outage-00001")
	h.oracle(p.AccessToken, "h", contract.RoleHost)
	up := series("pantheon_lobby_dependency_up", "dependency", "state_store")
	failures := series("pantheon_lobby_dependency_failures_total", "dependency", "state_store")
	if m := scrape(t, admin); m[up] != 1 {
		t.Fatalf("state_store up = %v before the outage", m[up])
	}

	pr.stop()
	for range 20 {
		expect(t, "queue with Redis down", h.do("POST", "/v1/tickets", p.AccessToken, ticketRequest{Mode: "battle_1v1", OracleID: "h"}), 503, CodeUnavailable)
		expect(t, "health with Redis down", h.do("GET", "/v1/health", "", nil), 503, CodeUnavailable)
	}
	// Enough passes, sweeps and pings have failed meanwhile.
	eventually(t, "failures to pile up", func() bool { m := scrape(t, admin); return m[up] == 0 && m[failures] >= 100 })

	pr.start()
	eventually(t, "the lobby to see Redis again", func() bool { return scrape(t, admin)[up] == 1 })
	h.queue(p.AccessToken, "battle_1v1", "h")

	warns, downs, ups := logs.Count("level=WARN"), logs.Count(`msg="dependency down" dependency=state_store`), logs.Count(`msg="dependency recovered" dependency=state_store`)
	if warns != 1 || downs != 1 || ups != 1 {
		t.Fatalf("the outage logged %d warnings, %d down and %d recovered lines; want 1, 1, 1:\n%s", warns, downs, ups, logs.String())
	}
	t.Logf("%v failures counted during the outage; log:\n%s", scrape(t, admin)[failures], logs.String())
}
