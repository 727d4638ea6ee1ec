package transport

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// Sealed KCP datagrams (PROTOCOL.md, section 2.1 "Per-seat keys"): with a
// key, every UDP datagram of a KCP session is
//
//	key_id (8 bytes) | nonce (12 bytes) | AES-GCM(key, nonce, kcp packet, aad = key_id)
//
// where key_id = HMAC-SHA256(key, "pantheon kcp key id v1")[:8] names the
// key without revealing it. The room server holds one key per seat (and
// per resume) in a KeyRing; a datagram whose key id it does not hold, that
// fails authentication, or that comes from an address whose session is
// bound to another key is dropped (and counted) before kcp-go sees it.
const (
	// KeyIDSize is the length of a sealed datagram's key id.
	KeyIDSize = 8
	// SealNonceSize is the length of a sealed datagram's nonce.
	SealNonceSize = 12
	// SealOverhead is what sealing adds to a KCP packet: key id, nonce and
	// the 16-byte GCM tag.
	SealOverhead = KeyIDSize + SealNonceSize + 16
	// SeatKeySize is the length of a derived seat key (AES-256).
	SeatKeySize = 32
)

// keyIDLabel is the HMAC message a key id is computed over.
const keyIDLabel = "pantheon kcp key id v1"

// seatKeyLabel starts the HKDF info of a seat key.
const seatKeyLabel = "pantheon kcp seat key v1"

// KeyID returns the 8-byte id a sealed datagram carries for key.
func KeyID(key []byte) [KeyIDSize]byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(keyIDLabel))
	var id [KeyIDSize]byte
	copy(id[:], m.Sum(nil))
	return id
}

// DeriveSeatKey derives the KCP key of one seat of one room for one
// connection generation (0 for the join, n for the n-th resume) from the
// server's master key: HKDF-SHA256 with no salt, the master key as input
// keying material and info = "pantheon kcp seat key v1" | uint16 len(room)
// | room | uint32 seat | uint32 generation (big-endian), SeatKeySize bytes.
// Distinct inputs give independent keys; none reveals the master key.
func DeriveSeatKey(master []byte, room string, seat int, gen uint32) ([]byte, error) {
	if len(master) == 0 {
		return nil, errors.New("transport: no master key")
	}
	if len(room) > 0xffff || seat < 0 {
		return nil, fmt.Errorf("transport: seat key for room of %d bytes, seat %d", len(room), seat)
	}
	info := make([]byte, 0, len(seatKeyLabel)+2+len(room)+8)
	info = append(info, seatKeyLabel...)
	info = binary.BigEndian.AppendUint16(info, uint16(len(room)))
	info = append(info, room...)
	info = binary.BigEndian.AppendUint32(info, uint32(seat))
	info = binary.BigEndian.AppendUint32(info, gen)
	return hkdf.Key(sha256.New, master, nil, string(info), SeatKeySize)
}

// sealKey is one key ready to seal and open.
type sealKey struct {
	id   [KeyIDSize]byte
	aead cipher.AEAD
	tag  string
}

func newSealKey(key []byte, tag string) (*sealKey, error) {
	switch len(key) {
	case 16, 24, 32:
	default:
		return nil, fmt.Errorf("transport: kcp key of %d bytes, want 16, 24 or 32", len(key))
	}
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	g, err := cipher.NewGCM(b)
	if err != nil {
		return nil, err
	}
	return &sealKey{id: KeyID(key), aead: g, tag: tag}, nil
}

// KeyRing holds the keys a sealing KCP listener accepts new sessions with,
// each with a tag its sessions report (KCPConn.KeyTag; the room server
// tags a seat's keys with room, seat and generation). Safe for concurrent
// use. Removing a key refuses new sessions with it; a session already
// opened with it keeps it until the session ends.
type KeyRing struct {
	mu   sync.RWMutex
	keys map[[KeyIDSize]byte]*sealKey
}

// NewKeyRing returns an empty ring.
func NewKeyRing() *KeyRing { return &KeyRing{keys: make(map[[KeyIDSize]byte]*sealKey)} }

// Add registers key (16, 24 or 32 bytes) under tag and returns its id.
// Adding a key again replaces its tag.
func (r *KeyRing) Add(key []byte, tag string) ([KeyIDSize]byte, error) {
	k, err := newSealKey(key, tag)
	if err != nil {
		return [KeyIDSize]byte{}, err
	}
	r.mu.Lock()
	r.keys[k.id] = k
	r.mu.Unlock()
	return k.id, nil
}

