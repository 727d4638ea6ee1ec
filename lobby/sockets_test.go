package lobby

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestPushCaps: one session may hold Push.PerToken push connections and
// one player Push.PerPlayer across sessions; one more is refused with 429
// rate_limited before the upgrade, and a closed connection frees its slot.
func TestPushCaps(t *testing.T) {
	h := newHarness(t, nil, func(c *Config, _ *Deps) { c.Push.PerToken, c.Push.PerPlayer = 1, 2 })
	a := h.guest("device-pushcap-0001")
	b := h.guest("device-pushcap-0001") // the same player, a second session
	c := h.guest("device-pushcap-0001")
	refused := func(token, what string) {
		t.Helper()
		_, resp, err := dialEvents(t, h.url, token)
		if err == nil {
			t.Fatalf("%s: upgraded", what)
		}
		if resp == nil || resp.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("%s: %v %v, want 429", what, resp, err)
		}
		var body struct{ Code string }
		raw, _ := io.ReadAll(resp.Body)
		if json.Unmarshal(raw, &body); body.Code != CodeRateLimited {
			t.Fatalf("%s: body %s", what, raw)
		}
	}
	wsA, _, err := dialEvents(t, h.url, a.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	refused(a.AccessToken, "second connection of one session")
	if _, _, err := dialEvents(t, h.url, b.AccessToken); err != nil {
		t.Fatalf("another session of the player: %v", err)
	}
	refused(c.AccessToken, "third connection of one player")
	wsA.Close()
	eventually(t, "the closed connection's slot to be free", func() bool {
		ws, _, err := dialEvents(t, h.url, a.AccessToken)
		if err == nil {
			ws.Close()
		}
		return err == nil
	})
}

// TestConnsPerIP: the API port keeps at most ConnsPerIP connections of one
// address open; one more is closed unread, and the other connections are
// served.
func TestConnsPerIP(t *testing.T) {
	h := newHarness(t, nil, func(c *Config, _ *Deps) { c.ConnsPerIP = 3 })
	addr := strings.TrimPrefix(h.url, "http://")
	var held []net.Conn
	for range 3 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, c)
		defer c.Close()
	}
	// The first three are accepted (and served): a request on each answers.
	for _, c := range held {
		_ = c.SetDeadline(time.Now().Add(testDeadline))
		if _, err := io.WriteString(c, "GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Read(make([]byte, 1)); err != nil {
			t.Fatalf("held connection not served: %v", err)
		}
	}
	extra, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer extra.Close()
	_ = extra.SetDeadline(time.Now().Add(testDeadline))
	_, _ = io.WriteString(extra, "GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n")
	if n, err := extra.Read(make([]byte, 1)); err == nil || n > 0 {
		t.Fatalf("fourth connection from one address was served (%d bytes, %v)", n, err)
	}
	if got := scrape(t, startAdmin(t, h.l))[`pantheon_lobby_rate_limited_total{limit="conns_per_ip"}`]; got != 1 {
		t.Fatalf("rate_limited_total{limit=conns_per_ip} = %v, want 1", got)
	}
}

// TestFleetSecretBackoff: wrong fleet secrets on the heartbeat endpoint
// count like failed logins; once the source's failure budget is spent it
// is answered 429 with Retry-After, even with the right secret.
func TestFleetSecretBackoff(t *testing.T) {
	h := newHarness(t, nil, func(c *Config, _ *Deps) { c.Limits.FailuresPerIP = lim(0.001, 3) })
	for i := range 4 {
		r := doReq(t, h.url, "POST", "/v1/servers/heartbeat", "wrong-fleet-secret-guess-0123456789", h.rs.Heartbeat("r1"))
		if r.status != http.StatusUnauthorized {
			t.Fatalf("guess %d: %d %s", i, r.status, r.body)
		}
	}
	r := doReq(t, h.url, "POST", "/v1/servers/heartbeat", testFleet, h.rs.Heartbeat("r1"))
	expect(t, "heartbeat from a blocked address", r, http.StatusTooManyRequests, CodeRateLimited)
	if r.header.Get("Retry-After") == "" {
		t.Fatal("no Retry-After")
	}
	if err := (Config{Auth: testConfig().Auth, FleetSecret: "change-me-fleet-secret"}).Validate(); err == nil {
		t.Fatal("a 22-byte fleet secret was accepted")
	}
}
