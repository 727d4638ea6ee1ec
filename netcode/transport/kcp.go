package transport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/xtaci/kcp-go/v5"
)

// KCPConfig configures KCP listeners and dialers. Both ends must agree on
// Key; the tuning fields only affect the local end.
type KCPConfig struct {
	Config
	// Addr is the UDP address to listen on ("127.0.0.1:0" in tests).
	// Listener only. Default ":7000".
	Addr string
	// Key turns on sealing (seal.go, PROTOCOL.md section 2.1): every
	// datagram is AES-GCM sealed under this 16, 24 or 32 byte key and
	// carries its key id. A dialer seals with its seat's key (from the
	// lobby, or a welcome's resume key); a listener with Key and no Keys
	// accepts that one key. Without a key (and no Keys), packets are
	// plaintext and a spoofed packet with another conversation id and sn 0
	// from a live session's address resets that session (kcp-go
	// behaviour). Default nil.
	Key []byte
	// Keys (listeners only) turns on sealing with a ring of keys, one per
	// seat and connection generation: datagrams under a key not in the
	// ring, that fail authentication, or from an address whose session is
	// bound to another key are dropped before they reach KCP
	// (KCPListener.SealStats). Default nil.
	Keys *KeyRing
	// IntervalMs is KCP's internal flush interval, milliseconds. Default 10.
	IntervalMs int
	// NoDelay turns on KCP's nodelay mode (RTO min 30 ms, no RTO
	// doubling). Default true.
	NoDelay bool
	// FastResend retransmits a segment after this many later segments were
	// acked (0 disables fast resend). Default 2.
	FastResend int
	// NoCongestion disables the congestion window: game traffic is small,
	// and latency matters more than fairness. Default true.
	NoCongestion bool
	// SendWindow and RecvWindow are KCP windows, packets. Default 256
	// each: a full raid snapshot (~10 KiB) is under 10 packets, and a
	// window this size lets a stalled client absorb a second of them.
	SendWindow, RecvWindow int
	// PendingWindow (listeners only) is both windows of a session until
	// its hello arrives, packets: a hello is at most 4 packets, and a
	// session nobody admitted yet must not be able to make the server
	// buffer 256 of them. Default 16.
	PendingWindow int
	// MTU is the UDP payload size, bytes, kept under common path MTUs.
	// Default 1200.
	MTU int
	// SocketBuffer is the listener's UDP socket read and write buffer,
	// bytes (one socket serves every session). Default 4 MiB.
	SocketBuffer int
	// Linger keeps a closed session's KCP state alive this long so frames
	// written just before Close (an error frame, a bye) are still
	// retransmitted until acked: kcp-go's own Close drops whatever is not
	// yet on the wire, and KCP has no FIN. Default 250 ms.
	Linger time.Duration
}

// DefaultKCPConfig returns game-tuned defaults around base (ServerConfig
// or ClientConfig).
func DefaultKCPConfig(base Config) KCPConfig {
	return KCPConfig{
		Config:        base,
		Addr:          ":7000",
		IntervalMs:    10,
		NoDelay:       true,
		FastResend:    2,
		NoCongestion:  true,
		SendWindow:    256,
		RecvWindow:    256,
		PendingWindow: 16,
		MTU:           1200,
		SocketBuffer:  4 << 20,
		Linger:        250 * time.Millisecond,
	}
}

// Validate reports the first field out of range.
func (c *KCPConfig) Validate() error {
	if err := c.Config.Validate(); err != nil {
		return err
	}
	switch {
	case len(c.Key) != 0 && len(c.Key) != 16 && len(c.Key) != 24 && len(c.Key) != 32:
		return fmt.Errorf("transport: kcp key of %d bytes, want 16, 24 or 32", len(c.Key))
	case c.IntervalMs < 1 || c.IntervalMs > 100:
		return fmt.Errorf("transport: kcp IntervalMs %d outside [1, 100]", c.IntervalMs)
	case c.FastResend < 0:
		return fmt.Errorf("transport: kcp FastResend %d negative", c.FastResend)
	case c.SendWindow < 16 || c.RecvWindow < 16:
		return fmt.Errorf("transport: kcp windows %d/%d under 16", c.SendWindow, c.RecvWindow)
	case c.PendingWindow < 0:
		return fmt.Errorf("transport: kcp PendingWindow %d negative", c.PendingWindow)
	case c.MTU < 576 || c.MTU > 1400:
		return fmt.Errorf("transport: kcp MTU %d outside [576, 1400]", c.MTU)
	case c.SocketBuffer < 0 || c.Linger < 0:
		return fmt.Errorf("transport: kcp SocketBuffer %d or Linger %v negative", c.SocketBuffer, c.Linger)
	}
	return nil
}

