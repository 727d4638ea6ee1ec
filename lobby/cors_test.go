package lobby

import (
	"net/http"
	"strings"
	"testing"

	"github.com/gorilla/websocket"
)

// TestCORS: an allowed origin's preflight succeeds with the path's methods
// and its requests carry the CORS headers; a refused origin gets 403
// origin_not_allowed naming the origin and the flag, on the API and on the
// push channel; requests without Origin and same-origin requests pass.
func TestCORS(t *testing.T) {
	h := newHarness(t, nil, func(c *Config, _ *Deps) {
		c.CORSOrigins = []string{"https://play.example.com", "http://localhost:*"}
	})
	for _, o := range []string{"https://play.example.com", "http://localhost:5173"} {
		r := h.do("OPTIONS", "/v1/tickets", "", nil, "Origin", o,
			"Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "authorization, content-type")
		if r.status != http.StatusNoContent {
			t.Fatalf("preflight from %s: %d %s", o, r.status, r.body)
		}
		for k, want := range map[string]string{
			"Access-Control-Allow-Origin":  o,
			"Access-Control-Allow-Methods": "POST",
			"Access-Control-Allow-Headers": "Authorization, Content-Type, X-Pantheon-Platform, X-Pantheon-Region, X-Pantheon-App-Version, X-Pantheon-Phase",
			"Access-Control-Max-Age":       "600",
		} {
			if got := r.header.Get(k); got != want {
				t.Errorf("preflight from %s: %s = %q, want %q", o, k, got, want)
			}
		}
	}
	r := h.do("OPTIONS", "/v1/tickets/t1", "", nil, "Origin", "http://localhost:1", "Access-Control-Request-Method", "DELETE")
	if r.status != 204 || r.header.Get("Access-Control-Allow-Methods") != "GET, DELETE" {
		t.Fatalf("preflight of /v1/tickets/{id}: %d %q", r.status, r.header.Get("Access-Control-Allow-Methods"))
	}
	expect(t, "preflight of an unknown path", h.do("OPTIONS", "/v1/nope", "", nil, "Origin", "http://localhost:1", "Access-Control-Request-Method", "GET"), 404, CodeNotFound)

	// The real request of an allowed origin.
	r = h.do("POST", "/v1/auth/guest", "", guestRequest{DeviceID: "cors-device-0123456789"}, "Origin", "https://play.example.com")
	expect(t, "guest login from an allowed origin", r, 200, "")
	if r.header.Get("Access-Control-Allow-Origin") != "https://play.example.com" || !strings.Contains(r.header.Get("Vary"), "Origin") {
		t.Fatalf("allowed origin's response headers: %v", r.header)
	}
	var tok tokenResponse
	r.decode(t, &tok)
	// Errors of an allowed origin are readable by the page too.
	r = h.do("GET", "/v1/me", "", nil, "Origin", "https://play.example.com")
	expect(t, "unauthenticated /v1/me", r, 401, CodeUnauthorized)
	if r.header.Get("Access-Control-Allow-Origin") == "" {
		t.Fatal("an error answer lacks Access-Control-Allow-Origin")
	}

	// Refused origins, preflight or not.
	for _, method := range []string{"OPTIONS", "POST"} {
		r = h.do(method, "/v1/auth/guest", "", nil, "Origin", "https://evil.example", "Access-Control-Request-Method", "POST")
		expect(t, method+" from a refused origin", r, 403, CodeOriginNotAllowed)
		if !strings.Contains(string(r.body), "https://evil.example") || !strings.Contains(string(r.body), "--cors-origins") {
			t.Fatalf("refusal does not name the origin and the flag: %s", r.body)
		}
		if r.header.Get("Access-Control-Allow-Origin") != "" {
			t.Fatal("a refused origin got Access-Control-Allow-Origin")
		}
	}

	// No Origin (native clients) and same origin (a page served by the lobby).
	expect(t, "no Origin", h.do("GET", "/v1/health", "", nil), 200, "")
	host := strings.TrimPrefix(h.url, "http://")
	expect(t, "same origin", h.do("GET", "/v1/me", tok.AccessToken, nil, "Origin", "http://"+host), 200, "")

	// The push channel follows the same policy.
	ws := "ws" + strings.TrimPrefix(h.url, "http") + "/v1/events?access_token=" + tok.AccessToken
	_, resp, err := websocket.DefaultDialer.Dial(ws, http.Header{"Origin": {"https://evil.example"}})
	if err == nil || resp == nil || resp.StatusCode != 403 {
		t.Fatalf("push channel from a refused origin: err %v, resp %v", err, resp)
	}
	c, _, err := websocket.DefaultDialer.Dial(ws, http.Header{"Origin": {"http://localhost:8080"}})
	if err != nil {
		t.Fatalf("push channel from an allowed origin: %v", err)
	}
	c.Close()
}

// TestCORSDefault: with no allow-list every cross-origin browser request
// is refused, and a malformed entry is a config error.
func TestCORSDefault(t *testing.T) {
	h := newHarness(t, nil, nil)
	expect(t, "cross-origin without an allow-list", h.do("GET", "/v1/health", "", nil, "Origin", "http://localhost:3000"), 403, CodeOriginNotAllowed)
	cfg := testConfig()
	cfg.CORSOrigins = []string{"localhost:3000"}
	if err := cfg.Validate(); err == nil {
		t.Fatal("a malformed origin passed Validate")
	}
}

// TestContent: GET /v1/content serves the document with the content
// version as its ETag, 304 for a matching If-None-Match, and is readable
// by an allowed origin.
func TestContent(t *testing.T) {
	h := newHarness(t, nil, func(c *Config, _ *Deps) { c.CORSOrigins = []string{"http://localhost:*"} })
	r := h.do("GET", "/v1/content", "", nil, "Origin", "http://localhost:3000")
	expect(t, "content", r, 200, "")
	if string(r.body) != `{"version":"v-test"}` || r.header.Get("ETag") != `"v-test"` || r.header.Get("Access-Control-Allow-Origin") == "" {
		t.Fatalf("content: %s %v", r.body, r.header)
	}
	expect(t, "content, unchanged", h.do("GET", "/v1/content", "", nil, "If-None-Match", `"v-test"`), 304, "")
	none := newHarness(t, nil, func(_ *Config, d *Deps) { d.Content = nil })
	expect(t, "content without a document", none.do("GET", "/v1/content", "", nil), 404, CodeNotFound)
}
