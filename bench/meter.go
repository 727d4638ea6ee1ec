package bench

import (
	"context"
	"net"
	"sync"
	"time"

	"github.com/pantheon-oracles/pantheon/netcode"
	"github.com/pantheon-oracles/pantheon/netcode/transport"
)

// meter measures one bot's connection from below the client: every frame
// each way (bytes, snapshots), the ack of each input (by the input_ack of
// the snapshot that carries it), ping round trips and snapshot spacing.
// It wraps the bot's dialers, so it follows the client through resumes,
// and it can cut the live connection to make the client resume.
type meter struct {
	ks       *keyStats
	wantRate int // tick rate the scenario expects of this mode, 0: any

	mu      sync.Mutex
	conn    transport.Conn // the live connection, nil between them
	sentAt  [sentRing]time.Time
	lastSeq uint32 // newest input sent
	acked   uint32 // newest input acked
	pings   [pingRing]struct {
		id uint32
		at time.Time
	}
	period    time.Duration // tick period from the welcome
	lastSnap  time.Time
	snapshots uint64
	welcomes  int
}

// sentRing must exceed client.Config.MaxUnacked (32): an input older than
// that has been dropped by the client and is never acked.
const (
	sentRing = 64
	pingRing = 8
)

// sent records that the client sent input seq now.
func (m *meter) sent(seq uint32, now time.Time) {
	m.mu.Lock()
	if seq > m.lastSeq {
		m.lastSeq = seq
		m.sentAt[seq%sentRing] = now
	}
	m.mu.Unlock()
	m.ks.inputs.Add(1)
}

// dialer wraps d so every connection it makes is metered.
func (m *meter) dialer(d transport.Dialer) transport.Dialer { return meteredDialer{m: m, d: d} }

// drop closes the live connection (the client notices and resumes).
func (m *meter) drop() {
	m.mu.Lock()
	c := m.conn
	m.mu.Unlock()
	if c != nil {
		c.Close()
	}
}

type meteredDialer struct {
	m *meter
	d transport.Dialer
}

// Dial dials the wrapped dialer and meters the connection.
func (md meteredDialer) Dial(ctx context.Context) (transport.Conn, error) {
	c, err := md.d.Dial(ctx)
	if err != nil {
		return nil, err
	}
	mc := &meteredConn{Conn: c, m: md.m}
	md.m.mu.Lock()
	md.m.conn = c
	md.m.mu.Unlock()
	md.m.ks.connected.Add(1)
	return mc, nil
}

// meteredConn counts and inspects the frames of one connection.
type meteredConn struct {
	transport.Conn
	m      *meter
	closed sync.Once
}

// ReadFrame reads a frame and records what it says.
func (c *meteredConn) ReadFrame() ([]byte, error) {
	p, err := c.Conn.ReadFrame()
	if err != nil {
		return p, err
	}
	m := c.m
	m.ks.bytesIn.Add(uint64(len(p)))
	k, kerr := netcode.PeekKind(p)
	if kerr != nil {
		return p, nil
	}
	now := time.Now()
	switch k {
	case netcode.KindSnapshot:
		m.ks.snapshots.Add(1)
		ack, ok := snapshotInputAck(p)
		m.mu.Lock()
		m.snapshots++
		if !m.lastSnap.IsZero() && m.period > 0 {
			d := now.Sub(m.lastSnap) - m.period
			m.ks.h[mJitter].add(max(d, -d))
		}
		m.lastSnap = now
		var lat [sentRing]time.Duration
		n := 0
		if ok && ack > m.acked && ack <= m.lastSeq {
			from := m.acked + 1
			if m.lastSeq >= sentRing && from < m.lastSeq-sentRing+1 {
				from = m.lastSeq - sentRing + 1 // older ones were overwritten
			}
			for s := from; s <= ack; s++ {
				if t := m.sentAt[s%sentRing]; !t.IsZero() {
					lat[n] = now.Sub(t)
					n++
					m.sentAt[s%sentRing] = time.Time{}
				}
			}
			m.acked = ack
		}
		m.mu.Unlock()
		for _, d := range lat[:n] {
			m.ks.h[mInputAck].add(d)
		}
	case netcode.KindPong:
		var pong netcode.Pong
		if netcode.DecodePong(p, &pong) == nil {
			m.mu.Lock()
			var rtt time.Duration
			for i := range m.pings {
				if e := &m.pings[i]; e.id == pong.ID && !e.at.IsZero() {
					rtt, e.at = now.Sub(e.at), time.Time{}
				}
			}
			m.mu.Unlock()
			if rtt > 0 {
				m.ks.h[mRTT].add(rtt)
			}
		}
	case netcode.KindWelcome:
		var w netcode.Welcome
		if netcode.DecodeWelcome(p, &w) == nil && w.TickRate > 0 {
			m.mu.Lock()
			m.period = time.Second / time.Duration(w.TickRate)
			m.lastSnap = time.Time{} // a resume's first snapshot is no interval
			m.welcomes++
			m.mu.Unlock()
			if m.wantRate > 0 && int(w.TickRate) != m.wantRate {
				m.ks.rateMismatch.Add(1)
			}
		}
	default:
		// other kinds are counted only as bytes.
	}
	return p, nil
}