// sealed reports whether datagrams are sealed.
func (c *KCPConfig) sealed() bool { return len(c.Key) > 0 || c.Keys != nil }

func (c *KCPConfig) tune(s *kcp.UDPSession) {
	nd, nc := 0, 0
	if c.NoDelay {
		nd = 1
	}
	if c.NoCongestion {
		nc = 1
	}
	s.SetNoDelay(nd, c.IntervalMs, c.FastResend, nc)
	s.SetWindowSize(c.SendWindow, c.RecvWindow)
	mtu := c.MTU
	if c.sealed() {
		mtu -= SealOverhead // the sealed datagram stays within MTU
	}
	s.SetMtu(mtu)
	s.SetWriteDelay(false)
}

// KCPListener accepts KCP sessions on one UDP socket. Every session goes
// through the admission gate before Accept sees it.
type KCPListener struct {
	cfg  KCPConfig
	l    *kcp.Listener
	seal *sealedListenConn // nil when plaintext
	gate *gate
	wg   sync.WaitGroup
}

// ListenKCP starts a KCP listener on cfg.Addr.
func ListenKCP(cfg KCPConfig) (*KCPListener, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := cfg.validateListener(); err != nil {
		return nil, err
	}
	kl := &KCPListener{cfg: cfg, gate: newGate(cfg.Config)}
	var err error
	if cfg.sealed() {
		ring := cfg.Keys
		if ring == nil {
			ring = NewKeyRing()
			if _, err := ring.Add(cfg.Key, ""); err != nil {
				return nil, fmt.Errorf("transport: kcp key: %w", err)
			}
		}
		ua, err := net.ResolveUDPAddr("udp", cfg.Addr)
		if err != nil {
			return nil, fmt.Errorf("transport: kcp listen %s: %w", cfg.Addr, err)
		}
		pc, err := net.ListenUDP("udp", ua)
		if err != nil {
			return nil, fmt.Errorf("transport: kcp listen %s: %w", cfg.Addr, err)
		}
		kl.seal = newSealedListenConn(pc, ring, cfg.IdleTimeout)
		if kl.l, err = kcp.ServeConn(nil, 0, 0, kl.seal); err != nil {
			pc.Close()
			return nil, fmt.Errorf("transport: kcp listen %s: %w", cfg.Addr, err)
		}
	} else if kl.l, err = kcp.ListenWithOptions(cfg.Addr, nil, 0, 0); err != nil {
		return nil, fmt.Errorf("transport: kcp listen %s: %w", cfg.Addr, err)
	}
	if cfg.SocketBuffer > 0 {
		if kl.seal != nil {
			_ = kl.seal.SetReadBuffer(cfg.SocketBuffer)
			_ = kl.seal.SetWriteBuffer(cfg.SocketBuffer)
		} else {
			_ = kl.l.SetReadBuffer(cfg.SocketBuffer)
			_ = kl.l.SetWriteBuffer(cfg.SocketBuffer)
		}
	}
	kl.wg.Add(1)
	go kl.acceptLoop()
	return kl, nil
}

// SealStats reports what the sealing socket opened and dropped; zero for
// a plaintext listener.
func (kl *KCPListener) SealStats() SealStats {
	if kl.seal == nil {
		return SealStats{}
	}
	return kl.seal.cnt.stats()
}

// acceptLoop drains kcp-go's accept backlog (128 sessions; kcp-go drops new
// addresses when it is full) into the gate, which never blocks.
func (kl *KCPListener) acceptLoop() {
	defer kl.wg.Done()
	for {
		s, err := kl.l.AcceptKCP()
		if err != nil {
			return
		}
		kl.cfg.tune(s)
		if w := kl.cfg.PendingWindow; w > 0 {
			s.SetWindowSize(w, w) // until the hello: see kcpConn.widen
		}
		kc := newKCPConn(s, &kl.cfg)
		kc.seal = kl.seal
		kl.gate.admit(kc)
	}
}

