package lobby

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pantheon-oracles/pantheon/contract"
	"github.com/pantheon-oracles/pantheon/lobby/store"
)

// pingDownStore fails Ping while down is set (GET /v1/health answers 503).
type pingDownStore struct {
	store.Store
	down atomic.Bool
}

func (s *pingDownStore) Ping(ctx context.Context) error {
	if s.down.Load() {
		return fmt.Errorf("test: %w", store.ErrUnavailable)
	}
	return s.Store.Ping(ctx)
}

// startAdmin serves l's admin endpoints on a fresh 127.0.0.1 listener until
// the test ends and returns the base URL.
func startAdmin(t *testing.T, l *Lobby) string {
	t.Helper()
	return serveUntilCleanup(t, "ServeAdmin", l.ServeAdmin)
}

// scrape reads base/metrics and returns every sample by its series, e.g.
// `pantheon_lobby_matches_total{mode="raid"}`.
func scrape(t *testing.T, base string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		body, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET /metrics: %d %s", resp.StatusCode, body)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("metrics line %q: %v", line, err)
		}
		out[line[:i]] = v
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// series names a sample the way the text format writes it: labels sorted
// by name, a histogram bucket's le last. kv alternates label names and
// values.
func series(name string, kv ...string) string {
	if len(kv) == 0 {
		return name
	}
	var pairs []string
	le := ""
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i] == "le" {
			le = `le="` + kv[i+1] + `"`
			continue
		}
		pairs = append(pairs, kv[i]+`="`+kv[i+1]+`"`)
	}
	slices.Sort(pairs)
	if le != "" {
		pairs = append(pairs, le)
	}
	return name + "{" + strings.Join(pairs, ",") + "}"
}

