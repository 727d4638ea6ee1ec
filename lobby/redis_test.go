package lobby

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/pantheon-oracles/pantheon/contract"
	"github.com/pantheon-oracles/pantheon/internal/testsvc"
	"github.com/pantheon-oracles/pantheon/lobby/auth"
	"github.com/pantheon-oracles/pantheon/lobby/fleet/fleettest"
	"github.com/pantheon-oracles/pantheon/lobby/internal/fakedb"
	"github.com/pantheon-oracles/pantheon/lobby/store"
	"github.com/pantheon-oracles/pantheon/lobby/store/storetest"
	"github.com/redis/go-redis/v9"
)

// redisStore opens a store on url under prefix, closed when the test ends.
func redisStore(t *testing.T, url, prefix string) store.Store {
	t.Helper()
	s, err := store.NewRedis(store.RedisConfig{URL: url, Prefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// replica starts one lobby on st sharing db and the room server.
func replica(t *testing.T, st store.Store, db *fakedb.DB, mod func(*Config)) (*Lobby, string) {
	t.Helper()
	cfg := testConfig()
	if mod != nil {
		mod(&cfg)
	}
	l, err := New(cfg, Deps{Store: st, Accounts: db, Refresh: db, Rosters: db, Ratings: db, Providers: []auth.Provider{devProvider}, Modes: testModes()})
	if err != nil {
		t.Fatal(err)
	}
	return l, startLobby(t, l)
}

// TestTwoReplicasOnRedis runs two lobby replicas on one Redis with their
// matchmaker loops on. Players queue through one replica and hold their
// push connection on the other. Every player gets exactly one room and its
// match_found arrives on the other replica. In "shared lease owner" both
// replicas run passes at the same time (same lease owner), so only the
// atomic claims keep matches apart.
func TestTwoReplicasOnRedis(t *testing.T) {
	url := testsvc.Redis(t)
	for _, shareLease := range []bool{false, true} {
		t.Run(fmt.Sprintf("shared lease owner=%v", shareLease), func(t *testing.T) {
			prefix := storetest.RedisPrefix(t, url)
			db := fakedb.New()
			rs := fleettest.New(t, testFleet)
			mod := func(id string) func(*Config) {
				return func(c *Config) {
					c.PassInterval = 20 * time.Millisecond
					c.ReplicaID = id
					if shareLease {
						c.ReplicaID = "same-owner"
					}
				}
			}
			_, urlA := replica(t, redisStore(t, url, prefix), db, mod("replica-a"))
			_, urlB := replica(t, redisStore(t, url, prefix), db, mod("replica-b"))
			urls := []string{urlA, urlB}
			// The heartbeat reaches A only; B allocates through the shared registry.
			expect(t, "heartbeat", doReq(t, urlA, "POST", "/v1/servers/heartbeat", testFleet, rs.Heartbeat("room-1")), 200, "")
			// And keeps coming, as a live server's does: on a loaded machine
			// the logins below can outlast one heartbeat's TTL.
			stopBeats := make(chan struct{})
			beatsDone := make(chan struct{})
			go func() {
				defer close(beatsDone)
				tk := time.NewTicker(500 * time.Millisecond)
				defer tk.Stop()
				for {
					select {
					case <-stopBeats:
						return
					case <-tk.C:
						_ = postJSON(urlA+"/v1/servers/heartbeat", testFleet, rs.Heartbeat("room-1"))
					}
				}
			}()
			t.Cleanup(func() { close(stopBeats); <-beatsDone })

			const n = 24
			type player struct {
				tok tokenResponse
				ws  *websocket.Conn
			}
			players := make([]player, n)
			for i := range players {
				via := urls[i%2]
				r := doReq(t, via, "POST", "/v1/auth/guest", "", guestRequest{DeviceID: fmt.Sprintf("device-replica-%05d", i)})
				expect(t, "login", r, 200, "")
				r.decode(t, &players[i].tok)
				tok := players[i].tok.AccessToken
				r = doReq(t, via, "PUT", "/v1/me/oracles/h", tok, oracleBody{Archetype: "aries", Role: contract.RoleHost})
				expect(t, "oracle", r, 201, "")
				ws, _, err := dialEvents(t, urls[(i+1)%2], tok) // push on the other replica
				if err != nil {
					t.Fatal(err)
				}
				players[i].ws = ws
			}
			var wg sync.WaitGroup
			for i := range players {
				wg.Add(1)
				go func() {
					defer wg.Done()
					r := doReq(t, urls[i%2], "POST", "/v1/tickets", players[i].tok.AccessToken, ticketRequest{Mode: "battle_1v1", OracleID: "h"})
					if r.status != 201 {
						t.Errorf("queue %d: %d %s", i, r.status, r.body)
					}
				}()
			}
			wg.Wait()
			matchOf := map[string]string{}
			for i, p := range players {
				ev := readEvent(t, p.ws, EventMatchFound)
				if ev.Match == nil || ev.Match.PlayerID != p.tok.PlayerID {
					t.Fatalf("player %d got %+v", i, ev)
				}
				matchOf[p.tok.PlayerID] = ev.Match.MatchID
			}
			// The room server saw each player in exactly one room.
			seen := map[string]string{}
			for _, req := range rs.Requests() {
				for _, s := range req.Seats {
					if prev, dup := seen[s.PlayerID]; dup {
						t.Fatalf("player %s placed in %s and %s", s.PlayerID, prev, req.MatchID)
					}
					seen[s.PlayerID] = req.MatchID
				}
			}
			if len(seen) != n || len(rs.Requests()) != n/2 {
				t.Fatalf("%d players in %d rooms, want %d in %d", len(seen), len(rs.Requests()), n, n/2)
			}
			for p, m := range matchOf {
				if seen[p] != m {
					t.Fatalf("player %s told match %s, placed in %s", p, m, seen[p])
				}
			}
		})
	}
}

// privateRedis runs a redis-server on a free 127.0.0.1 port that the test
// can stop and restart; the shared Redis is never touched.
type privateRedis struct {
	t    *testing.T
	port int
	cmd  *exec.Cmd
}

func newPrivateRedis(t *testing.T) *privateRedis {
	t.Helper()
	testsvc.Redis(t) // runs (and is required) wherever Redis tests run
	if _, err := exec.LookPath("redis-server"); err != nil {
		if testsvc.Required() {
			t.Fatal("redis-server is not installed")
		}
		t.Skip("redis-server is not installed")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	_ = ln.Close()
	pr := &privateRedis{t: t, port: port}
	pr.start()
	t.Cleanup(pr.stop)
	return pr
}

func (pr *privateRedis) url() string { return "redis://127.0.0.1:" + strconv.Itoa(pr.port) + "/0" }

func (pr *privateRedis) start() {
	pr.t.Helper()
	pr.cmd = exec.Command("redis-server", "--port", strconv.Itoa(pr.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no")
	if err := pr.cmd.Start(); err != nil {
		pr.t.Fatal(err)
	}
	opt, _ := redis.ParseURL(pr.url())
	c := redis.NewClient(opt)
	defer c.Close()
	eventually(pr.t, "private redis to answer", func() bool {
		return c.Ping(context.Background()).Err() == nil
	})
}

func (pr *privateRedis) stop() {
	if pr.cmd == nil || pr.cmd.Process == nil {
		return
	}
	_ = pr.cmd.Process.Kill()
	_ = pr.cmd.Wait()
	pr.cmd = nil
}

// numsub counts Redis-side subscribers of a channel.
func (pr *privateRedis) numsub(channel string) int64 {
	opt, _ := redis.ParseURL(pr.url())
	c := redis.NewClient(opt)
	defer c.Close()
	m, err := c.PubSubNumSub(context.Background(), channel).Result()
	if err != nil {
		return 0
	}
	return m[channel]
}

// TestRedisRestartDuringQueueing stops Redis while players are queueing:
// the lobby answers 503 with Retry-After quickly instead of hanging, and
// once Redis is back it works again without a restart, including push
// connections opened before the outage.
func TestRedisRestartDuringQueueing(t *testing.T) {
	pr := newPrivateRedis(t)
	st := redisStore(t, pr.url(), "restart:")
	h := newHarness(t, st, nil)
	h.heartbeat("room-1")
	a := h.guest("device-restart-0001")
	b := h.guest("device-restart-0002")
	h.oracle(a.AccessToken, "h", contract.RoleHost)
	h.oracle(b.AccessToken, "h", contract.RoleHost)
	wsA, _, err := dialEvents(t, h.url, a.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	wsB, _, err := dialEvents(t, h.url, b.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	h.queue(a.AccessToken, "battle_1v1", "h")

	pr.stop()
	for _, c := range []struct {
		name, method, path, token string
		body                      any
	}{
		{"queue", "POST", "/v1/tickets", b.AccessToken, ticketRequest{Mode: "battle_1v1", OracleID: "h"}},
		{"health", "GET", "/v1/health", "", nil},
		{"me", "GET", "/v1/me", a.AccessToken, nil},
		{"heartbeat", "POST", "/v1/servers/heartbeat", testFleet, h.rs.Heartbeat("room-1")},
	} {
		start := time.Now()
		r := h.do(c.method, c.path, c.token, c.body)
		expect(t, c.name+" with Redis down", r, 503, CodeUnavailable)
		if r.header.Get("Retry-After") == "" {
			t.Fatalf("%s: 503 without Retry-After", c.name)
		}
		// Bounded by the store's 250 ms dial and 500 ms I/O timeouts and
		// go-redis's retries, not by a hang; 5 s leaves room for a slow run.
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("%s took %v with Redis down, want at most 5s", c.name, d)
		}
	}
	if _, err := h.l.Pass(context.Background(), "battle_1v1"); err == nil {
		t.Fatal("a pass with Redis down reported no error")
	}

	pr.start() // empty: the old queue is gone with the old process
	eventually(t, "the lobby to see Redis again", func() bool { return h.do("GET", "/v1/health", "", nil).status == 200 })
	for _, p := range []tokenResponse{a, b} {
		eventually(t, "push subscriptions to be restored", func() bool { return pr.numsub("restart:ev:player:"+p.PlayerID) > 0 })
	}
	h.heartbeat("room-1")
	tkA := h.queue(a.AccessToken, "battle_1v1", "h")
	tkB := h.queue(b.AccessToken, "battle_1v1", "h")
	rep, err := h.l.Pass(context.Background(), "battle_1v1")
	if err != nil || rep.Assigned != 1 {
		t.Fatalf("pass after recovery %+v %v", rep, err)
	}
	if ev := readEvent(t, wsA, EventMatchFound); ev.TicketID != tkA.ID {
		t.Fatalf("A's match_found after recovery: %+v", ev)
	}
	if ev := readEvent(t, wsB, EventMatchFound); ev.TicketID != tkB.ID {
		t.Fatalf("B's match_found after recovery: %+v", ev)
	}
}

// postJSON posts body as JSON with a bearer token, for goroutines that
// cannot call t.Fatal; the answer is discarded.
func postJSON(url, token string, body any) error {
	raw, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequest("POST", url, bytes.NewReader(raw))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	return resp.Body.Close()
}