// Remove forgets the key with id; unknown ids are ignored.
func (r *KeyRing) Remove(id [KeyIDSize]byte) {
	r.mu.Lock()
	delete(r.keys, id)
	r.mu.Unlock()
}

// Len is the number of keys held.
func (r *KeyRing) Len() int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return len(r.keys)
}

func (r *KeyRing) get(id [KeyIDSize]byte) *sealKey {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.keys[id]
}

// SealStats counts what a sealing socket dropped, by reason.
type SealStats struct {
	Opened     uint64 // datagrams authenticated and handed to KCP
	Short      uint64 // shorter than SealOverhead
	UnknownKey uint64 // key id not in the ring
	BadAuth    uint64 // authentication failed (wrong key, forged or corrupted)
	OtherKey   uint64 // from an address whose session is bound to another key
}

// Dropped is every datagram dropped, whatever the reason.
func (s SealStats) Dropped() uint64 { return s.Short + s.UnknownKey + s.BadAuth + s.OtherKey }

type sealCounters struct {
	opened, short, unknown, badAuth, otherKey atomic.Uint64
}

func (c *sealCounters) stats() SealStats {
	return SealStats{Opened: c.opened.Load(), Short: c.short.Load(), UnknownKey: c.unknown.Load(),
		BadAuth: c.badAuth.Load(), OtherKey: c.otherKey.Load()}
}

// nonceSource makes nonces that never repeat for one sender: 4 random
// bytes drawn once, whose top bit says the direction (0 client to server, 1
// server to client), then a 64-bit big-endian counter.
type nonceSource struct {
	prefix [4]byte
	n      atomic.Uint64
}

func newNonceSource(server bool) *nonceSource {
	ns := &nonceSource{}
	_, _ = rand.Read(ns.prefix[:]) // crypto/rand.Read never fails (Go 1.24+)
	ns.prefix[0] &^= 0x80
	if server {
		ns.prefix[0] |= 0x80
	}
	return ns
}

func (ns *nonceSource) put(dst []byte) {
	copy(dst, ns.prefix[:])
	binary.BigEndian.PutUint64(dst[4:], ns.n.Add(1))
}

// seal appends the sealed datagram of packet under k to dst.
func seal(dst []byte, k *sealKey, ns *nonceSource, packet []byte) []byte {
	dst = append(dst, k.id[:]...)
	at := len(dst)
	dst = append(dst, make([]byte, SealNonceSize)...)
	ns.put(dst[at:])
	return k.aead.Seal(dst, dst[at:at+SealNonceSize], packet, k.id[:])
}

// splitSealed returns a sealed datagram's key id, or false when it is too
// short to be one.
func splitSealed(d []byte) ([KeyIDSize]byte, bool) {
	var id [KeyIDSize]byte
	if len(d) < SealOverhead {
		return id, false
	}
	copy(id[:], d)
	return id, true
}

// open authenticates a sealed datagram under k and decrypts it in place,
// returning the KCP packet (aliasing d).
func open(k *sealKey, d []byte) ([]byte, error) {
	nonce := d[KeyIDSize : KeyIDSize+SealNonceSize]
	ct := d[KeyIDSize+SealNonceSize:]
	return k.aead.Open(ct[:0], nonce, ct, d[:KeyIDSize])
}

// OpenSealed authenticates and decrypts one sealed datagram with the keys
// of ring, as a sealing listener does, and returns the KCP packet
// (aliasing d) and the key's tag. It is the open path on its own, for
// tests and fuzzing.
func OpenSealed(ring *KeyRing, d []byte) ([]byte, string, error) {
	id, ok := splitSealed(d)
	if !ok {
		return nil, "", errors.New("transport: sealed datagram too short")
	}
	k := ring.get(id)
	if k == nil {
		return nil, "", errors.New("transport: unknown key id")
	}
	p, err := open(k, d)
	if err != nil {
		return nil, "", err
	}
	return p, k.tag, nil
}

// SealDatagram seals one KCP packet with key as a client does. For tests
// and tools; the dialer seals by itself.
func SealDatagram(key, packet []byte) ([]byte, error) {
	k, err := newSealKey(key, "")
	if err != nil {
		return nil, err
	}
	return seal(nil, k, newNonceSource(false), packet), nil
}

