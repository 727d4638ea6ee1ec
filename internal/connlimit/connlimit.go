package connlimit

import (
	"errors"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"syscall"
)

// Config configures a Listener.
type Config struct {
	// PerIP is the most connections one source IP may hold open at once.
	// IPv4-mapped IPv6 addresses count as their IPv4 address. Zero or
	// negative means no cap.
	PerIP int
	// Exempt, when set, names addresses the cap does not apply to (a
	// trusted reverse proxy that carries many clients).
	Exempt func(netip.Addr) bool
	// OnRefuse, when set, is called (on the accept goroutine) for every
	// connection closed for being over the cap.
	OnRefuse func(netip.Addr)
}

// Listener is a net.Listener that enforces Config.PerIP. Safe for
// concurrent use.
type Listener struct {
	net.Listener
	cfg     Config
	mu      sync.Mutex
	open    map[netip.Addr]int
	total   atomic.Int64
	refused atomic.Uint64
}

// Wrap returns l with the per-IP cap of cfg.
func Wrap(l net.Listener, cfg Config) *Listener {
	return &Listener{Listener: l, cfg: cfg, open: map[netip.Addr]int{}}
}

// Accept returns the next connection whose source is under its cap;
// connections over it are closed and counted without being returned.
func (l *Listener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		ip := AddrIP(c.RemoteAddr())
		if l.take(ip) {
			l.total.Add(1)
			return &conn{Conn: c, l: l, ip: ip}, nil
		}
		// Counted before the close, so a peer that sees its connection
		// refused also finds the refusal in the metrics.
		l.refused.Add(1)
		if l.cfg.OnRefuse != nil {
			l.cfg.OnRefuse(ip)
		}
		_ = c.Close()
	}
}

func (l *Listener) take(ip netip.Addr) bool {
	if l.cfg.PerIP <= 0 || (l.cfg.Exempt != nil && l.cfg.Exempt(ip)) {
		l.mu.Lock()
		l.open[ip]++
		l.mu.Unlock()
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open[ip] >= l.cfg.PerIP {
		return false
	}
	l.open[ip]++
	return true
}

func (l *Listener) release(ip netip.Addr) {
	l.mu.Lock()
	if n := l.open[ip] - 1; n > 0 {
		l.open[ip] = n
	} else {
		delete(l.open, ip)
	}
	l.mu.Unlock()
	l.total.Add(-1)
}

// Open is the number of connections accepted and not yet closed.
func (l *Listener) Open() int { return int(l.total.Load()) }

// OpenFrom is the number of open connections from ip.
func (l *Listener) OpenFrom(ip netip.Addr) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.open[ip.Unmap()]
}

// Refused is the number of connections closed for being over the cap.
func (l *Listener) Refused() uint64 { return l.refused.Load() }

// AddrIP returns the IP of a TCP or UDP address (unmapped), or the zero
// Addr when a has none.
func AddrIP(a net.Addr) netip.Addr {
	switch v := a.(type) {
	case *net.TCPAddr:
		ip, _ := netip.AddrFromSlice(v.IP)
		return ip.Unmap()
	case *net.UDPAddr:
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

// conn releases its slot once, on the first Close.
type conn struct {
	net.Conn
	l    *Listener
	ip   netip.Addr
	once sync.Once
}

// SyscallConn exposes the wrapped connection's raw socket (for writev),
// or errors.ErrUnsupported when it has none.
func (c *conn) SyscallConn() (syscall.RawConn, error) {
	sc, ok := c.Conn.(syscall.Conn)
	if !ok {
		return nil, errors.ErrUnsupported
	}
	return sc.SyscallConn()
}

func (c *conn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { c.l.release(c.ip) })
	return err
}
