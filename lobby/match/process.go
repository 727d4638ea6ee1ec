package match

import (
	"cmp"
	"math"
	"slices"
	"time"
)

// Match is one group of tickets to place in a room.
type Match struct {
	// Mode is the mode id.
	Mode string `json:"mode"`
	// Teams holds the tickets of each team; len(Teams) == Mode.Teams. A
	// party's members are all in one team.
	Teams [][]Ticket `json:"teams"`
	// Anchor is the id of the ticket around whose rating the match was
	// formed: the oldest unmatched ticket for which a match could be formed
	// (older tickets that could not anchor a match may still join it).
	Anchor string `json:"anchor"`
	// Window is the anchor's rating window when the match formed.
	Window float64 `json:"window"`
}

// Tickets lists every ticket of the match, team by team.
func (m Match) Tickets() []Ticket {
	var out []Ticket
	for _, team := range m.Teams {
		out = append(out, team...)
	}
	return out
}

// Result is what one pass decided.
type Result struct {
	// Matches to form, in the order their anchors joined the queue.
	Matches []Match
	// Expired lists tickets queued for at least Policy.TicketTTL.
	Expired []Ticket
}

// entry is one live ticket during a pass.
type entry struct {
	t      *Ticket
	rating float64
	window float64
	wait   time.Duration
	size   int
	hosts  int
}

// pass holds the working state of one Process call.
type pass struct {
	mode  Mode
	pol   Policy
	es    []entry
	pos   []int32 // entry index -> position in rating order (1-based)
	order []int32 // rating order: position -> entry index (1-based, 0 and n+1 are sentinels)
	prev  []int32 // linked list over positions of entries not yet matched
	next  []int32
	used  []bool
	cands []int32
	// two-team search scratch
	side  []int8
	suf   []int
	nodes int
}

// Process decides one matchmaking pass over a snapshot of mode's queue at
// now. It is a pure function: the same arguments give the same result, and
// tickets is not modified. Tickets of another mode or with an impossible
// party size are ignored; tickets waiting at least p.TicketTTL are returned
// in Expired and never matched. Anchors are taken oldest first (ties by ID),
// so a long-waiting ticket is served before newer ones.
func Process(mode Mode, p Policy, tickets []Ticket, now time.Time) Result {
	var res Result
	ps := &pass{mode: mode, pol: p}
	ps.es = make([]entry, 0, len(tickets))
	for i := range tickets {
		t := &tickets[i]
		if t.Mode != mode.ID || len(t.Members) == 0 || len(t.Members) > mode.MaxParty || len(t.Members) > mode.TeamSize {
			continue
		}
		wait := now.Sub(t.EnqueuedAt)
		if wait >= p.TicketTTL {
			res.Expired = append(res.Expired, *t)
			continue
		}
		ps.es = append(ps.es, entry{t: t, rating: t.Rating(), window: p.WindowFor(*t, wait), wait: wait, size: len(t.Members), hosts: t.Hosts()})
	}
	n := len(ps.es)
	if n == 0 {
		return res
	}
	byAge := make([]int32, n)
	for i := range byAge {
		byAge[i] = int32(i)
	}
	slices.SortFunc(byAge, func(a, b int32) int {
		ea, eb := ps.es[a].t, ps.es[b].t
		if c := ea.EnqueuedAt.Compare(eb.EnqueuedAt); c != 0 {
			return c
		}
		return cmp.Compare(ea.ID, eb.ID)
	})
	ps.order = make([]int32, n+2)
	copy(ps.order[1:], byAge)
	slices.SortFunc(ps.order[1:n+1], func(a, b int32) int {
		if c := cmp.Compare(ps.es[a].rating, ps.es[b].rating); c != 0 {
			return c
		}
		return cmp.Compare(ps.es[a].t.ID, ps.es[b].t.ID)
	})
	ps.pos = make([]int32, n)
	ps.prev = make([]int32, n+2)
	ps.next = make([]int32, n+2)
	for p := 1; p <= n; p++ {
		ps.pos[ps.order[p]] = int32(p)
	}
	for p := 0; p <= n+1; p++ {
		ps.prev[p] = int32(p - 1)
		ps.next[p] = int32(p + 1)
	}
	ps.used = make([]bool, n)
	for _, a := range byAge {
		if ps.used[a] {
			continue
		}
		ps.gather(a)
		var teams [][]int32
		if mode.Teams == 2 {
			teams = ps.formTwo(a)
		} else {
			teams = ps.formOne(a)
		}
		if teams == nil {
			continue
		}
		m := Match{Mode: mode.ID, Anchor: ps.es[a].t.ID, Window: ps.es[a].window, Teams: make([][]Ticket, len(teams))}
		for ti, team := range teams {
			m.Teams[ti] = make([]Ticket, len(team))
			for k, e := range team {
				m.Teams[ti][k] = *ps.es[e].t
				ps.take(e)
			}
		}
		res.Matches = append(res.Matches, m)
	}
	return res
}

// take marks entry e matched and unlinks it from the rating list.
func (ps *pass) take(e int32) {
	ps.used[e] = true
	p := ps.pos[e]
	ps.next[ps.prev[p]] = ps.next[p]
	ps.prev[ps.next[p]] = ps.prev[p]
}