// Accept returns the next admitted session.
func (kl *KCPListener) Accept(ctx context.Context) (Conn, error) { return kl.gate.accept(ctx) }

// Addr is the UDP address the listener is bound to.
func (kl *KCPListener) Addr() net.Addr { return kl.l.Addr() }

// Stats reports the admission gate's counters.
func (kl *KCPListener) Stats() Stats { return kl.gate.stats() }

// Close closes the UDP socket, which ends every session of this listener
// (accepted ones too: they share the socket), and waits for its goroutines.
func (kl *KCPListener) Close() error {
	err := kl.l.Close()
	if kl.seal != nil {
		if cerr := kl.seal.Close(); err == nil {
			err = cerr
		}
	}
	kl.wg.Wait()
	kl.gate.close()
	return err
}

// KCPDialer dials a KCP listener; each Dial opens its own UDP socket with
// one small reader goroutine (see pushSocket).
type KCPDialer struct {
	Addr   string // host:port of the listener
	Config KCPConfig
}

// WithKey returns a copy of d that seals with key (a welcome's resume key
// for the next connection); an empty key returns d unchanged.
func (d KCPDialer) WithKey(key []byte) Dialer {
	if len(key) == 0 {
		return d
	}
	d.Config.Key = append([]byte(nil), key...)
	return d
}

// KeyedDialer is a Dialer whose sessions are sealed with a per-seat key
// that changes per connection (KCP); the client hands it each welcome's
// resume key before resuming.
type KeyedDialer interface {
	Dialer
	WithKey(key []byte) Dialer
}

