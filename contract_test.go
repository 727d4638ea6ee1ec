package main

import (
	"testing"

	"github.com/pantheon-oracles/pantheon/ecs"
	"github.com/pantheon-oracles/pantheon/lobby/match"
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
