package bot

import (
	"fmt"
	"strings"

	"github.com/pantheon-oracles/pantheon/ecs"
	"github.com/pantheon-oracles/pantheon/ecs/content"
)

// Demo plays one headless match of mode (in its default arena) with a bot
// on every seat, to its end, and returns the result.
func Demo(c *content.Bundle, mode string, seed uint64) (*ecs.Result, error) {
	cfg, err := DemoConfig(c, mode, "", seed)
	if err != nil {
		return nil, err
	}
	m, err := NewMatch(c, cfg, 6)
	if err != nil {
		return nil, err
	}
	return m.Run(m.Sim.MaxTicks() + 1), nil
}

// Summary describes a result in a few lines for people: the outcome, the
// best seat, the rewards and codex entries, and the final hash.
func Summary(c *content.Bundle, r *ecs.Result) []string {
	hz := int32(1)
	if m, ok := c.Mode(r.Mode); ok {
		hz = m.TickHz
	}
	tenths := int32(r.Ticks) * 10 / hz
	head := fmt.Sprintf("%s in %s: %s", r.Mode, r.Arena, r.Outcome)
	if r.WinningTeam >= 0 {
		head += fmt.Sprintf(" (team %d)", r.WinningTeam)
	}
	lines := []string{fmt.Sprintf("%s after %d ticks (%d.%d s of play), %d seats", head, r.Ticks, tenths/10, tenths%10, len(r.Seats))}
	best := -1
	for i, s := range r.Seats {
		if best < 0 || s.Score > r.Seats[best].Score {
			best = i
		}
	}
	if best >= 0 {
		s := r.Seats[best]
		lines = append(lines, fmt.Sprintf("  best: seat %d %s (%s), score %d: %d kills, %d deaths, %d damage, %d healing",
			s.Seat, s.PlayerID, s.Result, s.Score, s.Kills, s.Deaths, s.DamageDealt, s.Healing))
	}
	currency := map[string]int64{}
	var order, items []string
	for _, rw := range r.Rewards {
		if rw.ItemID != "" {
			items = append(items, rw.ItemID)
			continue
		}
		if _, seen := currency[rw.Currency]; !seen {
			order = append(order, rw.Currency)
		}
		currency[rw.Currency] += rw.Amount
	}
	var parts []string
	for _, cur := range order {
		parts = append(parts, fmt.Sprintf("%d %s", currency[cur], cur))
	}
	if len(items) > 0 {
		parts = append(parts, "items "+strings.Join(items, ", "))
	}
	if len(parts) == 0 {
		parts = []string{"none"}
	}
	lines = append(lines, "  rewards: "+strings.Join(parts, "; "))
	var codex []string
	unlocks := map[string]int{}
	for _, e := range r.Codex {
		if unlocks[e.EntryID] == 0 {
			codex = append(codex, e.EntryID)
		}
		unlocks[e.EntryID]++
	}
	for i, id := range codex {
		codex[i] = fmt.Sprintf("%s x%d", id, unlocks[id])
	}
	if len(codex) > 0 {
		lines = append(lines, "  codex unlocked: "+strings.Join(codex, ", "))
	}
	lines = append(lines, fmt.Sprintf("  final state hash %016x, replay %d bytes, content %s", r.FinalHash, len(r.Replay), r.ContentVersion))
	return lines
}
