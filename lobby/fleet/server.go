package fleet

import (
	"math/rand/v2"
	"slices"
	"strings"
	"sync"

	"github.com/pantheon-oracles/pantheon/contract"
)

// Candidate is one room server as placement sees it: its last heartbeat
// and the rooms lobby replicas placed on it since (store.ServerRecord's
// Placed), which that heartbeat does not count yet.
type Candidate struct {
	contract.Heartbeat
	// Placed is the rooms placed since the heartbeat, by any replica
	// sharing the lobby's store.
	Placed int `json:"placed"`
}

// Headroom is how many more rooms the server is believed to take: its
// max_rooms less the heartbeat's rooms and those placed since.
func Headroom(c Candidate) int { return c.MaxRooms - c.Rooms - c.Placed }

// Load is the fraction of the server's room capacity believed in use
// (rooms at its heartbeat plus those placed since).
func Load(c Candidate) float64 {
	return float64(c.Rooms+c.Placed) / float64(max(c.MaxRooms, 1))
}

// Score orders servers for allocation: lower is healthier. It adds the room
// load to the tick p99 as a fraction of tickBudgetMs (10 when not
// positive), so a server whose ticks run late loses to an emptier or
// faster one.
func Score(c Candidate, tickBudgetMs float64) float64 {
	if tickBudgetMs <= 0 {
		tickBudgetMs = 10
	}
	return Load(c) + c.TickP99Ms/tickBudgetMs
}

// DefaultSlack is Placer's default near-equal band: two servers whose
// scores differ by less than 0.05 (5% of capacity, or half a millisecond
// of tick p99 on a 10 ms budget) are treated as equal.
const DefaultSlack = 0.05

// Placer orders the candidate servers of each placement. Servers whose
// score is within its slack of the best are near-equal: they come first,
// in an order drawn at random with weights proportional to their headroom,
// so concurrent placements (several allocation workers, several lobby
// replicas reading the same registry) spread over them instead of all
// picking the same one; the other servers follow, healthiest first, as
// fallbacks. It is safe for concurrent use.
type Placer struct {
	slack float64
	mu    sync.Mutex // guards rng
	rng   *rand.Rand
}

// NewPlacer returns a placer drawing from rng (nil: seeded at random) with
// slack as the near-equal band in score units (0 means DefaultSlack; a
// negative slack makes the order deterministic: by score, then ServerID).
func NewPlacer(rng *rand.Rand, slack float64) *Placer {
	if rng == nil {
		rng = rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	}
	if slack == 0 {
		slack = DefaultSlack
	}
	return &Placer{slack: slack, rng: rng}
}

// Rank returns the servers that can take a room, in the order to try them
// (see Placer): not draining, with headroom (so a server full at its
// heartbeat, or filled by placements since, gets none), and running
// contentVersion when it is not empty.
func (p *Placer) Rank(cands []Candidate, contentVersion string, tickBudgetMs float64) []contract.Heartbeat {
	type scored struct {
		c     Candidate
		score float64
	}
	var ok []scored
	for _, c := range cands {
		if c.Draining || Headroom(c) <= 0 {
			continue
		}
		if contentVersion != "" && c.ContentVersion != contentVersion {
			continue
		}
		ok = append(ok, scored{c, Score(c, tickBudgetMs)})
	}
	slices.SortStableFunc(ok, func(a, b scored) int {
		switch {
		case a.score < b.score:
			return -1
		case a.score > b.score:
			return 1
		}
		return strings.Compare(a.c.ServerID, b.c.ServerID)
	})
	near := 0
	for near < len(ok) && p.slack >= 0 && ok[near].score-ok[0].score <= p.slack {
		near++
	}
	if near > 1 {
		p.mu.Lock()
		// Weighted draw without replacement over ok[:near].
		for i := 0; i < near-1; i++ {
			total := 0
			for _, s := range ok[i:near] {
				total += Headroom(s.c)
			}
			r := p.rng.IntN(total)
			j := i
			for ; r >= Headroom(ok[j].c); j++ {
				r -= Headroom(ok[j].c)
			}
			ok[i], ok[j] = ok[j], ok[i]
		}
		p.mu.Unlock()
	}
	out := make([]contract.Heartbeat, len(ok))
	for i, s := range ok {
		out[i] = s.c.Heartbeat
	}
	return out
}
