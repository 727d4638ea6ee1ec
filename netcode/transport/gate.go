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

// Stats counts what a listener's admission gate did. All counters only
// grow.
type Stats struct {
	Admitted      uint64 // sessions that sent a well-formed hello in time
	Accepted      uint64 // admitted sessions taken by Accept
	OverPending   uint64 // sessions closed at once: MaxPending were awaiting hello
	HelloTimeouts uint64 // sessions closed for sending no hello in time
	BadHellos     uint64 // sessions closed for a first frame that is not a hello
	QueueFull     uint64 // admitted sessions closed because the accept queue was full
	OverIP        uint64 // TCP connections closed unread: their IP held ConnsPerIP (WebSocket)
}

// gate is the admission stage every listener shares: it caps sessions
// awaiting their hello, gives each HelloTimeout to send a well-formed hello
// or resume, and queues admitted sessions for Accept.
type gate struct {
	cfg      Config
	queue    chan Conn
	closing  chan struct{}
	mu       sync.Mutex
	closed   bool
	pending  map[rawConn]struct{}
	wg       sync.WaitGroup
	admitted atomic.Uint64
	accepted atomic.Uint64
	overPend atomic.Uint64
	timeouts atomic.Uint64
	bad      atomic.Uint64
	full     atomic.Uint64
}

func newGate(cfg Config) *gate {
	return &gate{
		cfg:     cfg,
		queue:   make(chan Conn, cfg.AcceptQueue),
		closing: make(chan struct{}),
		pending: make(map[rawConn]struct{}),
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
	if len(g.pending) >= g.cfg.MaxPending {
		g.mu.Unlock()
		g.overPend.Add(1)
		c.Close()
		return
	}
	g.pending[c] = struct{}{}
	g.wg.Add(1)
	g.mu.Unlock()
	go g.handshake(c)
}

func (g *gate) handshake(c rawConn) {
	defer g.wg.Done()
	admitted := false
	defer func() {
		g.mu.Lock()
		delete(g.pending, c)
		g.mu.Unlock()
		if !admitted {
			c.Close()
		}
	}()
	frame, err := c.readFrameBy(time.Now().Add(g.cfg.HelloTimeout))
	if err != nil {
		switch {
		case errors.Is(err, ErrIdle):
			g.timeouts.Add(1)
			g.reject(c, netcode.CodeHelloTimeout, "no hello within the deadline")
		case errors.Is(err, ErrFrameTooLarge):
			g.bad.Add(1)
			g.reject(c, netcode.CodeFrameTooLarge, "first frame over the size cap")
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
	ac := &admittedConn{rawConn: c, first: append([]byte(nil), frame...)}
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
	for c := range g.pending {
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
