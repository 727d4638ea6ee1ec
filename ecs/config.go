package ecs

import (
	"fmt"
	"slices"

	"github.com/pantheon-oracles/pantheon/ecs/content"
)

// Limits of a match. Content is validated against the same limits (package
// content defines them), so every mode of a Bundle fits.
const (
	// MaxSeats bounds the seat numbers (0..MaxSeats-1) and players of a match.
	MaxSeats = content.MaxSeats
	// MaxLoadout is the number of ability slots an oracle has.
	MaxLoadout = content.MaxLoadout
	// MinTickRate and MaxTickRate bound a mode's tick rate in Hz.
	MinTickRate = content.MinTickRate
	MaxTickRate = content.MaxTickRate
	// MaxTicks bounds a match's length in ticks (one hour at 60 Hz).
	MaxTicks = content.MaxTicks
	// MaxPlayerIDLen bounds a seat's PlayerID in bytes.
	MaxPlayerIDLen = 128
)

// Config describes one match. It is the input of New.
type Config struct {
	// Mode is a mode id: battle_1v1, battle_3v3, battle_5v5, raid or ritual.
	Mode string
	// Arena is an arena id of that mode (a battle arena, a raid encounter or
	// a ritual chamber); "" picks the mode's default.
	Arena string
	// Seed seeds the match's one RNG. The same content, config and inputs
	// give the same match.
	Seed uint64
	// Seats are the players. Seat numbers are unique in 0..MaxSeats-1; the
	// order of this slice does not matter (the sim sorts by seat number).
	// Battles need exactly teams*team_size seats, team_size on each of teams
	// 0 and 1; raids and rituals take min..max players, all on team 0.
	Seats []Seat
}

// Seat is one player in a match.
type Seat struct {
	Seat     int    // seat number, 0..MaxSeats-1
	PlayerID string // opaque player id, 1..MaxPlayerIDLen bytes
	Team     int    // 0 or 1 in battles; 0 otherwise
	Oracle   OracleSpec
}

// ValidateConfig checks that cfg describes a playable match of content c
// without building it (what New checks first): errors wrap
// ErrInvalidConfig or ErrInvalidOracle and name the bad field.
func ValidateConfig(c *content.Bundle, cfg Config) error {
	_, err := plan(c, cfg)
	return err
}

// matchPlan is a validated Config resolved against content.
type matchPlan struct {
	mode    content.ModeDef
	kind    modeKind
	arena   string
	seed    uint64
	ref     int    // number of the arena, raid or ritual (by kind)
	seats   []Seat // sorted by seat number
	oracles []resolvedOracle
}

// plan validates cfg against content; errors wrap ErrInvalidConfig or
// ErrInvalidOracle and name the bad field.
func plan(c *content.Bundle, cfg Config) (matchPlan, error) {
	var p matchPlan
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrInvalidConfig, fmt.Sprintf(format, args...))
	}
	m, ok := c.Mode(cfg.Mode)
	if !ok {
		return p, bad("unknown mode %q", cfg.Mode)
	}
	p.mode = m
	p.seed = cfg.Seed
	p.kind, _ = modeKindByName(m.Kind) // content validated the kind
	p.arena = cfg.Arena
	if p.arena == "" {
		p.arena = m.Arenas[0]
	}
	found := false
	for _, a := range m.Arenas {
		found = found || a == p.arena
	}
	if !found {
		return p, bad("arena %q is not an arena of mode %s (want one of %v)", p.arena, m.ID, m.Arenas)
	}
	// Content validated that a mode's arenas are of its kind.
	switch p.kind {
	case modeBattle:
		p.ref, _ = c.ArenaIndex(p.arena)
	case modeRaid:
		p.ref, _ = c.RaidIndex(p.arena)
	case modeRitual:
		p.ref, _ = c.RitualIndex(p.arena)
	}

	n := int32(len(cfg.Seats))
	switch p.kind {
	case modeBattle:
		if n != m.Teams*m.TeamSize {
			return p, bad("mode %s needs %d seats, got %d", m.ID, m.Teams*m.TeamSize, n)
		}
	default:
		if n < m.MinPlayers || n > m.MaxPlayers {
			return p, bad("mode %s takes %d to %d seats, got %d", m.ID, m.MinPlayers, m.MaxPlayers, n)
		}
	}
	p.seats = make([]Seat, len(cfg.Seats))
	copy(p.seats, cfg.Seats)
	for i := range p.seats {
		p.seats[i].Oracle.Loadout = slices.Clone(p.seats[i].Oracle.Loadout)
	}
	sortSeats(p.seats)
	var teamCount [2]int32
	for i, s := range p.seats {
		if s.Seat < 0 || s.Seat >= MaxSeats {
			return p, bad("seats[%d]: seat %d out of range 0..%d", i, s.Seat, MaxSeats-1)
		}
		if i > 0 && p.seats[i-1].Seat == s.Seat {
			return p, bad("seats: seat %d appears twice", s.Seat)
		}
		if len(s.PlayerID) == 0 || len(s.PlayerID) > MaxPlayerIDLen {
			return p, bad("seat %d: player id must be 1..%d bytes", s.Seat, MaxPlayerIDLen)
		}
		switch {
		case p.kind == modeBattle && (s.Team == 0 || s.Team == 1):
			teamCount[s.Team]++
		case p.kind != modeBattle && s.Team == 0:
		default:
			return p, bad("seat %d: team %d is not a team of mode %s", s.Seat, s.Team, m.ID)
		}
		o, err := resolveOracle(c, s.Oracle)
		if err != nil {
			return p, fmt.Errorf("%w: seat %d: %w", ErrInvalidConfig, s.Seat, err)
		}
		p.oracles = append(p.oracles, o)
	}
	if p.kind == modeBattle && (teamCount[0] != m.TeamSize || teamCount[1] != m.TeamSize) {
		return p, bad("mode %s needs %d seats per team, got %d and %d", m.ID, m.TeamSize, teamCount[0], teamCount[1])
	}
	return p, nil
}

// sortSeats orders seats by seat number (insertion sort: at most MaxSeats).
func sortSeats(s []Seat) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j].Seat < s[j-1].Seat; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}
