package bench

import (
	"container/heap"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"sync"
	"time"
)

// netem is the bench's network impairment proxy on loopback: for every
// room endpoint the bots use it opens a UDP front (KCP) and a TCP front
// (WebSocket) on 127.0.0.1 and forwards through them, each way, with the
// scenario's latency and jitter, and for UDP its loss, duplication and
// reordering, so KCP really retransmits. Everything it starts stops in
// close.
//
// Bounds: at most maxProxySessions client sessions per front (more are
// refused: datagrams dropped, connections closed); a UDP session idle for
// proxyIdle is forgotten and a TCP connection idle that long is closed;
// each TCP direction queues at most tcpQueue chunks in its delay line and
// then stops reading (TCP backpressure), and the UDP delay line holds at
// most udpQueue datagrams per front, past which new ones are dropped and
// counted as loss.
type netem struct {
	n      Network
	policy Config

	mu     sync.Mutex
	udp    map[string]*udpProxy // by upstream address
	tcp    map[string]*tcpProxy
	rng    uint64
	closed bool
	wg     sync.WaitGroup
}

const (
	maxProxySessions = 20_000
	proxyIdle        = 2 * time.Minute
	tcpQueue         = 1024
	udpQueue         = 1 << 16
	udpSocketBuffer  = 4 << 20
)

func newNetem(n Network, policy Config) *netem {
	seed := n.Seed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	return &netem{n: n, policy: policy, udp: map[string]*udpProxy{}, tcp: map[string]*tcpProxy{}, rng: seed}
}

// rand returns a uniform float in [0, 1) (splitmix64).
func (e *netem) rand() float64 {
	e.mu.Lock()
	e.rng += 0x9e3779b97f4a7c15
	z := e.rng
	e.mu.Unlock()
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	z ^= z >> 31
	return float64(z>>11) / (1 << 53)
}

// delay draws one packet's delay: latency plus uniform jitter, never
// negative.
func (e *netem) delay() time.Duration {
	d := time.Duration(e.n.Latency)
	if j := time.Duration(e.n.Jitter); j > 0 {
		d += time.Duration((e.rand()*2 - 1) * float64(j))
	}
	return max(d, 0)
}

// udpFront returns the address of the UDP front for upstream, opening it.
func (e *netem) udpFront(upstream string) (string, error) {
	if err := e.policy.checkAddr(upstream); err != nil {
		return "", err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return "", errors.New("bench: proxy closed")
	}
	if p := e.udp[upstream]; p != nil {
		return p.front.LocalAddr().String(), nil
	}
	up, err := net.ResolveUDPAddr("udp", upstream)
	if err != nil {
		return "", fmt.Errorf("bench: proxy %s: %w", upstream, err)
	}
	front, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return "", fmt.Errorf("bench: proxy %s: %w", upstream, err)
	}
	_ = front.SetReadBuffer(udpSocketBuffer) // a swarm's bursts must not overflow it
	_ = front.SetWriteBuffer(udpSocketBuffer)
	p := &udpProxy{e: e, front: front, up: up, sessions: map[string]*udpSession{}, line: newDelayLine(udpQueue)}
	e.udp[upstream] = p
	e.wg.Add(2)
	go func() { defer e.wg.Done(); p.line.run() }()
	go func() { defer e.wg.Done(); p.serve() }()
	return front.LocalAddr().String(), nil
}

// wsFront returns wsURL with its host replaced by the TCP front for it.
func (e *netem) wsFront(wsURL string) (string, error) {
	u, err := url.Parse(wsURL)
	if err != nil {
		return "", fmt.Errorf("bench: proxy %s: %w", wsURL, err)
	}
	if u.Scheme == "wss" {
		return "", errors.New("bench: the network proxy does not carry wss (TLS)")
	}
	upstream := u.Host
	if u.Port() == "" {
		upstream = net.JoinHostPort(u.Hostname(), "80")
	}
	front, err := e.tcpFront(upstream)
	if err != nil {
		return "", err
	}
	u.Host = front
	return u.String(), nil
}

func (e *netem) tcpFront(upstream string) (string, error) {
	if err := e.policy.checkAddr(upstream); err != nil {
		return "", err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return "", errors.New("bench: proxy closed")
	}
	if p := e.tcp[upstream]; p != nil {
		return p.ln.Addr().String(), nil
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("bench: proxy %s: %w", upstream, err)
	}
	p := &tcpProxy{e: e, ln: ln, upstream: upstream, conns: map[net.Conn]bool{}}
	e.tcp[upstream] = p
	e.wg.Add(1)
	go func() { defer e.wg.Done(); p.serve() }()
	return ln.Addr().String(), nil
}

