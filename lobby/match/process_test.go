package match

import (
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/pantheon-oracles/pantheon/contract"
	"github.com/pantheon-oracles/pantheon/ecs"
)

var t0 = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

// settledSigma is the deviation of a settled rating: at or below
// DefaultPolicy's Uncertainty.Settled, so it gets no extra window.
const settledSigma = 2

// solo is a one-player ticket with a settled rating.
func solo(id string, mu float64, role string, enq time.Time, mode string) Ticket {
	return Ticket{ID: id, Mode: mode, EnqueuedAt: enq, Members: []Member{{
		PlayerID: "p_" + id, Mu: mu, Sigma: settledSigma, Oracle: contract.Oracle{OracleSpec: ecs.OracleSpec{Role: role, Archetype: "aries"}},
	}}}
}

// genTickets draws a random queue for mode that CheckTicket accepts:
// parties of 1..MaxParty (mostly solo), Mu around 25 (sd 8), Sigma from
// settled (1) to brand new (25/3), roles two thirds Host, enqueued up to
// 150 s before now (a fifth past the 2 min TTL).
func genTickets(r *rand.Rand, mode Mode, n int, now time.Time) []Ticket {
	out := make([]Ticket, n)
	pid := 0
	for i := range out {
		size := 1
		if mode.MaxParty > 1 && r.IntN(4) == 0 {
			size = 1 + r.IntN(min(mode.MaxParty, mode.TeamSize))
		}
		t := Ticket{ID: fmt.Sprintf("t%05d", i), Mode: mode.ID, EnqueuedAt: now.Add(-time.Duration(r.IntN(150_000)) * time.Millisecond)}
		for range size {
			role := contract.RoleHost
			if r.IntN(3) == 0 {
				role = contract.RoleFriend
			}
			t.Members = append(t.Members, Member{PlayerID: fmt.Sprintf("p%06d", pid), Mu: 25 + r.NormFloat64()*8, Sigma: 1 + r.Float64()*(25.0/3-1), Oracle: contract.Oracle{OracleSpec: ecs.OracleSpec{Role: role}}})
			pid++
		}
		if size == mode.TeamSize && t.Hosts() < mode.HostsPerTeam {
			t.Members[0].Oracle.Role = contract.RoleHost // as CheckTicket requires
		}
		out[i] = t
	}
	return out
}

