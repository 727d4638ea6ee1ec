package lobby

import (
	"slices"
	"sync"
	"time"

	"github.com/pantheon-oracles/pantheon/contract"
)

// recentCap is how many matches recentMatches keeps.
const recentCap = 100

// RecentMatch is one match this lobby replica placed or heard end, as the
// operator console shows it (GET /admin/v1/overview, "recent_matches").
type RecentMatch struct {
	MatchID  string    `json:"match_id"`
	Mode     string    `json:"mode,omitempty"`
	ServerID string    `json:"server_id,omitempty"`
	RoomID   string    `json:"room_id,omitempty"`
	Players  []string  `json:"players"`
	Tickets  []string  `json:"tickets,omitempty"`
	PlacedAt time.Time `json:"placed_at,omitzero"`
	// Outcome and Reason are set once the match ended (its result durable
	// on the room server), EndedAt with them.
	Outcome contract.Outcome `json:"outcome,omitempty"`
	Reason  string           `json:"reason,omitempty"`
	EndedAt time.Time        `json:"ended_at,omitzero"`
}

// recentMatches is a bounded, in-memory list of the last matches the
// replica placed or settled, newest last. Each replica keeps its own: a
// match placed by one replica and ended through another shows on each
// with what it saw. It is safe for concurrent use.
type recentMatches struct {
	mu   sync.Mutex
	list []RecentMatch // oldest first, at most recentCap
}

// find returns the index of matchID, or -1. The caller holds mu.
func (r *recentMatches) find(matchID string) int {
	for i := len(r.list) - 1; i >= 0; i-- {
		if r.list[i].MatchID == matchID {
			return i
		}
	}
	return -1
}

// push appends m, dropping the oldest past recentCap. The caller holds mu.
func (r *recentMatches) push(m RecentMatch) {
	if len(r.list) >= recentCap {
		r.list = slices.Delete(r.list, 0, len(r.list)-recentCap+1)
	}
	r.list = append(r.list, m)
}

// placed records a match placed on a room server.
func (r *recentMatches) placed(m RecentMatch) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if i := r.find(m.MatchID); i >= 0 {
		r.list[i].Mode, r.list[i].ServerID, r.list[i].RoomID, r.list[i].PlacedAt = m.Mode, m.ServerID, m.RoomID, m.PlacedAt
		return
	}
	r.push(m)
}

// ended records a match's end as server reported it.
func (r *recentMatches) ended(server string, e contract.EndedMatch, at time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	i := r.find(e.MatchID)
	if i < 0 {
		r.push(RecentMatch{MatchID: e.MatchID, ServerID: server, Players: slices.Clone(e.Players), Tickets: slices.Clone(e.Tickets)})
		i = len(r.list) - 1
	}
	if !r.list[i].EndedAt.IsZero() {
		return // a repeated report
	}
	r.list[i].Outcome, r.list[i].Reason, r.list[i].EndedAt = e.Outcome, e.Reason, at
}

// snapshot returns the matches newest first.
func (r *recentMatches) snapshot() []RecentMatch {
	r.mu.Lock()
	out := slices.Clone(r.list)
	r.mu.Unlock()
	slices.Reverse(out)
	return out
}

// ofPlayer returns the ticket ids of player's recent matches, newest first.
func (r *recentMatches) ofPlayer(player string) []string {
	var ids []string
	for _, m := range r.snapshot() {
		if !slices.Contains(m.Players, player) {
			continue
		}
		ids = append(ids, m.Tickets...)
	}
	return ids
}