// WriteFrame writes a frame and records pings.
func (c *meteredConn) WriteFrame(p []byte) error {
	err := c.Conn.WriteFrame(p)
	if err != nil {
		return err
	}
	c.m.ks.bytesOut.Add(uint64(len(p)))
	if k, _ := netcode.PeekKind(p); k == netcode.KindPing {
		var ping netcode.Ping
		if netcode.DecodePing(p, &ping) == nil {
			c.m.mu.Lock()
			c.m.pings[ping.ID%pingRing] = struct {
				id uint32
				at time.Time
			}{ping.ID, time.Now()}
			c.m.mu.Unlock()
		}
	}
	return nil
}

// Close closes the connection once, and forgets it.
func (c *meteredConn) Close() error {
	err := c.Conn.Close()
	c.closed.Do(func() {
		c.m.ks.connected.Add(-1)
		c.m.mu.Lock()
		if c.m.conn == c.Conn {
			c.m.conn = nil
		}
		c.m.mu.Unlock()
	})
	return err
}

// RemoteAddr is the wrapped connection's peer.
func (c *meteredConn) RemoteAddr() net.Addr { return c.Conn.RemoteAddr() }

// snapshotInputAck reads the input_ack of a snapshot frame
// ([17, tick, base_age, input_ack, ...]) without decoding the rest.
func snapshotInputAck(p []byte) (uint32, bool) {
	if len(p) < 1 {
		return 0, false
	}
	off := 0
	switch b := p[0]; {
	case b >= 0x90 && b <= 0x9f:
		off = 1
	case b == 0xdc:
		off = 3
	case b == 0xdd:
		off = 5
	default:
		return 0, false
	}
	var v uint64
	for range 4 { // kind, tick, base_age, input_ack
		var ok bool
		if v, off, ok = msgpackUint(p, off); !ok {
			return 0, false
		}
	}
	return uint32(v), v <= 0xffffffff
}

// msgpackUint reads a non-negative msgpack integer at off.
func msgpackUint(p []byte, off int) (uint64, int, bool) {
	if off >= len(p) {
		return 0, off, false
	}
	b := p[off]
	n := 0
	switch {
	case b < 0x80:
		return uint64(b), off + 1, true
	case b == 0xcc:
		n = 1
	case b == 0xcd:
		n = 2
	case b == 0xce:
		n = 4
	case b == 0xcf:
		n = 8
	default:
		return 0, off, false
	}
	if off+1+n > len(p) {
		return 0, off, false
	}
	var v uint64
	for _, c := range p[off+1 : off+1+n] {
		v = v<<8 | uint64(c)
	}
	return v, off + 1 + n, true
}
