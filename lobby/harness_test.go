package lobby

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/pantheon-oracles/pantheon/ecs/content"
	"github.com/pantheon-oracles/pantheon/internal/testwait"
	"github.com/pantheon-oracles/pantheon/lobby/auth"
	"github.com/pantheon-oracles/pantheon/lobby/fleet/fleettest"
	"github.com/pantheon-oracles/pantheon/lobby/internal/fakedb"
	"github.com/pantheon-oracles/pantheon/lobby/store"
	"github.com/pantheon-oracles/pantheon/persistence"
	"github.com/pantheon-oracles/pantheon/persistence/sqlstore"
)

var (
	testKey      = bytes.Repeat([]byte("k"), 32)
	testFleet    = "fleet-secret-0123456789-0123456789"
	devProvider  = auth.DevProvider{Secret: []byte("dev")}
	generous     = store.Limit{Rate: 1000, Burst: 1000}
	testDeadline = 30 * time.Second // every wait for a condition: generous for a loaded 2-core machine
)

// testConfig is a config for tests: matchmaker loop off, generous limits.
// testModes are the shipped content's modes, the lobby's queues in tests.
var testModes = sync.OnceValue(func() []content.ModeDef {
	c, err := content.Load()
	if err != nil {
		panic(err)
	}
	return c.Modes()
})

func testConfig() Config {
	return Config{
		Auth:         auth.Config{Key: testKey},
		FleetSecret:  testFleet,
		PassInterval: -1,
		Limits: Limits{PerIP: generous, LoginPerIP: generous, LoginPerAccount: generous,
			FailuresPerIP: generous, TicketsPerPlayer: generous},
		QueueStatusInterval: -1,
		AllocTimeout:        2 * time.Second,
	}
}

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// durable is the slice of persistence the lobby uses.
type durable interface {
	persistence.Accounts
	persistence.RefreshTokens
	persistence.Rosters
	persistence.Ratings
}

// backends lists the durable stores tests of accounts run against: the
// in-memory fake and the real embedded (SQLite) store.
func backends() []struct {
	name string
	open func(t *testing.T) durable
} {
	return []struct {
		name string
		open func(t *testing.T) durable
	}{
		{"db=fake", func(*testing.T) durable { return fakedb.New() }},
		{"db=sqlite", func(t *testing.T) durable {
			ctx, cancel := context.WithTimeout(context.Background(), testDeadline)
			defer cancel()
			db, err := sqlstore.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "lobby.db"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = db.Close() })
			return db
		}},
	}
}

// withDB makes a harness use db for accounts, refresh tokens, rosters and
// ratings.
func withDB(db durable) func(*Config, *Deps) {
	return func(_ *Config, d *Deps) { d.Accounts, d.Refresh, d.Rosters, d.Ratings = db, db, db, db }
}

// harness is one running lobby on 127.0.0.1 with its collaborators.
type harness struct {
	t   *testing.T
	l   *Lobby
	url string
	db  *fakedb.DB
	st  store.Store
	rs  *fleettest.Server
}

// startLobby runs l on a fresh 127.0.0.1 listener until the test ends.
func startLobby(t *testing.T, l *Lobby) string {
	t.Helper()
	return serveUntilCleanup(t, "Run", l.Run)
}

// serveUntilCleanup runs serve (named name in failures) on a fresh
// 127.0.0.1 listener until the test ends, then cancels it and checks it
// returns cleanly in time. It returns the base URL.
func serveUntilCleanup(t *testing.T, name string, serve func(context.Context, net.Listener) error) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("%s: %v", name, err)
			}
		case <-time.After(testDeadline):
			t.Errorf("%s did not return after cancel", name)
		}
	})
	return "http://" + ln.Addr().String()
}

// newHarness starts a lobby on st (memory when nil) with a fake room
// server; mod adjusts the config and deps first.
func newHarness(t *testing.T, st store.Store, mod func(*Config, *Deps)) *harness {
	t.Helper()
	if st == nil {
		st = store.NewMemory(store.MemoryConfig{})
	}
	db := fakedb.New()
	cfg := testConfig()
	deps := Deps{Store: st, Accounts: db, Refresh: db, Rosters: db, Ratings: db, Providers: []auth.Provider{devProvider}, Modes: testModes(),
		Content: &ClientContent{Version: "v-test", JSON: []byte(`{"version":"v-test"}`)}}
	if mod != nil {
		mod(&cfg, &deps)
	}
	l, err := New(cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, l: l, db: db, st: st, rs: fleettest.New(t, testFleet)}
	h.url = startLobby(t, l)
	return h
}