// checkResult asserts every documented property of a pass result.
func checkResult(t *testing.T, mode Mode, p Policy, in []Ticket, res Result, now time.Time) {
	t.Helper()
	byID := map[string]Ticket{}
	for _, tk := range in {
		byID[tk.ID] = tk
	}
	seenTicket := map[string]bool{}
	seenPlayer := map[string]bool{}
	for _, tk := range res.Expired {
		if now.Sub(tk.EnqueuedAt) < p.TicketTTL {
			t.Fatalf("ticket %s expired after %v < TTL %v", tk.ID, now.Sub(tk.EnqueuedAt), p.TicketTTL)
		}
		seenTicket[tk.ID] = true
	}
	for mi, m := range res.Matches {
		if len(m.Teams) != mode.Teams {
			t.Fatalf("match %d: %d teams, mode %s has %d", mi, len(m.Teams), mode.ID, mode.Teams)
		}
		anchor, ok := byID[m.Anchor]
		if !ok {
			t.Fatalf("match %d: anchor %s not in input", mi, m.Anchor)
		}
		if w := p.WindowFor(anchor, now.Sub(anchor.EnqueuedAt)); m.Window != w {
			t.Fatalf("match %d: window %v, anchor's window is %v", mi, m.Window, w)
		}
		var means []float64
		total := 0
		for ti, team := range m.Teams {
			players, hosts := 0, 0
			var mu float64
			for _, tk := range team {
				orig, ok := byID[tk.ID]
				if !ok || !reflect.DeepEqual(orig, tk) {
					t.Fatalf("match %d: ticket %s not copied from input", mi, tk.ID)
				}
				if seenTicket[tk.ID] {
					t.Fatalf("ticket %s in two matches (or matched and expired)", tk.ID)
				}
				seenTicket[tk.ID] = true
				gap := math.Abs(tk.Rating() - anchor.Rating())
				if own := p.WindowFor(tk, now.Sub(tk.EnqueuedAt)); gap > m.Window || gap > own {
					t.Fatalf("match %d: ticket %s is %.2f from anchor, windows %.2f/%.2f", mi, tk.ID, gap, m.Window, own)
				}
				for _, mb := range tk.Members {
					if seenPlayer[mb.PlayerID] {
						t.Fatalf("player %s in two matches", mb.PlayerID)
					}
					seenPlayer[mb.PlayerID] = true
					mu += mb.Mu
					players++
					if mb.Oracle.Role == contract.RoleHost {
						hosts++
					}
				}
			}
			if hosts < mode.HostsPerTeam {
				t.Fatalf("match %d team %d: %d hosts, need %d", mi, ti, hosts, mode.HostsPerTeam)
			}
			if mode.Teams == 2 && players != mode.TeamSize {
				t.Fatalf("match %d team %d: %d players, need %d", mi, ti, players, mode.TeamSize)
			}
			if mode.Teams == 1 {
				if players > mode.TeamSize || players < mode.MinPlayers {
					t.Fatalf("match %d: %d players outside %d..%d", mi, players, mode.MinPlayers, mode.TeamSize)
				}
				if players < mode.TeamSize && now.Sub(anchor.EnqueuedAt) < mode.FillWait {
					t.Fatalf("match %d: partial team of %d formed before the fill wait", mi, players)
				}
			}
			total += players
			means = append(means, mu/float64(players))
		}
		if mode.Teams == 2 && math.Abs(means[0]-means[1]) > m.Window+1e-9 {
			t.Fatalf("match %d: team means %.2f vs %.2f, window %.2f", mi, means[0], means[1], m.Window)
		}
	}
}

func TestProcessProperties(t *testing.T) {
	p := DefaultPolicy()
	for _, mode := range contentModes().All() {
		t.Run(mode.ID, func(t *testing.T) {
			matched := 0
			for seed := range uint64(60) {
				r := rand.New(rand.NewPCG(seed, 7))
				in := genTickets(r, mode, 20+r.IntN(300), t0)
				keep := append([]Ticket(nil), in...)
				res := Process(mode, p, in, t0)
				if !reflect.DeepEqual(in, keep) {
					t.Fatal("Process modified its input")
				}
				checkResult(t, mode, p, in, res, t0)
				if again := Process(mode, p, in, t0); !reflect.DeepEqual(res, again) {
					t.Fatal("Process is not deterministic")
				}
				matched += len(res.Matches)
			}
			if matched == 0 {
				t.Fatalf("no match formed over 60 random queues of %s", mode.ID)
			}
		})
	}
}

func TestWindowWidensWithWait(t *testing.T) {
	mode, _ := contentModes().Lookup(Battle1v1)
	p := DefaultPolicy() // base 2, +0.25/s
	a := solo("a", 25, contract.RoleHost, t0, Battle1v1)
	b := solo("b", 30, contract.RoleHost, t0, Battle1v1)
	if res := Process(mode, p, []Ticket{a, b}, t0); len(res.Matches) != 0 {
		t.Fatalf("gap 5 matched with window 2: %+v", res.Matches)
	}
	// At 11 s both windows are 4.75: still too narrow.
	if res := Process(mode, p, []Ticket{a, b}, t0.Add(11*time.Second)); len(res.Matches) != 0 {
		t.Fatal("gap 5 matched with window 4.75")
	}
	// At 12 s both windows are 5.
	res := Process(mode, p, []Ticket{a, b}, t0.Add(12*time.Second))
	if len(res.Matches) != 1 || res.Matches[0].Window != 5 {
		t.Fatalf("gap 5 not matched at window 5: %+v", res)
	}
	// The window must hold for both: a newcomer with a narrow window is not
	// pulled into an old ticket's wide window.
	c := solo("c", 30, contract.RoleHost, t0.Add(12*time.Second), Battle1v1)
	old := solo("a", 25, contract.RoleHost, t0, Battle1v1)
	if res := Process(mode, p, []Ticket{old, c}, t0.Add(12*time.Second)); len(res.Matches) != 0 {
		t.Fatal("a fresh ticket was matched outside its own window")
	}
}

