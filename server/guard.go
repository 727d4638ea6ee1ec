package server

import (
	"net/netip"
	"sync"
	"time"
)

// failureGuard counts failed fleet-secret checks per source (an IPv4
// address, or an IPv6 /64) and backs a source off once it has failed
// more than failureFree times in a row: 1 s, doubling with every further
// failure up to failureMaxBlock. While blocked, a source is answered 429
// without its secret being compared, so guessing runs at a handful of
// tries per several minutes. A correct secret resets the source. The
// table holds at most failureSources sources; past that, sources not
// blocked and idle for failureForget are dropped, and if it is still full
// every source not in it shares one record (a flood of addresses cannot
// buy unthrottled guesses; while it lasts, a new source may find that
// shared record blocked).
type failureGuard struct {
	now func() time.Time
	mu  sync.Mutex
	m   map[netip.Addr]*failState
}

// failState is one source's record.
type failState struct {
	fails int
	until time.Time // blocked before this
	last  time.Time
}

const (
	failureFree     = 5
	failureBaseWait = time.Second
	failureMaxBlock = 5 * time.Minute
	failureSources  = 8192
	failureForget   = 10 * time.Minute
)

func newFailureGuard(now func() time.Time) *failureGuard {
	return &failureGuard{now: now, m: map[netip.Addr]*failState{}}
}

// key is the record ip's failures are counted under: its IPv4 address or
// IPv6 /64, or the shared record (the zero Addr) when the table is full.
// The caller holds mu.
func (g *failureGuard) key(ip netip.Addr) netip.Addr {
	ip = ip.Unmap()
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		ip = p.Addr()
	}
	if _, ok := g.m[ip]; !ok && len(g.m) >= failureSources {
		return netip.Addr{}
	}
	return ip
}

// blocked reports how long ip must still wait (0 and false when it may
// try).
func (g *failureGuard) blocked(ip netip.Addr) (time.Duration, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	st, ok := g.m[g.key(ip)]
	if !ok {
		return 0, false
	}
	if d := st.until.Sub(g.now()); d > 0 {
		return d, true
	}
	return 0, false
}

// fail counts a failed attempt from ip.
func (g *failureGuard) fail(ip netip.Addr) {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.now()
	if len(g.m) >= failureSources {
		g.sweep(now)
	}
	k := g.key(ip)
	st, ok := g.m[k]
	if !ok {
		st = &failState{}
		g.m[k] = st
	}
	st.fails++
	st.last = now
	if n := st.fails - failureFree; n > 0 {
		wait := failureMaxBlock
		if n < 20 {
			wait = min(failureMaxBlock, failureBaseWait<<(n-1))
		}
		st.until = now.Add(wait)
	}
}

// ok forgets ip's failures after a correct secret.
func (g *failureGuard) ok(ip netip.Addr) {
	g.mu.Lock()
	if k := g.key(ip); k.IsValid() {
		delete(g.m, k)
	}
	g.mu.Unlock()
}

// sweep drops sources neither blocked nor seen for failureForget. The
// caller holds mu.
func (g *failureGuard) sweep(now time.Time) {
	for k, st := range g.m {
		if now.After(st.until) && now.Sub(st.last) > failureForget {
			delete(g.m, k)
		}
	}
}
