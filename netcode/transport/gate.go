package transport

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pantheon-oracles/pantheon/netcode"
)

// rawConn is a session before admission: a Conn that can also read with an
// explicit deadline (the hello deadline instead of the idle timeout).
type rawConn interface {
	Conn
	readFrameBy(deadline time.Time) ([]byte, error)
}

// widener is a rawConn that starts with small buffers (KCP windows) and
// grows them once its hello arrived well-formed.
type widener interface{ widen() }

// Stats counts what a listener's admission gate did. All counters only
// grow.
type Stats struct {
	Admitted      uint64 // sessions that sent a well-formed hello in time
	Accepted      uint64 // admitted sessions taken by Accept
	OverPending   uint64 // sessions closed at once: MaxPending were awaiting hello and none could be evicted
	OverAddress   uint64 // sessions closed at once: their address held MaxPendingPerAddr
	OverPrefix    uint64 // sessions closed at once: their /24 or /64 held MaxPendingPerPrefix
	Evicted       uint64 // waiting sessions closed to make room for a source holding none
	HelloTimeouts uint64 // sessions closed for sending no hello in time
	BadHellos     uint64 // sessions closed for a first frame that is not a hello
	QueueFull     uint64 // admitted sessions closed because the accept queue was full
	OverIP        uint64 // TCP connections closed unread: their IP held ConnsPerIP (WebSocket)
}

// Refused is the number of sessions closed at once by a pending cap (any
// of total, per address, per prefix).
func (s Stats) Refused() uint64 { return s.OverPending + s.OverAddress + s.OverPrefix }

// gate is the admission stage every listener shares: it caps sessions
// awaiting their hello per source address, per source prefix and in total
// (pendingSlots), gives each HelloTimeout (a third of it while more than
// half the slots are taken) to send a well-formed hello or resume, and
// queues admitted sessions for Accept.
type gate struct {
	cfg      Config
	queue    chan Conn
	closing  chan struct{}
	mu       sync.Mutex
	closed   bool
	slots    *pendingSlots
	wg       sync.WaitGroup
	admitted atomic.Uint64
	accepted atomic.Uint64
	overPend atomic.Uint64
	overAddr atomic.Uint64
	overPfx  atomic.Uint64
	evicted  atomic.Uint64
	timeouts atomic.Uint64
	bad      atomic.Uint64
	full     atomic.Uint64
}

func newGate(cfg Config) *gate {
	return &gate{
		cfg:     cfg,
		queue:   make(chan Conn, cfg.AcceptQueue),
		closing: make(chan struct{}),
		slots:   newPendingSlots(cfg.MaxPending, cfg.MaxPendingPerAddr, cfg.MaxPendingPerPrefix),
	}
}

// admit takes a new session. It never blocks: the wait for the hello runs
// on a goroutine the gate owns (at most MaxPending of them).
func (g *gate) admit(c rawConn) {
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		c.Close()
		return
	}
	now := time.Now()
	refused, evict := g.slots.take(c, remoteIP(c.RemoteAddr()), now)
	if refused != "" {
		g.mu.Unlock()
		switch refused {
		case RefusedAddress:
			g.overAddr.Add(1)
		case RefusedPrefix:
			g.overPfx.Add(1)
		default:
			g.overPend.Add(1)
		}
		c.Close()
		return
	}
	wait := g.cfg.HelloTimeout
	if 2*g.slots.len() > g.cfg.MaxPending {
		wait /= 3
	}
	g.wg.Add(1)
	g.mu.Unlock()
	if evict != nil {
		g.evicted.Add(1)
		evict.Close() // its handshake goroutine fails its read and returns
	}
	go g.handshake(c, now.Add(wait))
}