// gather fills ps.cands with unmatched rating neighbours of anchor a, nearest
// first, each within the anchor's window and its own window of the anchor's
// rating, at most SearchLimit of them.
func (ps *pass) gather(a int32) {
	ps.cands = ps.cands[:0]
	n := int32(len(ps.es))
	ra, wa := ps.es[a].rating, ps.es[a].window
	l, r := ps.prev[ps.pos[a]], ps.next[ps.pos[a]]
	for len(ps.cands) < ps.pol.SearchLimit {
		dl, dr := math.Inf(1), math.Inf(1)
		if l >= 1 {
			if d := ra - ps.es[ps.order[l]].rating; d <= wa {
				dl = d
			} else {
				l = 0
			}
		}
		if r <= n {
			if d := ps.es[ps.order[r]].rating - ra; d <= wa {
				dr = d
			} else {
				r = n + 1
			}
		}
		var c int32
		switch {
		case math.IsInf(dl, 1) && math.IsInf(dr, 1):
			return
		case dl <= dr:
			c = ps.order[l]
			l = ps.prev[l]
		default:
			c = ps.order[r]
			r = ps.next[r]
		}
		if math.Abs(ps.es[c].rating-ra) <= ps.es[c].window {
			ps.cands = append(ps.cands, c)
		}
	}
}

// formOne builds a one-team match around anchor a, or returns nil.
func (ps *pass) formOne(a int32) [][]int32 {
	m := ps.mode
	ea := ps.es[a]
	team := []int32{a}
	players, hosts := ea.size, ea.hosts
	in := func(c int32) bool { return slices.Contains(team, c) }
	for hosts < m.HostsPerTeam {
		found := false
		for _, c := range ps.cands {
			if !in(c) && ps.es[c].hosts > 0 && players+ps.es[c].size <= m.TeamSize {
				team = append(team, c)
				players += ps.es[c].size
				hosts += ps.es[c].hosts
				found = true
				break
			}
		}
		if !found {
			return nil
		}
	}
	for _, c := range ps.cands {
		if players == m.TeamSize {
			break
		}
		if !in(c) && players+ps.es[c].size <= m.TeamSize {
			team = append(team, c)
			players += ps.es[c].size
		}
	}
	if players == m.TeamSize || (players >= m.MinPlayers && ea.wait >= m.FillWait) {
		return [][]int32{team}
	}
	return nil
}

// formTwo searches an assignment of the anchor and its candidates to two
// full teams with enough hosts each and mean ratings within the anchor's
// window, or returns nil. The search is depth-first, bounded by SearchNodes.
func (ps *pass) formTwo(a int32) [][]int32 {
	list := append([]int32{a}, ps.cands...)
	if cap(ps.side) < len(list) {
		ps.side = make([]int8, len(list))
		ps.suf = make([]int, len(list)+1)
	}
	ps.side = ps.side[:len(list)]
	ps.suf = ps.suf[:len(list)+1]
	ps.suf[len(list)] = 0
	for i := len(list) - 1; i >= 0; i-- {
		ps.suf[i] = ps.suf[i+1] + ps.es[list[i]].size
	}
	if ps.suf[0] < ps.mode.Players() {
		return nil
	}
	ps.nodes = 0
	var st twoState
	st.place(ps.es[a], 0)
	ps.side[0] = 0
	if !ps.dfs(list, 1, st) {
		return nil
	}
	teams := [][]int32{nil, nil}
	for i, e := range list {
		if s := ps.side[i]; s >= 0 {
			teams[s] = append(teams[s], e)
		}
	}
	return teams
}

// twoState is the fill of two teams during formTwo's search.
type twoState struct {
	players [2]int
	hosts   [2]int
	mu      [2]float64 // sum of member Mu
}

func (s *twoState) place(e entry, side int) {
	s.players[side] += e.size
	s.hosts[side] += e.hosts
	for _, m := range e.t.Members {
		s.mu[side] += m.Mu
	}
}

func (ps *pass) dfs(list []int32, i int, st twoState) bool {
	n, h := ps.mode.TeamSize, ps.mode.HostsPerTeam
	if st.players[0] == n && st.players[1] == n {
		if st.hosts[0] < h || st.hosts[1] < h || math.Abs(st.mu[0]-st.mu[1])/float64(n) > ps.es[list[0]].window {
			return false
		}
		for j := i; j < len(list); j++ {
			ps.side[j] = -1
		}
		return true
	}
	if i == len(list) || ps.nodes >= ps.pol.SearchNodes {
		return false
	}
	if need := 2*n - st.players[0] - st.players[1]; ps.suf[i] < need {
		return false
	}
	ps.nodes++
	e := ps.es[list[i]]
	first := 0
	if st.mu[1] < st.mu[0] {
		first = 1
	}
	for _, side := range [2]int{first, 1 - first} {
		if st.players[side]+e.size > n {
			continue
		}
		next := st
		next.place(e, side)
		if next.players[side] == n && next.hosts[side] < h {
			continue
		}
		ps.side[i] = int8(side)
		if ps.dfs(list, i+1, next) {
			return true
		}
	}
	ps.side[i] = -1
	return ps.dfs(list, i+1, st)
}
