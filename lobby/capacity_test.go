package lobby

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/pantheon-oracles/pantheon/contract"
	"github.com/pantheon-oracles/pantheon/internal/testlog"
	"github.com/pantheon-oracles/pantheon/lobby/fleet/fleettest"
)

// TestNoCapacityBackoff: ten seconds (of a synthetic clock, one pass every
// 250 ms) in which no room server can take a match. Failed placements and
// pushes stay bounded: with no server registered none is tried and each
// player is told waiting_for_server once; with a server that advertises
// room but refuses, the first pass fails each match once, then one probe
// per CapacityRetry fails, and each player hears of it once. A server with
// room heartbeating ends it at the next pass.
func TestNoCapacityBackoff(t *testing.T) {
	for _, refusing := range []bool{false, true} {
		t.Run(fmt.Sprintf("refusing_server=%v", refusing), func(t *testing.T) { testNoCapacityBackoff(t, refusing) })
	}
}

func testNoCapacityBackoff(t *testing.T, refusing bool) {
	const mode, players, matches = "battle_1v1", 6, 3
	clk := &clock{t: time.Now()}
	logs := &testlog.Buffer{}
	h := newHarness(t, nil, func(c *Config, d *Deps) {
		d.Now = clk.Now
		d.Log = slog.New(slog.NewTextHandler(logs, nil))
	})
	admin := startAdmin(t, h.l)
	if refusing {
		h.rs.SetFull(true)
		h.heartbeat("room-1")
	}
	for i := range players {
		p := h.guest(fmt.Sprintf("device-nocap-%06d", i))
		h.oracle(p.AccessToken, "h", contract.RoleHost)
		h.queue(p.AccessToken, mode, "h")
	}
	ctx := context.Background()
	ev := func(typ, reason string) string {
		return series("pantheon_lobby_events_total", "reason", reason, "type", typ)
	}
	before := scrape(t, admin)
	const retry = 2 * time.Second // the default CapacityRetry
	for i := range 40 {           // 10 s of passes
		if refusing && i%8 == 0 {
			h.heartbeat("room-1") // stays live (TTL 6 s), unchanged
		}
		rep, err := h.l.Pass(ctx, mode)
		if err != nil || rep.Formed != matches {
			t.Fatalf("pass %d: %+v %v", i, rep, err)
		}
		if rep.Assigned != 0 {
			t.Fatalf("pass %d assigned on no capacity: %+v", i, rep)
		}
		clk.Add(250 * time.Millisecond)
	}
	m := scrape(t, admin)
	delta := func(s string) float64 { return m[s] - before[s] }
	failed := delta(series("pantheon_lobby_allocation_failures_total", "mode", mode))
	pushes := 0.0
	for s, v := range m {
		if len(s) > len("pantheon_lobby_events_total") && s[:len("pantheon_lobby_events_total")] == "pantheon_lobby_events_total" {
			pushes += v - before[s]
		}
	}
	if !refusing {
		// Nothing registered: nothing tried, each player told once.
		if failed != 0 || pushes != players || delta(ev(EventQueueStatus, ReasonWaitingForServer)) != players {
			t.Fatalf("10 s without servers: %v failed placements, %v pushes (%v waiting_for_server); want 0, %d, %d",
				failed, pushes, delta(ev(EventQueueStatus, ReasonWaitingForServer)), players, players)
		}
	} else {
		// The first pass fails each match; then one probe per CapacityRetry.
		maxFailed := float64(matches + int(10*time.Second/retry))
		if failed < matches || failed > maxFailed {
			t.Fatalf("10 s on a refusing server: %v failed placements, want %d..%v", failed, matches, maxFailed)
		}
		// Each player: matched, then requeued (no_room_server); nothing more.
		if pushes != 2*players || delta(ev(EventQueueStatus, ReasonNoRoomServer)) != players {
			t.Fatalf("10 s on a refusing server: %v pushes (%v no_room_server), want %d (%d)",
				pushes, delta(ev(EventQueueStatus, ReasonNoRoomServer)), 2*players, players)
		}
	}
	if w := m[series("pantheon_lobby_matches_waiting_for_server", "mode", mode)]; w != matches {
		t.Errorf("matches_waiting_for_server = %v, want %d", w, matches)
	}
	t.Logf("10 s without capacity: %v failed placements, %v pushes for %d players", failed, pushes, players)

	// A server with room heartbeats: the next pass places every match.
	ok := fleettest.New(t, testFleet)
	expect(t, "heartbeat", doReq(t, h.url, "POST", "/v1/servers/heartbeat", testFleet, ok.Heartbeat("room-2")), 200, "")
	rep, err := h.l.Pass(ctx, mode)
	if err != nil || rep.Assigned != matches || rep.Held != 0 {
		t.Fatalf("pass after a server with room heartbeated: %+v %v", rep, err)
	}
	if n := len(ok.Rooms()); n != matches {
		t.Fatalf("the new server got %d rooms, want %d", n, matches)
	}
	m = scrape(t, admin)
	if got := m[ev(EventMatchFound, "none")] - before[ev(EventMatchFound, "none")]; got != players {
		t.Errorf("%v match_found events, want %d", got, players)
	}
	if w := m[series("pantheon_lobby_matches_waiting_for_server", "mode", mode)]; w != 0 {
		t.Errorf("matches_waiting_for_server after placement = %v", w)
	}
	if d, u := logs.Count("no room server can take matches"), logs.Count("room servers take matches again"); d != 1 || u != 1 {
		t.Errorf("logged %d shortage and %d recovery lines, want 1 and 1:\n%s", d, u, logs.String())
	}
	if n := logs.Count("level=WARN"); n != 1 {
		t.Errorf("%d warnings in 10 s without capacity, want 1:\n%s", n, logs.String())
	}
}