// Dial opens a session. KCP has no handshake of its own: the session
// exists once the first frame (the hello) is written.
func (d KCPDialer) Dial(ctx context.Context) (Conn, error) {
	if err := d.Config.Validate(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	raddr, err := net.ResolveUDPAddr("udp", d.Addr)
	if err != nil {
		return nil, fmt.Errorf("transport: kcp dial %s: %w", d.Addr, err)
	}
	network := "udp4"
	if raddr.IP.To4() == nil {
		network = "udp"
	}
	udp, err := net.ListenUDP(network, nil)
	if err != nil {
		return nil, fmt.Errorf("transport: kcp dial %s: %w", d.Addr, err)
	}
	// kcp-go owns the socket (closes it with the session); conv ids need
	// not be secret, only distinct per address.
	var pc net.PacketConn = newPushSocket(udp)
	if len(d.Config.Key) > 0 {
		if pc, err = newSealedDialConn(udp, d.Config.Key); err != nil {
			udp.Close()
			return nil, fmt.Errorf("transport: kcp key: %w", err)
		}
	}
	s, err := kcp.NewConn4(rand.Uint32(), raddr, nil, 0, 0, true, pc)
	if err != nil {
		udp.Close()
		return nil, fmt.Errorf("transport: kcp dial %s: %w", d.Addr, err)
	}
	d.Config.tune(s)
	return newKCPConn(s, &d.Config), nil
}

// kcpConn frames messages on a KCP session. kcp-go delivers a Write of at
// most one MSS as one message but splits larger writes into several, so
// every frame carries a 4-byte big-endian length prefix (PROTOCOL.md,
// "Framing").
type kcpConn struct {
	s      *kcp.UDPSession
	cfg    Config
	sndWnd int // windows after the hello
	rcvWnd int
	linger time.Duration
	seal   *sealedListenConn // the listener's sealing socket; nil on dialers and plaintext
	fr     frameReader
	wmu    sync.Mutex
	wbuf   []byte
	closed atomic.Bool
}

func newKCPConn(s *kcp.UDPSession, cfg *KCPConfig) *kcpConn {
	return &kcpConn{s: s, cfg: cfg.Config, sndWnd: cfg.SendWindow, rcvWnd: cfg.RecvWindow,
		linger: cfg.Linger, fr: frameReader{r: s, max: cfg.MaxReadFrame}}
}

// widen gives an admitted session its full windows (the gate calls it
// once the hello arrived).
func (c *kcpConn) widen() { c.s.SetWindowSize(c.sndWnd, c.rcvWnd) }

func (c *kcpConn) ReadFrame() ([]byte, error) {
	return c.readFrameBy(time.Now().Add(c.cfg.IdleTimeout))
}

func (c *kcpConn) readFrameBy(deadline time.Time) ([]byte, error) {
	if c.closed.Load() {
		return nil, ErrClosed
	}
	_ = c.s.SetReadDeadline(deadline)
	p, err := c.fr.next()
	if err != nil {
		if c.closed.Load() {
			return nil, ErrClosed
		}
		return nil, kcpErr(err)
	}
	return p, nil
}

func (c *kcpConn) WriteFrame(p []byte) error {
	if len(p) > c.cfg.MaxWriteFrame {
		return fmt.Errorf("%w: %d bytes over %d", ErrFrameTooLarge, len(p), c.cfg.MaxWriteFrame)
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.closed.Load() {
		return ErrClosed
	}
	c.wbuf = appendFrame(c.wbuf[:0], p)
	_ = c.s.SetWriteDeadline(time.Now().Add(c.cfg.WriteTimeout))
	if _, err := c.s.Write(c.wbuf); err != nil {
		return kcpErr(err)
	}
	if cap(c.wbuf) > 64<<10 {
		c.wbuf = nil // do not pin a rare huge frame's buffer
	}
	return nil
}

// Close ends the conn at once for its users (reads and writes return
// ErrClosed) and closes the KCP session after the linger period, on a
// timer, so the last frames still get retransmitted.
//
// The linger is a fixed time, not "until the peer acked what was sent,
// at most Linger", because kcp-go (v5.7.5) gives no way to learn that:
// the count of unacknowledged segments is KCP.WaitSnd on the session's
// unexported kcp field (UDPSession exports only GetRTO, GetSRTT,
// GetSRTTVar and GetConv); an empty Write returns at once without waiting
// for the send window; and a blocking probe Write (with the send window
// shrunk to 1 it returns only once everything before it is acked) would
// put a frame on the wire after the final error frame or bye, which
// peers would have to learn to ignore (a wire change). Watching acks from outside would mean parsing
// every KCP datagram on the listener's socket. So a session starved of CPU
// for longer than Linger (a machine far past its capacity) can still lose
// its typed close; the peer then notices at its idle timeout and resumes
// as after any drop. Deployments (and tests on a loaded machine) that
// want more margin raise Linger (the server tests' harness listeners use
// 5 s); it costs a closed session's KCP state and its update timer (every
// IntervalMs) for that long, for every closed session, flood ones too.
func (c *kcpConn) Close() error {
	if !c.closed.CompareAndSwap(false, true) {
		return nil
	}
	_ = c.s.SetReadDeadline(time.Now()) // wake a blocked reader
	if c.linger == 0 {
		return c.closeSession()
	}
	time.AfterFunc(c.linger, func() { _ = c.closeSession() })
	return nil
}

func (c *kcpConn) closeSession() error {
	if c.seal != nil {
		defer c.seal.unbind(c.s.RemoteAddr())
	}
	if err := c.s.Close(); err != nil && !errors.Is(err, io.ErrClosedPipe) {
		return err
	}
	return nil
}

func (c *kcpConn) RemoteAddr() net.Addr { return c.s.RemoteAddr() }

// KeyTag is the tag of the key the session was opened with (KeyRing.Add),
// or "" for a plaintext session or a dialer.
func (c *kcpConn) KeyTag() string {
	if c.seal == nil {
		return ""
	}
	return c.seal.tag(c.s.RemoteAddr())
}
func (c *kcpConn) Transport() string { return "kcp" }

// kcpErr maps kcp-go's errors to the package's sentinels.
func kcpErr(err error) error {
	var ne net.Error
	switch {
	case errors.Is(err, ErrFrameTooLarge), errors.Is(err, ErrBadFrame):
		return err
	case errors.As(err, &ne) && ne.Timeout():
		return ErrIdle
	case errors.Is(err, io.ErrClosedPipe), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return ErrClosed
	}
	return fmt.Errorf("transport: kcp: %w", err)
}
