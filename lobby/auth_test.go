package lobby

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/pantheon-oracles/pantheon/lobby/store"
)

// forge signs an access token with arbitrary method, key and claims.
func forge(t *testing.T, m jwt.SigningMethod, key any, mod func(jwt.MapClaims)) string {
	t.Helper()
	now := time.Now()
	c := jwt.MapClaims{"iss": "pantheon-lobby", "aud": "pantheon", "sub": "p_1", "sid": "s_forged",
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Minute).Unix()}
	if mod != nil {
		mod(c)
	}
	s, err := jwt.NewWithClaims(m, c).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestAuthMatrix refuses every bad credential on HTTP and on the push
// channel, with the documented JSON error.
func TestAuthMatrix(t *testing.T) {
	h := newHarness(t, nil, nil)
	good := h.guest("device-matrix-0001")
	revoked := h.guest("device-matrix-0002")
	expect(t, "logout", h.do("POST", "/v1/auth/logout", revoked.AccessToken, nil), 204, "")

	cases := []struct {
		name, token, code string
	}{
		{"missing", "", CodeUnauthorized},
		{"alg none", forge(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, func(c jwt.MapClaims) { c["sub"] = good.PlayerID }), CodeUnauthorized},
		{"alg HS384", forge(t, jwt.SigningMethodHS384, testKey, nil), CodeUnauthorized},
		{"wrong key", forge(t, jwt.SigningMethodHS256, bytes.Repeat([]byte("w"), 32), nil), CodeUnauthorized},
		{"expired", forge(t, jwt.SigningMethodHS256, testKey, func(c jwt.MapClaims) {
			c["iat"], c["nbf"], c["exp"] = time.Now().Add(-time.Hour).Unix(), time.Now().Add(-time.Hour).Unix(), time.Now().Add(-time.Minute).Unix()
		}), CodeTokenExpired},
		{"wrong audience", forge(t, jwt.SigningMethodHS256, testKey, func(c jwt.MapClaims) { c["aud"] = "someone-else" }), CodeUnauthorized},
		{"wrong issuer", forge(t, jwt.SigningMethodHS256, testKey, func(c jwt.MapClaims) { c["iss"] = "evil" }), CodeUnauthorized},
		{"revoked", revoked.AccessToken, CodeSessionRevoked},
		{"oversized", good.AccessToken + strings.Repeat("A", 6000), CodeTokenTooLarge},
		{"not a jwt", "garbage", CodeUnauthorized},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := h.do("GET", "/v1/me", c.token, nil)
			expect(t, "GET /v1/me", r, 401, c.code)
			if r.header.Get("WWW-Authenticate") == "" {
				t.Fatal("401 without WWW-Authenticate")
			}
			_, resp, err := dialEvents(t, h.url, c.token)
			if err == nil || resp == nil || resp.StatusCode != 401 {
				t.Fatalf("push channel accepted %s (err %v)", c.name, err)
			}
			expect(t, "push", response{status: resp.StatusCode, header: resp.Header, body: readBody(resp)}, 401, c.code)
		})
	}
	// The control case: the good token works on both.
	expect(t, "good token", h.do("GET", "/v1/me", good.AccessToken, nil), 200, "")
	if _, _, err := dialEvents(t, h.url, good.AccessToken); err != nil {
		t.Fatalf("good token refused on push: %v", err)
	}
	// A header over MaxHeaderBytes is refused by net/http itself (431).
	r := h.do("GET", "/v1/me", good.AccessToken, nil, "X-Pad", strings.Repeat("x", 64<<10))
	if r.status != http.StatusRequestHeaderFieldsTooLarge {
		t.Fatalf("oversized header: %d", r.status)
	}
}

func readBody(resp *http.Response) []byte {
	defer resp.Body.Close()
	var b bytes.Buffer
	_, _ = b.ReadFrom(resp.Body)
	return b.Bytes()
}

// TestRefreshRotationAndReuse: each refresh rotates; presenting an old
// refresh token revokes the whole session, including live access tokens and
// push connections.
func TestRefreshRotationAndReuse(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) { testRefreshRotationAndReuse(t, newHarness(t, nil, withDB(b.open(t)))) })
	}
}

func testRefreshRotationAndReuse(t *testing.T, h *harness) {
	first := h.guest("device-refresh-0001")
	ws, _, err := dialEvents(t, h.url, first.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	r := h.do("POST", "/v1/auth/refresh", "", refreshRequest{RefreshToken: first.RefreshToken})
	expect(t, "first refresh", r, 200, "")
	var second tokenResponse
	r.decode(t, &second)
	if second.RefreshToken == first.RefreshToken || second.SessionID != first.SessionID || second.PlayerID != first.PlayerID {
		t.Fatalf("rotation: %+v", second)
	}
	expect(t, "rotated access token", h.do("GET", "/v1/me", second.AccessToken, nil), 200, "")

	expect(t, "reused refresh token", h.do("POST", "/v1/auth/refresh", "", refreshRequest{RefreshToken: first.RefreshToken}), 401, CodeRefreshReused)
	expect(t, "current refresh token after reuse", h.do("POST", "/v1/auth/refresh", "", refreshRequest{RefreshToken: second.RefreshToken}), 401, CodeSessionRevoked)
	expect(t, "access token after reuse", h.do("GET", "/v1/me", second.AccessToken, nil), 401, CodeSessionRevoked)
	if code := readClose(t, ws); code != CloseSessionRevoked {
		t.Fatalf("push connection closed with %d, want %d", code, CloseSessionRevoked)
	}
	expect(t, "malformed refresh token", h.do("POST", "/v1/auth/refresh", "", refreshRequest{RefreshToken: "nope"}), 401, CodeUnauthorized)
}

// TestLogoutEverywhere: logout refuses the access token on HTTP and on the
// push channel, closes open push connections and kills the refresh token,
// while another session of the same player lives on.
func TestLogoutEverywhere(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) { testLogoutEverywhere(t, newHarness(t, nil, withDB(b.open(t)))) })
	}
}

