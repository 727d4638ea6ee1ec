package transport

import (
	"net"
	"net/netip"
	"time"
)

// Refusal reasons of the admission gate (Stats, and the room server's
// pantheon_room_admission_refused_total{reason}).
const (
	RefusedTotal   = "total"       // MaxPending sessions were waiting and none could be evicted
	RefusedAddress = "per_address" // the source address held MaxPendingPerAddr
	RefusedPrefix  = "per_prefix"  // the source's /24 or /64 held MaxPendingPerPrefix
	Evicted        = "evicted"     // a waiting session closed to make room for a source holding none
)

// pendingSlots counts the sessions awaiting their hello by source address,
// by source prefix (/24 for IPv4, /64 for IPv6) and in total, and decides
// admission so that one source cannot starve others:
//
//   - a source already holding MaxPendingPerAddr slots, or whose prefix
//     holds MaxPendingPerPrefix, is refused;
//   - a source holding no slot always gets one: when its prefix or the
//     total is full, the oldest waiting session of the address holding
//     the most slots (in the full prefix, or in the fullest prefix) is
//     closed to make room.
//
// Not safe for concurrent use: the gate holds its lock around every call.
type pendingSlots struct {
	maxTotal, maxAddr, maxPrefix int
	byAddr                       map[netip.Addr]int
	byPrefix                     map[netip.Prefix]int
	conns                        map[rawConn]pendingSlot
}

// pendingSlot is one waiting session's source and start.
type pendingSlot struct {
	addr   netip.Addr
	prefix netip.Prefix
	since  time.Time
}

func newPendingSlots(maxTotal, maxAddr, maxPrefix int) *pendingSlots {
	maxPrefix = min(maxPrefix, maxTotal)
	maxAddr = min(maxAddr, maxPrefix)
	return &pendingSlots{
		maxTotal: maxTotal, maxAddr: maxAddr, maxPrefix: maxPrefix,
		byAddr: map[netip.Addr]int{}, byPrefix: map[netip.Prefix]int{}, conns: map[rawConn]pendingSlot{},
	}
}

// sourcePrefix is the prefix a source address is counted under.
func sourcePrefix(a netip.Addr) netip.Prefix {
	bits := 64
	if a.Is4() {
		bits = 24
	}
	p, err := a.Prefix(bits)
	if err != nil {
		return netip.Prefix{}
	}
	return p
}

// remoteIP is the IP of a session's remote address (unmapped); the zero
// Addr when it has none (in-memory sessions), which counts as one source.
func remoteIP(a net.Addr) netip.Addr {
	switch v := a.(type) {
	case *net.UDPAddr:
		ip, _ := netip.AddrFromSlice(v.IP)
		return ip.Unmap()
	case *net.TCPAddr:
		ip, _ := netip.AddrFromSlice(v.IP)
		return ip.Unmap()
	}
	if a == nil {
		return netip.Addr{}
	}
	ap, err := netip.ParseAddrPort(a.String())
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}

// take admits c from addr at now. It returns "" and the session to evict
// (nil for none) when c gets a slot, or the refusal reason. A session
// without an IP (the in-memory transport) is under the total cap only.
func (p *pendingSlots) take(c rawConn, addr netip.Addr, now time.Time) (refused string, evict rawConn) {
	if !addr.IsValid() {
		if len(p.conns) >= p.maxTotal {
			return RefusedTotal, nil
		}
		p.conns[c] = pendingSlot{since: now}
		return "", nil
	}
	prefix := sourcePrefix(addr)
	nAddr, nPrefix := p.byAddr[addr], p.byPrefix[prefix]
	switch {
	case nAddr >= p.maxAddr:
		return RefusedAddress, nil
	case nPrefix >= p.maxPrefix:
		if nAddr > 0 {
			return RefusedPrefix, nil
		}
		evict = p.victim(prefix, true)
	case len(p.conns) >= p.maxTotal:
		if nAddr > 0 {
			return RefusedTotal, nil
		}
		evict = p.victim(netip.Prefix{}, false)
	}
	if evict == nil && (nPrefix >= p.maxPrefix || len(p.conns) >= p.maxTotal) {
		return RefusedTotal, nil
	}
	if evict != nil {
		p.release(evict)
	}
	p.byAddr[addr]++
	p.byPrefix[prefix]++
	p.conns[c] = pendingSlot{addr: addr, prefix: prefix, since: now}
	return "", evict
}

// victim picks the session to evict: within prefix when inPrefix, else in
// the prefix holding the most slots; there, the oldest session of the
// address holding the most.
func (p *pendingSlots) victim(prefix netip.Prefix, inPrefix bool) rawConn {
	if !inPrefix {
		best := -1
		for pf, n := range p.byPrefix { // ties: the lowest prefix, so the choice is stable
			if n > best || (n == best && pf.Addr().Less(prefix.Addr())) {
				best, prefix = n, pf
			}
		}
	}
	var victim rawConn
	var vs pendingSlot
	for c, s := range p.conns {
		if s.prefix != prefix {
			continue
		}
		if victim == nil || p.byAddr[s.addr] > p.byAddr[vs.addr] ||
			(p.byAddr[s.addr] == p.byAddr[vs.addr] && s.since.Before(vs.since)) {
			victim, vs = c, s
		}
	}
	return victim
}

// release frees c's slot; a no-op when c holds none.
func (p *pendingSlots) release(c rawConn) {
	s, ok := p.conns[c]
	if !ok {
		return
	}
	delete(p.conns, c)
	if !s.addr.IsValid() {
		return
	}
	dec := func(n int) int { return n - 1 }
	if n := dec(p.byAddr[s.addr]); n > 0 {
		p.byAddr[s.addr] = n
	} else {
		delete(p.byAddr, s.addr)
	}
	if n := dec(p.byPrefix[s.prefix]); n > 0 {
		p.byPrefix[s.prefix] = n
	} else {
		delete(p.byPrefix, s.prefix)
	}
}

// len is the number of waiting sessions.
func (p *pendingSlots) len() int { return len(p.conns) }
