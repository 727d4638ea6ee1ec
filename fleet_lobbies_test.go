package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pantheon-oracles/pantheon/ecs/content"
	"github.com/pantheon-oracles/pantheon/internal/testsvc"
	"github.com/pantheon-oracles/pantheon/internal/testwait"
	"github.com/pantheon-oracles/pantheon/lobby"
	"github.com/pantheon-oracles/pantheon/lobby/auth"
	"github.com/pantheon-oracles/pantheon/lobby/fleet"
	"github.com/pantheon-oracles/pantheon/lobby/store"
	"github.com/pantheon-oracles/pantheon/lobby/store/storetest"
	"github.com/pantheon-oracles/pantheon/persistence/sqlstore"
	"github.com/pantheon-oracles/pantheon/server"
	"github.com/prometheus/client_golang/prometheus"
)

const fleetTestSecret = "fleet-test-secret-0123456789abcdef"

var generous = store.Limit{Rate: 10_000, Burst: 10_000}

// TestRoomHeartbeatsEveryLobby: a room server given two lobby URLs
// registers with both; once one lobby stops, the other keeps receiving
// every round and keeps the server in its registry well past its
// heartbeat TTL. With two memory lobbies (each its own registry) and with
// two lobbies on one Redis (one shared registry).
func TestRoomHeartbeatsEveryLobby(t *testing.T) {
	for _, shared := range []bool{false, true} {
		t.Run(fmt.Sprintf("shared_redis=%v", shared), func(t *testing.T) {
			var open func() store.Store
			if shared {
				url := testsvc.Redis(t)
				prefix := storetest.RedisPrefix(t, url)
				open = func() store.Store {
					s, err := store.NewRedis(store.RedisConfig{URL: url, Prefix: prefix})
					if err != nil {
						t.Fatal(err)
					}
					t.Cleanup(func() { _ = s.Close() })
					return s
				}
			} else {
				open = func() store.Store { return store.NewMemory(store.MemoryConfig{}) }
			}
			testRoomHeartbeatsEveryLobby(t, open)
		})
	}
}

func testRoomHeartbeatsEveryLobby(t *testing.T, open func() store.Store) {
	bundle, err := content.Load()
	if err != nil {
		t.Fatal(err)
	}
	// A TTL far above the interval, so a stall of the machine (a loaded
	// 2-core CI box under -race) does not expire a server that heartbeats;
	// 90 rounds of at least 50 ms each outlast it (1.5 TTLs).
	const ttl, interval, rounds = 3 * time.Second, 50 * time.Millisecond, 90
	urlA, stopA := startTestLobby(t, open(), bundle, ttl)
	urlB, _ := startTestLobby(t, open(), bundle, ttl)
	srv, err := server.New(server.Config{
		ServerID: "room-fleet", KCPAddr: "127.0.0.1:0", WSAddr: "127.0.0.1:0", AdminAddr: "127.0.0.1:0",
		TicketKey: bytes.Repeat([]byte("t"), 32), FleetSecret: fleetTestSecret,
		LobbyURLs: []string{urlA, urlB}, Heartbeat: interval, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}, bundle, server.NewMemorySink())
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Shutdown() })

	for _, u := range []string{urlA, urlB} {
		testwait.For(t, 30*time.Second, 10*time.Millisecond, "room-fleet registered at "+u, func() bool { _, ok := registered(t, u, "room-fleet"); return ok }, nil)
	}
	stopA()
	seq0, _ := registered(t, urlB, "room-fleet")
	// Ninety rounds after A stopped (1.5 TTLs): B still lists the server
	// at every look, so its rounds kept arriving while A was gone.
	testwait.For(t, 60*time.Second, 10*time.Millisecond, "ninety more rounds at the live lobby", func() bool {
		seq, ok := registered(t, urlB, "room-fleet")
		if !ok {
			t.Fatalf("the live lobby dropped the server (last seq %d) after the other stopped", seq0)
		}
		return seq >= seq0+rounds
	}, nil)
}

// registered reports whether the lobby at base lists server id, and its
// last heartbeat round.
func registered(t *testing.T, base, id string) (uint64, bool) {
	t.Helper()
	req, _ := http.NewRequest("GET", base+"/v1/servers", nil)
	req.Header.Set("Authorization", "Bearer "+fleetTestSecret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Servers []fleet.Candidate `json:"servers"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET /v1/servers: %d %v", resp.StatusCode, err)
	}
	for _, s := range body.Servers {
		if s.ServerID == id {
			return s.Seq, true
		}
	}
	return 0, false
}

// startTestLobby runs a lobby on st (an embedded database of its own) on
// 127.0.0.1 and returns its URL and a stop that waits for it to return.
func startTestLobby(t *testing.T, st store.Store, content *content.Bundle, ttl time.Duration) (string, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	db, err := sqlstore.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "lobby.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	l, err := lobby.New(lobby.Config{Auth: auth.Config{Key: bytes.Repeat([]byte("k"), 32)}, FleetSecret: fleetTestSecret,
		PassInterval: -1, HeartbeatTTL: ttl, Limits: lobby.Limits{PerIP: generous, LoginPerIP: generous, LoginPerAccount: generous,
			FailuresPerIP: generous, TicketsPerPlayer: generous}},
		lobby.Deps{Store: st, Accounts: db, Refresh: db, Rosters: db, Ratings: db, Modes: content.Modes()})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- l.Run(ctx, ln) }()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("lobby: %v", err)
		}
	}
	t.Cleanup(stop)
	return "http://" + ln.Addr().String(), stop
}

// TestRoomLobbyFlag: --lobby takes a comma-separated list; a malformed
// entry fails the build of the config (start-up), naming it.
func TestRoomLobbyFlag(t *testing.T) {
	parse := func(lobbies string) (server.Config, error) {
		fs := flag.NewFlagSet("room", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		o := defaultRoomOptions()
		roomFlags(fs, &o)
		if err := fs.Parse([]string{"--lobby", lobbies, "--fleet-secret", fleetTestSecret, "--outbox", t.TempDir()}); err != nil {
			t.Fatal(err)
		}
		return o.build(slog.New(slog.NewTextHandler(io.Discard, nil)), prometheus.NewRegistry())
	}
	cfg, err := parse("http://lobby-a:8080, http://lobby-b:8080")
	if err != nil || !slices.Equal(cfg.LobbyURLs, []string{"http://lobby-a:8080", "http://lobby-b:8080"}) {
		t.Fatalf("two lobbies: %v %v", cfg.LobbyURLs, err)
	}
	if _, err := parse("http://lobby-a:8080,lobby-b:8080"); err == nil || !strings.Contains(err.Error(), `lobby URL "lobby-b:8080"`) {
		t.Fatalf("a URL without scheme: %v, want an error naming it", err)
	}
}