// binding is the key a source address's session was opened with.
type binding struct {
	key  *sealKey
	last atomic.Int64 // unix nanoseconds of the last datagram opened
}

// sealedListenConn is the listener's UDP socket as kcp-go sees it: a plain
// net.PacketConn (not a *net.UDPConn, so kcp-go reads and writes through
// it instead of batching syscalls on the raw socket) that opens every
// datagram before kcp-go sees it and seals every datagram kcp-go writes.
//
// The first datagram that authenticates from an address binds that
// address to its key until the session there ends (unbind) or the
// address stays silent for idle; a datagram from a bound address under
// any other key is dropped, so one seat's key can never reach (or reset)
// the session of another seat, whatever conversation id it carries.
type sealedListenConn struct {
	pc    *net.UDPConn
	ring  *KeyRing
	idle  time.Duration
	nonce *nonceSource
	cnt   sealCounters

	mu        sync.Mutex
	binds     map[netip.AddrPort]*binding
	lastSweep time.Time

	rbuf []byte // owned by the one reader (kcp-go's monitor goroutine)
	wbuf sync.Pool
}

func newSealedListenConn(pc *net.UDPConn, ring *KeyRing, idle time.Duration) *sealedListenConn {
	c := &sealedListenConn{pc: pc, ring: ring, idle: idle, nonce: newNonceSource(true),
		binds: make(map[netip.AddrPort]*binding), rbuf: make([]byte, 2048)}
	c.wbuf.New = func() any { b := make([]byte, 0, 2048); return &b }
	return c
}

// ReadFrom returns the next datagram that opens, decrypted.
func (c *sealedListenConn) ReadFrom(p []byte) (int, net.Addr, error) {
	for {
		n, ap, err := c.pc.ReadFromUDPAddrPort(c.rbuf)
		if err != nil {
			return 0, nil, err
		}
		pkt, ok := c.openFrom(c.rbuf[:n], ap, time.Now())
		if !ok {
			continue
		}
		return copy(p, pkt), net.UDPAddrFromAddrPort(ap), nil
	}
}

// openFrom opens d from ap, binding ap to its key on first success.
func (c *sealedListenConn) openFrom(d []byte, ap netip.AddrPort, now time.Time) ([]byte, bool) {
	id, ok := splitSealed(d)
	if !ok {
		c.cnt.short.Add(1)
		return nil, false
	}
	c.mu.Lock()
	c.sweep(now)
	b := c.binds[ap]
	c.mu.Unlock()
	var k *sealKey
	switch {
	case b != nil && b.key.id == id:
		k = b.key
	case b != nil && now.UnixNano()-b.last.Load() < int64(c.idle):
		c.cnt.otherKey.Add(1)
		return nil, false
	default:
		if k = c.ring.get(id); k == nil {
			c.cnt.unknown.Add(1)
			return nil, false
		}
	}
	pkt, err := open(k, d)
	if err != nil {
		c.cnt.badAuth.Add(1)
		return nil, false
	}
	if b == nil || b.key != k {
		c.mu.Lock()
		if cur := c.binds[ap]; cur == nil || cur == b {
			b = &binding{key: k}
			c.binds[ap] = b
		} else if cur.key != k { // bound by a racing datagram under another key
			c.mu.Unlock()
			c.cnt.otherKey.Add(1)
			return nil, false
		} else {
			b = cur
		}
		c.mu.Unlock()
	}
	b.last.Store(now.UnixNano())
	c.cnt.opened.Add(1)
	return pkt, true
}

// sweep forgets bindings silent for idle, at most once a second. c.mu must
// be held.
func (c *sealedListenConn) sweep(now time.Time) {
	if now.Sub(c.lastSweep) < time.Second {
		return
	}
	c.lastSweep = now
	for ap, b := range c.binds {
		if now.UnixNano()-b.last.Load() >= int64(c.idle) {
			delete(c.binds, ap)
		}
	}
}

// tag returns the tag of the key addr is bound to, or "".
func (c *sealedListenConn) tag(addr net.Addr) string {
	if b := c.bound(addr); b != nil {
		return b.key.tag
	}
	return ""
}

