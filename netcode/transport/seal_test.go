package transport

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/pantheon-oracles/pantheon/netcode"
	"github.com/xtaci/kcp-go/v5"
)

// sealedClient is a sealed KCP client on a UDP socket the test owns, so the
// test can also send raw datagrams from the very same address, as a
// spoofer of that address would.
type sealedClient struct {
	udp  *net.UDPConn
	conv uint32
	c    *kcpConn
}

func dialSealed(t *testing.T, kl *KCPListener, key []byte, conv uint32) *sealedClient {
	t.Helper()
	udp, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	pc, err := newSealedDialConn(udp, key)
	if err != nil {
		t.Fatal(err)
	}
	sess, err := kcp.NewConn3(conv, kl.Addr(), nil, 0, 0, pc)
	if err != nil {
		t.Fatal(err)
	}
	dc := DefaultKCPConfig(ClientConfig())
	dc.Key = key
	dc.tune(sess)
	sc := &sealedClient{udp: udp, conv: conv, c: newKCPConn(sess, &dc)}
	t.Cleanup(func() { sc.c.Close(); udp.Close() })
	return sc
}

// sealedListener listens with a ring holding keyA (tag "r/0/0") and keyB
// (tag "r/1/0").
func sealedListener(t *testing.T) (kl *KCPListener, keyA, keyB []byte) {
	t.Helper()
	master := bytes.Repeat([]byte{7}, 32)
	keyA, _ = DeriveSeatKey(master, "r", 0, 0)
	keyB, _ = DeriveSeatKey(master, "r", 1, 0)
	ring := NewKeyRing()
	if _, err := ring.Add(keyA, "r/0/0"); err != nil {
		t.Fatal(err)
	}
	if _, err := ring.Add(keyB, "r/1/0"); err != nil {
		t.Fatal(err)
	}
	cfg := DefaultKCPConfig(ServerConfig())
	cfg.Addr, cfg.Keys = "127.0.0.1:0", ring
	kl, err := ListenKCP(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { kl.Close() })
	return kl, keyA, keyB
}

