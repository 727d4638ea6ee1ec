package lobby

import (
	"net/http"
	"strings"
	"testing"
)

// TestSite: Deps.Site serves the paths outside /v1/ (with the caller's
// identity through Authenticate), while /v1 paths no route serves keep the
// JSON 404, and a lobby without a site answers every other path 404.
func TestSite(t *testing.T) {
	var l *Lobby
	site := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/whoami" {
			c, err := l.Authenticate(r)
			if err != nil {
				l.WriteError(w, r, err)
				return
			}
			_, _ = w.Write([]byte(c.PlayerID))
			return
		}
		_, _ = w.Write([]byte("site " + r.URL.Path))
	})
	h := newHarness(t, nil, func(_ *Config, d *Deps) { d.Site = site })
	l = h.l
	for _, p := range []string{"/", "/app.js", "/dev/x"} {
		if r := h.do("GET", p, "", nil); r.status != 200 || string(r.body) != "site "+p {
			t.Fatalf("GET %s: %d %s", p, r.status, r.body)
		}
	}
	expect(t, "an unknown /v1 path", h.do("GET", "/v1/nope", "", nil), 404, CodeNotFound)
	expect(t, "/v1 itself", h.do("GET", "/v1", "", nil), 404, CodeNotFound)
	expect(t, "the site without a token", h.do("GET", "/whoami", "", nil), 401, CodeUnauthorized)
	tok := h.guest("site-test-device-01")
	if r := h.do("GET", "/whoami", tok.AccessToken, nil); r.status != 200 || !strings.HasPrefix(string(r.body), tok.PlayerID) {
		t.Fatalf("GET /whoami: %d %s, want %s", r.status, r.body, tok.PlayerID)
	}

	bare := newHarness(t, nil, nil)
	expect(t, "no site", bare.do("GET", "/", "", nil), 404, CodeNotFound)
}