func (g *gate) handshake(c rawConn, deadline time.Time) {
	defer g.wg.Done()
	admitted := false
	defer func() {
		g.mu.Lock()
		g.slots.release(c)
		g.mu.Unlock()
		if !admitted {
			c.Close()
		}
	}()
	frame, err := c.readFrameBy(deadline)
	if err != nil {
		switch {
		case errors.Is(err, ErrIdle):
			g.timeouts.Add(1)
			g.reject(c, netcode.CodeHelloTimeout, "no hello within the deadline")
		case errors.Is(err, ErrFrameTooLarge):
			g.bad.Add(1)
			g.reject(c, netcode.CodeFrameTooLarge, "first frame over the size cap")
		case errors.Is(err, ErrClosed):
			// Evicted, or the listener is closing: counted there.
		case errors.Is(err, ErrBadFrame):
			g.bad.Add(1)
			g.reject(c, netcode.CodeProtocolError, "malformed first frame")
		default:
			g.bad.Add(1)
		}
		return
	}
	var h netcode.Hello
	if err := netcode.DecodeHello(frame, &h); err != nil {
		g.bad.Add(1)
		g.reject(c, netcode.CodeProtocolError, "first frame must be hello or resume")
		return
	}
	g.admitted.Add(1)
	if w, ok := c.(widener); ok {
		w.widen()
	}
	var ac Conn = &admittedConn{rawConn: c, first: append([]byte(nil), frame...)}
	if tw, ok := c.(TryWriter); ok {
		ac = &admittedTryConn{admittedConn: ac.(*admittedConn), tw: tw}
	}
	select {
	case g.queue <- ac:
		admitted = true
	case <-g.closing:
	default:
		g.full.Add(1)
		g.reject(c, netcode.CodeServerDraining, "server busy")
	}
}

// reject sends a typed error as a best effort before the close.
func (g *gate) reject(c rawConn, code netcode.Code, msg string) {
	var buf [64]byte
	_ = c.WriteFrame(netcode.AppendError(buf[:0], &netcode.ErrorFrame{Code: code, Message: msg}))
}

func (g *gate) accept(ctx context.Context) (Conn, error) {
	select {
	case c := <-g.queue:
		g.accepted.Add(1)
		return c, nil
	case <-g.closing:
		return nil, ErrClosed
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// close stops admission, closes sessions still awaiting hello or Accept,
// and waits for the handshake goroutines.
func (g *gate) close() {
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		return
	}
	g.closed = true
	close(g.closing)
	for c := range g.slots.conns {
		c.Close()
	}
	g.mu.Unlock()
	g.wg.Wait()
	for {
		select {
		case c := <-g.queue:
			c.Close()
		default:
			return
		}
	}
}

func (g *gate) stats() Stats {
	return Stats{
		Admitted:      g.admitted.Load(),
		Accepted:      g.accepted.Load(),
		OverPending:   g.overPend.Load(),
		OverAddress:   g.overAddr.Load(),
		OverPrefix:    g.overPfx.Load(),
		Evicted:       g.evicted.Load(),
		HelloTimeouts: g.timeouts.Load(),
		BadHellos:     g.bad.Load(),
		QueueFull:     g.full.Load(),
	}
}

// admittedConn returns the hello the gate already read as its first frame.
type admittedConn struct {
	rawConn
	first []byte
}

func (a *admittedConn) ReadFrame() ([]byte, error) {
	if f := a.first; f != nil {
		a.first = nil
		return f, nil
	}
	return a.rawConn.ReadFrame()
}

// KeyTag forwards to the session's KeyTag (sealed KCP), or "".
func (a *admittedConn) KeyTag() string {
	if k, ok := a.rawConn.(Keyed); ok {
		return k.KeyTag()
	}
	return ""
}

// admittedTryConn is an admittedConn whose session has a non-blocking
// write path (TryWriter), which it keeps visible.
type admittedTryConn struct {
	*admittedConn
	tw TryWriter
}

// TryWriteFrames forwards to the session's.
func (a *admittedTryConn) TryWriteFrames(frames [][]byte) (int, error) {
	return a.tw.TryWriteFrames(frames)
}

// Flush forwards to the session's.
func (a *admittedTryConn) Flush() error { return a.tw.Flush() }