func testLogoutEverywhere(t *testing.T, h *harness) {
	a := h.guest("device-logout-0001")
	b := h.guest("device-logout-0001") // same player, second session
	if a.PlayerID != b.PlayerID || a.SessionID == b.SessionID {
		t.Fatalf("sessions %+v %+v", a, b)
	}
	wsA, _, err := dialEvents(t, h.url, a.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	wsB, _, err := dialEvents(t, h.url, b.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	expect(t, "logout", h.do("POST", "/v1/auth/logout", a.AccessToken, nil), 204, "")
	if code := readClose(t, wsA); code != CloseSessionRevoked {
		t.Fatalf("push closed with %d", code)
	}
	expect(t, "HTTP after logout", h.do("GET", "/v1/me", a.AccessToken, nil), 401, CodeSessionRevoked)
	expect(t, "refresh after logout", h.do("POST", "/v1/auth/refresh", "", refreshRequest{RefreshToken: a.RefreshToken}), 401, CodeSessionRevoked)
	if _, resp, err := dialEvents(t, h.url, a.AccessToken); err == nil || resp.StatusCode != 401 {
		t.Fatal("push accepted a logged-out token")
	}
	// The other session is untouched.
	expect(t, "other session", h.do("GET", "/v1/me", b.AccessToken, nil), 200, "")
	h.oracle(b.AccessToken, "o1", "host")
	h.queue(b.AccessToken, "battle_1v1", "o1")
	if ev := readEvent(t, wsB, EventQueueStatus); ev.State != store.StateQueued {
		t.Fatalf("other session's push: %+v", ev)
	}
}

// TestPushTokenExpiry: a push connection ends with 4002 when its access
// token expires.
//
// A JWT's expiry is in whole seconds (rounded down), so a token issued
// with a TTL of N seconds lives between N-1 and N: with 1 s it could be
// dead before the push dial reached the lobby. 3 s leaves at least 2 s.
func TestPushTokenExpiry(t *testing.T) {
	h := newHarness(t, nil, func(c *Config, _ *Deps) { c.Auth.AccessTTL = 3 * time.Second; c.Auth.Leeway = time.Millisecond })
	a := h.guest("device-expiry-00001")
	ws, _, err := dialEvents(t, h.url, a.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	if code := readClose(t, ws); code != CloseTokenExpired {
		t.Fatalf("closed with %d, want %d", code, CloseTokenExpired)
	}
}

// TestProviderLoginAndLinking: the dev provider logs in and links; a bad
// credential is refused; an identity cannot be linked to two players.
func TestProviderLoginAndLinking(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) { testProviderLoginAndLinking(t, newHarness(t, nil, withDB(b.open(t)))) })
	}
}

func testProviderLoginAndLinking(t *testing.T, h *harness) {
	r := h.do("POST", "/v1/auth/login", "", providerRequest{Provider: "dev", Credential: devProvider.Credential("alice")})
	expect(t, "dev login", r, 200, "")
	var alice tokenResponse
	r.decode(t, &alice)
	if !alice.Created {
		t.Fatal("first login did not create the player")
	}
	expect(t, "forged credential", h.do("POST", "/v1/auth/login", "", providerRequest{Provider: "dev", Credential: "alice.00"}), 401, CodeBadCredential)
	expect(t, "unknown provider", h.do("POST", "/v1/auth/login", "", providerRequest{Provider: "steam", Credential: "x"}), 400, CodeUnknownProvider)

	guest := h.guest("device-link-000001")
	r = h.do("POST", "/v1/me/identities", guest.AccessToken, providerRequest{Provider: "dev", Credential: devProvider.Credential("bob")})
	expect(t, "link", r, 200, "")
	var me meResponse
	r.decode(t, &me)
	if len(me.Identities) != 2 || me.Identities[1].Provider != "dev" || me.Identities[1].Subject != "bob" {
		t.Fatalf("identities after link: %+v", me.Identities)
	}
	// Logging in with the linked identity reaches the same player.
	r = h.do("POST", "/v1/auth/login", "", providerRequest{Provider: "dev", Credential: devProvider.Credential("bob")})
	var bob tokenResponse
	r.decode(t, &bob)
	if bob.PlayerID != guest.PlayerID || bob.Created {
		t.Fatalf("login via linked identity: %+v, want player %s", bob, guest.PlayerID)
	}
	expect(t, "link alice's identity to bob", h.do("POST", "/v1/me/identities", guest.AccessToken,
		providerRequest{Provider: "dev", Credential: devProvider.Credential("alice")}), 409, CodeIdentityTaken)
}