func TestWindowCaps(t *testing.T) {
	w := Window{Base: 2, PerSecond: 1, Max: 10}
	for _, c := range []struct {
		wait time.Duration
		want float64
	}{{-time.Second, 2}, {0, 2}, {3 * time.Second, 5}, {time.Hour, 10}} {
		if got := w.At(c.wait); got != c.want {
			t.Errorf("At(%v) = %v, want %v", c.wait, got, c.want)
		}
	}
}

func TestPartiesStayTogether(t *testing.T) {
	mode, _ := contentModes().Lookup(Battle3v3)
	p := DefaultPolicy()
	party := Ticket{ID: "party", Mode: Battle3v3, EnqueuedAt: t0, Members: []Member{
		{PlayerID: "x1", Mu: 25, Oracle: contract.Oracle{OracleSpec: ecs.OracleSpec{Role: contract.RoleHost}}},
		{PlayerID: "x2", Mu: 25, Oracle: contract.Oracle{OracleSpec: ecs.OracleSpec{Role: contract.RoleFriend}}},
	}}
	in := []Ticket{party}
	for i := range 4 {
		in = append(in, solo(fmt.Sprint("s", i), 25, contract.RoleHost, t0, Battle3v3))
	}
	res := Process(mode, p, in, t0)
	if len(res.Matches) != 1 {
		t.Fatalf("want one 3v3 from a party of 2 and 4 solos, got %+v", res)
	}
	checkResult(t, mode, p, in, res, t0)
	for _, team := range res.Matches[0].Teams {
		for _, tk := range team {
			if tk.ID == "party" && len(team) != 2 {
				t.Fatalf("party's team has %d tickets, want party + 1 solo", len(team))
			}
		}
	}
}

func TestHostRequired(t *testing.T) {
	mode, _ := contentModes().Lookup(Battle3v3)
	p := DefaultPolicy()
	// Six players, one host: no legal 3v3.
	in := []Ticket{solo("h", 25, contract.RoleHost, t0, Battle3v3)}
	for i := range 5 {
		in = append(in, solo(fmt.Sprint("f", i), 25, contract.RoleFriend, t0, Battle3v3))
	}
	if res := Process(mode, p, in, t0); len(res.Matches) != 0 {
		t.Fatalf("3v3 formed with one host: %+v", res.Matches)
	}
	in = append(in, solo("h2", 25, contract.RoleHost, t0, Battle3v3))
	res := Process(mode, p, in, t0)
	if len(res.Matches) != 1 {
		t.Fatalf("3v3 with two hosts not formed: %+v", res)
	}
	checkResult(t, mode, p, in, res, t0)
}

func TestOneTeamFillWait(t *testing.T) {
	mode, _ := contentModes().Lookup(Ritual) // 2..6, fill wait 10 s
	p := DefaultPolicy()
	in := []Ticket{solo("a", 25, contract.RoleHost, t0, Ritual), solo("b", 25, contract.RoleFriend, t0, Ritual), solo("c", 25, contract.RoleFriend, t0, Ritual)}
	if res := Process(mode, p, in, t0.Add(5*time.Second)); len(res.Matches) != 0 {
		t.Fatal("partial ritual formed before the fill wait")
	}
	res := Process(mode, p, in, t0.Add(10*time.Second))
	if len(res.Matches) != 1 || len(res.Matches[0].Teams[0]) != 3 {
		t.Fatalf("ritual of 3 not formed after the fill wait: %+v", res)
	}
	// Six players form at once.
	for i := range 3 {
		in = append(in, solo(fmt.Sprint("d", i), 25, contract.RoleFriend, t0, Ritual))
	}
	if res := Process(mode, p, in, t0); len(res.Matches) != 1 {
		t.Fatalf("full ritual not formed at once: %+v", res)
	}
	// No host, no ritual.
	var friends []Ticket
	for i := range 6 {
		friends = append(friends, solo(fmt.Sprint("f", i), 25, contract.RoleFriend, t0, Ritual))
	}
	if res := Process(mode, p, friends, t0.Add(time.Minute)); len(res.Matches) != 0 {
		t.Fatal("ritual formed without a host")
	}
}

