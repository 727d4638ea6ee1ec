package server

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync"
	"testing"
	"time"
)

// fakeClock is a settable clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// TestFailureGuard: five failures are free; the sixth blocks for 1 s, the
// seventh for 2 s, and so on up to 5 min; a success resets the source;
// IPv6 sources count per /64.
func TestFailureGuard(t *testing.T) {
	clk := &fakeClock{t: time.Unix(1000, 0)}
	g := newFailureGuard(clk.now)
	ip := netip.MustParseAddr("192.0.2.7")
	for i := range failureFree {
		if _, b := g.blocked(ip); b {
			t.Fatalf("blocked after %d failures", i)
		}
		g.fail(ip)
	}
	if _, b := g.blocked(ip); b {
		t.Fatal("blocked after the free failures")
	}
	g.fail(ip)
	if d, b := g.blocked(ip); !b || d != time.Second {
		t.Fatalf("after 6 failures: blocked %v for %v, want 1s", b, d)
	}
	clk.add(time.Second)
	if _, b := g.blocked(ip); b {
		t.Fatal("still blocked after the back-off")
	}
	g.fail(ip)
	if d, _ := g.blocked(ip); d != 2*time.Second {
		t.Fatalf("after 7 failures: %v, want 2s", d)
	}
	for range 30 {
		g.fail(ip)
	}
	if d, _ := g.blocked(ip); d != failureMaxBlock {
		t.Fatalf("after many failures: %v, want %v", d, failureMaxBlock)
	}
	if _, b := g.blocked(netip.MustParseAddr("192.0.2.8")); b {
		t.Fatal("another address blocked")
	}
	g.ok(ip)
	if _, b := g.blocked(ip); b {
		t.Fatal("blocked after a success")
	}
	a, b := netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("2001:db8::2")
	for range failureFree + 1 {
		g.fail(a)
	}
	if _, bl := g.blocked(b); !bl {
		t.Fatal("an address in the same /64 is not blocked")
	}
}

// TestFailureGuardFullTable: once the table is full of live records, new
// sources share one record, so a flood of addresses is backed off too.
func TestFailureGuardFullTable(t *testing.T) {
	clk := &fakeClock{t: time.Unix(1000, 0)}
	g := newFailureGuard(clk.now)
	for i := range failureSources {
		g.fail(netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}))
	}
	for i := range failureFree + 1 {
		g.fail(netip.AddrFrom4([4]byte{172, 16, 0, byte(i)}))
	}
	if len(g.m) != failureSources+1 {
		t.Fatalf("table holds %d records, want %d", len(g.m), failureSources+1)
	}
	if _, b := g.blocked(netip.MustParseAddr("172.16.9.9")); !b {
		t.Fatal("a new source past the full table is not backed off")
	}
	clk.add(failureForget + time.Minute)
	g.fail(netip.MustParseAddr("172.16.9.9")) // sweeps the forgotten records
	if len(g.m) > 2 {
		t.Fatalf("table holds %d records after the sweep", len(g.m))
	}
}

// TestAdminPlaneNeedsSecret: /metrics, /debug/pprof and the control API
// answer 401 without the fleet secret and 200 with it; /healthz is open;
// a source guessing the secret is answered 429 with Retry-After, even
// with the right secret, until its back-off has passed.
func TestAdminPlaneNeedsSecret(t *testing.T) {
	h := startHarness(t, testConfig(), scriptFactory(30, 0))
	clk := &fakeClock{t: time.Now()}
	h.srv.guard = newFailureGuard(clk.now)
	admin := h.srv.AdminHandler()
	do := func(path, secret, from string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("GET", path, nil)
		req.RemoteAddr = from
		if secret != "" {
			req.Header.Set("Authorization", "Bearer "+secret)
		}
		rec := httptest.NewRecorder()
		admin.ServeHTTP(rec, req)
		return rec
	}
	const from = "198.51.100.1:4000"
	for _, p := range []string{"/metrics", "/debug/pprof/cmdline", "/debug/pprof/", "/v1/rooms"} {
		if rec := do(p, "", "198.51.100.9:1"); rec.Code != http.StatusUnauthorized {
			t.Errorf("GET %s without the secret: %d", p, rec.Code)
		}
		if rec := do(p, testFleetSecret, from); rec.Code != http.StatusOK {
			t.Errorf("GET %s with the secret: %d", p, rec.Code)
		}
	}
	if rec := do("/healthz", "", from); rec.Code != http.StatusNoContent {
		t.Errorf("/healthz: %d", rec.Code)
	}
	// Guessing: 5 free failures, then 429 for everything from that source.
	const guesser = "203.0.113.5:5000"
	for i := range failureFree + 1 {
		if rec := do("/metrics", "wrong-guess-"+string(rune('a'+i)), guesser); rec.Code != http.StatusUnauthorized {
			t.Fatalf("guess %d: %d", i, rec.Code)
		}
	}
	rec := do("/v1/rooms", testFleetSecret, guesser)
	if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") == "" {
		t.Fatalf("blocked source with the right secret: %d, Retry-After %q", rec.Code, rec.Header().Get("Retry-After"))
	}
	if rec := do("/v1/rooms", testFleetSecret, from); rec.Code != http.StatusOK {
		t.Fatalf("another source while one is blocked: %d", rec.Code)
	}
	clk.add(time.Second)
	if rec := do("/v1/rooms", testFleetSecret, guesser); rec.Code != http.StatusOK {
		t.Fatalf("after the back-off: %d", rec.Code)
	}
}

// TestShortFleetSecretRefused: a fleet secret under 32 bytes is refused.
func TestShortFleetSecretRefused(t *testing.T) {
	cfg := testConfig()
	cfg.FleetSecret = "change-me-fleet-secret" // the README's old example, 22 bytes
	if err := cfg.WithDefaults().Validate(); err == nil {
		t.Fatal("a 22-byte fleet secret was accepted")
	}
	cfg.FleetSecret = string(make([]byte, MinFleetSecretBytes))
	if err := cfg.WithDefaults().Validate(); err != nil {
		t.Fatal(err)
	}
}
