package fleet

import (
	"slices"
	"strings"

	"github.com/pantheon-oracles/pantheon/contract"
)

// Load is the fraction of the heartbeating server's room capacity in use.
func Load(s contract.Heartbeat) float64 { return float64(s.Rooms) / float64(max(s.MaxRooms, 1)) }

// Score orders servers for allocation: lower is healthier. It adds the room
// load to the tick p99 as a fraction of tickBudgetMs, so a server whose
// ticks run late loses to an emptier or faster one.
func Score(s contract.Heartbeat, tickBudgetMs float64) float64 {
	if tickBudgetMs <= 0 {
		tickBudgetMs = 10
	}
	return Load(s) + s.TickP99Ms/tickBudgetMs
}

// Rank returns the servers that can take a room, healthiest (lowest Score)
// first, ties by ServerID: not draining, below max_rooms, and running
// contentVersion when it is not empty.
func Rank(servers []contract.Heartbeat, contentVersion string, tickBudgetMs float64) []contract.Heartbeat {
	var out []contract.Heartbeat
	for _, s := range servers {
		if s.Draining || s.Rooms >= s.MaxRooms {
			continue
		}
		if contentVersion != "" && s.ContentVersion != contentVersion {
			continue
		}
		out = append(out, s)
	}
	slices.SortStableFunc(out, func(a, b contract.Heartbeat) int {
		sa, sb := Score(a, tickBudgetMs), Score(b, tickBudgetMs)
		switch {
		case sa < sb:
			return -1
		case sa > sb:
			return 1
		}
		return strings.Compare(a.ServerID, b.ServerID)
	})
	return out
}