func TestExpiry(t *testing.T) {
	mode, _ := contentModes().Lookup(Battle1v1)
	p := DefaultPolicy()
	a := solo("a", 25, contract.RoleHost, t0.Add(-p.TicketTTL), Battle1v1)
	b := solo("b", 25, contract.RoleHost, t0, Battle1v1)
	res := Process(mode, p, []Ticket{a, b}, t0)
	if len(res.Expired) != 1 || res.Expired[0].ID != "a" || len(res.Matches) != 0 {
		t.Fatalf("want a expired and no match, got %+v", res)
	}
}

func TestCheckTicket(t *testing.T) {
	mode, _ := contentModes().Lookup(Battle1v1)
	ok := solo("a", 25, contract.RoleHost, t0, Battle1v1)
	if err := mode.CheckTicket(ok); err != nil {
		t.Fatal(err)
	}
	desc := solo("a", 25, contract.RoleDescendant, t0, Battle1v1)
	party := ok
	party.Members = append(party.Members, Member{PlayerID: "p2", Oracle: contract.Oracle{OracleSpec: ecs.OracleSpec{Role: contract.RoleHost}}})
	friend := solo("a", 25, contract.RoleFriend, t0, Battle1v1)
	for name, c := range map[string]struct {
		t    Ticket
		want error
	}{"descendant": {desc, ErrRole}, "friend alone in 1v1": {friend, ErrRole}, "party in 1v1": {party, ErrPartySize}, "wrong mode": {solo("a", 25, contract.RoleHost, t0, Raid), ErrBadTicket}} {
		if err := mode.CheckTicket(c.t); !errorsIs(err, c.want) {
			t.Errorf("%s: got %v, want %v", name, err, c.want)
		}
	}
	if _, err := contentModes().Lookup("nope"); !errorsIs(err, ErrUnknownMode) {
		t.Fatalf("Lookup(nope) = %v", err)
	}
}

// newPlayer is a one-player ticket with a brand-new rating (Sigma 25/3).
func newPlayer(id string, mu float64, enq time.Time) Ticket {
	t := solo(id, mu, contract.RoleHost, enq, Battle1v1)
	t.Members[0].Sigma = 25.0 / 3
	return t
}