// acceptHello connects sc and returns the server side after its hello.
func acceptHello(t *testing.T, kl *KCPListener, sc *sealedClient) Conn {
	t.Helper()
	if err := sc.c.WriteFrame(hello()); err != nil {
		t.Fatal(err)
	}
	s, err := kl.Accept(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.ReadFrame(); err != nil {
		t.Fatal(err)
	}
	return s
}

// pushFrame is a KCP push segment carrying one length-prefixed frame.
func pushFrame(conv, sn uint32, frame []byte) []byte {
	return kcpPush(conv, sn, appendFrame(nil, frame))
}

// TestKCPSessionKeysIsolateSeats: seat B's live session takes no datagram
// sealed with seat A's key, even from B's own address and with B's
// conversation id: neither the reset (another conv, sn 0) nor a forged
// frame in B's conversation reaches it; from A's own address the same
// packet only opens a session of A's. Each session reports its seat's tag.
func TestKCPSessionKeysIsolateSeats(t *testing.T) {
	kl, keyA, keyB := sealedListener(t)
	b := dialSealed(t, kl, keyB, 2222)
	sb := acceptHello(t, kl, b)
	if tag := sb.(Keyed).KeyTag(); tag != "r/1/0" {
		t.Fatalf("seat B's session has key tag %q, want r/1/0", tag)
	}
	before := kl.SealStats()
	forged := netcode.AppendBye(nil, netcode.KindClientBye, netcode.CodeNone)
	for _, pkt := range [][]byte{
		kcpPush(999, 0, nil),         // reset: another conversation, sn 0
		pushFrame(b.conv, 0, forged), // injection into B's conversation
		pushFrame(b.conv, 1, forged),
	} {
		d, err := SealDatagram(keyA, pkt)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := b.udp.WriteTo(d, kl.Addr()); err != nil { // from B's address
			t.Fatal(err)
		}
	}
	// The forgeries have been processed once a frame B sends afterwards
	// has been (same socket, same order): B's session is alive and reads
	// B's frame, not the forged bye.
	if err := b.c.WriteFrame(netcode.AppendAck(nil, 77)); err != nil {
		t.Fatal(err)
	}
	f, err := sb.ReadFrame()
	if err != nil {
		t.Fatalf("seat B's session ended after datagrams sealed with seat A's key: %v", err)
	}
	if k, _ := netcode.PeekKind(f); k != netcode.KindAck {
		t.Fatalf("seat B's session read kind %v, want B's own ack", k)
	}
	if got := kl.SealStats().OtherKey - before.OtherKey; got != 3 {
		t.Fatalf("dropped as another seat's key: %d, want 3", got)
	}
	// From A's own address, A's key and B's conversation id open a session
	// of A's (tag r/0/0), never B's.
	a := dialSealed(t, kl, keyA, b.conv)
	sa := acceptHello(t, kl, a)
	if tag := sa.(Keyed).KeyTag(); tag != "r/0/0" {
		t.Fatalf("seat A's session has key tag %q, want r/0/0", tag)
	}
	if err := b.c.WriteFrame(netcode.AppendAck(nil, 78)); err != nil {
		t.Fatal(err)
	}
	if _, err := sb.ReadFrame(); err != nil {
		t.Fatalf("seat B's session ended when seat A opened one with B's conv: %v", err)
	}
}

// TestKCPWrongKeyChangesNothing: a datagram under a key the server does
// not hold, one under a held key id that fails authentication, and a
// plaintext one are dropped and counted, open no session and leave a live
// one as it was.
func TestKCPWrongKeyChangesNothing(t *testing.T) {
	kl, _, keyB := sealedListener(t)
	b := dialSealed(t, kl, keyB, 3333)
	sb := acceptHello(t, kl, b)
	wrong := bytes.Repeat([]byte{9}, 32)
	bad, err := SealDatagram(wrong, pushFrame(b.conv, 1, netcode.AppendAck(nil, 5)))
	if err != nil {
		t.Fatal(err)
	}
	forged, _ := SealDatagram(keyB, pushFrame(b.conv, 1, netcode.AppendAck(nil, 6)))
	id := KeyID(keyB)
	copy(forged, id[:])
	forged[len(forged)-1] ^= 1 // B's key id, broken tag
	stranger, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer stranger.Close()
	before, gate := kl.SealStats(), kl.Stats()
	for _, from := range []*net.UDPConn{b.udp, stranger} {
		for _, d := range [][]byte{bad, forged, kcpPush(4444, 0, nil), pushFrame(b.conv, 1, hello())} {
			if _, err := from.WriteTo(d, kl.Addr()); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := b.c.WriteFrame(netcode.AppendAck(nil, 99)); err != nil {
		t.Fatal(err)
	}
	f, err := sb.ReadFrame()
	if err != nil {
		t.Fatalf("live session ended after wrong-key datagrams: %v", err)
	}
	if ack, err := netcode.DecodeAck(f); err != nil || ack != 99 {
		t.Fatalf("live session read %x, want its own ack 99", f)
	}
	// B's ack trails B's own forgeries on one socket; the stranger's may
	// still be in flight: wait until all eight are counted.
	deadline := time.Now().Add(10 * time.Second)
	for kl.SealStats().Dropped()-before.Dropped() < 8 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	after := kl.SealStats()
	if got := after.Dropped() - before.Dropped(); got != 8 {
		t.Fatalf("dropped %d datagrams, want 8: %+v", got, after)
	}
	if after.UnknownKey-before.UnknownKey < 2 || after.BadAuth-before.BadAuth != 2 {
		t.Fatalf("drops by reason %+v (before %+v): want 2 under an unknown key and 2 failed authentications", after, before)
	}
	if g := kl.Stats(); g != gate {
		t.Fatalf("wrong-key datagrams reached the admission gate: %+v, was %+v", g, gate)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if s, err := kl.Accept(ctx); !errors.Is(err, ctx.Err()) || s != nil {
		t.Fatalf("a wrong-key datagram opened a session: %v", err)
	}
}

// TestSealedDatagramLayout: key id, nonce, ciphertext+tag, as PROTOCOL.md
// says; nonces never repeat and carry the direction bit.
func TestSealedDatagramLayout(t *testing.T) {
	key := bytes.Repeat([]byte{1}, 32)
	k, _ := newSealKey(key, "")
	ns := newNonceSource(false)
	a := seal(nil, k, ns, []byte("kcp"))
	b := seal(nil, k, ns, []byte("kcp"))
	id := KeyID(key)
	if len(a) != SealOverhead+3 || !bytes.Equal(a[:KeyIDSize], id[:]) {
		t.Fatalf("sealed %x: want %d bytes starting with key id %x", a, SealOverhead+3, id)
	}
	if bytes.Equal(a[KeyIDSize:KeyIDSize+SealNonceSize], b[KeyIDSize:KeyIDSize+SealNonceSize]) || a[KeyIDSize]&0x80 != 0 {
		t.Fatalf("client nonces %x and %x: want distinct, top bit 0", a[8:20], b[8:20])
	}
	if s := seal(nil, k, newNonceSource(true), nil); s[KeyIDSize]&0x80 == 0 {
		t.Fatalf("server nonce %x: want top bit 1", s[8:20])
	}
	ring := NewKeyRing()
	if _, err := ring.Add(key, "t"); err != nil {
		t.Fatal(err)
	}
	p, tag, err := OpenSealed(ring, a)
	if err != nil || string(p) != "kcp" || tag != "t" {
		t.Fatalf("open: %q %q %v", p, tag, err)
	}
	k1, _ := DeriveSeatKey(key, "r", 0, 0)
	k2, _ := DeriveSeatKey(key, "r", 0, 1)
	k3, _ := DeriveSeatKey(key, "r", 1, 0)
	k4, _ := DeriveSeatKey(key, "r1", 0, 0)
	for i, x := range [][]byte{k1, k2, k3, k4} {
		for j, y := range [][]byte{k1, k2, k3, k4} {
			if i != j && bytes.Equal(x, y) {
				t.Fatalf("derived keys %d and %d are equal", i, j)
			}
		}
	}
}

// FuzzSealedDatagram: the open path takes any bytes without panicking;
// what opens is exactly what was sealed under the ring's key.
func FuzzSealedDatagram(f *testing.F) {
	key := bytes.Repeat([]byte{3}, 32)
	ring := NewKeyRing()
	if _, err := ring.Add(key, "seat"); err != nil {
		f.Fatal(err)
	}
	good, _ := SealDatagram(key, kcpPush(1, 0, hello()))
	id := KeyID(key)
	f.Add(good)
	f.Add(good[:SealOverhead-1])
	f.Add(good[:SealOverhead])
	f.Add(append(id[:], make([]byte, SealOverhead)...))
	f.Add(kcpPush(1, 0, nil))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, d []byte) {
		in := bytes.Clone(d)
		p, tag, err := OpenSealed(ring, d)
		if err != nil {
			return
		}
		if tag != "seat" || !bytes.Equal(in[:KeyIDSize], id[:]) || len(p) != len(in)-SealOverhead {
			t.Fatalf("opened %x as %x (tag %q)", in, p, tag)
		}
	})
}

// BenchmarkSealDatagram measures sealing and opening one KCP packet as
// sealed KCP does per datagram (AES-256-GCM, key id, nonce): seal is the
// sender's side (a client's WriteTo, the listener's WriteTo), open the
// client's (key id check and authentication), open_listener the room
// server's (its binding lookup for the source address, then
// authentication). 24 bytes is a bare KCP ack, 120 a typical input or
// small snapshot segment, 1164 a full segment. Buffers are reused, so a
// datagram costs no allocation; opening decrypts in place, so each
// iteration first copies the sealed datagram back (a memcpy of its size).
//
//	go test -run '^$' -bench BenchmarkSealDatagram -benchmem ./netcode/transport/
func BenchmarkSealDatagram(b *testing.B) {
	key := bytes.Repeat([]byte{7}, SeatKeySize)
	k, err := newSealKey(key, "seat")
	if err != nil {
		b.Fatal(err)
	}
	for _, size := range []int{24, 120, 1164} {
		packet := bytes.Repeat([]byte{0xab}, size)
		sealed := seal(nil, k, newNonceSource(false), packet)
		b.Run(fmt.Sprintf("op=seal/bytes=%d", size), func(b *testing.B) {
			ns := newNonceSource(false)
			buf := make([]byte, 0, size+SealOverhead)
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for range b.N {
				buf = seal(buf[:0], k, ns, packet)
			}
		})
		b.Run(fmt.Sprintf("op=open/bytes=%d", size), func(b *testing.B) {
			c := &sealedDialConn{key: k, cnt: &sealCounters{}}
			buf := make([]byte, len(sealed))
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for range b.N {
				copy(buf, sealed)
				if _, ok := c.openDatagram(buf); !ok {
					b.Fatal("datagram did not open")
				}
			}
		})
		b.Run(fmt.Sprintf("op=open_listener/bytes=%d", size), func(b *testing.B) {
			ring := NewKeyRing()
			if _, err := ring.Add(key, "seat"); err != nil {
				b.Fatal(err)
			}
			c := newSealedListenConn(nil, ring, 10*time.Second)
			ap := netip.MustParseAddrPort("127.0.0.1:40000")
			buf := make([]byte, len(sealed))
			now := time.Now()
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for range b.N {
				copy(buf, sealed)
				if _, ok := c.openFrom(buf, ap, now); !ok {
					b.Fatal("datagram did not open")
				}
			}
		})
	}
}