// close stops every front and waits for the proxy's goroutines.
func (e *netem) close() {
	e.mu.Lock()
	e.closed = true
	udps, tcps := e.udp, e.tcp
	e.mu.Unlock()
	for _, p := range udps {
		p.close()
	}
	for _, p := range tcps {
		p.close()
	}
	e.wg.Wait()
}

// udpProxy forwards datagrams between clients and one upstream address,
// one upstream socket per client address (so the server sees each client
// as its own peer).
type udpProxy struct {
	e     *netem
	front *net.UDPConn
	up    *net.UDPAddr
	line  *delayLine

	mu       sync.Mutex
	sessions map[string]*udpSession
	closed   bool
	dropped  uint64 // datagrams refused: session cap or full delay line
}

type udpSession struct {
	client *net.UDPAddr
	up     *net.UDPConn
	last   time.Time // guarded by the proxy's mu
}

func (p *udpProxy) serve() {
	buf := make([]byte, 64<<10)
	sweep := time.Now()
	for {
		n, from, err := p.front.ReadFromUDP(buf)
		if err != nil {
			return // closed
		}
		s := p.session(from)
		if s == nil {
			continue
		}
		p.impair(buf[:n], func(b []byte) { _, _ = s.up.Write(b) })
		if now := time.Now(); now.Sub(sweep) > proxyIdle/4 {
			sweep = now
			p.sweep(now)
		}
	}
}

// session returns the session of client addr, opening it (nil past the
// cap or after close).
func (p *udpProxy) session(addr *net.UDPAddr) *udpSession {
	key := addr.String()
	p.mu.Lock()
	defer p.mu.Unlock()
	if s := p.sessions[key]; s != nil {
		s.last = time.Now()
		return s
	}
	if p.closed || len(p.sessions) >= maxProxySessions {
		p.dropped++
		return nil
	}
	up, err := net.DialUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)}, p.up)
	if err != nil {
		p.dropped++
		return nil
	}
	_ = up.SetReadBuffer(udpSocketBuffer / 16)
	s := &udpSession{client: addr, up: up, last: time.Now()}
	p.sessions[key] = s
	p.e.wg.Add(1)
	go func() {
		defer p.e.wg.Done()
		buf := make([]byte, 64<<10)
		for {
			n, err := up.Read(buf)
			if err != nil {
				return
			}
			p.impair(buf[:n], func(b []byte) { _, _ = p.front.WriteToUDP(b, s.client) })
			p.mu.Lock()
			s.last = time.Now()
			p.mu.Unlock()
		}
	}()
	return s
}

// sweep forgets sessions idle for proxyIdle.
func (p *udpProxy) sweep(now time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for k, s := range p.sessions {
		if now.Sub(s.last) > proxyIdle {
			s.up.Close()
			delete(p.sessions, k)
		}
	}
}

// impair schedules a copy of b through send after the drawn delay, or
// drops it, duplicates it, or holds it back so later ones overtake it.
func (p *udpProxy) impair(b []byte, send func([]byte)) {
	e := p.e
	if e.n.Loss > 0 && e.rand() < e.n.Loss {
		return
	}
	d := e.delay()
	if e.n.Reorder > 0 && e.rand() < e.n.Reorder {
		d += max(time.Duration(e.n.Latency+e.n.Jitter), 5*time.Millisecond)
	}
	cp := append([]byte(nil), b...)
	now := time.Now()
	ok := p.line.push(now.Add(d), func() { send(cp) })
	if ok && e.n.Duplicate > 0 && e.rand() < e.n.Duplicate {
		ok = p.line.push(now.Add(e.delay()), func() { send(cp) })
	}
	if !ok {
		p.mu.Lock()
		p.dropped++
		p.mu.Unlock()
	}
}

func (p *udpProxy) close() {
	p.mu.Lock()
	p.closed = true
	for _, s := range p.sessions {
		s.up.Close()
	}
	p.mu.Unlock()
	p.front.Close()
	p.line.close()
}

// tcpProxy forwards TCP connections to one upstream address, delaying
// each chunk by the drawn latency while keeping the stream's order.
type tcpProxy struct {
	e        *netem
	ln       net.Listener
	upstream string

	mu     sync.Mutex
	conns  map[net.Conn]bool
	closed bool
}