func TestUncertaintyWidensWindow(t *testing.T) {
	mode, _ := contentModes().Lookup(Battle1v1)
	p := DefaultPolicy() // window 2 + 0.25/s, +1 per Sigma point above 3, max 20
	wantNew := 2 + (25.0/3 - 3)
	if got := p.WindowFor(newPlayer("n", 25, t0), 0); math.Abs(got-wantNew) > 1e-9 {
		t.Fatalf("new player's window %v, want %v", got, wantNew)
	}
	if got := p.WindowFor(solo("s", 25, contract.RoleHost, t0, Battle1v1), 0); got != 2 {
		t.Fatalf("settled player's window %v, want 2", got)
	}
	// A party of two new players: deviation of the mean is sqrt(2)*25/3/2.
	party := newPlayer("pp", 25, t0)
	party.Members = append(party.Members, Member{PlayerID: "p2", Mu: 25, Sigma: 25.0 / 3})
	if got, want := party.Sigma(), math.Sqrt2*25/3/2; math.Abs(got-want) > 1e-9 {
		t.Fatalf("party sigma %v, want %v", got, want)
	}
	// Widening never passes Max.
	huge := newPlayer("h", 25, t0)
	huge.Members[0].Sigma = 100
	if got := p.WindowFor(huge, time.Hour); got != p.Window.Max {
		t.Fatalf("window of a huge deviation %v, want max %v", got, p.Window.Max)
	}

	// Two settled players 5 apart wait; two new players 5 apart match at once.
	settled := []Ticket{solo("a", 25, contract.RoleHost, t0, Battle1v1), solo("b", 30, contract.RoleHost, t0, Battle1v1)}
	if res := Process(mode, p, settled, t0); len(res.Matches) != 0 {
		t.Fatalf("settled players 5 apart matched at once: %+v", res.Matches)
	}
	fresh := []Ticket{newPlayer("a", 25, t0), newPlayer("b", 30, t0)}
	res := Process(mode, p, fresh, t0)
	if len(res.Matches) != 1 || math.Abs(res.Matches[0].Window-wantNew) > 1e-9 {
		t.Fatalf("new players 5 apart not matched at once: %+v", res)
	}
	checkResult(t, mode, p, fresh, res, t0)
	// A new player does not pull a settled player outside the settled
	// player's own window: they meet once it has widened to the gap (12 s).
	mixed := []Ticket{newPlayer("n", 25, t0), solo("s", 30, contract.RoleHost, t0, Battle1v1)}
	if res := Process(mode, p, mixed, t0.Add(11*time.Second)); len(res.Matches) != 0 {
		t.Fatal("settled player matched outside its own window")
	}
	if res := Process(mode, p, mixed, t0.Add(12*time.Second)); len(res.Matches) != 1 {
		t.Fatalf("new and settled player 5 apart not matched at 12 s: %+v", res)
	}
	// Disabled widening is the wait-time window alone.
	p.Uncertainty = Uncertainty{}
	if res := Process(mode, p, fresh, t0); len(res.Matches) != 0 {
		t.Fatal("matched beyond the wait-time window with widening disabled")
	}
}

// TestPairMatchesIffWithinBothWindows: in 1v1, two host tickets match
// exactly when their Mu gap is within both tickets' windows (wait time and
// uncertainty), over random ratings, deviations and waits.
func TestPairMatchesIffWithinBothWindows(t *testing.T) {
	mode, _ := contentModes().Lookup(Battle1v1)
	p := DefaultPolicy()
	r := rand.New(rand.NewPCG(3, 9))
	outcomes := map[bool]int{}
	for i := range 2000 {
		a := solo("a", 25+r.NormFloat64()*6, contract.RoleHost, t0.Add(-time.Duration(r.IntN(60_000))*time.Millisecond), Battle1v1)
		b := solo("b", 25+r.NormFloat64()*6, contract.RoleHost, t0.Add(-time.Duration(r.IntN(60_000))*time.Millisecond), Battle1v1)
		a.Members[0].Sigma = 0.5 + r.Float64()*9
		b.Members[0].Sigma = 0.5 + r.Float64()*9
		gap := math.Abs(a.Rating() - b.Rating())
		want := gap <= p.WindowFor(a, t0.Sub(a.EnqueuedAt)) && gap <= p.WindowFor(b, t0.Sub(b.EnqueuedAt))
		in := []Ticket{a, b}
		res := Process(mode, p, in, t0)
		if got := len(res.Matches) == 1; got != want {
			t.Fatalf("case %d: gap %.3f, windows %.3f/%.3f: matched=%v, want %v", i, gap,
				p.WindowFor(a, t0.Sub(a.EnqueuedAt)), p.WindowFor(b, t0.Sub(b.EnqueuedAt)), got, want)
		}
		checkResult(t, mode, p, in, res, t0)
		outcomes[want]++
	}
	if outcomes[true] < 200 || outcomes[false] < 200 {
		t.Fatalf("cases not mixed enough to test anything: %v", outcomes)
	}
}