func (c *sealedListenConn) bound(addr net.Addr) *binding {
	ua, ok := addr.(*net.UDPAddr)
	if !ok {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.binds[ua.AddrPort()]
}

// unbind forgets addr's binding (its session ended).
func (c *sealedListenConn) unbind(addr net.Addr) {
	ua, ok := addr.(*net.UDPAddr)
	if !ok {
		return
	}
	c.mu.Lock()
	delete(c.binds, ua.AddrPort())
	c.mu.Unlock()
}

// WriteTo seals p with the key addr's session is bound to; a datagram for
// an address bound to no key is dropped (reported as written).
func (c *sealedListenConn) WriteTo(p []byte, addr net.Addr) (int, error) {
	b := c.bound(addr)
	if b == nil {
		return len(p), nil
	}
	bp := c.wbuf.Get().(*[]byte)
	out := seal((*bp)[:0], b.key, c.nonce, p)
	_, err := c.pc.WriteToUDPAddrPort(out, addr.(*net.UDPAddr).AddrPort())
	*bp = out
	c.wbuf.Put(bp)
	if err != nil {
		return 0, err
	}
	return len(p), nil
}

func (c *sealedListenConn) Close() error                       { return c.pc.Close() }
func (c *sealedListenConn) LocalAddr() net.Addr                { return c.pc.LocalAddr() }
func (c *sealedListenConn) SetDeadline(t time.Time) error      { return c.pc.SetDeadline(t) }
func (c *sealedListenConn) SetReadDeadline(t time.Time) error  { return c.pc.SetReadDeadline(t) }
func (c *sealedListenConn) SetWriteDeadline(t time.Time) error { return c.pc.SetWriteDeadline(t) }
func (c *sealedListenConn) SetReadBuffer(n int) error          { return c.pc.SetReadBuffer(n) }
func (c *sealedListenConn) SetWriteBuffer(n int) error         { return c.pc.SetWriteBuffer(n) }

// sealedDialConn is a client's UDP socket sealing with its one seat key.
// Like pushSocket it feeds kcp-go through the PacketPusher hook with one
// small buffer (pusher, opening each datagram), and it is not a
// *net.UDPConn, so kcp-go writes through WriteTo (sealed) rather than
// batching on the raw socket.
type sealedDialConn struct {
	pusher
	pc    *net.UDPConn
	key   *sealKey
	nonce *nonceSource
	cnt   *sealCounters

	wmu  sync.Mutex
	wbuf []byte
}

func newSealedDialConn(pc *net.UDPConn, key []byte) (*sealedDialConn, error) {
	k, err := newSealKey(key, "")
	if err != nil {
		return nil, err
	}
	c := &sealedDialConn{pc: pc, key: k, nonce: newNonceSource(false), cnt: &sealCounters{}}
	c.pusher = pusher{pc: pc, size: 2048, each: c.openDatagram}
	return c, nil
}

// SetPacketReceiver implements kcp.PacketPusher (see pusher).
func (c *sealedDialConn) SetPacketReceiver(fn func(b []byte, addr net.Addr, err error)) {
	c.pusher.SetPacketReceiver(fn)
}

// openDatagram opens a datagram from the server in place: one under
// another key id or that fails authentication is dropped and counted.
func (c *sealedDialConn) openDatagram(d []byte) ([]byte, bool) {
	id, ok := splitSealed(d)
	if !ok || id != c.key.id {
		c.cnt.unknown.Add(1)
		return nil, false
	}
	pkt, err := open(c.key, d)
	if err != nil {
		c.cnt.badAuth.Add(1)
		return nil, false
	}
	return pkt, true
}

func (c *sealedDialConn) ReadFrom(p []byte) (int, net.Addr, error) {
	return 0, nil, errors.New("transport: sealed dial conn is read through SetPacketReceiver")
}

// WriteTo seals p with the seat key.
func (c *sealedDialConn) WriteTo(p []byte, addr net.Addr) (int, error) {
	c.wmu.Lock()
	c.wbuf = seal(c.wbuf[:0], c.key, c.nonce, p)
	_, err := c.pc.WriteTo(c.wbuf, addr)
	c.wmu.Unlock()
	if err != nil {
		return 0, err
	}
	return len(p), nil
}

func (c *sealedDialConn) Close() error                       { return c.pc.Close() }
func (c *sealedDialConn) LocalAddr() net.Addr                { return c.pc.LocalAddr() }
func (c *sealedDialConn) SetDeadline(t time.Time) error      { return c.pc.SetDeadline(t) }
func (c *sealedDialConn) SetReadDeadline(t time.Time) error  { return c.pc.SetReadDeadline(t) }
func (c *sealedDialConn) SetWriteDeadline(t time.Time) error { return c.pc.SetWriteDeadline(t) }
