package lobby

import (
	"fmt"
	"testing"

	"github.com/gorilla/websocket"
	"github.com/pantheon-oracles/pantheon/contract"
	"github.com/pantheon-oracles/pantheon/internal/testsvc"
	"github.com/pantheon-oracles/pantheon/lobby/internal/fakedb"
	"github.com/pantheon-oracles/pantheon/lobby/store"
	"github.com/pantheon-oracles/pantheon/lobby/store/storetest"
)

// session is one login of a player, with its push connection when open.
type session struct {
	tok tokenResponse
	ws  *websocket.Conn
}

func loginAt(t *testing.T, base, device string) tokenResponse {
	t.Helper()
	r := doReq(t, base, "POST", "/v1/auth/guest", "", guestRequest{DeviceID: device})
	expect(t, "login", r, 200, "")
	var tr tokenResponse
	r.decode(t, &tr)
	return tr
}

// expectLoggedOut checks that s's access token is refused on HTTP and on the
// push channel of base and that its refresh token is dead.
func expectLoggedOut(t *testing.T, base string, s session) {
	t.Helper()
	expect(t, "HTTP after logout everywhere", doReq(t, base, "GET", "/v1/me", s.tok.AccessToken, nil), 401, CodeSessionRevoked)
	_, resp, err := dialEvents(t, base, s.tok.AccessToken)
	if err == nil || resp == nil || resp.StatusCode != 401 {
		t.Fatalf("push accepted a token from before logout everywhere (err %v)", err)
	}
	expect(t, "push after logout everywhere", response{status: resp.StatusCode, header: resp.Header, body: readBody(resp)}, 401, CodeSessionRevoked)
	expect(t, "refresh after logout everywhere", doReq(t, base, "POST", "/v1/auth/refresh", "", refreshRequest{RefreshToken: s.tok.RefreshToken}), 401, CodeSessionRevoked)
}

// TestLogoutAllSessions: POST /v1/auth/logout {"everywhere": true} ends
// every session of the player: open push connections close with 4001,
// every earlier access token is refused on HTTP and push, every refresh
// token is dead; other players and later logins are unaffected. On both
// state stores and both durable stores.
func TestLogoutAllSessions(t *testing.T) {
	for _, s := range stateStores() {
		for _, b := range backends() {
			t.Run(s.name+"/"+b.name, func(t *testing.T) {
				testLogoutAllSessions(t, newHarness(t, s.open(t), withDB(b.open(t))))
			})
		}
	}
}

func testLogoutAllSessions(t *testing.T, h *harness) {
	const device = "device-everywhere-01"
	sessions := make([]session, 3)
	for i := range sessions {
		sessions[i].tok = h.guest(device)
		if i > 0 && sessions[i].tok.PlayerID != sessions[0].tok.PlayerID {
			t.Fatal("one device gave two players")
		}
	}
	// A refreshed token of session 2: rotation does not escape the logout.
	r := h.do("POST", "/v1/auth/refresh", "", refreshRequest{RefreshToken: sessions[2].tok.RefreshToken})
	expect(t, "refresh", r, 200, "")
	r.decode(t, &sessions[2].tok)
	for i := range 2 {
		ws, _, err := dialEvents(t, h.url, sessions[i].tok.AccessToken)
		if err != nil {
			t.Fatal(err)
		}
		sessions[i].ws = ws
	}
	other := h.guest("device-everywhere-02")
	wsOther, _, err := dialEvents(t, h.url, other.AccessToken)
	if err != nil {
		t.Fatal(err)
	}

	expect(t, "malformed logout body", h.do("POST", "/v1/auth/logout", sessions[0].tok.AccessToken, `{"everywhere":`), 400, CodeBadRequest)
	expect(t, "logout everywhere", h.do("POST", "/v1/auth/logout", sessions[0].tok.AccessToken, logoutRequest{Everywhere: true}), 204, "")
	for i := range 2 {
		if code := readClose(t, sessions[i].ws); code != CloseSessionRevoked {
			t.Fatalf("session %d push closed with %d, want %d", i, code, CloseSessionRevoked)
		}
	}
	for _, s := range sessions {
		expectLoggedOut(t, h.url, s)
	}
	// Another player is untouched, push included.
	expect(t, "other player", h.do("GET", "/v1/me", other.AccessToken, nil), 200, "")
	h.oracle(other.AccessToken, "h", contract.RoleHost)
	tk := h.queue(other.AccessToken, "battle_1v1", "h")
	if ev := readStatus(t, wsOther, tk.ID, store.StateQueued, ""); ev.Type != EventQueueStatus {
		t.Fatalf("other player's push: %+v", ev)
	}
	// A login after the logout works on HTTP and push.
	again := h.guest(device)
	expect(t, "login after logout everywhere", h.do("GET", "/v1/me", again.AccessToken, nil), 200, "")
	if _, _, err := dialEvents(t, h.url, again.AccessToken); err != nil {
		t.Fatalf("push refused a token from after the logout: %v", err)
	}
	expect(t, "refresh after logout everywhere", h.do("POST", "/v1/auth/refresh", "", refreshRequest{RefreshToken: again.RefreshToken}), 200, "")
	// A plain logout (empty body, or everywhere false) still ends one session only.
	second := h.guest(device)
	expect(t, "logout one session", h.do("POST", "/v1/auth/logout", second.AccessToken, logoutRequest{}), 204, "")
	expect(t, "logged-out session", h.do("GET", "/v1/me", second.AccessToken, nil), 401, CodeSessionRevoked)
	expect(t, "sibling session", h.do("GET", "/v1/me", again.AccessToken, nil), 200, "")
}

// TestLogoutAllSessionsTwoReplicas: two lobby replicas on one Redis; the
// player has a session with its push connection on each. Logging out
// everywhere through replica A closes the push connection held by B and
// B refuses every earlier token; a new login on B works.
func TestLogoutAllSessionsTwoReplicas(t *testing.T) {
	url := testsvc.Redis(t)
	prefix := storetest.RedisPrefix(t, url)
	db := fakedb.New()
	_, urlA := replica(t, redisStore(t, url, prefix), db, nil)
	_, urlB := replica(t, redisStore(t, url, prefix), db, nil)
	urls := []string{urlA, urlB}
	const device = "device-everywhere-r1"
	sessions := make([]session, 4)
	for i := range sessions {
		base := urls[i%2]
		sessions[i].tok = loginAt(t, base, device)
		ws, _, err := dialEvents(t, base, sessions[i].tok.AccessToken)
		if err != nil {
			t.Fatal(err)
		}
		sessions[i].ws = ws
	}
	other := loginAt(t, urlB, "device-everywhere-r2")
	expect(t, "logout everywhere via A", doReq(t, urlA, "POST", "/v1/auth/logout", sessions[0].tok.AccessToken, logoutRequest{Everywhere: true}), 204, "")
	for i, s := range sessions {
		if code := readClose(t, s.ws); code != CloseSessionRevoked {
			t.Fatalf("session %d (push on replica %d) closed with %d", i, i%2, code)
		}
	}
	for _, base := range urls {
		for _, s := range sessions {
			expectLoggedOut(t, base, s)
		}
		expect(t, "other player", doReq(t, base, "GET", "/v1/me", other.AccessToken, nil), 200, "")
	}
	again := loginAt(t, urlB, device)
	for i, base := range urls {
		expect(t, fmt.Sprintf("new login on replica %d", i), doReq(t, base, "GET", "/v1/me", again.AccessToken, nil), 200, "")
	}
}
