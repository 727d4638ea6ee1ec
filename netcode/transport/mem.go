package transport

import (
	"container/heap"
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"sync"
	"time"
)

// LinkConfig describes the in-memory network's links, like etcd raft's
// rafttest network: each direction of each connection drops, delays,
// duplicates and reorders frames, with decisions drawn from a seeded RNG.
// Unlike KCP and WebSocket this link is unreliable, which is what the
// protocol's acks and input resends are tested against.
type LinkConfig struct {
	Loss      float64       // probability a frame is dropped, [0, 1)
	Duplicate float64       // probability a frame is delivered twice, [0, 1]
	Reorder   float64       // probability a frame is held back Latency+Jitter+1ms longer, [0, 1]
	Latency   time.Duration // one-way delay
	Jitter    time.Duration // extra delay drawn uniformly from [0, Jitter)
	Seed      uint64        // RNG seed; each direction of each connection derives its own
	// QueueLimit caps frames in flight per direction; more are dropped
	// like a full socket buffer. Default (0) 4096.
	QueueLimit int
}

// Validate reports the first field out of range.
func (c *LinkConfig) Validate() error {
	if c.Loss < 0 || c.Loss >= 1 || c.Duplicate < 0 || c.Duplicate > 1 || c.Reorder < 0 || c.Reorder > 1 {
		return fmt.Errorf("transport: mem link probabilities out of range: loss %v dup %v reorder %v", c.Loss, c.Duplicate, c.Reorder)
	}
	if c.Latency < 0 || c.Jitter < 0 || c.QueueLimit < 0 {
		return fmt.Errorf("transport: mem link negative latency, jitter or queue limit")
	}
	return nil
}

// MemNetwork is an in-process network of named listeners for tests. Safe
// for concurrent use.
type MemNetwork struct {
	link      LinkConfig
	mu        sync.Mutex
	listeners map[string]*MemListener
	dials     uint64
}

// NewMemNetwork returns a network whose every link behaves as link says.
func NewMemNetwork(link LinkConfig) (*MemNetwork, error) {
	if err := link.Validate(); err != nil {
		return nil, err
	}
	if link.QueueLimit == 0 {
		link.QueueLimit = 4096
	}
	return &MemNetwork{link: link, listeners: make(map[string]*MemListener)}, nil
}

// MemListener is a Listener on a MemNetwork name.
type MemListener struct {
	n    *MemNetwork
	name string
	gate *gate
}

// Listen registers a listener under name.
func (n *MemNetwork) Listen(name string, cfg Config) (*MemListener, error) {
	if err := cfg.validateListener(); err != nil {
		return nil, err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if _, ok := n.listeners[name]; ok {
		return nil, fmt.Errorf("transport: mem listen %q: name in use", name)
	}
	l := &MemListener{n: n, name: name, gate: newGate(cfg)}
	n.listeners[name] = l
	return l, nil
}

// Accept returns the next admitted session.
func (l *MemListener) Accept(ctx context.Context) (Conn, error) { return l.gate.accept(ctx) }

// Addr returns the listener's name as an address.
func (l *MemListener) Addr() net.Addr { return memAddr(l.name) }

// Stats reports the admission gate's counters.
func (l *MemListener) Stats() Stats { return l.gate.stats() }

// Close unregisters the name and stops admitting. Accepted sessions stay open.
func (l *MemListener) Close() error {
	l.n.mu.Lock()
	if l.n.listeners[l.name] == l {
		delete(l.n.listeners, l.name)
	}
	l.n.mu.Unlock()
	l.gate.close()
	return nil
}

// Dialer returns a Dialer for the listener registered under name.
func (n *MemNetwork) Dialer(name string, cfg Config) Dialer {
	return memDialer{n: n, name: name, cfg: cfg}
}

type memDialer struct {
	n    *MemNetwork
	name string
	cfg  Config
}

func (d memDialer) Dial(ctx context.Context) (Conn, error) {
	if err := d.cfg.Validate(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	n := d.n
	n.mu.Lock()
	l, ok := n.listeners[d.name]
	n.dials++
	k := n.dials
	n.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("transport: mem dial %q: %w", d.name, ErrClosed)
	}
	up := newPipe(n.link, n.link.Seed+2*k)     // client to server
	down := newPipe(n.link, n.link.Seed+2*k+1) // server to client
	client := &memConn{in: down, out: up, cfg: d.cfg, peer: memAddr(d.name)}
	server := &memConn{in: up, out: down, cfg: l.gate.cfg, peer: memAddr(fmt.Sprintf("%s-client-%d", d.name, k))}
	l.gate.admit(server)
	return client, nil
}

type memAddr string

func (a memAddr) Network() string { return "mem" }
func (a memAddr) String() string  { return string(a) }

// memConn is one end of a connection: it reads from in and writes to out.
type memConn struct {
	in, out *pipe
	cfg     Config
	peer    net.Addr
}

func (c *memConn) ReadFrame() ([]byte, error) {
	return c.readFrameBy(time.Now().Add(c.cfg.IdleTimeout))
}

func (c *memConn) readFrameBy(deadline time.Time) ([]byte, error) {
	p, err := c.in.recv(deadline)
	if err != nil {
		return nil, err
	}
	if len(p) > c.cfg.MaxReadFrame {
		return nil, fmt.Errorf("%w: %d bytes over %d", ErrFrameTooLarge, len(p), c.cfg.MaxReadFrame)
	}
	return p, nil
}

func (c *memConn) WriteFrame(p []byte) error {
	if len(p) > c.cfg.MaxWriteFrame {
		return fmt.Errorf("%w: %d bytes over %d", ErrFrameTooLarge, len(p), c.cfg.MaxWriteFrame)
	}
	return c.out.send(p)
}

// TryWriteFrames sends every frame; an in-memory link never waits (a
// full link drops, like a full socket buffer).
func (c *memConn) TryWriteFrames(frames [][]byte) (int, error) {
	for i, p := range frames {
		if err := c.WriteFrame(p); err != nil {
			return i, err
		}
	}
	return len(frames), nil
}

// Flush has nothing to do: TryWriteFrames holds nothing back.
func (c *memConn) Flush() error { return nil }

// Close closes both directions. Like a TCP close after a write, frames
// sent before it are not lost to it: the peer reads every frame sent
// (still subject to the link's loss) as it arrives, then ErrClosed; the
// peer's own sends fail with ErrClosed at once.
func (c *memConn) Close() error {
	c.in.close()
	c.out.closeSend()
	return nil
}

func (c *memConn) RemoteAddr() net.Addr { return c.peer }
func (c *memConn) Transport() string    { return "mem" }

// pipe is one direction of a link: frames in flight ordered by delivery
// time, and frames delivered but not yet read.
type pipe struct {
	link    LinkConfig
	mu      sync.Mutex
	rng     *rand.Rand
	flight  flightHeap
	seq     uint64
	ready   [][]byte
	timer   *time.Timer
	notify  chan struct{}
	closed  bool // no more sends: set by either end's close
	dropped bool // the receiving end closed: nothing more is delivered
}

func newPipe(link LinkConfig, seed uint64) *pipe {
	return &pipe{link: link, rng: rand.New(rand.NewPCG(seed, 0x6a09e667f3bcc909)), notify: make(chan struct{}, 1)}
}

func (p *pipe) send(frame []byte) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return ErrClosed
	}
	if p.rng.Float64() < p.link.Loss {
		return nil
	}
	copies := 1
	if p.rng.Float64() < p.link.Duplicate {
		copies = 2
	}
	now := time.Now()
	for range copies {
		if len(p.flight)+len(p.ready) >= p.link.QueueLimit {
			return nil // dropped, like a full socket buffer
		}
		delay := p.link.Latency
		if p.link.Jitter > 0 {
			delay += time.Duration(p.rng.Int64N(int64(p.link.Jitter)))
		}
		if p.rng.Float64() < p.link.Reorder {
			delay += p.link.Latency + p.link.Jitter + time.Millisecond
		}
		cp := append([]byte(nil), frame...)
		if delay == 0 && len(p.flight) == 0 {
			p.deliver(cp)
			continue
		}
		p.seq++
		heap.Push(&p.flight, inflight{due: now.Add(delay), seq: p.seq, frame: cp})
	}
	p.schedule(now)
	return nil
}