// response is a decoded HTTP answer.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) code() string {
	var e errorBody
	_ = json.Unmarshal(r.body, &e)
	return e.Code
}

func (r response) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

// do sends one request; body is JSON-encoded unless it is a string.
func (h *harness) do(method, path, token string, body any, hdr ...string) response {
	h.t.Helper()
	return doReq(h.t, h.url, method, path, token, body, hdr...)
}

func doReq(t testing.TB, base, method, path, token string, body any, hdr ...string) response {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		enc, _ := json.Marshal(b)
		rd = bytes.NewReader(enc)
	}
	req, err := http.NewRequest(method, base+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, body: data}
}

// expect fails unless r has status and (when code != "") that error code.
func expect(t testing.TB, what string, r response, status int, code string) {
	t.Helper()
	if r.status != status || (code != "" && r.code() != code) {
		t.Fatalf("%s: got %d %s, want %d %s", what, r.status, r.body, status, code)
	}
	if status >= 400 && !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
		t.Fatalf("%s: error without a JSON content type: %q", what, r.header.Get("Content-Type"))
	}
}

// guest logs a new device in and returns its tokens.
func (h *harness) guest(device string) tokenResponse {
	h.t.Helper()
	r := h.do("POST", "/v1/auth/guest", "", guestRequest{DeviceID: device})
	expect(h.t, "guest login", r, 200, "")
	var tr tokenResponse
	r.decode(h.t, &tr)
	return tr
}

// oracle saves a valid oracle with role into the player's roster.
func (h *harness) oracle(token, id, role string) {
	h.t.Helper()
	r := h.do("PUT", "/v1/me/oracles/"+id, token, oracleBody{Name: id, Archetype: "aries", Role: role, Loadout: []string{"ember_strike"}})
	if r.status != 201 && r.status != 200 {
		h.t.Fatalf("put oracle: %d %s", r.status, r.body)
	}
}

// queue creates a ticket and returns it.
func (h *harness) queue(token, mode, oracle string) ticketView {
	h.t.Helper()
	r := h.do("POST", "/v1/tickets", token, ticketRequest{Mode: mode, OracleID: oracle})
	expect(h.t, "create ticket", r, 201, "")
	var v ticketView
	r.decode(h.t, &v)
	return v
}

// heartbeat registers the fake room server under id.
func (h *harness) heartbeat(id string) {
	h.t.Helper()
	r := doReq(h.t, h.url, "POST", "/v1/servers/heartbeat", testFleet, h.rs.Heartbeat(id))
	expect(h.t, "heartbeat", r, 200, "")
}

// dialEvents opens the push channel with token.
func dialEvents(t testing.TB, base, token string) (*websocket.Conn, *http.Response, error) {
	t.Helper()
	hdr := http.Header{}
	if token != "" {
		hdr.Set("Authorization", "Bearer "+token)
	}
	d := websocket.Dialer{HandshakeTimeout: 5 * time.Second}
	c, resp, err := d.Dial("ws"+strings.TrimPrefix(base, "http")+"/v1/events", hdr)
	if err == nil {
		t.Cleanup(func() { _ = c.Close() })
	}
	return c, resp, err
}

// readEvent reads the next event of type typ, skipping others, within the
// test deadline.
func readEvent(t testing.TB, c *websocket.Conn, typ string) Event {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(testDeadline))
	for {
		_, data, err := c.ReadMessage()
		if err != nil {
			t.Fatalf("waiting for %s: %v", typ, err)
		}
		var ev Event
		if err := json.Unmarshal(data, &ev); err != nil {
			t.Fatalf("event %s: %v", data, err)
		}
		if ev.Type == typ {
			return ev
		}
	}
}

// readClose reads until the connection closes and returns the close code.
func readClose(t testing.TB, c *websocket.Conn) int {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(testDeadline))
	for {
		_, _, err := c.ReadMessage()
		if err == nil {
			continue
		}
		var ce *websocket.CloseError
		if errors.As(err, &ce) {
			return ce.Code
		}
		t.Fatalf("connection ended without a close frame: %v", err)
	}
}

// eventually polls cond every 10 ms until it holds or the deadline passes.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	testwait.For(t, testDeadline, 10*time.Millisecond, what, cond, nil)
}
