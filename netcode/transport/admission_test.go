package transport

import (
	"net/netip"
	"testing"
	"time"
)

// fakeRaw is a map key standing for a waiting session.
type fakeRaw struct {
	rawConn
	id int
}

// TestPendingSlots walks the admission rules step by step with a total of
// 6, 2 per address and 4 per prefix.
func TestPendingSlots(t *testing.T) {
	p := newPendingSlots(6, 2, 4)
	t0 := time.Unix(0, 0)
	n := 0
	take := func(addr string, wantRefused string) (rawConn, rawConn) {
		t.Helper()
		n++
		c := &fakeRaw{id: n}
		refused, evict := p.take(c, netip.MustParseAddr(addr), t0.Add(time.Duration(n)*time.Second))
		if refused != wantRefused {
			t.Fatalf("session %d from %s: refused %q, want %q", n, addr, refused, wantRefused)
		}
		return c, evict
	}
	a1, _ := take("10.0.0.1", "")
	take("10.0.0.1", "")
	take("10.0.0.1", RefusedAddress) // the address holds 2
	b1, _ := take("10.0.0.2", "")
	take("10.0.0.2", "")
	// The prefix 10.0.0.0/24 holds 4: 10.0.0.2 holds slots and is
	// refused; 10.0.0.3 holds none and evicts the oldest session of the
	// address holding the most (both hold 2: the oldest is a1).
	take("10.0.0.2", RefusedAddress)
	if _, evict := take("10.0.0.3", ""); evict != a1 {
		t.Fatalf("evicted %v, want the oldest session of 10.0.0.1", evict)
	}
	// Now 10.0.0.2 holds the most (2): its oldest goes.
	if _, evict := take("10.0.0.4", ""); evict != b1 {
		t.Fatalf("evicted %v, want the oldest session of 10.0.0.2", evict)
	}
	// Other prefixes fill the total (6): 4 in 10.0.0.0/24, 2 in 10.0.1.0/24.
	d1, ev := take("10.0.1.1", "")
	if ev != nil {
		t.Fatal("evicted below the caps")
	}
	take("10.0.1.1", "")
	if p.len() != 6 {
		t.Fatalf("%d waiting, want 6", p.len())
	}
	take("10.0.1.1", RefusedAddress)
	// Full: a new source in a third prefix evicts from the fullest prefix
	// (10.0.0.0/24).
	_, evict := take("10.0.2.1", "")
	if evict == nil || p.conns[evict] != (pendingSlot{}) {
		t.Fatalf("evicted %v, still counted %v", evict, p.conns[evict])
	}
	if got := p.byPrefix[netip.MustParsePrefix("10.0.0.0/24")]; got != 3 {
		t.Fatalf("10.0.0.0/24 holds %d after the eviction, want 3", got)
	}
	// A source holding a slot is refused when the total is full.
	take("10.0.2.1", RefusedTotal)
	// Releasing frees the slot; releasing twice changes nothing.
	p.release(d1)
	p.release(d1)
	p.release(a1) // already evicted: a no-op
	if p.len() != 5 {
		t.Fatalf("%d waiting after a release, want 5", p.len())
	}
	take("10.0.2.1", "")
	// Sessions without an IP (in-memory) share only the total.
	p2 := newPendingSlots(3, 1, 1)
	for i := range 3 {
		if r, _ := p2.take(&fakeRaw{id: 100 + i}, netip.Addr{}, t0); r != "" {
			t.Fatalf("in-memory session %d refused %q", i, r)
		}
	}
	if r, _ := p2.take(&fakeRaw{id: 200}, netip.Addr{}, t0); r != RefusedTotal {
		t.Fatalf("fourth in-memory session: %q", r)
	}
}

// TestPendingSlotsIPv6: IPv6 sources are counted per /64.
func TestPendingSlotsIPv6(t *testing.T) {
	p := newPendingSlots(10, 1, 2)
	for i, a := range []string{"2001:db8::1", "2001:db8::2"} {
		if r, _ := p.take(&fakeRaw{id: i}, netip.MustParseAddr(a), time.Unix(int64(i), 0)); r != "" {
			t.Fatalf("%s refused %q", a, r)
		}
	}
	if r, _ := p.take(&fakeRaw{id: 9}, netip.MustParseAddr("2001:db8::1"), time.Unix(9, 0)); r != RefusedAddress {
		t.Fatalf("repeat address: %q", r)
	}
	if r, ev := p.take(&fakeRaw{id: 10}, netip.MustParseAddr("2001:db8::3"), time.Unix(10, 0)); r != "" || ev == nil {
		t.Fatalf("new address in a full /64: refused %q, evicted %v", r, ev)
	}
	if r, _ := p.take(&fakeRaw{id: 11}, netip.MustParseAddr("2001:db8:0:1::1"), time.Unix(11, 0)); r != "" {
		t.Fatalf("another /64 refused %q", r)
	}
}