// deliver appends to ready and wakes the reader. p.mu must be held.
func (p *pipe) deliver(frame []byte) {
	p.ready = append(p.ready, frame)
	select {
	case p.notify <- struct{}{}:
	default:
	}
}

// schedule arms the timer for the earliest frame in flight. p.mu must be held.
func (p *pipe) schedule(now time.Time) {
	if len(p.flight) == 0 {
		return
	}
	d := max(p.flight[0].due.Sub(now), 0)
	if p.timer == nil {
		p.timer = time.AfterFunc(d, p.flush)
	} else {
		p.timer.Reset(d)
	}
}

// flush runs on the timer: it delivers every frame that is due.
func (p *pipe) flush() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.dropped {
		return
	}
	now := time.Now()
	for len(p.flight) > 0 && !p.flight[0].due.After(now) {
		p.deliver(heap.Pop(&p.flight).(inflight).frame)
	}
	p.schedule(now)
}

func (p *pipe) recv(deadline time.Time) ([]byte, error) {
	var t *time.Timer
	defer func() {
		if t != nil {
			t.Stop()
		}
	}()
	for {
		p.mu.Lock()
		if len(p.ready) > 0 {
			f := p.ready[0]
			p.ready[0] = nil
			p.ready = p.ready[1:]
			p.mu.Unlock()
			return f, nil
		}
		closed := p.closed && len(p.flight) == 0
		p.mu.Unlock()
		if closed {
			return nil, ErrClosed
		}
		if t == nil {
			d := time.Until(deadline)
			if d <= 0 {
				return nil, ErrIdle
			}
			t = time.NewTimer(d)
		}
		select {
		case <-p.notify:
		case <-t.C:
			return nil, ErrIdle
		}
	}
}

// closeSend closes the sending end: sends fail with ErrClosed, frames in
// flight are still delivered, and recv returns ErrClosed once they are read.
func (p *pipe) closeSend() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	select {
	case p.notify <- struct{}{}:
	default:
	}
}

// close closes the receiving end: frames in flight are dropped (nobody
// will read them) and sends fail with ErrClosed.
func (p *pipe) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.dropped {
		return
	}
	p.closed, p.dropped = true, true
	p.flight = nil
	if p.timer != nil {
		p.timer.Stop()
	}
	select {
	case p.notify <- struct{}{}:
	default:
	}
}

type inflight struct {
	due   time.Time
	seq   uint64
	frame []byte
}

// flightHeap orders frames by delivery time, then by send order.
type flightHeap []inflight

func (h flightHeap) Len() int { return len(h) }
func (h flightHeap) Less(i, j int) bool {
	if !h[i].due.Equal(h[j].due) {
		return h[i].due.Before(h[j].due)
	}
	return h[i].seq < h[j].seq
}
func (h flightHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *flightHeap) Push(x any)   { *h = append(*h, x.(inflight)) }
func (h *flightHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
