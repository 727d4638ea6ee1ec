package fleet_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/pantheon-oracles/pantheon/contract"
	"github.com/pantheon-oracles/pantheon/ecs"
	"github.com/pantheon-oracles/pantheon/lobby/fleet"
	"github.com/pantheon-oracles/pantheon/lobby/fleet/fleettest"
)

func srv(id string, rooms, maxRooms int, p99 float64) fleet.Candidate {
	return fleet.Candidate{Heartbeat: contract.Heartbeat{ServerID: id, ControlURL: "http://127.0.0.1:1", KCPAddr: "x:1", MaxRooms: maxRooms, Rooms: rooms, TickP99Ms: p99}}
}

func TestRank(t *testing.T) {
	draining := srv("d", 0, 10, 0)
	draining.Draining = true
	oldContent := srv("o", 0, 10, 0)
	oldContent.ContentVersion = "v0"
	filled := srv("filled", 5, 10, 0)
	filled.Placed = 5 // full by the rooms placed since its heartbeat
	in := []fleet.Candidate{srv("busy", 8, 10, 0), srv("full", 10, 10, 0), draining, filled, srv("slow", 1, 10, 9), srv("b", 2, 10, 0), srv("a", 2, 10, 0)}
	var ids []string
	for _, s := range fleet.NewPlacer(nil, -1).Rank(in, "", 10) {
		ids = append(ids, s.ServerID)
	}
	want := []string{"a", "b", "busy", "slow"} // 0.2, 0.2, 0.8, 0.1+0.9
	if len(ids) != len(want) {
		t.Fatalf("ranked %v, want %v", ids, want)
	}
	for i := range want {
		if ids[i] != want[i] {
			t.Fatalf("ranked %v, want %v", ids, want)
		}
	}
	v1 := srv("v1", 0, 10, 0)
	v1.ContentVersion = "v1"
	if got := fleet.NewPlacer(nil, 0).Rank([]fleet.Candidate{oldContent, v1}, "v1", 10); len(got) != 1 || got[0].ServerID != "v1" {
		t.Fatalf("content filter: %+v", got)
	}
}

// TestPlacerSpreadsNearEqual: servers within the slack of the best come
// first in a seeded random order weighted by free rooms; the others follow
// by score; a fixed seed gives the same draws.
func TestPlacerSpreadsNearEqual(t *testing.T) {
	in := []fleet.Candidate{srv("a", 10, 100, 0), srv("b", 11, 100, 0), srv("c", 12, 100, 0), srv("far", 50, 100, 0)}
	first := map[string]int{}
	p := fleet.NewPlacer(rand.New(rand.NewPCG(1, 2)), 0.05)
	var order []string
	for i := range 3000 {
		got := p.Rank(in, "", 10)
		if len(got) != 4 || got[3].ServerID != "far" {
			t.Fatalf("draw %d: %v: the far server must come last", i, got)
		}
		first[got[0].ServerID]++
		if i == 0 {
			for _, s := range got {
				order = append(order, s.ServerID)
			}
		}
	}
	for _, id := range []string{"a", "b", "c"} { // headroom 90, 89, 88 of 267: each near 1,000
		if n := first[id]; n < 900 || n > 1100 {
			t.Fatalf("first picks %v: %s outside 900..1100 of 3000", first, id)
		}
	}
	again := fleet.NewPlacer(rand.New(rand.NewPCG(1, 2)), 0.05).Rank(in, "", 10)
	for i, s := range again {
		if s.ServerID != order[i] {
			t.Fatalf("same seed, different order: %v then %v", order, again)
		}
	}
}

func request(match string) contract.RoomSpec {
	return contract.RoomSpec{MatchID: match, Mode: "battle_1v1", Seed: 7, Seats: []contract.SeatSpec{
		{Seat: 0, PlayerID: "p1", Team: 0, Oracle: ecs.OracleSpec{Archetype: "aries", Role: "host"}},
		{Seat: 1, PlayerID: "p2", Team: 1, Oracle: ecs.OracleSpec{Archetype: "leo", Role: "host"}},
	}}
}

func TestCreateRoom(t *testing.T) {
	rs := fleettest.New(t, "s3cret")
	ctx := context.Background()
	c := fleet.NewClient("s3cret", 2*time.Second)
	room, err := c.CreateRoom(ctx, rs.URL, request("m1"))
	if err != nil {
		t.Fatal(err)
	}
	st, ok := room.Ticket("p2")
	if !ok || st.Ticket != rs.Sign(room.RoomID, 1, "p2") || room.MatchID != "m1" {
		t.Fatalf("room %+v", room)
	}
	again, err := c.CreateRoom(ctx, rs.URL, request("m1"))
	if err != nil || again.RoomID != room.RoomID || len(rs.Requests()) != 1 {
		t.Fatalf("idempotent create: %+v %v (%d requests)", again, err, len(rs.Requests()))
	}
	if _, err := fleet.NewClient("wrong", time.Second).CreateRoom(ctx, rs.URL, request("m2")); !errors.Is(err, fleet.ErrRefused) {
		t.Fatalf("wrong secret: %v", err)
	}
	rs.SetFull(true)
	if _, err := c.CreateRoom(ctx, rs.URL, request("m3")); !errors.Is(err, fleet.ErrServerBusy) {
		t.Fatalf("full server: %v", err)
	}
}

func TestAllocateSkipsBadServers(t *testing.T) {
	full := fleettest.New(t, "s")
	full.SetFull(true)
	dead := fleettest.New(t, "s")
	dead.Close()
	ok := fleettest.New(t, "s")
	c := fleet.NewClient("s", time.Second)
	ranked := []contract.Heartbeat{full.Heartbeat("full"), dead.Heartbeat("dead"), ok.Heartbeat("ok")}
	room, s, err := c.Allocate(context.Background(), ranked, request("m1"), 3)
	if err != nil || s.ServerID != "ok" || ok.Rooms()["m1"].RoomID != room.RoomID {
		t.Fatalf("allocate: %+v %+v %v", room, s, err)
	}
	if _, _, err := c.Allocate(context.Background(), ranked, request("m2"), 2); !errors.Is(err, fleet.ErrNoServer) || !errors.Is(err, fleet.ErrUnreachable) {
		t.Fatalf("two bad servers: %v", err)
	}
	if _, _, err := c.Allocate(context.Background(), nil, request("m3"), 3); !errors.Is(err, fleet.ErrNoServer) {
		t.Fatalf("no servers: %v", err)
	}
}