func (p *tcpProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		full := p.closed || len(p.conns) >= 2*maxProxySessions
		p.mu.Unlock()
		if full {
			c.Close()
			continue
		}
		up, err := net.DialTimeout("tcp", p.upstream, 5*time.Second)
		if err != nil {
			c.Close()
			continue
		}
		if !p.track(c, up) {
			c.Close()
			up.Close()
			continue
		}
		var done sync.WaitGroup
		done.Add(2)
		p.e.wg.Add(3)
		go func() { defer p.e.wg.Done(); defer done.Done(); p.pump(c, up) }()
		go func() { defer p.e.wg.Done(); defer done.Done(); p.pump(up, c) }()
		go func() {
			defer p.e.wg.Done()
			done.Wait()
			p.untrack(c, up)
		}()
	}
}

func (p *tcpProxy) track(cs ...net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	for _, c := range cs {
		p.conns[c] = true
	}
	return true
}

func (p *tcpProxy) untrack(cs ...net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range cs {
		c.Close()
		delete(p.conns, c)
	}
}

// chunk is a piece of a TCP stream due at a time.
type chunk struct {
	at time.Time
	b  []byte
}

// pump copies src to dst through a FIFO delay line: each chunk read is
// written no earlier than its drawn delay and never before the chunk
// ahead of it. When either side fails both are closed.
func (p *tcpProxy) pump(src, dst net.Conn) {
	q := make(chan chunk, tcpQueue)
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		for c := range q {
			if d := time.Until(c.at); d > 0 {
				time.Sleep(d)
			}
			_ = dst.SetWriteDeadline(time.Now().Add(proxyIdle))
			if _, err := dst.Write(c.b); err != nil {
				src.Close()
				for range q { // drain so the reader never blocks
				}
				return
			}
		}
	}()
	var last time.Time
	for {
		_ = src.SetReadDeadline(time.Now().Add(proxyIdle))
		buf := make([]byte, 32<<10)
		n, err := src.Read(buf)
		if n > 0 {
			at := time.Now().Add(p.e.delay())
			if at.Before(last) {
				at = last
			}
			last = at
			q <- chunk{at: at, b: buf[:n]}
		}
		if err != nil {
			close(q)
			<-writerDone
			if errors.Is(err, io.EOF) {
				if tc, ok := dst.(*net.TCPConn); ok {
					_ = tc.CloseWrite()
					return
				}
			}
			dst.Close()
			return
		}
	}
}

func (p *tcpProxy) close() {
	p.mu.Lock()
	p.closed = true
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.ln.Close()
}

// delayLine runs functions at their due times from one goroutine, earliest
// first; at most max are pending (push refuses more).
type delayLine struct {
	mu     sync.Mutex
	h      dueHeap
	max    int
	seq    uint64
	wake   chan struct{}
	closed bool
	stop   chan struct{}
}

func newDelayLine(max int) *delayLine {
	return &delayLine{max: max, wake: make(chan struct{}, 1), stop: make(chan struct{})}
}

// push schedules fn at at; false when the line is full or closed.
func (l *delayLine) push(at time.Time, fn func()) bool {
	l.mu.Lock()
	if l.closed || len(l.h) >= l.max {
		l.mu.Unlock()
		return false
	}
	l.seq++
	heap.Push(&l.h, due{at: at, seq: l.seq, fn: fn})
	first := l.h[0].seq == l.seq
	l.mu.Unlock()
	if first {
		select {
		case l.wake <- struct{}{}:
		default:
		}
	}
	return true
}

func (l *delayLine) run() {
	t := time.NewTimer(time.Hour)
	defer t.Stop()
	for {
		l.mu.Lock()
		var fn func()
		wait := time.Hour
		if len(l.h) > 0 {
			if d := time.Until(l.h[0].at); d <= 0 {
				fn = heap.Pop(&l.h).(due).fn
			} else {
				wait = d
			}
		}
		l.mu.Unlock()
		if fn != nil {
			fn()
			continue
		}
		t.Reset(wait)
		select {
		case <-l.stop:
			return
		case <-l.wake:
		case <-t.C:
		}
	}
}

func (l *delayLine) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.closed {
		l.closed = true
		close(l.stop)
	}
}

type due struct {
	at  time.Time
	seq uint64
	fn  func()
}

// dueHeap orders by due time, then by push order.
type dueHeap []due

func (h dueHeap) Len() int { return len(h) }
func (h dueHeap) Less(i, j int) bool {
	if h[i].at.Equal(h[j].at) {
		return h[i].seq < h[j].seq
	}
	return h[i].at.Before(h[j].at)
}
func (h dueHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *dueHeap) Push(x any)   { *h = append(*h, x.(due)) }
func (h *dueHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
