package lobby

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/pantheon-oracles/pantheon/lobby/store"
)

// getProbe reads base+path as a probeBody.
func getProbe(t *testing.T, base, path string) (int, probeBody) {
	t.Helper()
	resp, err := http.Get(base + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b probeBody
	if err := json.NewDecoder(resp.Body).Decode(&b); err != nil {
		t.Fatalf("GET %s: %d, body: %v", path, resp.StatusCode, err)
	}
	return resp.StatusCode, b
}

// TestProbes: on the admin address /livez is 200 whatever the state store
// does; /readyz is 200 while the store answers, 503 with reason
// state_store_unavailable while Redis is unreachable (an address where
// nothing listens) and 503 shutting_down once Run's shutdown began. GET
// /v1/health keeps answering as before (503 without the store). The
// admin /metrics carries pantheon_build_info = 1.
func TestProbes(t *testing.T) {
	check := func(t *testing.T, admin, path string, code int, status string, reasons ...string) {
		t.Helper()
		got, b := getProbe(t, admin, path)
		if got != code || b.Status != status || !slices.Equal(b.Reasons, reasons) {
			t.Errorf("GET %s = %d %+v, want %d %q %v", path, got, b, code, status, reasons)
		}
	}
	t.Run("store=memory", func(t *testing.T) {
		h := newHarness(t, nil, nil)
		admin := startAdmin(t, h.l)
		check(t, admin, "/livez", 200, "alive")
		check(t, admin, "/readyz", 200, "ready")
		expect(t, "health", h.do("GET", "/v1/health", "", nil), 200, "")
		m := scrape(t, admin)
		n := 0
		for s, v := range m {
			if len(s) > len("pantheon_build_info{") && s[:len("pantheon_build_info{")] == "pantheon_build_info{" && v == 1 {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%d pantheon_build_info series at 1, want 1", n)
		}
		h.l.shutdownPush() // what Run does first when its context ends
		check(t, admin, "/livez", 200, "alive")
		check(t, admin, "/readyz", 503, "not_ready", notReadyShuttingDown)
	})
	t.Run("store=redis_down", func(t *testing.T) {
		st, err := store.NewRedis(store.RedisConfig{URL: "redis://127.0.0.1:1/0", DialTimeout: 100 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = st.Close() })
		h := newHarness(t, st, nil)
		admin := startAdmin(t, h.l)
		check(t, admin, "/livez", 200, "alive")
		check(t, admin, "/readyz", 503, "not_ready", notReadyStore)
		if _, b := getProbe(t, admin, "/readyz"); b.Error == "" {
			t.Errorf("/readyz names no store error: %+v", b)
		}
		if r := h.do("GET", "/v1/health", "", nil); r.status != http.StatusServiceUnavailable {
			t.Errorf("/v1/health with Redis down: %d, want 503 as before", r.status)
		}
	})
}
