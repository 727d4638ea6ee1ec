package lobby

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/pantheon-oracles/pantheon/contract"
	"github.com/pantheon-oracles/pantheon/ecs"
	"github.com/pantheon-oracles/pantheon/lobby/fleet"
	"github.com/pantheon-oracles/pantheon/lobby/fleet/fleettest"
	"github.com/pantheon-oracles/pantheon/lobby/match"
	"github.com/pantheon-oracles/pantheon/lobby/store"
)

// TestPlacementSpreads places 300 battle_1v1 matches, in 10 passes of 30,
// on three equal room servers (200 rooms each) plus a draining one and a
// full one, with each server heartbeating its real room count between
// passes (a new round, resetting the placed counts). The three get
// 100 +/- 10 rooms each (the placed counts keep their loads within the
// placer's 0.05 slack, 10 rooms, of each other), the draining and the full
// server none. Run on the memory and the Redis store.
func TestPlacementSpreads(t *testing.T) {
	for _, st := range stateStores() {
		t.Run(st.name, func(t *testing.T) { testPlacementSpreads(t, st.open(t)) })
	}
}

func testPlacementSpreads(t *testing.T, st store.Store) {
	const mode, rounds, perRound, tolerance = "battle_1v1", 10, 30, 10
	h := newHarness(t, st, func(c *Config, d *Deps) {
		d.Placer = fleet.NewPlacer(rand.New(rand.NewPCG(18, 1)), 0)
		c.AllocWorkers = 8
	})
	ids := []string{"room-a", "room-b", "room-c", "room-draining", "room-full"}
	fakes := map[string]*fleettest.Server{}
	for _, id := range ids {
		fakes[id] = fleettest.New(t, testFleet)
	}
	beat := func(seq uint64) {
		for _, id := range ids {
			hb := fakes[id].Heartbeat(id)
			hb.MaxRooms, hb.Rooms, hb.Seq = 200, len(fakes[id].Rooms()), seq
			switch id {
			case "room-draining":
				hb.Draining = true
			case "room-full":
				hb.Rooms = hb.MaxRooms
			}
			expect(t, "heartbeat "+id, doReq(t, h.url, "POST", "/v1/servers/heartbeat", testFleet, hb), 200, "")
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), testDeadline)
	defer cancel()
	now := time.Now()
	assigned := 0
	for round := range rounds {
		beat(uint64(round + 1))
		for i := range 2 * perRound {
			enqueueDirect(t, ctx, st, mode, fmt.Sprintf("r%02d-%03d", round, i), now)
		}
		rep, err := h.l.Pass(ctx, mode)
		if err != nil || rep.Assigned != perRound {
			t.Fatalf("round %d: %+v %v", round, rep, err)
		}
		assigned += rep.Assigned
	}
	got := map[string]int{}
	for id, f := range fakes {
		got[id] = len(f.Requests())
	}
	t.Logf("%d matches on three servers: %v", assigned, got)
	if got["room-draining"] != 0 || got["room-full"] != 0 {
		t.Fatalf("the draining or the full server got rooms: %v", got)
	}
	for _, id := range ids[:3] {
		if n := got[id]; n < 100-tolerance || n > 100+tolerance {
			t.Fatalf("spread %v: %s has %d rooms, want 100 +/- %d", got, id, n, tolerance)
		}
	}
}

// enqueueDirect queues a solo ticket of player id straight in the store
// (no login, no roster): what POST /v1/tickets stores.
func enqueueDirect(t *testing.T, ctx context.Context, st store.Store, mode, id string, now time.Time) {
	t.Helper()
	tk := match.Ticket{ID: "t_" + id, Mode: mode, EnqueuedAt: now, Members: []match.Member{{PlayerID: "p_" + id, Mu: 25, Sigma: 8,
		Oracle: contract.Oracle{Name: "h", OracleSpec: ecs.OracleSpec{Archetype: "aries", Role: contract.RoleHost, Loadout: []string{"ember_strike"}}}}}}
	data, err := json.Marshal(tk)
	if err != nil {
		t.Fatal(err)
	}
	rec := store.TicketRecord{ID: tk.ID, Mode: mode, PlayerIDs: tk.PlayerIDs(), EnqueuedAt: now, Data: data, State: store.StateQueued}
	if err := st.Enqueue(ctx, rec, 1_000_000); err != nil {
		t.Fatal(err)
	}
}