// TestMetricsAfterTraffic drives real traffic through the public address
// (logins, refusals, tickets, passes, an allocation failure, a sweep, push
// connections, logouts, outages) and scrapes /metrics on the admin address:
// every documented series moved by what the traffic did.
func TestMetricsAfterTraffic(t *testing.T) {
	st := &pingDownStore{Store: store.NewMemory(store.MemoryConfig{})}
	h := newHarness(t, st, func(c *Config, _ *Deps) {
		c.Limits.LoginPerAccount = store.Limit{Rate: 0.01, Burst: 2}
		// One attempt, so the full server's refusal is one allocation
		// failure; the timeout is generous so the good allocation never
		// times out on a loaded machine.
		c.AllocAttempts, c.AllocTimeout, c.AssignDeadline = 1, 2*time.Second, 3*time.Second
	})
	admin := startAdmin(t, h.l)
	before := scrape(t, admin)
	for _, s := range []string{"go_goroutines", "process_resident_memory_bytes",
		series("pantheon_lobby_matches_total", "mode", "raid"),
		series("pantheon_lobby_unavailable_total", "backend", "state")} {
		if _, ok := before[s]; !ok {
			t.Fatalf("%s missing from a fresh lobby's /metrics", s)
		}
	}
	for _, path := range []string{"/metrics", "/v1/metrics"} {
		expect(t, "metrics on the public address", h.do("GET", path, "", nil), 404, CodeNotFound)
	}
	ctx := context.Background()
	const mode = "battle_1v1"

	// Logins: two guests, a refresh, a refused credential, a per-account refusal.
	a := h.guest("device-metrics-00001")
	b := h.guest("device-metrics-00002")
	expect(t, "refresh", h.do("POST", "/v1/auth/refresh", "", refreshRequest{RefreshToken: a.RefreshToken}), 200, "")
	expect(t, "bad credential", h.do("POST", "/v1/auth/login", "", providerRequest{Provider: "dev", Credential: "x.00"}), 401, CodeBadCredential)
	for range 2 {
		h.guest("device-metrics-00003")
	}
	expect(t, "per-account limit", h.do("POST", "/v1/auth/guest", "", guestRequest{DeviceID: "device-metrics-00003"}), 429, CodeRateLimited)
	expect(t, "unknown route", h.do("GET", "/v1/nope", "", nil), 404, CodeNotFound)

	// A match is formed and placed; the players hold push connections.
	wsA, _, err := dialEvents(t, h.url, a.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := dialEvents(t, h.url, b.AccessToken); err != nil {
		t.Fatal(err)
	}
	for _, p := range []tokenResponse{a, b} {
		h.oracle(p.AccessToken, "h", contract.RoleHost)
		h.queue(p.AccessToken, mode, "h")
	}
	h.heartbeat("room-1")
	if rep, err := h.l.Pass(ctx, mode); err != nil || rep.Assigned != 1 {
		t.Fatalf("pass %+v %v", rep, err)
	}
	mid := scrape(t, admin)
	if got := mid["pantheon_lobby_push_connections"]; got != 2 {
		t.Fatalf("push_connections %v with two open", got)
	}
	// A full room server: the next match is requeued (allocation failure).
	h.rs.SetFull(true)
	for i := range 2 {
		p := h.guest(fmt.Sprintf("device-metrics-1%04d", i))
		h.oracle(p.AccessToken, "h", contract.RoleHost)
		h.queue(p.AccessToken, mode, "h")
	}
	if rep, err := h.l.Pass(ctx, mode); err != nil || rep.Requeued != 1 {
		t.Fatalf("pass with a full server %+v %v", rep, err)
	}
	// A claim left by a dead replica is swept back to the queue.
	c := h.guest("device-metrics-20000")
	d := h.guest("device-metrics-20001")
	var stuck []string
	for _, p := range []tokenResponse{c, d} {
		h.oracle(p.AccessToken, "h", contract.RoleHost)
		stuck = append(stuck, h.queue(p.AccessToken, "ritual", "h").ID)
	}
	if ok, err := st.Claim(ctx, "ritual", "m_dead", stuck, time.Now().Add(-time.Minute)); err != nil || !ok {
		t.Fatalf("claim %v %v", ok, err)
	}
	if rep, err := h.l.Sweep(ctx, "ritual"); err != nil || rep.Requeued != 2 {
		t.Fatalf("sweep %+v %v", rep, err)
	}
	expect(t, "cancel", h.do("DELETE", "/v1/tickets/"+stuck[0], c.AccessToken, nil), 204, "")
	// Outages: the state store and the database.
	st.down.Store(true)
	expect(t, "health with the state store down", h.do("GET", "/v1/health", "", nil), 503, CodeUnavailable)
	st.down.Store(false)
	h.db.SetDown(true)
	expect(t, "login with the database down", h.do("POST", "/v1/auth/guest", "", guestRequest{DeviceID: "device-metrics-30000"}), 503, CodeUnavailable)
	h.db.SetDown(false)
	// Logouts: one session (closing a's push connection), then everywhere.
	expect(t, "logout", h.do("POST", "/v1/auth/logout", a.AccessToken, nil), 204, "")
	if code := readClose(t, wsA); code != CloseSessionRevoked {
		t.Fatalf("push closed with %d", code)
	}
	expect(t, "logout everywhere", h.do("POST", "/v1/auth/logout", b.AccessToken, logoutRequest{Everywhere: true}), 204, "")
	eventually(t, "push connections to close", func() bool { return scrape(t, admin)["pantheon_lobby_push_connections"] == 0 })

	after := scrape(t, admin)
	for _, c := range []struct {
		series string
		min    float64
	}{
		{series("pantheon_lobby_http_requests_total", "route", "POST /v1/auth/guest", "code", "200"), 8},
		{series("pantheon_lobby_http_requests_total", "route", "POST /v1/auth/guest", "code", "429"), 1},
		{series("pantheon_lobby_http_requests_total", "route", "GET /v1/events", "code", "101"), 2},
		{series("pantheon_lobby_http_requests_total", "route", "unmatched", "code", "404"), 1},
		{series("pantheon_lobby_http_request_duration_seconds_count", "route", "POST /v1/tickets", "code", "201"), 6},
		{series("pantheon_lobby_http_request_duration_seconds_bucket", "route", "POST /v1/tickets", "code", "201", "le", "+Inf"), 6},
		{series("pantheon_lobby_logins_total", "method", "guest", "outcome", "ok"), 8},
		{series("pantheon_lobby_logins_total", "method", "guest", "outcome", CodeRateLimited), 1},
		{series("pantheon_lobby_logins_total", "method", "guest", "outcome", CodeUnavailable), 1},
		{series("pantheon_lobby_logins_total", "method", "refresh", "outcome", "ok"), 1},
		{series("pantheon_lobby_logins_total", "method", "provider", "outcome", CodeBadCredential), 1},
		{series("pantheon_lobby_logouts_total", "scope", "session"), 1},
		{series("pantheon_lobby_logouts_total", "scope", "everywhere"), 1},
		{series("pantheon_lobby_queue_length", "mode", mode), 2},
		{series("pantheon_lobby_queue_length", "mode", "ritual"), 1},
		{series("pantheon_lobby_ticket_wait_seconds_count", "mode", mode, "outcome", waitMatched), 4},
		{series("pantheon_lobby_ticket_wait_seconds_count", "mode", "ritual", "outcome", waitCancelled), 1},
		{series("pantheon_lobby_pass_duration_seconds_count", "mode", mode), 2},
		{series("pantheon_lobby_matches_total", "mode", mode), 2},
		{series("pantheon_lobby_allocation_failures_total", "mode", mode), 1},
		{series("pantheon_lobby_swept_tickets_total", "mode", "ritual", "result", "requeued"), 2},
		{series("pantheon_lobby_push_closes_total", "reason", "session_revoked"), 2},
		{series("pantheon_lobby_unavailable_total", "backend", "state"), 1},
		{series("pantheon_lobby_unavailable_total", "backend", "db"), 1},
		{series("pantheon_lobby_rate_limited_total", "limit", limitLoginPerAccount), 1},
	} {
		got, ok := after[c.series]
		if !ok {
			t.Errorf("%s missing from /metrics", c.series)
			continue
		}
		if moved := got - before[c.series]; moved < c.min {
			t.Errorf("%s moved by %v, want at least %v", c.series, moved, c.min)
		}
	}
	if got := after[series("pantheon_lobby_queue_length", "mode", "raid")]; got != 0 {
		t.Errorf("raid queue length %v, want 0", got)
	}
}

// TestCountersExportedAtStart: every lobby counter the README's Observing
// section lists is on a fresh lobby's /metrics, at 0, before anything
// happened (an alert's rate() sees the first increment).
func TestCountersExportedAtStart(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, lobbySection, ok := strings.Cut(string(readme), "- Lobby: `http://<admin-addr>/metrics`")
	if !ok {
		t.Fatal("README: no \"- Lobby: `http://<admin-addr>/metrics`\" bullet in Observing")
	}
	lobbySection, _, _ = strings.Cut(lobbySection, "\n- ")
	names := regexp.MustCompile("`([a-z_]+_total)`").FindAllStringSubmatch(lobbySection, -1)
	if len(names) < 10 {
		t.Fatalf("README lists %d lobby counters, expected at least 10: %v", len(names), names)
	}
	h := newHarness(t, nil, nil)
	samples := scrape(t, startAdmin(t, h.l))
	for _, n := range names {
		name := "pantheon_lobby_" + n[1]
		found := false
		for series, v := range samples {
			if series == name || strings.HasPrefix(series, name+"{") {
				found = true
				if v != 0 {
					t.Errorf("%s = %v on a fresh lobby, expected 0", series, v)
				}
			}
		}
		if !found {
			t.Errorf("%s (listed in the README) is not on a fresh lobby's /metrics", name)
		}
	}
}
