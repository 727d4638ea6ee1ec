package main

import (
	"fmt"
	"testing"

	"github.com/pantheon-oracles/pantheon/ecs"
	"github.com/pantheon-oracles/pantheon/ecs/content"
	"github.com/pantheon-oracles/pantheon/lobby/match"
)

// TestLobbyModesFitContent checks the contract between the matchmaker's
// queues (lobby/match, derived from the content under the lobby's default
// policies, as `pantheon lobby` starts) and the simulation (ecs): every
// queue has a content mode, and the smallest and the largest match each
// queue forms are a configuration the room server's simulation accepts.
func TestLobbyModesFitContent(t *testing.T) {
	c, err := content.Load()
	if err != nil {
		t.Fatal(err)
	}
	modes, err := match.NewModes(c.Modes(), match.DefaultModePolicies())
	if err != nil {
		t.Fatalf("the lobby would not start on content %s: %v", c.Version(), err)
	}
	if got, want := len(modes.All()), len(c.Modes()); got != want {
		t.Fatalf("%d queues for %d content modes", got, want)
	}
	for _, q := range modes.All() {
		for _, n := range []int{q.MinPlayers, q.Players()} {
			cfg := ecs.Config{Mode: q.ID, Seed: 1}
			for i := range n {
				// Process fills team after team; one-team modes are all team 0.
				cfg.Seats = append(cfg.Seats, ecs.Seat{Seat: i, PlayerID: fmt.Sprint("p", i), Team: i / q.TeamSize,
					Oracle: ecs.OracleSpec{Archetype: "aries", Role: "host"}})
			}
			if err := ecs.ValidateConfig(c, cfg); err != nil {
				t.Errorf("queue %s forms a match of %d players the simulation refuses: %v", q.ID, n, err)
			}
		}
	}
}
