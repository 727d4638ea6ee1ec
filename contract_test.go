package main

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/pantheon-oracles/pantheon/ecs"
	"github.com/pantheon-oracles/pantheon/lobby/fleet"
	"github.com/pantheon-oracles/pantheon/lobby/match"
	"github.com/pantheon-oracles/pantheon/server"
)

// TestLobbyModesFitContent checks the contract between the matchmaker's
// queues (lobby/match) and the simulation's modes (ecs content): every queue
// forms matches the room server can build. Battles must agree on teams and
// team size; one-team modes must form between the content's player bounds.
func TestLobbyModesFitContent(t *testing.T) {
	c, err := ecs.LoadContent()
	if err != nil {
		t.Fatal(err)
	}
	queues := map[string]bool{}
	for _, q := range match.Modes() {
		queues[q.ID] = true
		m, ok := c.Mode(q.ID)
		if !ok {
			t.Errorf("lobby queue %s: no such mode in content %s", q.ID, c.Version())
			continue
		}
		if m.Kind == "battle" {
			if int32(q.Teams) != m.Teams || int32(q.TeamSize) != m.TeamSize || q.MinPlayers != q.Players() {
				t.Errorf("%s: lobby forms %d teams of %d (min %d), content wants %d of %d",
					q.ID, q.Teams, q.TeamSize, q.MinPlayers, m.Teams, m.TeamSize)
			}
			continue
		}
		if q.Teams != 1 || int32(q.MinPlayers) < m.MinPlayers || int32(q.Players()) > m.MaxPlayers || q.MinPlayers > q.Players() {
			t.Errorf("%s: lobby forms %d..%d players in %d team(s), content allows %d..%d in one",
				q.ID, q.MinPlayers, q.Players(), q.Teams, m.MinPlayers, m.MaxPlayers)
		}
	}
	for _, m := range c.Modes() {
		if !queues[m.ID] {
			t.Errorf("content mode %s has no lobby queue", m.ID)
		}
	}
}

// TestHeartbeatContract: the room server's heartbeat and the lobby's view of
// it are two implementations of one JSON body (server/CONTROL_API.md).
// Every field set on the server's side must be read by the lobby (unknown
// fields are refused) and written back identically.
func TestHeartbeatContract(t *testing.T) {
	hb := server.Heartbeat{ServerID: "room-7", ControlURL: "http://10.0.0.5:7002", KCPAddr: "203.0.113.7:7000",
		WSURL: "ws://203.0.113.7:7001/v1/play", Region: "eu", ContentVersion: "c1-x", MaxRooms: 256,
		Rooms: 12, Players: 80, TickP99Ms: 0.8, Draining: true,
		MatchesEnded: []server.EndedMatch{{MatchID: "m_1", Outcome: "team_win", Reason: "match_over",
			Players: []string{"p_1", "p_2"}, Tickets: []string{"t_1", "t_2"}}}}
	b, err := json.Marshal(hb)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var got fleet.Server
	if err := dec.Decode(&got); err != nil {
		t.Fatalf("the lobby cannot read the room server's heartbeat %s: %v", b, err)
	}
	back, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(back, b) {
		t.Fatalf("heartbeat read back as\n%s\nwant\n%s", back, b)
	}
	// Every field of the server's heartbeat is set above (a zero one would
	// be invisible to the round trip).
	var fields map[string]any
	_ = json.Unmarshal(b, &fields)
	if n := reflect.TypeOf(hb).NumField(); len(fields) != n {
		t.Fatalf("the test sets %d of the heartbeat's %d fields", len(fields), n)
	}
}
