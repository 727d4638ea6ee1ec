package bot

import (
	"fmt"

	"github.com/pantheon-oracles/pantheon/ecs"
	"github.com/pantheon-oracles/pantheon/ecs/content"
)

// Match is a match played by one bot per seat: each Step, every bot acts
// on the views after the previous tick, and the sim steps with their inputs
// (in seat order, as a room would hand them over).
type Match struct {
	Sim    *ecs.Sim
	bots   []*Bot
	selves []uint32
	views  []ecs.EntityView
	inputs []ecs.Input
}

// NewMatch builds the sim for cfg and a bot for each seat. sloppy makes one
// ritual gesture in sloppy deliberately wrong (0 never).
func NewMatch(c *content.Bundle, cfg ecs.Config, sloppy int) (*Match, error) {
	sim, err := ecs.New(c, cfg)
	if err != nil {
		return nil, fmt.Errorf("bot: %w", err)
	}
	m := &Match{Sim: sim}
	seats := append([]ecs.Seat(nil), cfg.Seats...)
	for i := 1; i < len(seats); i++ {
		for j := i; j > 0 && seats[j].Seat < seats[j-1].Seat; j-- {
			seats[j], seats[j-1] = seats[j-1], seats[j]
		}
	}
	for _, st := range seats {
		b, err := New(c, cfg.Mode, sim.Arena(), st, cfg.Seed, sloppy)
		if err != nil {
			return nil, err
		}
		id, _ := sim.SeatEntity(st.Seat)
		m.bots = append(m.bots, b)
		m.selves = append(m.selves, id)
	}
	m.views = sim.AppendView(nil)
	return m, nil
}

// Step lets every bot act and steps the sim once.
func (m *Match) Step() ecs.Output {
	m.inputs = m.inputs[:0]
	tick := m.Sim.Tick() + 1
	for i, b := range m.bots {
		if in, ok := b.Act(tick, m.selves[i], m.views); ok {
			m.inputs = append(m.inputs, in)
		}
	}
	out := m.Sim.Step(m.inputs)
	m.views = m.Sim.AppendView(m.views[:0])
	return out
}

// Run steps until the match ends or maxTicks ticks have run (then it
// aborts the match), and returns the result.
func (m *Match) Run(maxTicks int) *ecs.Result {
	for m.Sim.Tick() < maxTicks {
		if out := m.Step(); out.Done {
			return out.Result
		}
	}
	return m.Sim.Abort()
}

// Seats makes n seats for mode with a spread of archetypes, roles, pets,
// forms and totems chosen from the content by seed. Battle seats alternate
// teams; other modes put everyone on team 0.
func Seats(c *content.Bundle, mode string, n int, seed uint64) ([]ecs.Seat, error) {
	m, ok := c.Mode(mode)
	if !ok {
		return nil, fmt.Errorf("bot: unknown mode %q", mode)
	}
	archetypes, pets, forms, totems := c.Archetypes(), c.Pets(), c.Forms(), c.Totems()
	roles := []string{"host", "friend", "descendant"}
	seats := make([]ecs.Seat, n)
	for i := range seats {
		k := int(seed%97) + i
		team := 0
		if m.Kind == "battle" {
			team = i % 2
		}
		role := roles[0]
		if i >= 2 {
			role = roles[k%len(roles)]
		}
		o := ecs.OracleSpec{Archetype: archetypes[k%len(archetypes)].ID, Role: role}
		if k%2 == 0 {
			o.Pet = pets[k%len(pets)].ID
		}
		if k%3 != 1 {
			o.Form = forms[k%len(forms)].ID
		}
		if k%4 == 0 {
			o.Totem = totems[k%len(totems)].ID
		}
		seats[i] = ecs.Seat{Seat: i, PlayerID: fmt.Sprintf("bot-%d", i), Team: team, Oracle: o}
	}
	return seats, nil
}

// DemoConfig is a playable config for mode with seed: full teams for
// battles, 20 players for a raid, 4 for a ritual.
func DemoConfig(c *content.Bundle, mode, arena string, seed uint64) (ecs.Config, error) {
	m, ok := c.Mode(mode)
	if !ok {
		return ecs.Config{}, fmt.Errorf("bot: unknown mode %q", mode)
	}
	n := int(m.Teams * m.TeamSize)
	switch m.Kind {
	case "raid":
		n = min(20, int(m.MaxPlayers))
	case "ritual":
		n = max(int(m.MinPlayers), min(4, int(m.MaxPlayers)))
	}
	seats, err := Seats(c, mode, n, seed)
	if err != nil {
		return ecs.Config{}, err
	}
	return ecs.Config{Mode: mode, Arena: arena, Seed: seed, Seats: seats}, nil
}
